"""The catalogue's use cases: offerings and needs from draft to archive, who may see and change them.

Who may do what:
- members of a non-government organisation create and manage that organisation's offerings;
- members of a government organisation create and manage that organisation's needs;
- drafts (and archived items) are visible only to their organisation (and to platform administrators);
- a need marked `registered_only` is shown to logged-in users only.

Edits never get lost silently: every update names the version it was based on, and is refused with
`EditConflict` when someone else saved in between (checked here, and again by the database through the
`version` column SQLAlchemy compares on every UPDATE).
"""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matchmaker.extensions import db
from matchmaker.markdown import markdown_to_text
from matchmaker.models import (
    ContentLanguage,
    InnovationType,
    Need,
    NeedCpvCode,
    NeedStatus,
    Offering,
    OfferingCpvCode,
    OfferingStatus,
    Organisation,
    ProcurementRoute,
    Role,
    Theme,
    User,
    utcnow,
)
from matchmaker.models.catalogue import parse_links
from matchmaker.services import EditConflict, Invalid, ServiceError, commit, unit_of_work
from matchmaker.services import cpv as cpv_service
from matchmaker.services.accounts import personal_data_exporter
from matchmaker.services.matching.jobs import item_changed
from matchmaker.textutil import fold, one_line

TITLE_MAX = 200
SUMMARY_MAX = 500
TEXT_MAX = 20_000
KEYWORDS_MAX = 500
LINKS_MAX = 20
BUDGET_MAX = 10**12  # one thousand billion euros: anything above is a typing error


# --------------------------------------------------------------------------------------------------
# Input


@dataclass
class OfferingInput:
    title: str
    summary: str = ""
    description: str = ""
    innovation_type: str = InnovationType.PRODUCT.value
    trl: int | None = None
    keywords: str = ""
    language: str = ContentLanguage.NL.value
    reference_projects: str = ""
    links: str = ""
    theme_ids: list[int] = field(default_factory=list)
    cpv_codes: str = ""  # as typed: comma-separated codes


@dataclass
class NeedInput:
    title: str
    summary: str = ""
    challenge: str = ""
    expected_outcome: str = ""
    keywords: str = ""
    budget_min: int | None = None
    budget_max: int | None = None
    deadline: date | None = None
    procurement_route: str = ProcurementRoute.NOT_YET_KNOWN.value
    language: str = ContentLanguage.NL.value
    registered_only: bool = False
    theme_ids: list[int] = field(default_factory=list)
    cpv_codes: str = ""
    # How market players may ask about it (services.conversations.QUESTION_MODES); None leaves it as it is
    # (private conversations only for a new need), for imports and forms that do not ask.
    question_mode: str | None = None


# --------------------------------------------------------------------------------------------------
# Permissions


def _organisation_of(user) -> Organisation | None:
    if user is None:
        return None
    return user.organisation


def can_create_offering(user) -> bool:
    organisation = _organisation_of(user)
    return organisation is not None and not organisation.is_government


def can_create_need(user) -> bool:
    organisation = _organisation_of(user)
    return organisation is not None and organisation.is_government


def can_edit(user, item: Offering | Need) -> bool:
    organisation = _organisation_of(user)
    return organisation is not None and organisation.id == item.organisation_id


def can_view(user, item: Offering | Need) -> bool:
    """Published offerings and open needs are public (registered-only needs need a login)."""
    if can_edit(user, item):
        return True
    if user is not None and user.has_role(Role.ADMIN):
        return True
    if not item.is_public:
        return False
    if isinstance(item, Need) and item.registered_only:
        return user is not None
    return True


def _require_editor(user, item: Offering | Need) -> None:
    if not can_edit(user, item):
        raise ServiceError(_("Only members of the organisation that owns this item can change it."))


# --------------------------------------------------------------------------------------------------
# Validation shared by offerings and needs


def _without_nul(value: str | None) -> str:
    """NUL characters are never meant (and PostgreSQL refuses them in text columns)."""
    return (value or "").replace("\x00", "")


