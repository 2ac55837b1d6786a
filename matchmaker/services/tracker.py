"""The 3%-norm tracker: government organisations record per year their procurement budget and the projects of
procurement of innovation that count; dashboards show the share against the 3% target.

Decisions:
- The innovation spend of a year is the sum of its projects (never entered separately), so the figure and
  its justification cannot disagree. The budget is entered once per year.
- Money is whole euro cents (int), parsed from what people type by `parse_euro` via Decimal, never float.
- The share of a group (a policy domain, the Flemish government, several years) is computed on the totals:
  sum of spend / sum of budgets. It is NOT the average of the organisations' shares, which would weigh a
  small agency as much as a large department. A zero budget gives no share (None), never a division by zero.
- Only the organisation's administrators (Membership role admin) change its figures; everybody sees them:
  they are public policy figures.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import format_currency
from flask_babel import gettext as _

from matchmaker.csvfiles import csv_text
from matchmaker.extensions import db
from matchmaker.models import (
    ChangeAction,
    ChangeSubject,
    InnovationProject,
    Need,
    Organisation,
    OrganisationKind,
    PolicyDomain,
    ProcurementRoute,
    ProcurementYear,
    User,
    Verification,
    utcnow,
)
from matchmaker.models.labels import PROCUREMENT_ROUTES
from matchmaker.models.labels import label as code_label
from matchmaker.models.tracker import FIRST_YEAR, LAST_YEAR
from matchmaker.services import Conflict, Invalid, ServiceError, commit, history
from matchmaker.services.accounts import require_platform_admin
from matchmaker.textutil import one_line

TARGET = Decimal("0.03")  # the 3%-norm
TARGET_PERCENT = (TARGET * 100).quantize(Decimal("0.01"))  # 3.00, as the exports write it
# 100 billion euro: above any Flemish organisation's yearly procurement budget (the whole Flemish budget is
# about 60 billion). Larger amounts are typing errors, or figures made up to move the public shares.
MAX_CENTS = 100_000_000_000 * 100


# --- money -------------------------------------------------------------------------------------------------

_SPACES = re.compile(r"[\s\u00a0\u202f'’]")
_GROUPED = re.compile(r"^\d{1,3}(\.\d{3})+$")


def parse_euro(text: str | None) -> int:
    """An amount in euro as typed in Belgium -> whole cents. Raises ValueError with a translated message.

    Accepts "1.234.567,89", "1 234 567,89", "1234567,89", "1234567.89", "1,234,567.89", "€ 1.500" and "1500".
    The separator that comes last is the decimal one when both appear. A lone comma is decimal. A lone point
    followed by exactly three digits ("12.500") is a thousands separator, as Belgians write it; otherwise
    it is decimal ("12.5", "12.50"). At most two decimals; no negative amounts."""
    raw = (text or "").strip()
    cleaned = _SPACES.sub("", raw.replace("€", "").replace("EUR", "").replace("eur", ""))
    if not cleaned:
        raise ValueError(_("Enter an amount in euro."))
    if cleaned.startswith("-"):
        raise ValueError(_("The amount cannot be negative."))
    cleaned = cleaned.removeprefix("+")
    if not re.fullmatch(r"[0-9.,]+", cleaned) or not any(c.isdigit() for c in cleaned):
        raise ValueError(_("Enter an amount in euro, for example 1.234.567,89."))
    if "," in cleaned and "." in cleaned:
        decimal_sep = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        whole, _sep, fraction = cleaned.rpartition(decimal_sep)
        if decimal_sep in whole or not re.fullmatch(r"\d{1,3}(" + re.escape(thousands) + r"\d{3})*", whole):
            raise ValueError(_("Enter an amount in euro, for example 1.234.567,89."))
        whole = whole.replace(thousands, "")
    elif "," in cleaned:
        if cleaned.count(",") > 1:
            if not re.fullmatch(r"\d{1,3}(,\d{3})+", cleaned):
                raise ValueError(_("Enter an amount in euro, for example 1.234.567,89."))
            whole, fraction = cleaned.replace(",", ""), ""
        else:
            whole, _sep, fraction = cleaned.partition(",")
    elif "." in cleaned:
        if _GROUPED.fullmatch(cleaned):
            whole, fraction = cleaned.replace(".", ""), ""
        elif cleaned.count(".") == 1:
            whole, _sep, fraction = cleaned.partition(".")
        else:
            raise ValueError(_("Enter an amount in euro, for example 1.234.567,89."))
    else:
        whole, fraction = cleaned, ""
    if len(fraction) > 2:
        raise ValueError(_("Give at most two decimals (euro cents)."))
    try:
        value = Decimal(f"{whole or '0'}.{fraction or '0'}")
    except InvalidOperation:
        raise ValueError(_("Enter an amount in euro, for example 1.234.567,89.")) from None
    cents = int((value * 100).to_integral_value(rounding=ROUND_HALF_UP))
    if cents > MAX_CENTS:
        raise ValueError(_("An amount can be at most 100 billion euro."))
    return cents


def euros(cents: int | None) -> Decimal | None:
    """Cents -> Decimal euros (for formatting), exact."""
    return None if cents is None else (Decimal(cents) / 100).quantize(Decimal("0.01"))


def euro_input(cents: int | None, language: str = "nl") -> str:
    """How an amount is shown back in an input: '1234567,89' in Dutch and French, '1234567.89' in English."""
    if cents is None:
        return ""
    text = f"{cents // 100}.{cents % 100:02d}"
    return text.replace(".", ",") if language in ("nl", "fr") else text


def share_of(spend_cents: int, budget_cents: int) -> Decimal | None:
    """Innovation spend / procurement budget as a fraction; None without a budget (no division by 0)."""
    if not budget_cents or budget_cents <= 0:
        return None
    return Decimal(spend_cents) / Decimal(budget_cents)


def percent(share: Decimal | None, places: int = 2) -> Decimal | None:
    """A share as a percentage rounded half up: Decimal('0.0291') -> Decimal('2.91')."""
    if share is None:
        return None
    return (share * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


# --- who may do what ---------------------------------------------------------------------------------------

# The organisations whose figures are public: government entities that the administrators verified.
_COUNTED = sa.and_(
    Organisation.kind == OrganisationKind.GOVERNMENT, Organisation.verification == Verification.VERIFIED
)


# The years whose figures are public: of counted organisations, and not waiting for an administrator's review.
_COUNTED_YEAR = sa.and_(_COUNTED, ProcurementYear.needs_review.is_(False))


def is_tracked(organisation: Organisation) -> bool:
    """Only verified government organisations have 3%-norm figures (kept and shown)."""
    return organisation.is_government and organisation.is_verified


def can_edit(user, organisation: Organisation) -> bool:
    return bool(user is not None and is_tracked(organisation) and user.is_organisation_admin(organisation))


def require_editor(user, organisation: Organisation) -> None:
    if not can_edit(user, organisation):
        raise ServiceError(
            _(
                "Only the administrators of %(organisation)s can change its figures.",
                organisation=organisation.name,
            )
        )


# --- editing -----------------------------------------------------------------------------------------------


def get_year(organisation: Organisation, year: int) -> ProcurementYear | None:
    return ProcurementYear.of(organisation.id, year)


def years_of(organisation: Organisation) -> list[ProcurementYear]:
    return list(
        db.session.scalars(
            sa.select(ProcurementYear)
            .where(ProcurementYear.organisation_id == organisation.id)
            .order_by(ProcurementYear.year)
        ).all()
    )


def check_year(year: int | None) -> str | None:
    if year is None:
        return _("Enter a year.")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return _("Enter a year between %(first)s and %(last)s.", first=FIRST_YEAR, last=LAST_YEAR)
    return None


def _touch(row: ProcurementYear, user: User) -> None:
    """A change to a year or one of its projects: the year says who changed its figures last, and when (the
    public dashboards show it)."""
    row.updated_by_id = user.id
    row.updated_at = utcnow()


EXPLANATION_MAX = 2000


def _settle_spend(row: ProcurementYear, spend_cents: int, explanation: str) -> None:
    """Innovation spend above the year's budget is refused unless explained; explained, the year waits for a
    platform administrator's review and leaves the public figures until then (Invalid names the field
    `explanation`). Back within the budget, the explanation and the flag go."""
    if spend_cents <= row.budget_cents:
        row.settle_review(spend_cents)
        return
    explanation = (explanation or "").strip()
    if not explanation:
        raise Invalid(
            {
                "explanation": _(
                    "The innovation spend of %(year)s would be %(spend)s, more than the year's procurement "
                    "budget of %(budget)s. Correct the amount, or explain why (for example a contract of "
                    "several years paid in one): the figures of %(year)s are then public once an "
                    "administrator has reviewed them.",
                    year=row.year,
                    spend=format_currency(euros(spend_cents), "EUR"),
                    budget=format_currency(euros(row.budget_cents), "EUR"),
                )
            }
        )
    if len(explanation) > EXPLANATION_MAX:
        raise Invalid({"explanation": _("Keep the explanation under 2,000 characters.")})
    row.explanation = explanation
    row.settle_review(spend_cents)


def _record_year(user: User, row: ProcurementYear, action: ChangeAction, old=None, new=None) -> None:
    history.record(
        row.organisation_id,
        ChangeSubject.YEAR,
        action,
        actor=user,
        subject_id=row.id,
        old=old,
        new=new,
        label=str(row.year),
    )


def _record_project(user: User, project: InnovationProject, action: ChangeAction, old=None, new=None) -> None:
    row = project.procurement_year
    history.record(
        row.organisation_id,
        ChangeSubject.PROJECT,
        action,
        actor=user,
        subject_id=project.id,
        old=old,
        new=new,
        label=f"{row.year}: {project.title}",
    )


def update_budget(
    user: User, row: ProcurementYear, budget_cents: int, explanation: str = ""
) -> ProcurementYear:
    """Change the procurement budget of a year. Commits."""
    require_editor(user, row.organisation)
    if budget_cents < 0:
        raise Invalid({"budget": _("The amount cannot be negative.")})
    before = history.year_state(row)
    row.budget_cents = budget_cents
    _settle_spend(row, row.spend_cents, explanation)
    _touch(row, user)
    _record_year(user, row, ChangeAction.CHANGED, before, history.year_state(row))
    commit()
    return row


def create_year(user: User, organisation: Organisation, year: int, budget_cents: int) -> ProcurementYear:
    """A new year; refused when the organisation has figures for that year already."""
    require_editor(user, organisation)
    problem = check_year(year)
    if problem:
        raise Invalid({"year": problem})
    if get_year(organisation, year) is not None:
        raise Invalid({"year": _("There are figures for %(year)s already: change them there.", year=year)})
    row = ProcurementYear(
        organisation_id=organisation.id, year=year, budget_cents=budget_cents, updated_by_id=user.id
    )
    db.session.add(row)
    try:
        db.session.flush()
        _record_year(user, row, ChangeAction.CREATED, new=history.year_state(row))
        commit()
    except Conflict:
        raise Invalid(
            {"year": _("There are figures for %(year)s already: change them there.", year=year)}
        ) from None
    return row


def delete_year(user: User, row: ProcurementYear) -> None:
    require_editor(user, row.organisation)
    _record_year(user, row, ChangeAction.DELETED, old=history.year_state(row, with_projects=True))
    db.session.delete(row)
    commit()


@dataclass
class ProjectInput:
    title: str
    procurement_route: str
    amount_cents: int
    need_id: int | None = None
    note: str = ""
    explanation: str = ""  # why the year's innovation spend may exceed its budget (see _settle_spend)


def eligible_needs(organisation: Organisation) -> list[Need]:
    """The organisation's needs a project may be linked to (of any status: the link is the buyer's record)."""
    return list(
        db.session.scalars(
            sa.select(Need).where(Need.organisation_id == organisation.id).order_by(Need.title)
        ).all()
    )


def _check_project(organisation: Organisation, data: ProjectInput) -> None:
    problems = {}
    if not one_line(data.title):
        problems["title"] = _("Enter a title.")
    try:
        ProcurementRoute(data.procurement_route)
    except ValueError:
        problems["procurement_route"] = _("Choose a procurement route.")
    if data.amount_cents < 0:
        problems["amount"] = _("The amount cannot be negative.")
    if data.need_id is not None:
        need = db.session.get(Need, data.need_id)
        if need is None or need.organisation_id != organisation.id:
            problems["need_id"] = _("Choose one of your organisation's needs.")
    if problems:
        raise Invalid(problems)


def add_project(user: User, row: ProcurementYear, data: ProjectInput) -> InnovationProject:
    require_editor(user, row.organisation)
    _check_project(row.organisation, data)
    project = InnovationProject(
        procurement_year_id=row.id,
        title=one_line(data.title),
        procurement_route=data.procurement_route,
        amount_cents=data.amount_cents,
        need_id=data.need_id,
        note=data.note.strip(),
    )
    year_before = history.year_state(row)
    _settle_spend(row, row.spend_cents + project.amount_cents, data.explanation)
    project.procurement_year = row
    db.session.add(project)
    _touch(row, user)
    db.session.flush()
    _record_project(user, project, ChangeAction.CREATED, new=history.project_state(project))
    _record_year(user, row, ChangeAction.CHANGED, year_before, history.year_state(row))
    commit()
    return project


def update_project(user: User, project: InnovationProject, data: ProjectInput) -> InnovationProject:
    row = project.procurement_year
    require_editor(user, row.organisation)
    _check_project(row.organisation, data)
    year_before = history.year_state(row)
    _settle_spend(row, row.spend_cents - project.amount_cents + data.amount_cents, data.explanation)
    before = history.project_state(project)
    project.title = one_line(data.title)
    project.procurement_route = data.procurement_route
    project.amount_cents = data.amount_cents
    project.need_id = data.need_id
    project.note = data.note.strip()
    _touch(row, user)
    _record_project(user, project, ChangeAction.CHANGED, before, history.project_state(project))
    _record_year(user, row, ChangeAction.CHANGED, year_before, history.year_state(row))
    commit()
    return project


def delete_project(user: User, project: InnovationProject) -> None:
    row = project.procurement_year
    require_editor(user, row.organisation)
    year_before = history.year_state(row)
    if row.spend_cents - project.amount_cents <= row.budget_cents:  # less spend never needs a new review
        _settle_spend(row, row.spend_cents - project.amount_cents, "")
    _touch(row, user)
    _record_project(user, project, ChangeAction.DELETED, old=history.project_state(project))
    _record_year(user, row, ChangeAction.CHANGED, year_before, history.year_state(row))
    db.session.delete(project)
    commit()


# --- reviews by the platform's administrators ---------------------------------------------------------------


def years_to_review() -> list[ProcurementYear]:
    """Years whose innovation spend exceeds the budget, explained, waiting for an administrator."""
    return list(
        db.session.scalars(
            sa.select(ProcurementYear)
            .where(ProcurementYear.needs_review.is_(True))
            .order_by(ProcurementYear.updated_at, ProcurementYear.id)
        ).all()
    )


def accept_review(actor: User, row: ProcurementYear) -> None:
    """A platform administrator accepts the explanation: the year counts in the public figures. Commits."""
    require_platform_admin(actor)
    if not row.needs_review:
        raise ServiceError(_("These figures do not wait for a review (any more)."))
    before = history.year_state(row)
    row.needs_review = False
    row.reviewed_at = utcnow()
    row.reviewed_by_id = actor.id
    _record_year(actor, row, ChangeAction.CHANGED, before, history.year_state(row))
    commit()


# --- dashboards --------------------------------------------------------------------------------------------


@dataclass
class YearRow:
    year: int
    budget_cents: int = 0
    spend_cents: int = 0
    projects: int = 0
    organisations: int = 0  # how many organisations reported figures for the year
    from_meetings: int = 0  # procurements of innovation that began at a meet & greet (see services.outcomes)

    @property
    def share(self) -> Decimal | None:
        return share_of(self.spend_cents, self.budget_cents)

    @property
    def share_percent(self) -> Decimal | None:
        return percent(self.share)

    @property
    def meets_target(self) -> bool:
        return self.share is not None and self.share >= TARGET


@dataclass
class GroupRow:
    """One organisation or policy domain in a breakdown, over all reported years."""

    key: str
    label: str
    budget_cents: int = 0
    spend_cents: int = 0
    latest_year: int | None = None

    @property
    def share_percent(self) -> Decimal | None:
        return percent(share_of(self.spend_cents, self.budget_cents))

    @property
    def meets_target(self) -> bool:
        share = share_of(self.spend_cents, self.budget_cents)
        return share is not None and share >= TARGET


@dataclass
class Dashboard:
    scope: str  # "overall", "domain" or "organisation"
    rows: list[YearRow]
    breakdown: list[GroupRow] = field(default_factory=list)
    organisation: Organisation | None = None
    domain: str | None = None
    last_change: tuple[datetime, str] | None = None  # when the figures last changed, and whose they are

    @property
    def total(self) -> YearRow:
        total = YearRow(year=0)
        for row in self.rows:
            total.budget_cents += row.budget_cents
            total.spend_cents += row.spend_cents
            total.projects += row.projects
            total.from_meetings += row.from_meetings
        return total

    @property
    def has_figures(self) -> bool:
        return bool(self.rows)


def _spend_subquery():
    return (
        sa.select(
            InnovationProject.procurement_year_id.label("year_id"),
            sa.func.sum(InnovationProject.amount_cents).label("spend"),
            sa.func.count(InnovationProject.id).label("projects"),
        )
        .group_by(InnovationProject.procurement_year_id)
        .subquery()
    )


def _year_rows(where: Iterable) -> list[YearRow]:
    spend = _spend_subquery()
    query = (
        sa.select(
            ProcurementYear.year,
            sa.func.sum(ProcurementYear.budget_cents),
            sa.func.sum(sa.func.coalesce(spend.c.spend, 0)),
            sa.func.sum(sa.func.coalesce(spend.c.projects, 0)),
            sa.func.count(ProcurementYear.id),
        )
        .join(Organisation, Organisation.id == ProcurementYear.organisation_id)
        .outerjoin(spend, spend.c.year_id == ProcurementYear.id)
        .where(_COUNTED_YEAR, *where)
        .group_by(ProcurementYear.year)
        .order_by(ProcurementYear.year)
    )
    return [
        YearRow(
            year=year,
            budget_cents=int(budget or 0),
            spend_cents=int(spent or 0),
            projects=int(projects or 0),
            organisations=int(count or 0),
        )
        for year, budget, spent, projects, count in db.session.execute(query).all()
    ]


def _group_rows(key_column, where: Iterable) -> list[tuple]:
    spend = _spend_subquery()
    query = (
        sa.select(
            key_column,
            sa.func.sum(ProcurementYear.budget_cents),
            sa.func.sum(sa.func.coalesce(spend.c.spend, 0)),
            sa.func.max(ProcurementYear.year),
        )
        .join(Organisation, Organisation.id == ProcurementYear.organisation_id)
        .outerjoin(spend, spend.c.year_id == ProcurementYear.id)
        .where(_COUNTED_YEAR, *where)
        .group_by(key_column)
    )
    return db.session.execute(query).all()


def _add_meeting_counts(rows: list[YearRow], counts: dict[int, int]) -> list[YearRow]:
    by_year = {row.year: row for row in rows}
    for year, count in counts.items():
        if year not in by_year:
            by_year[year] = YearRow(year=year)
        by_year[year].from_meetings = count
    return sorted(by_year.values(), key=lambda row: row.year)


def organisation_dashboard(organisation: Organisation) -> Dashboard:
    from matchmaker.services.outcomes import procurements_begun_by_year

    rows = _year_rows([Organisation.id == organisation.id])
    rows = _add_meeting_counts(rows, procurements_begun_by_year(organisation_ids=[organisation.id]))
    return Dashboard(
        scope="organisation",
        rows=rows,
        organisation=organisation,
        last_change=_last_change([Organisation.id == organisation.id]),
    )


def domain_dashboard(domain: str) -> Dashboard:
    from matchmaker.services.outcomes import procurements_begun_by_year

    rows = _year_rows([Organisation.policy_domain == domain])
    ids = list(
        db.session.scalars(
            sa.select(Organisation.id).where(_COUNTED, Organisation.policy_domain == domain)
        ).all()
    )
    rows = _add_meeting_counts(rows, procurements_begun_by_year(organisation_ids=ids))
    names = dict(
        db.session.execute(
            sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
        ).all()
    )
    breakdown = [
        GroupRow(str(org_id), names.get(org_id, ""), int(budget or 0), int(spent or 0), latest)
        for org_id, budget, spent, latest in _group_rows(
            Organisation.id, [Organisation.policy_domain == domain]
        )
    ]
    breakdown.sort(key=lambda g: g.label.lower())
    return Dashboard(
        scope="domain",
        rows=rows,
        breakdown=breakdown,
        domain=domain,
        last_change=_last_change([Organisation.policy_domain == domain]),
    )


def overall_dashboard(label_of=lambda code: code) -> Dashboard:
    from matchmaker.services.outcomes import procurements_begun_by_year

    rows = _year_rows([])
    ids = list(db.session.scalars(sa.select(Organisation.id).where(_COUNTED)).all())
    rows = _add_meeting_counts(rows, procurements_begun_by_year(organisation_ids=ids))
    breakdown = [
        GroupRow(
            domain or "",
            label_of(domain) if domain else _("No policy domain"),
            int(budget or 0),
            int(spent or 0),
            latest,
        )
        for domain, budget, spent, latest in _group_rows(Organisation.policy_domain, [])
    ]
    breakdown.sort(key=lambda g: g.label.lower())
    return Dashboard(scope="overall", rows=rows, breakdown=breakdown, last_change=_last_change([]))


def _last_change(where: list) -> tuple[datetime, str] | None:
    """The latest change to the counted figures within `where`, and the organisation that made it."""
    found = db.session.execute(
        sa.select(ProcurementYear.updated_at, Organisation.name)
        .join(Organisation, Organisation.id == ProcurementYear.organisation_id)
        .where(_COUNTED_YEAR, *where)
        .order_by(ProcurementYear.updated_at.desc(), ProcurementYear.id.desc())
        .limit(1)
    ).first()
    return (found[0], found[1]) if found else None


@dataclass
class OrganisationLatest:
    """An organisation of a policy domain with the figures of its latest reported year (None: no figures)."""

    organisation: Organisation
    year: int | None
    budget_cents: int | None
    spend_cents: int | None
    signed_charter: bool = False

    @property
    def share_percent(self) -> Decimal | None:
        if self.budget_cents is None:
            return None
        return percent(share_of(self.spend_cents or 0, self.budget_cents))

    @property
    def meets_target(self) -> bool:
        share = share_of(self.spend_cents or 0, self.budget_cents or 0)
        return share is not None and share >= TARGET


def domain_organisations(domain: str) -> list[OrganisationLatest]:
    """Every government organisation of the policy domain, by name, with its latest year's share and
    whether it has signed the charter (three queries whatever the number of organisations)."""
    from matchmaker.models import CharterSignature

    organisations = list(
        db.session.scalars(
            sa.select(Organisation)
            .where(_COUNTED, Organisation.policy_domain == domain)
            .order_by(Organisation.name)
        ).all()
    )
    ids = [o.id for o in organisations]
    if not ids:
        return []
    latest = (
        sa.select(ProcurementYear.organisation_id, sa.func.max(ProcurementYear.year).label("year"))
        .where(ProcurementYear.organisation_id.in_(ids), ProcurementYear.needs_review.is_(False))
        .group_by(ProcurementYear.organisation_id)
        .subquery()
    )
    spend = _spend_subquery()
    figures = {
        organisation_id: (year, int(budget), int(spent or 0))
        for organisation_id, year, budget, spent in db.session.execute(
            sa.select(
                ProcurementYear.organisation_id,
                ProcurementYear.year,
                ProcurementYear.budget_cents,
                spend.c.spend,
            )
            .join(
                latest,
                sa.and_(
                    latest.c.organisation_id == ProcurementYear.organisation_id,
                    latest.c.year == ProcurementYear.year,
                ),
            )
            .outerjoin(spend, spend.c.year_id == ProcurementYear.id)
        ).all()
    }
    signed = set(
        db.session.scalars(
            sa.select(CharterSignature.organisation_id).where(
                CharterSignature.organisation_id.in_(ids), CharterSignature.withdrawn_at.is_(None)
            )
        ).all()
    )
    return [
        OrganisationLatest(
            organisation, *figures.get(organisation.id, (None, None, None)), organisation.id in signed
        )
        for organisation in organisations
    ]


def latest_overall() -> YearRow | None:
    """The Flemish government's most recent year with a procurement budget (for the home page)."""
    rows = [row for row in _year_rows([]) if row.budget_cents > 0]
    return rows[-1] if rows else None


