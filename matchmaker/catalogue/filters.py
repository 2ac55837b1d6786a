"""Template filters and globals of the catalogue (registered app-wide: organisation pages use them too)."""

from flask_babel import format_currency
from flask_babel import gettext as _

from matchmaker.auth.sessions import acting_user
from matchmaker.catalogue import bp
from matchmaker.catalogue.forms import (
    INNOVATION_TYPE_LABELS,
    LANGUAGE_LABELS,
    PROCUREMENT_ROUTE_LABELS,
    TRL_LABELS,
)
from matchmaker.i18n import current_language
from matchmaker.markdown import render_markdown
from matchmaker.services import catalogue as catalogue_service
from matchmaker.services import cpv as cpv_service


def _status_labels() -> dict[str, str]:
    return {
        "draft": _("Draft"),
        "published": _("Published"),
        "open": _("Open"),
        "closed": _("Closed"),
        "archived": _("Archived"),
    }


@bp.app_template_filter("markdown")
def markdown_filter(text: str | None):
    return render_markdown(text)


@bp.app_template_filter("innovation_type_label")
def innovation_type_label(value: str) -> str:
    return str(INNOVATION_TYPE_LABELS.get(value, value))


@bp.app_template_filter("procurement_route_label")
def procurement_route_label(value: str) -> str:
    return str(PROCUREMENT_ROUTE_LABELS.get(value, value))


@bp.app_template_filter("content_language_label")
def content_language_label(value: str) -> str:
    return str(LANGUAGE_LABELS.get(value, value))


@bp.app_template_filter("trl_label")
def trl_label(value: int | None) -> str:
    return str(TRL_LABELS.get(value, _("Not applicable"))) if value else _("Not applicable")


@bp.app_template_filter("catalogue_status_label")
def status_label(value: str) -> str:
    return _status_labels().get(value, value)


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
