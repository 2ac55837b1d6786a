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
    Conversation,
    ConversationBlock,
    ConversationRead,
    ConversationReport,
    ConversationStatus,
    Invitation,
    JoinRequest,
    MailDomain,
    Membership,
    Message,
    Need,
    NeedQuestion,
    NeedStatus,
    Notification,
    Offering,
    OfferingStatus,
    Organisation,
    OrganisationKind,
    OrganisationLogo,
    ProcurementYear,
    Registration,
    Role,
    SupportRequest,
    User,
    UserRole,
    Verification,
    utcnow,
)
from matchmaker.models.user import GRANTED_ROLES
from matchmaker.services import ServiceError, commit, conversations, history, user_sessions
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
    """Organisations whose name holds the words of `query` (accents and case aside) or whose enterprise
    number matches it (any notation)."""
    statement = sa.select(Organisation)
    condition = Organisation.search_condition((query or "").strip()[:200])
    if condition is not None:
        statement = statement.where(condition)
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
    conversations: int = 0  # moved to the kept organisation (threads joined with its own count once)
    conversations_ended: int = 0  # between the two organisations merged: see _move_conversations
    support_requests: int = 0


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
    needs, event registrations, 3%-norm figures, charter signatures, conversations with their messages and
    blocks, public questions asked, support requests, the logo, history), then delete it. Every table with a
    foreign key to the organisation is handled here: deleting the duplicate cascades to whatever is left on
    it, so a table forgotten here loses its rows silently. The kept organisation's own active signature wins
    over the duplicate's, which is withdrawn; its own logo wins too. Commits."""
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
    report.support_requests = move(SupportRequest)
    report.conversations, report.conversations_ended = _move_conversations(duplicate.id, kept.id)
    db.session.execute(
        sa.update(NeedQuestion)
        .where(NeedQuestion.asker_organisation_id == duplicate.id)
        .values(asker_organisation_id=kept.id)
        .execution_options(synchronize_session=False)
    )
    # The kept organisation keeps its own logo, and takes the duplicate's when it has none (the logo's key is
    # the organisation: one each). A duplicate's logo beside the kept one goes with the duplicate.
    logo_version = duplicate.logo_version
    has_logo = db.session.scalar(sa.select(sa.exists().where(OrganisationLogo.organisation_id == kept.id)))
    takes_logo = not has_logo and move(OrganisationLogo) == 1
    db.session.flush()
    # The rows moved in bulk may sit in the session with their old organisation (the duplicate's collections
    # among them): deleting the duplicate must not cascade to those stale copies.
    db.session.expire_all()
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
    if takes_logo:
        kept.logo_version = logo_version
    db.session.flush()  # before expire_all, which would drop these two changes
    db.session.expire_all()
    for item in live:  # their organisation's suspension may differ: the index looks again
        item_changed(item)
    commit()
    log.info("Admin %s merged organisation %s (%s) into %s", actor.id, duplicate.id, name, kept.id)
    return report