def reporting_organisations() -> list[Organisation]:
    """Government organisations, for the list of organisation dashboards."""
    return list(db.session.scalars(sa.select(Organisation).where(_COUNTED).order_by(Organisation.name)).all())


def domain_codes() -> list[str]:
    return [domain.value for domain in PolicyDomain]


# --- charts ------------------------------------------------------------------------------------------------

AXIS_MAX = Decimal(100)  # a share above 100% (spend beyond the whole budget) is off the scale
AXIS_INTERVALS = 6  # the most steps on the axis
AXIS_STEPS = tuple(Decimal(step) for step in (1, 2, 5, 10, 20, 25))


@dataclass
class Bar:
    year: int
    x: float
    y: float
    width: float
    height: float
    label: str  # the percentage as shown
    meets_target: bool
    label_y: float
    off_scale: bool = False  # beyond the axis: drawn to its top


@dataclass
class Tick:
    y: float
    label: str


@dataclass
class Chart:
    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    bars: list[Bar]
    ticks: list[Tick]
    target_y: float
    empty: bool


def build_chart(
    rows: list[YearRow], format_percent, width: int = 640, height: int = 300, format_tick=None
) -> Chart:
    """Geometry of a bar chart of the share per year with the 3% target line (drawn by a template as SVG).

    `format_percent(Decimal)` formats a percentage in the reader's language. Years without a budget get no
    bar (their share is unknown), but keep their place on the axis."""
    left, top, right, bottom = 64, 24, 16, 44
    plot_width, plot_height = width - left - right, height - top - bottom
    percents = [row.share_percent for row in rows if row.share_percent is not None]
    # The axis ends a little above the highest share, at AXIS_MAX at most, in a few round steps whatever the
    # figures: a share typed in error (or in bad faith) of millions of percent once drew a gridline per
    # step, 2.4 million of them. A bar beyond the axis reaches its top and is marked as off the scale.
    top_value = min(AXIS_MAX, max([Decimal(4), *[p * Decimal("1.15") for p in percents]]))
    step = next(s for s in AXIS_STEPS if top_value / s <= AXIS_INTERVALS)
    top_value = (top_value / step).to_integral_value(rounding="ROUND_CEILING") * step

    def y_of(value: Decimal) -> float:
        return round(top + plot_height - float(value / top_value) * plot_height, 2)

    ticks = []
    value = Decimal(0)
    while value <= top_value:
        ticks.append(Tick(y=y_of(value), label=(format_tick or format_percent)(value)))
        value += step
    bars = []
    count = max(len(rows), 1)
    slot = plot_width / count
    bar_width = min(64.0, slot * 0.6)
    for index, row in enumerate(rows):
        x = left + slot * index + (slot - bar_width) / 2
        p = row.share_percent
        if p is None:
            bars.append(
                Bar(
                    row.year,
                    round(x, 2),
                    y_of(Decimal(0)),
                    round(bar_width, 2),
                    0,
                    "–",
                    False,
                    y_of(Decimal(0)) - 6,
                )
            )
            continue
        y = y_of(min(p, top_value))
        bars.append(
            Bar(
                row.year,
                round(x, 2),
                y,
                round(bar_width, 2),
                round(top + plot_height - y, 2),
                format_percent(p),
                row.meets_target,
                y - 6,
                off_scale=p > top_value,
            )
        )
    return Chart(
        width=width,
        height=height,
        left=left,
        top=top,
        plot_width=plot_width,
        plot_height=plot_height,
        bars=bars,
        ticks=ticks,
        target_y=y_of(TARGET * 100),
        empty=not rows,
    )


