"""Platform administration: finding users and organisations, granting roles, (de)activating accounts.

Every function that changes something takes the acting administrator first, checks them and commits.
"""

import logging
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination

from matchmaker.extensions import db
from matchmaker.models import (
    ChangeAction,
    ChangeRecord,
    ChangeSubject,
    CharterSignature,
    Invitation,
    JoinRequest,
    MailDomain,
    Membership,
    Need,
    NeedStatus,
    Offering,
    OfferingStatus,
    Organisation,
    OrganisationKind,
    ProcurementYear,
    Registration,
    Role,
    User,
    UserRole,
    Verification,
    utcnow,
)
from matchmaker.models.organisation import normalize_enterprise_number
from matchmaker.models.user import GRANTED_ROLES
from matchmaker.services import ServiceError, commit, history, user_sessions
from matchmaker.services.accounts import grant_role, require_platform_admin, revoke_role
from matchmaker.services.charter import active_signature
from matchmaker.services.matching.jobs import item_changed

log = logging.getLogger(__name__)

USER_STATUSES = ("active", "inactive", "unconfirmed")


# --- overview -------------------------------------------------------------------------------------


@dataclass
class Dashboard:
    users: int = 0
    active_users: int = 0
    inactive_users: int = 0
    unconfirmed_users: int = 0
    users_without_organisation: int = 0
    users_by_role: dict[str, int] = field(default_factory=dict)
    organisations: int = 0
    organisations_by_kind: dict[str, int] = field(default_factory=dict)
    organisations_without_members: int = 0
    organisations_waiting: int = 0  # for verification
    years_to_review: int = 0  # 3%-norm years whose spend exceeds the budget, explained
    pending_invitations: int = 0


def queue_counts() -> tuple[int, int]:
    """(organisations waiting for verification, 3%-norm years waiting for review): one query, for the
    administration's overview and an administrator's home page."""
    count = sa.func.count()
    waiting = (
        sa.select(count)
        .select_from(Organisation)
        .where(Organisation.verification == Verification.UNVERIFIED.value)
        .scalar_subquery()
    )
    years = (
        sa.select(count)
        .select_from(ProcurementYear)
        .where(ProcurementYear.needs_review.is_(True))
        .scalar_subquery()
    )
    waiting_count, years_count = db.session.execute(sa.select(waiting, years)).one()
    return waiting_count or 0, years_count or 0


def dashboard() -> Dashboard:
    """Counts for the administration's front page (a handful of aggregate queries)."""
    count = sa.func.count()
    board = Dashboard()
    board.users = db.session.scalar(sa.select(count).select_from(User)) or 0
    board.active_users = db.session.scalar(sa.select(count).select_from(User).where(User.active)) or 0
    board.inactive_users = board.users - board.active_users
    board.unconfirmed_users = (
        db.session.scalar(sa.select(count).select_from(User).where(User.email_confirmed_at.is_(None))) or 0
    )
    board.users_without_organisation = (
        db.session.scalar(
            sa.select(count).select_from(User).where(~sa.exists().where(Membership.user_id == User.id))
        )
        or 0
    )
    by_role = dict(db.session.execute(sa.select(UserRole.role, count).group_by(UserRole.role)).all())
    board.users_by_role = {str(role): by_role.get(role.value, 0) for role in Role}
    by_kind = dict(db.session.execute(sa.select(Organisation.kind, count).group_by(Organisation.kind)).all())
    board.organisations_by_kind = {str(kind): by_kind.get(kind.value, 0) for kind in OrganisationKind}
    board.organisations = sum(board.organisations_by_kind.values())
    board.organisations_without_members = (
        db.session.scalar(
            sa.select(count)
            .select_from(Organisation)
            .where(~sa.exists().where(Membership.organisation_id == Organisation.id))
        )
        or 0
    )
    board.organisations_waiting, board.years_to_review = queue_counts()
    board.pending_invitations = (
        db.session.scalar(
            sa.select(count)
            .select_from(Invitation)
            .where(
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
        )
        or 0
    )
    return board


# --- search ---------------------------------------------------------------------------------------


def search_users(
    query: str = "", role: str = "", status: str = "", page: int = 1, per_page: int = 20
) -> Pagination:
    """Users whose email or name contains `query`, optionally with a platform role and a status."""
    statement = sa.select(User)
    query = (query or "").strip()
    if query:
        statement = statement.where(
            sa.or_(
                User.email.icontains(query, autoescape=True),
                User.display_name.icontains(query, autoescape=True),
            )
        )
    if role in set(Role):
        statement = statement.where(sa.exists().where(UserRole.user_id == User.id, UserRole.role == role))
    if status == "active":
        statement = statement.where(User.active)
    elif status == "inactive":
        statement = statement.where(~User.active)
    elif status == "unconfirmed":
        statement = statement.where(User.email_confirmed_at.is_(None))
    statement = statement.order_by(User.created_at.desc(), User.id.desc())
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)


