"""Browse and search the catalogue: /catalogue/offerings and /catalogue/needs.

The search form is a GET form (it changes nothing, so it needs no CSRF token and its URLs can be shared).
Every parameter is validated; a bad one is reported on the page and left out of the search, never a 500.
"""

from functools import cache

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    ValidationError,
    widgets,
)
from wtforms.validators import Length, Optional

from matchmaker.auth.sessions import acting_user
from matchmaker.catalogue import bp
from matchmaker.forms import OneLineField
from matchmaker.i18n import current_language
from matchmaker.models.labels import (
    CATALOGUE_STATUSES,
    CONTENT_LANGUAGES,
    INNOVATION_TYPES,
    PROCUREMENT_ROUTES,
)
from matchmaker.reference.cpv import vocabulary
from matchmaker.routing import parse_int
from matchmaker.services import item_actions
from matchmaker.services import search as search_service
from matchmaker.services.themes import list_themes
from matchmaker.vocab import ORGANISATION_KINDS
from matchmaker.vocab import choices as vocab_choices

SORT_LABELS = {
    "relevance": _l("Best match"),
    "newest": _l("Newest first"),
    "title": _l("Title (A–Z)"),
    "trl": _l("Most mature first (TRL)"),
    "deadline": _l("Deadline (soonest first)"),
    "budget": _l("Largest budget first"),
}


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _trl_choices():
    return [SelectChoice("", _l("Any"))] + [SelectChoice(str(n), str(n)) for n in range(1, 10)]


class BrowseForm(FlaskForm):
    """The filters of the browse page. GET: no CSRF token (the search changes nothing)."""

    class Meta:
        csrf = False

    q = OneLineField(
        _l("Search words"),
        validators=[Optional(), Length(max=search_service.MAX_QUERY_LENGTH)],
        render_kw={"type": "search", "autocomplete": "off"},
    )
    theme = CheckboxesField(_l("Themes"), choices=[], validate_choice=True)
    type = CheckboxesField(
        _l("Type of innovation"),
        choices=[SelectChoice(k.value, v) for k, v in INNOVATION_TYPES.items()],
    )
    trl_min = SelectField(_l("TRL from"), choices=_trl_choices(), default="", validators=[Optional()])
    trl_max = SelectField(_l("TRL up to"), choices=_trl_choices(), default="", validators=[Optional()])
    route = CheckboxesField(
        _l("Procurement route"),
        choices=[SelectChoice(k.value, v) for k, v in PROCUREMENT_ROUTES.items()],
    )
    cpv = SelectField(_l("CPV division"), choices=[], default="", validators=[Optional()])
    org_kind = CheckboxesField(_l("Kind of organisation"), choices=vocab_choices(ORGANISATION_KINDS))
    language = CheckboxesField(
        _l("Language of the text"), choices=[SelectChoice(k.value, v) for k, v in CONTENT_LANGUAGES.items()]
    )
    status = CheckboxesField(_l("Status"), choices=[])
    mine = BooleanField(_l("Only my organisation's items"))
    sort = SelectField(_l("Sort by"), choices=[], default="relevance")
    per_page = SelectField(
        _l("Results per page"),
        choices=[SelectChoice(str(n), str(n)) for n in search_service.PER_PAGE_CHOICES],
        default="20",
    )

    def __init__(self, kind: str, viewer, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        language = current_language()
        self.theme.choices = [SelectChoice(t.slug, t.name(language)) for t in list_themes(active_only=False)]
        self.cpv.choices = [SelectChoice("", _("All divisions"))] + [
            SelectChoice(c.division, f"{c.division} – {c.label(language)}") for c in _divisions()
        ]
        statuses = search_service.allowed_statuses(kind, viewer)
        self.status.choices = [SelectChoice(s, CATALOGUE_STATUSES[s]) for s in statuses]
        self.show_status = len(statuses) > 1  # members filter their own items by status
        self.show_mine = bool(viewer is not None and viewer.organisation is not None)
        self.sort.choices = [SelectChoice(s, SORT_LABELS[s]) for s in search_service.SORTS[kind]]
        if kind == "offering":
            del self.route
        else:
            del self.type, self.trl_min, self.trl_max

    def validate_trl_max(self, field):
        low, high = self.trl_min.data, field.data
        if low and high and low.isdigit() and high.isdigit() and int(low) > int(high):
            raise ValidationError(_("The lowest TRL cannot be higher than the highest."))

    def params(self, page: int) -> search_service.SearchParams:
        """The search of the valid fields; fields with errors are left out (their message is shown)."""

        def ok(name):
            field = getattr(self, name, None)
            return field is not None and not field.errors

        def integer(name):
            return int(getattr(self, name).data) if ok(name) and getattr(self, name).data else None

        def choices(name):
            return list(getattr(self, name).data or []) if ok(name) else []

        return search_service.SearchParams(
            kind=self.kind,
            q=(self.q.data or "") if ok("q") else "",
            themes=choices("theme"),
            innovation_types=choices("type"),
            trl_min=integer("trl_min") if ok("trl_max") else None,
            trl_max=integer("trl_max"),
            procurement_routes=choices("route"),
            cpv_divisions=[self.cpv.data] if ok("cpv") and self.cpv.data else [],
            organisation_kinds=choices("org_kind"),
            languages=choices("language"),
            statuses=choices("status"),
            mine=bool(self.mine.data) and self.show_mine,
            sort=self.sort.data if ok("sort") and self.sort.data else "relevance",
            page=page,
            per_page=int(self.per_page.data) if ok("per_page") and self.per_page.data else 20,
        )

    @property
    def active_filter_count(self) -> int:
        names = (
            "theme",
            "type",
            "trl_min",
            "trl_max",
            "route",
            "cpv",
            "org_kind",
            "language",
            "status",
            "mine",
        )
        return sum(1 for name in names if getattr(self, name, None) is not None and getattr(self, name).data)


@cache
def _divisions() -> list:
    """The CPV divisions (level 2), in code order."""
    return sorted((c for c in vocabulary().values() if c.level == 2), key=lambda c: c.code)


def _page_number(messages: list[str]) -> int:
    page = parse_int(request.args.get("page", "1"), low=1, high=None)
    if page is None:
        messages.append(_("Page numbers are whole numbers from 1; showing the first page."))
        return 1
    return min(page, search_service.MAX_PAGE)


def _browse(kind: str):
    messages: list[str] = []
    page = _page_number(messages)
    form = BrowseForm(kind, acting_user(), formdata=request.args)
    form.validate()
    if form.sort.errors:
        form.sort.errors = [_("Unknown sort order: the results are sorted by best match.")]
    result = search_service.search_catalogue(form.params(page), acting_user())
    if result.page_clamped:
        messages.append(_("That page does not exist; showing the last page."))

    other = "need" if kind == "offering" else "offering"
    return render_template(
        "catalogue/browse.html",
        kind=kind,
        other_url=url_for(f".browse_{other}s", q=request.args.get("q") or None),
        form=form,
        result=result,
        messages=messages,
        sort_labels=SORT_LABELS,
        actions=item_actions.card_actions(acting_user(), result.items),
    )


@bp.get("/offerings")
def browse_offerings():
    return _browse("offering")


@bp.get("/needs")
def browse_needs():
    return _browse("need")


# The exchange pages (export, import) live beside these; registering them here keeps the blueprint's
# __init__ untouched.
from matchmaker.catalogue import exchange  # noqa: E402,F401