def _clean_text(
    value: str | None, label: str, maximum: int, required: bool = False, single_line: bool = False
) -> str:
    """The text trimmed, or on one line (`textutil.one_line`) for a title; refused when missing or long."""
    text = one_line(value) if single_line else _without_nul(value).strip()
    if required and not text:
        raise ServiceError(_("%(field)s is required.", field=label))
    if len(text) > maximum:
        raise ServiceError(_("%(field)s is too long (at most %(n)d characters).", field=label, n=maximum))
    return text


def _check_choice(value: str, choices: type, label: str) -> str:
    if value not in {member.value for member in choices}:
        raise ServiceError(_("Choose a valid %(field)s.", field=label))
    return value


def _themes(theme_ids: list[int], current: list[Theme]) -> list[Theme]:
    """The chosen themes: active ones, or inactive ones the item already had."""
    ids = list(dict.fromkeys(int(i) for i in theme_ids or []))
    if not ids:
        return []
    themes = {t.id: t for t in db.session.scalars(sa.select(Theme).where(Theme.id.in_(ids)))}
    allowed = {t.id for t in current}
    chosen = []
    for theme_id in ids:
        theme = themes.get(theme_id)
        if theme is None or not (theme.active or theme_id in allowed):
            raise ServiceError(_("Choose themes from the list."))
        chosen.append(theme)
    return chosen


def check_links(text: str) -> str:
    lines = [line.strip() for line in _without_nul(text).splitlines() if line.strip()]
    if len(lines) > LINKS_MAX:
        raise ServiceError(_("Give at most %(n)d links.", n=LINKS_MAX))
    for number, line in enumerate(lines, start=1):
        if not parse_links(line) or " " in line.rpartition("|")[2].strip():
            raise ServiceError(
                _(
                    "Line %(n)d of the links is not a web address starting with https:// or http://.",
                    n=number,
                )
            )
    return "\n".join(lines)


def _check_budget(minimum: int | None, maximum: int | None) -> None:
    for value in (minimum, maximum):
        if value is not None and not 0 <= value <= BUDGET_MAX:
            raise ServiceError(_("Give the budget in whole euros, between 0 and 1,000,000,000,000."))
    if minimum is not None and maximum is not None and minimum > maximum:
        raise ServiceError(_("The minimum budget cannot be higher than the maximum budget."))


def _check_deadline(deadline: date | None, previous: date | None = None) -> None:
    """A new deadline cannot lie in the past; an unchanged one may (the need may be closed by now)."""
    if deadline is not None and deadline != previous and deadline < utcnow().date():
        raise ServiceError(_("The deadline cannot be in the past."))


def _keywords(text: str) -> str:
    words = [w for w in (one_line(w) for w in (text or "").replace(";", ",").split(",")) if w]
    cleaned = ", ".join(dict.fromkeys(words))
    if len(cleaned) > KEYWORDS_MAX:
        raise ServiceError(_("Keywords are too long (at most %(n)d characters).", n=KEYWORDS_MAX))
    return cleaned


def _set_codes(item: Offering | Need, codes: list[str], link_cls) -> None:
    keep = [link for link in item.cpv_links if link.code in codes]
    have = {link.code for link in keep}
    item.cpv_links = keep + [link_cls(code=code) for code in codes if code not in have]


# --------------------------------------------------------------------------------------------------
# Search text


def update_search_text(item: Offering | Need) -> None:
    """Folded words of the item and the labels (nl/fr/en) of its CPV codes, for the catalogue search."""
    if isinstance(item, Offering):
        parts = [item.title, item.summary, markdown_to_text(item.description), item.keywords]
    else:
        parts = [
            item.title,
            item.summary,
            markdown_to_text(item.challenge),
            markdown_to_text(item.expected_outcome),
            item.keywords,
        ]
    for link in item.cpv_links:
        parts.append(link.code)
        parts.extend(cpv_service.all_labels(link.code))
    for theme in item.themes:
        parts.extend([theme.name_nl, theme.name_fr, theme.name_en])
    item.search_text = fold(" ".join(p for p in parts if p))


