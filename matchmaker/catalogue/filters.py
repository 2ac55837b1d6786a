"""Template filters and globals of the catalogue (registered app-wide: organisation pages use them too)."""

from flask_babel import format_currency
from flask_babel import gettext as _

from matchmaker.auth.sessions import acting_user
from matchmaker.catalogue import bp
from matchmaker.i18n import current_language
from matchmaker.markdown import render_markdown
from matchmaker.models.labels import (
    CATALOGUE_STATUSES,
    CONTENT_LANGUAGES,
    INNOVATION_TYPES,
    PROCUREMENT_ROUTES,
    TRL_LEVELS,
    label,
)
from matchmaker.services import catalogue as catalogue_service
from matchmaker.services import cpv as cpv_service


@bp.app_template_filter("markdown")
def markdown_filter(text: str | None):
    return render_markdown(text)


@bp.app_template_filter("innovation_type_label")
def innovation_type_label(value: str) -> str:
    return str(INNOVATION_TYPES.get(value, value))


@bp.app_template_filter("procurement_route_label")
def procurement_route_label(value: str) -> str:
    return str(PROCUREMENT_ROUTES.get(value, value))


@bp.app_template_filter("content_language_label")
def content_language_label(value: str) -> str:
    return str(CONTENT_LANGUAGES.get(value, value))


@bp.app_template_filter("trl_label")
def trl_label(value: int | None) -> str:
    return str(TRL_LEVELS.get(value, _("Not applicable"))) if value else _("Not applicable")


@bp.app_template_filter("catalogue_status_label")
def status_label(value: str) -> str:
    return label(CATALOGUE_STATUSES, value)


@bp.app_template_filter("euros")
def euros(value: int | None) -> str:
    if value is None:
        return ""
    return format_currency(value, "EUR", format="¤ #,##0", currency_digits=False)


@bp.app_template_global("cpv_describe")
def cpv_describe(code: str) -> dict:
    return cpv_service.describe(code, current_language())


@bp.app_template_global("published_items_of")
def published_items_of(organisation):
    """What the visitor of this page may see of the organisation's published items."""
    return catalogue_service.published_items_of(organisation, acting_user())