# --- CSV ---------------------------------------------------------------------------------------------------


def dashboard_csv(dashboard: Dashboard) -> str:
    """The dashboard's yearly figures as CSV for the reader's spreadsheet (csvfiles.convention): euro amounts
    and percentages as numbers, the header row first (what the figures are of is in the file's name)."""
    return csv_text(_dashboard_rows(dashboard))


def dashboard_rows(dashboard: Dashboard) -> list[list]:
    """The dashboard's figures as rows (for the workbook beside the CSV file)."""
    return list(_dashboard_rows(dashboard))


def _dashboard_rows(dashboard: Dashboard) -> Iterator[list]:
    yield [
        _("Year"),
        _("Procurement budget (EUR)"),
        _("Innovation spend (EUR)"),
        _("Share (%)"),
        _("Target (%)"),
        _("Projects"),
        _("Procurements begun at a meet & greet"),
    ]
    for row in [*dashboard.rows, None]:
        if row is None:
            row = dashboard.total
            label = _("All years")
        else:
            label = row.year
        yield [
            label,
            euros(row.budget_cents),
            euros(row.spend_cents),
            row.share_percent,
            TARGET_PERCENT,
            row.projects,
            row.from_meetings,
        ]
    if dashboard.breakdown:
        yield []
        yield [_("Name"), _("Procurement budget (EUR)"), _("Innovation spend (EUR)"), _("Share (%)")]
        for group in dashboard.breakdown:
            yield [group.label, euros(group.budget_cents), euros(group.spend_cents), group.share_percent]
    if dashboard.organisation is not None:
        yield []
        yield [_("Year"), _("Project"), _("Procurement route"), _("Amount (EUR)"), _("Need"), _("Note")]
        # A year waiting for an administrator's review is in no public figure and the page hides its
        # projects: an export that listed them would publish the very claims the review holds back.
        for year in years_of(dashboard.organisation):
            if year.needs_review:
                continue
            for project in year.projects:
                yield [
                    year.year,
                    project.title,
                    code_label(PROCUREMENT_ROUTES, project.procurement_route),
                    euros(project.amount_cents),
                    project.need.title if project.need and project.need.is_public else "",  # not drafts
                    project.note,
                ]