def search_organisations(
    query: str = "", kind: str = "", page: int = 1, per_page: int = 20, verification: str = ""
) -> Pagination:
    """Organisations whose name contains `query` or whose enterprise number matches it (any notation)."""
    statement = sa.select(Organisation)
    query = (query or "").strip()
    if query:
        conditions = [Organisation.name.icontains(query, autoescape=True)]
        digits = normalize_enterprise_number(query).lstrip("0")
        if digits.isdigit():
            conditions.append(Organisation.enterprise_number.contains(digits, autoescape=True))
        statement = statement.where(sa.or_(*conditions))
    if kind in set(OrganisationKind):
        statement = statement.where(Organisation.kind == kind)
    if verification in set(Verification):
        statement = statement.where(Organisation.verification == verification)
    statement = statement.order_by(sa.func.lower(Organisation.name), Organisation.id)
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)


def set_verification(actor: User, organisation: Organisation, state: str, reason: str = "") -> None:
    """Verify or suspend an organisation (or put it back in the queue), recording who, when and why. A
    suspension needs its reason; only verified organisations count in the public figures."""
    require_platform_admin(actor)
    if state not in set(Verification):
        raise ServiceError(_("Choose verified, suspended or waiting for verification."))
    reason = (reason or "").strip()
    if len(reason) > 2000:
        raise ServiceError(_("Keep the reason under 2,000 characters."))
    if state == Verification.SUSPENDED and not reason:
        raise ServiceError(_("Say why the organisation is suspended."))
    apply_verification(actor, organisation, state, reason)
    commit()
    log.info("organisation %s set to %s by user %s", organisation.id, state, actor.id)


@history.undoes(ChangeSubject.VERIFICATION)
def _undo_verification(entry, actor: User) -> None:
    organisation = db.session.get(Organisation, entry.organisation_id)
    if history.verification_state(organisation) != entry.new:
        raise history.changed_since()
    apply_verification(actor, organisation, entry.old["state"], entry.old.get("reason", ""), undo_of=entry)


def apply_verification(
    actor: User, organisation: Organisation, state: str, reason: str, undo_of=None
) -> None:
    """Record the decision and its history (not committed). A suspension, and its lifting, take the
    organisation's open needs and published offerings out of the matching index and back."""
    before = history.verification_state(organisation)
    was_suspended = organisation.is_suspended
    organisation.record_verification(state, actor.id, reason)
    history.record(
        organisation.id,
        ChangeSubject.VERIFICATION,
        ChangeAction.CHANGED,
        actor=actor,
        old=before,
        new=history.verification_state(organisation),
        label=organisation.name,
        undo_of=undo_of,
    )
    if was_suspended != organisation.is_suspended:
        for model, live in ((Need, NeedStatus.OPEN), (Offering, OfferingStatus.PUBLISHED)):
            for item in db.session.scalars(
                sa.select(model).where(model.organisation_id == organisation.id, model.status == live)
            ):
                item_changed(item)


# --- merging duplicates ------------------------------------------------------------------------------------


@dataclass
class MergeReport:
    name: str = ""  # of the organisation merged in (it no longer exists)
    members: int = 0
    offerings: int = 0
    needs: int = 0
    registrations: int = 0
    years: int = 0
    signatures: int = 0


def merge_problem(duplicate: Organisation, kept: Organisation) -> str | None:
    """Why these two organisations cannot be merged (translated), or None."""
    if duplicate.id == kept.id:
        return _("Choose another organisation to keep: an organisation cannot be merged into itself.")
    if duplicate.is_government != kept.is_government:
        return _(
            "A government entity is merged with a government entity only: its needs and figures speak for a "
            "government."
        )
    both = sorted(
        db.session.scalars(
            sa.select(ProcurementYear.year).where(
                ProcurementYear.organisation_id == duplicate.id,
                ProcurementYear.year.in_(
                    sa.select(ProcurementYear.year).where(ProcurementYear.organisation_id == kept.id)
                ),
            )
        )
    )
    if both:
        return _(
            "Both organisations have 3%%-norm figures for %(years)s. Keep one of each year (delete the "
            "other: the history keeps it), then merge.",
            years=", ".join(str(year) for year in both),
        )
    return None