def _stamp(item: Offering | Need) -> None:
    """Every change of an item passes here, in its transaction: also queue its matching refresh."""
    item.updated_at = utcnow()
    update_search_text(item)
    item_changed(item)


def _save(item: Offering | Need) -> None:
    _stamp(item)
    commit(_conflict_message(), EditConflict)


def _conflict_message() -> str:
    return _(
        "Someone else saved this item while you were editing it, so your changes were not saved. "
        "Your text is kept below: compare it with the saved version and save again."
    )


def _check_version(item: Offering | Need, expected_version: int | None) -> None:
    if expected_version is None or int(expected_version) != item.version:
        raise EditConflict(_conflict_message())


# --------------------------------------------------------------------------------------------------
# Offerings


def _apply_offering(offering: Offering, data: OfferingInput) -> None:
    offering.title = _clean_text(data.title, _l("Title"), TITLE_MAX, required=True, single_line=True)
    offering.summary = _clean_text(data.summary, _l("Summary"), SUMMARY_MAX)
    offering.description = _clean_text(data.description, _l("Description"), TEXT_MAX)
    offering.innovation_type = _check_choice(data.innovation_type, InnovationType, _l("innovation type"))
    if data.trl is not None and not 1 <= int(data.trl) <= 9:
        raise ServiceError(_("The technology readiness level is a number from 1 to 9."))
    offering.trl = data.trl
    offering.keywords = _keywords(data.keywords)
    offering.language = _check_choice(data.language, ContentLanguage, _l("language"))
    offering.reference_projects = _clean_text(data.reference_projects, _l("References and pilots"), TEXT_MAX)
    offering.links = check_links(data.links)
    offering.themes = _themes(data.theme_ids, offering.themes)
    _set_codes(offering, cpv_service.validate_codes(data.cpv_codes), OfferingCpvCode)


def create_offering(user: User, data: OfferingInput) -> Offering:
    """A new draft offering of the user's organisation."""
    if not can_create_offering(user):
        raise ServiceError(_("Only members of a company or research organisation can offer innovations."))
    offering = Offering(organisation_id=user.organisation.id, created_by_id=user.id)
    with db.session.no_autoflush:
        _apply_offering(offering, data)
    db.session.add(offering)
    _save(offering)
    return offering


def update_offering(
    user: User, offering: Offering, data: OfferingInput, expected_version: int | None
) -> Offering:
    _require_editor(user, offering)
    _check_version(offering, expected_version)
    if offering.status == OfferingStatus.ARCHIVED:
        raise ServiceError(_("Restore this offering before you change it."))
    with unit_of_work(_conflict_message(), EditConflict), db.session.no_autoflush:
        _apply_offering(offering, data)  # may refuse half-way: the unit of work rolls the changes back
        _stamp(offering)
    return offering


def _ready_to_publish_offering(offering: Offering) -> None:
    missing = [
        label
        for label, value in ((_l("Summary"), offering.summary), (_l("Description"), offering.description))
        if not (value or "").strip()
    ]
    if missing:
        raise ServiceError(
            _(
                "Complete these fields before publishing: %(fields)s.",
                fields=", ".join(str(label) for label in missing),
            )
        )


OFFERING_TRANSITIONS = {
    "publish": ({OfferingStatus.DRAFT}, OfferingStatus.PUBLISHED),
    "unpublish": ({OfferingStatus.PUBLISHED}, OfferingStatus.DRAFT),
    "archive": ({OfferingStatus.DRAFT, OfferingStatus.PUBLISHED}, OfferingStatus.ARCHIVED),
    "restore": ({OfferingStatus.ARCHIVED}, OfferingStatus.DRAFT),
}

NEED_TRANSITIONS = {
    "open": ({NeedStatus.DRAFT, NeedStatus.CLOSED}, NeedStatus.OPEN),
    "close": ({NeedStatus.OPEN}, NeedStatus.CLOSED),
    "unpublish": ({NeedStatus.OPEN}, NeedStatus.DRAFT),
    "archive": ({NeedStatus.DRAFT, NeedStatus.OPEN, NeedStatus.CLOSED}, NeedStatus.ARCHIVED),
    "restore": ({NeedStatus.ARCHIVED}, NeedStatus.DRAFT),
}