def _move_conversations(duplicate_id: int, kept_id: int) -> tuple[int, int]:
    """Move the duplicate's conversations, their messages and its blocks to the kept organisation (not
    committed); returns (conversations moved, conversations ended).

    Two cases cannot simply change organisation:
    - A conversation between the two organisations merged would be the kept organisation writing to itself,
      which the table refuses (two_organisations) and which nobody outside it takes part in: it is deleted,
      with its messages, and counted in the record of the merge.
    - Both may have started a thread about the same need or offering of a third organisation, where the
      table allows one per organisation and subject: the duplicate's messages, reports and read positions
      join the kept organisation's thread, so that the other side keeps every message in one place."""
    pair = (duplicate_id, kept_id)
    ended = db.session.execute(
        sa.delete(Conversation)
        .where(
            Conversation.starter_organisation_id.in_(pair), Conversation.recipient_organisation_id.in_(pair)
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    ours = sa.orm.aliased(Conversation)
    twins = db.session.execute(
        sa.select(Conversation, ours)
        .join(
            ours,
            sa.and_(
                ours.starter_organisation_id == kept_id,
                sa.or_(ours.need_id == Conversation.need_id, ours.offering_id == Conversation.offering_id),
            ),
        )
        .where(Conversation.starter_organisation_id == duplicate_id)
    ).all()
    for theirs, kept_thread in twins:
        _join_threads(theirs, kept_thread)
    moved = 0
    for column in (Conversation.starter_organisation_id, Conversation.recipient_organisation_id):
        moved += db.session.execute(
            sa.update(Conversation)
            .where(column == duplicate_id)
            .values({column.key: kept_id})
            .execution_options(synchronize_session=False)
        ).rowcount
    db.session.execute(
        sa.update(Message)
        .where(Message.author_organisation_id == duplicate_id)
        .values(author_organisation_id=kept_id)
        .execution_options(synchronize_session=False)
    )
    # A user blocked by both stays blocked once (one block per organisation and user).
    db.session.execute(
        sa.delete(ConversationBlock)
        .where(
            ConversationBlock.organisation_id == duplicate_id,
            ConversationBlock.blocked_user_id.in_(
                sa.select(ConversationBlock.blocked_user_id).where(
                    ConversationBlock.organisation_id == kept_id
                )
            ),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(ConversationBlock)
        .where(ConversationBlock.organisation_id == duplicate_id)
        .values(organisation_id=kept_id)
        .execution_options(synchronize_session=False)
    )
    return moved + len(twins), ended


def _join_threads(theirs: Conversation, ours: Conversation) -> None:
    """Move the messages, reports and read positions of `theirs` into `ours`, then delete `theirs`."""
    theirs_ids = list(db.session.scalars(sa.select(Message.id).where(Message.conversation_id == theirs.id)))
    ours_ids = list(db.session.scalars(sa.select(Message.id).where(Message.conversation_id == ours.id)))
    # A read position is "every message of this thread up to this id". Message ids are shared by all
    # threads, so a position is rewritten as the last id before the first message the user had not read in
    # either thread: nothing unread is shown as read (some read messages may show as unread again).
    reads = {}
    for read in db.session.scalars(
        sa.select(ConversationRead).where(ConversationRead.conversation_id.in_((theirs.id, ours.id)))
    ):
        reads.setdefault(read.user_id, {})[read.conversation_id] = read
    for user_id, rows in reads.items():
        mark = {cid: row.last_read_message_id for cid, row in rows.items()}
        unread = [i for i in ours_ids if i > mark.get(ours.id, 0)]
        unread += [i for i in theirs_ids if i > mark.get(theirs.id, 0)]
        position = min(unread) - 1 if unread else max(ours_ids + theirs_ids, default=0)
        read_at = max(row.read_at for row in rows.values())
        for row in rows.values():
            db.session.delete(row)
        db.session.flush()
        db.session.add(
            ConversationRead(
                conversation_id=ours.id,
                user_id=user_id,
                last_read_message_id=position,
                read_at=read_at,
            )
        )
    for model in (Message, ConversationReport):
        db.session.execute(
            sa.update(model)
            .where(model.conversation_id == theirs.id)
            .values(conversation_id=ours.id)
            .execution_options(synchronize_session=False)
        )
    db.session.execute(
        sa.update(Notification)
        .where(Notification.url == conversations.thread_path(theirs))
        .values(url=conversations.thread_path(ours))
        .execution_options(synchronize_session=False)
    )
    ours.last_message_at = max(ours.last_message_at, theirs.last_message_at)
    if theirs.status == ConversationStatus.OPEN:
        ours.status = ConversationStatus.OPEN
    db.session.flush()
    db.session.execute(
        sa.delete(Conversation)
        .where(Conversation.id == theirs.id)
        .execution_options(synchronize_session=False)
    )


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
    """Grant the organizer, knowledge editor or admin role (people choose supplier and buyer themselves)."""
    require_platform_admin(actor)
    if role not in GRANTED_ROLES:
        raise ServiceError(
            _("Only the organizer, knowledge network editor and administrator roles are granted here.")
        )
    if user.has_role(role):
        raise ServiceError(_("%(name)s already has this role.", name=user.display_name))
    grant_role(user, role, granted_by=actor)
    commit()
    log.info("Admin %s granted role %s to user %s", actor.id, role, user.id)


def revoke_platform_role(actor: User, user: User, role: str) -> None:
    require_platform_admin(actor)
    if role not in GRANTED_ROLES:
        raise ServiceError(
            _("Only the organizer, knowledge network editor and administrator roles are revoked here.")
        )
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