def merge_organisations(actor: User, duplicate: Organisation, kept: Organisation) -> MergeReport:
    """Move everything of `duplicate` to `kept` (members, invitations, join requests, mail domains, offerings,
    needs, event registrations, 3%-norm figures, charter signatures, history), then delete it. The kept
    organisation's own active signature wins over the duplicate's, which is withdrawn. Commits."""
    require_platform_admin(actor)
    problem = merge_problem(duplicate, kept)
    if problem:
        raise ServiceError(problem)
    report = MergeReport(name=duplicate.name)

    def move(model) -> int:
        return db.session.execute(
            sa.update(model)
            .where(model.organisation_id == duplicate.id)
            .values(organisation_id=kept.id)
            .execution_options(synchronize_session=False)
        ).rowcount

    if active_signature(kept) is not None:
        for signature in db.session.scalars(
            sa.select(CharterSignature).where(
                CharterSignature.organisation_id == duplicate.id, CharterSignature.withdrawn_at.is_(None)
            )
        ):
            signature.withdrawn_at = utcnow()
            signature.withdrawn_by_id = actor.id
        db.session.flush()
    live = [
        item
        for model, status in ((Need, NeedStatus.OPEN), (Offering, OfferingStatus.PUBLISHED))
        for item in db.session.scalars(
            sa.select(model).where(model.organisation_id == duplicate.id, model.status == status)
        )
    ]
    report.members = move(Membership)
    move(Invitation)
    move(JoinRequest)
    move(MailDomain)
    report.offerings = move(Offering)
    report.needs = move(Need)
    report.registrations = move(Registration)
    report.years = move(ProcurementYear)
    report.signatures = move(CharterSignature)
    move(ChangeRecord)
    number = duplicate.enterprise_number
    name = duplicate.name
    history.record(
        kept.id,
        ChangeSubject.ORGANISATION,
        ChangeAction.DELETED,
        actor=actor,
        old={"merged_into": kept.name, "enterprise_number": number, **report.__dict__},
        label=name,
    )
    db.session.delete(duplicate)
    db.session.flush()
    if kept.enterprise_number is None and number:
        kept.enterprise_number = number  # the duplicate's is free now
    db.session.expire_all()
    for item in live:  # their organisation's suspension may differ: the index looks again
        item_changed(item)
    commit()
    log.info("Admin %s merged organisation %s (%s) into %s", actor.id, duplicate.id, name, kept.id)
    return report


def member_counts(organisation_ids: list[int]) -> dict[int, int]:
    if not organisation_ids:
        return {}
    rows = db.session.execute(
        sa.select(Membership.organisation_id, sa.func.count())
        .where(Membership.organisation_id.in_(organisation_ids))
        .group_by(Membership.organisation_id)
    )
    return dict(rows.all())


# --- changes --------------------------------------------------------------------------------------


def grant_platform_role(actor: User, user: User, role: str) -> None:
    """Grant the organizer or admin role (supplier and buyer are chosen by people themselves)."""
    require_platform_admin(actor)
    if role not in GRANTED_ROLES:
        raise ServiceError(_("Only the organizer and administrator roles are granted here."))
    if user.has_role(role):
        raise ServiceError(_("%(name)s already has this role.", name=user.display_name))
    grant_role(user, role, granted_by=actor)
    commit()
    log.info("Admin %s granted role %s to user %s", actor.id, role, user.id)


def revoke_platform_role(actor: User, user: User, role: str) -> None:
    require_platform_admin(actor)
    if role not in GRANTED_ROLES:
        raise ServiceError(_("Only the organizer and administrator roles are revoked here."))
    if role == Role.ADMIN and user.id == actor.id:
        raise ServiceError(
            _("You cannot revoke your own administrator role: ask another administrator to do it.")
        )
    if not user.has_role(role):
        raise ServiceError(_("%(name)s does not have this role.", name=user.display_name))
    revoke_role(user, role)
    commit()
    log.info("Admin %s revoked role %s from user %s", actor.id, role, user.id)


def deactivate_user(actor: User, user: User) -> None:
    """Block the account: the person can no longer log in and every open session ends."""
    require_platform_admin(actor)
    if user.id == actor.id:
        raise ServiceError(_("You cannot deactivate your own account."))
    if not user.active:
        raise ServiceError(_("%(name)s is already deactivated.", name=user.display_name))
    user.active = False
    user_sessions.end_all_sessions(user)
    commit()
    log.info("Admin %s deactivated user %s", actor.id, user.id)


def reactivate_user(actor: User, user: User) -> None:
    require_platform_admin(actor)
    if user.active:
        raise ServiceError(_("%(name)s is already active.", name=user.display_name))
    user.active = True
    commit()
    log.info("Admin %s reactivated user %s", actor.id, user.id)


# --- setting up a platform ---------------------------------------------------------------------------


def make_administrator(email: str, display_name: str, password: str | None) -> tuple[User, bool]:
    """The first administrator of a new platform (from a shell): a confirmed account with the admin and
    organizer roles, or those roles for an existing account (its password stays as it is). Returns the user
    and whether the account was created."""
    from matchmaker.services import accounts

    user = accounts.get_user_by_email(email)
    created = user is None
    if created:
        if not password:
            raise ServiceError(_("Choose a password for the new account."))
        problems = accounts.password_problems(password, email)
        if problems:
            raise ServiceError(" ".join(problems))
        user = accounts.create_user(
            email, password, display_name or email.split("@", 1)[0], confirmed=True, language="nl"
        )
    elif not user.active:
        raise ServiceError(_("This account is deactivated; reactivate it first."))
    for role in (Role.ADMIN, Role.ORGANIZER):
        grant_role(user, role)
    commit()
    log.info(
        "platform administrator %s %s from the command line", user.id, "created" if created else "granted"
    )
    return user, created


def set_up_platform(progress=lambda message: None) -> str:
    """What a new platform needs before anyone uses it: the default themes and the initiative's public pages
    (each created only where missing, so running it again changes nothing)."""
    from matchmaker.services.content import seed_default_pages
    from matchmaker.services.themes import ensure_default_themes

    themes = ensure_default_themes()
    progress(f"themes: {themes} created")
    pages = seed_default_pages(progress=progress)
    return f"{themes} themes created; {pages}"