def allowed_actions(item: Offering | Need) -> list[str]:
    """The life-cycle actions possible from the item's current status, in display order."""
    table = OFFERING_TRANSITIONS if isinstance(item, Offering) else NEED_TRANSITIONS
    return [action for action, (sources, _target) in table.items() if item.status in sources]


def waiting_for_verification(organisation: Organisation) -> str:
    """Why an organisation's need cannot be opened (or imported open) yet."""
    return _(
        "%(organisation)s can open needs once the platform's administrators have verified it.",
        organisation=organisation.name,
    )


def _transition(user: User, item: Offering | Need, action: str) -> None:
    _require_editor(user, item)
    table = OFFERING_TRANSITIONS if isinstance(item, Offering) else NEED_TRANSITIONS
    sources, target = table[action]
    if item.status not in sources:
        raise ServiceError(_("This is not possible in the item's current status."))
    if target in (OfferingStatus.PUBLISHED, NeedStatus.OPEN):
        if isinstance(item, Offering):
            _ready_to_publish_offering(item)
        else:
            if not item.organisation.is_verified:  # a need speaks for a government (issue 13)
                raise ServiceError(waiting_for_verification(item.organisation))
            _ready_to_open_need(item)
        item.published_at = utcnow()
    if target == NeedStatus.CLOSED:
        item.closed_at = utcnow()
    item.status = target.value
    _save(item)


def publish_offering(user: User, offering: Offering) -> Offering:
    _transition(user, offering, "publish")
    return offering


def unpublish_offering(user: User, offering: Offering) -> Offering:
    _transition(user, offering, "unpublish")
    return offering


def archive_offering(user: User, offering: Offering) -> Offering:
    _transition(user, offering, "archive")
    return offering


def restore_offering(user: User, offering: Offering) -> Offering:
    _transition(user, offering, "restore")
    return offering


# --------------------------------------------------------------------------------------------------
# Needs


def _apply_need(need: Need, data: NeedInput) -> None:
    need.title = _clean_text(data.title, _l("Title"), TITLE_MAX, required=True, single_line=True)
    need.summary = _clean_text(data.summary, _l("Summary"), SUMMARY_MAX)
    need.challenge = _clean_text(data.challenge, _l("Challenge"), TEXT_MAX)
    need.expected_outcome = _clean_text(data.expected_outcome, _l("Expected outcome"), TEXT_MAX)
    need.keywords = _keywords(data.keywords)
    _check_budget(data.budget_min, data.budget_max)
    need.budget_min, need.budget_max = data.budget_min, data.budget_max
    _check_deadline(data.deadline, need.deadline)
    need.deadline = data.deadline
    need.procurement_route = _check_choice(data.procurement_route, ProcurementRoute, _l("procurement route"))
    need.language = _check_choice(data.language, ContentLanguage, _l("language"))
    need.registered_only = bool(data.registered_only)
    if data.question_mode is not None:
        from matchmaker.services.conversations import QUESTION_MODES

        if data.question_mode not in QUESTION_MODES:
            raise Invalid({"question_mode": _("Choose how market players may ask their questions.")})
        need.public_questions, need.private_conversations = QUESTION_MODES[data.question_mode]
    need.themes = _themes(data.theme_ids, need.themes)
    _set_codes(need, cpv_service.validate_codes(data.cpv_codes), NeedCpvCode)


def create_need(user: User, data: NeedInput) -> Need:
    """A new draft need of the user's (government) organisation."""
    if not can_create_need(user):
        raise ServiceError(_("Only members of a government organisation can register needs."))
    need = Need(organisation_id=user.organisation.id, created_by_id=user.id)
    with db.session.no_autoflush:
        _apply_need(need, data)
    db.session.add(need)
    _save(need)
    return need


def update_need(user: User, need: Need, data: NeedInput, expected_version: int | None) -> Need:
    _require_editor(user, need)
    _check_version(need, expected_version)
    if need.status == NeedStatus.ARCHIVED:
        raise ServiceError(_("Restore this need before you change it."))
    with unit_of_work(_conflict_message(), EditConflict), db.session.no_autoflush:
        _apply_need(need, data)  # may refuse half-way: the unit of work rolls the changes back
        _stamp(need)
    return need


def _ready_to_open_need(need: Need) -> None:
    missing = [
        label
        for label, value in ((_l("Summary"), need.summary), (_l("Challenge"), need.challenge))
        if not (value or "").strip()
    ]
    if missing:
        raise ServiceError(
            _(
                "Complete these fields before publishing: %(fields)s.",
                fields=", ".join(str(label) for label in missing),
            )
        )
    if need.deadline is not None and need.deadline < utcnow().date():
        raise ServiceError(_("The deadline has passed: choose a new deadline before opening this need."))


def open_need(user: User, need: Need) -> Need:
    _transition(user, need, "open")
    return need


def close_need(user: User, need: Need) -> Need:
    _transition(user, need, "close")
    return need


def unpublish_need(user: User, need: Need) -> Need:
    _transition(user, need, "unpublish")
    return need


def archive_need(user: User, need: Need) -> Need:
    _transition(user, need, "archive")
    return need


def restore_need(user: User, need: Need) -> Need:
    _transition(user, need, "restore")
    return need


# --------------------------------------------------------------------------------------------------
# Reading


def offerings_of(organisation: Organisation) -> list[Offering]:
    """All offerings of an organisation, for its own dashboard: drafts and published first."""
    order = sa.case({"draft": 0, "published": 1, "archived": 2}, value=Offering.status)
    return list(
        db.session.scalars(
            sa.select(Offering)
            .where(Offering.organisation_id == organisation.id)
            .order_by(order, Offering.updated_at.desc(), Offering.id.desc())
        )
    )


def needs_of(organisation: Organisation) -> list[Need]:
    order = sa.case({"draft": 0, "open": 1, "closed": 2, "archived": 3}, value=Need.status)
    return list(
        db.session.scalars(
            sa.select(Need)
            .where(Need.organisation_id == organisation.id)
            .order_by(order, Need.updated_at.desc(), Need.id.desc())
        )
    )


@dataclass
class OrganisationItems:
    offerings: list[Offering]
    needs: list[Need]

    def __bool__(self) -> bool:
        return bool(self.offerings or self.needs)


def published_items_of(organisation: Organisation, viewer=None) -> OrganisationItems:
    """What an organisation's public page shows: published offerings and open needs.

    Needs for registered users only are left out unless the viewer is logged in; a suspended organisation
    shows nothing.
    """
    if organisation.is_suspended:
        return OrganisationItems(offerings=[], needs=[])
    offerings = db.session.scalars(
        sa.select(Offering)
        .where(Offering.organisation_id == organisation.id, Offering.status == OfferingStatus.PUBLISHED)
        .order_by(Offering.published_at.desc(), Offering.id.desc())
    )
    need_query = (
        sa.select(Need)
        .where(Need.organisation_id == organisation.id, Need.status == NeedStatus.OPEN)
        .order_by(Need.published_at.desc(), Need.id.desc())
    )
    if viewer is None:
        need_query = need_query.where(Need.registered_only.is_(False))
    return OrganisationItems(offerings=list(offerings), needs=list(db.session.scalars(need_query)))


@personal_data_exporter("catalogue")
def _export_authored_items(user: User) -> list[dict]:
    """The offerings and needs the user wrote ("download my data"). They belong to the organisation and stay
    with it when the account is deleted; only the link to their author goes."""
    exported = []
    for kind, model in (("offering", Offering), ("need", Need)):
        for item in db.session.scalars(
            sa.select(model).where(model.created_by_id == user.id).order_by(model.id)
        ):
            exported.append(
                {
                    "kind": kind,
                    "id": item.id,
                    "title": item.title,
                    "status": item.status,
                    "organisation": item.organisation.name if item.organisation else None,
                    "created_at": item.created_at,
                    "updated_at": item.updated_at,
                }
            )
    return exported
