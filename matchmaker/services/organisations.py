"""Organisations: registering and editing them, inviting people, managing members.

Every function that changes something checks who is asking (the first argument) and commits.
Refusals are the kernel's (`matchmaker.services.kernel`): `Invalid` carries one message per form field, and
`NotAllowed` means the user may not touch this organisation at all (the web answers 403).
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _

from matchmaker import links
from matchmaker.extensions import db
from matchmaker.models import (
    ChangeAction,
    ChangeSubject,
    Invitation,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    PolicyDomain,
    Role,
    User,
    utcnow,
)
from matchmaker.models.organisation import is_valid_enterprise_number, normalize_enterprise_number
from matchmaker.services import (
    Conflict,
    Invalid,
    NotAllowed,
    ServiceError,
    commit,
    discard,
    history,
    joining,
    mail,
)
from matchmaker.services.accounts import get_user_by_email, grant_role, normalize_email
from matchmaker.textutil import one_line

log = logging.getLogger(__name__)

# Kinds that exist as a legal entity in the KBO/BCE and so always have an enterprise number.
NUMBER_REQUIRED_KINDS = frozenset(
    {OrganisationKind.COMPANY, OrganisationKind.STARTUP, OrganisationKind.SME, OrganisationKind.GOVERNMENT}
)
SUPPLIER_KINDS = tuple(kind for kind in OrganisationKind if kind != OrganisationKind.GOVERNMENT)
MAX_TOKEN_LENGTH = 100
# Invitations send mail to addresses the platform does not know yet: keep that from being abused.
MAX_INVITATIONS_PER_DAY = 50
RESEND_PAUSE = timedelta(minutes=5)


@dataclass
class OrganisationDetails:
    """What a person fills in about an organisation (raw, as typed)."""

    name: str
    kind: str
    enterprise_number: str = ""
    website: str = ""
    description: str = ""
    policy_domain: str = ""


# --- who may do what ------------------------------------------------------------------------------


def allowed_kinds(user: User) -> list[str]:
    """The kinds of organisation this user may register: buyers register government entities,
    suppliers everything else; platform administrators may register any kind (support)."""
    if user.has_role(Role.ADMIN):
        return [str(kind) for kind in OrganisationKind]
    kinds: list[str] = []
    if user.has_role(Role.SUPPLIER):
        kinds.extend(str(kind) for kind in SUPPLIER_KINDS)
    if user.has_role(Role.BUYER):
        kinds.append(str(OrganisationKind.GOVERNMENT))
    return kinds


def can_manage(user: User, organisation: Organisation) -> bool:
    return bool(user is not None and user.is_organisation_admin(organisation))


def can_invite(user: User, organisation: Organisation) -> bool:
    """Organisation administrators invite; platform administrators may too (for example to give an
    organisation whose members all left a new administrator)."""
    return can_manage(user, organisation) or bool(user is not None and user.has_role(Role.ADMIN))


def can_edit_details(user: User, organisation: Organisation) -> bool:
    """The organisation's administrators edit its details; so do platform administrators (corrections)."""
    return can_manage(user, organisation) or bool(user is not None and user.has_role(Role.ADMIN))


def has_administrator(organisation: Organisation) -> bool:
    return any(m.role == MembershipRole.ADMIN for m in organisation.memberships)


def _require_admin(user: User, organisation: Organisation) -> None:
    if not can_manage(user, organisation):
        raise NotAllowed(
            _("Only the administrators of %(organisation)s can do this.", organisation=organisation.name)
        )


# --- validation -----------------------------------------------------------------------------------


def enterprise_number_problem(raw: str, kind: str) -> str | None:
    """Why an enterprise number (as typed) is refused for this kind of organisation, or None."""
    if not (raw or "").strip():
        if kind in NUMBER_REQUIRED_KINDS:
            return _(
                "Enter the enterprise number (KBO/BCE): companies, start-ups, SMEs and government "
                "entities all have one."
            )
        return None
    number = normalize_enterprise_number(raw)
    if not number.isdigit() or len(number) != 10:
        return _("An enterprise number has 10 digits, for example 0417.497.106.")
    if number[0] not in "01":
        return _("An enterprise number starts with 0 or 1, for example 0417.497.106.")
    if not is_valid_enterprise_number(number):
        return _(
            "This enterprise number does not exist: its last two digits do not match the first eight. "
            "Check for a typing error."
        )
    return None


def clean_website(raw: str) -> str | None:
    """'www.vito.be' -> 'https://www.vito.be'; raises ValueError for something that is not a web address."""
    value = one_line(raw)
    if not value:
        return None
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or "." not in host or " " in value or len(value) > 300:
        raise ValueError(value)
    return value


def _kind_problem(user: User, kind: str, current_kind: str | None) -> str | None:
    if kind not in set(OrganisationKind):
        return _("Choose the kind of organisation from the list.")
    if kind == current_kind or kind in allowed_kinds(user):
        return None
    if kind == OrganisationKind.GOVERNMENT:
        return _("Only buyers register government entities.")
    return _(
        "Only suppliers register companies, start-ups, SMEs, research centres and other organisations. "
        "As a buyer, you register a government entity."
    )


def check_details(
    user: User, details: OrganisationDetails, organisation: Organisation | None = None
) -> dict[str, str]:
    """Every problem with the details, by field name; empty when they can be saved."""
    problems: dict[str, str] = {}
    if not one_line(details.name):
        problems["name"] = _("Enter the name of the organisation.")
    kind_problem = _kind_problem(user, details.kind, organisation.kind if organisation else None)
    if kind_problem:
        problems["kind"] = kind_problem
    number_problem = enterprise_number_problem(details.enterprise_number, details.kind)
    if number_problem:
        problems["enterprise_number"] = number_problem
    elif details.enterprise_number.strip():
        other = _organisation_with_number(normalize_enterprise_number(details.enterprise_number))
        if other is not None and (organisation is None or other.id != organisation.id):
            problems["enterprise_number"] = _duplicate_message(other)
    try:
        clean_website(details.website)
    except ValueError:
        problems["website"] = _("Enter a web address such as https://www.example.be.")
    if details.kind == OrganisationKind.GOVERNMENT:
        if not details.policy_domain:
            problems["policy_domain"] = _("Choose the policy domain the government entity belongs to.")
        elif details.policy_domain not in set(PolicyDomain):
            problems["policy_domain"] = _("Choose a policy domain from the list.")
    elif details.policy_domain:
        problems["policy_domain"] = _(
            "Only government entities have a policy domain: leave this empty for other organisations."
        )
    return problems


def _organisation_with_number(number: str) -> Organisation | None:
    return db.session.scalar(sa.select(Organisation).where(Organisation.enterprise_number == number))


def _duplicate_message(other: Organisation) -> str:
    if has_administrator(other):
        return _(
            "%(name)s is already registered with this enterprise number. Ask one of its administrators "
            "to invite you: an organisation is registered only once.",
            name=other.name,
        )
    return _(
        "%(name)s is already registered with this enterprise number, but has no administrator. "
        "Contact the platform administrators to join it.",
        name=other.name,
    )


def _apply(organisation: Organisation, details: OrganisationDetails) -> None:
    organisation.name = one_line(details.name)  # one line whoever writes it (textutil.one_line)
    organisation.kind = details.kind
    number = one_line(details.enterprise_number)
    organisation.enterprise_number = normalize_enterprise_number(number) if number else None
    organisation.website = clean_website(details.website)
    organisation.description = (details.description or "").strip()
    organisation.policy_domain = (
        details.policy_domain if details.kind == OrganisationKind.GOVERNMENT else None
    )


def _commit_organisation(organisation: Organisation) -> None:
    """Commit; a concurrent registration of the same number loses with a clear message."""
    number, own_id = organisation.enterprise_number, organisation.id
    try:
        commit(_("The organisation could not be saved. Please try again."))
    except Conflict:
        other = _organisation_with_number(number) if number else None
        if other is not None and other.id != own_id:
            raise Invalid({"enterprise_number": _duplicate_message(other)}) from None
        raise


# --- organisations --------------------------------------------------------------------------------


def create_organisation(user: User, details: OrganisationDetails) -> Organisation:
    """Register an organisation; its creator becomes its administrator."""
    if user.membership is not None:
        raise ServiceError(
            _(
                "You already belong to %(organisation)s. A person belongs to one organisation only.",
                organisation=user.membership.organisation.name,
            )
        )
    if not allowed_kinds(user):
        raise ServiceError(_("Only suppliers and buyers register an organisation."))
    problems = check_details(user, details)
    if problems:
        raise Invalid(problems)
    organisation = Organisation()
    _apply(organisation, details)
    db.session.add(organisation)
    db.session.add(Membership(user=user, organisation=organisation, role=MembershipRole.ADMIN))
    _commit_organisation(organisation)
    log.info("User %s registered organisation %s (%s)", user.id, organisation.id, organisation.name)
    return organisation


def details_state(organisation: Organisation) -> dict:
    """What the history records of an organisation's details."""
    return {
        "name": organisation.name,
        "kind": organisation.kind,
        "enterprise_number": organisation.enterprise_number,
        "policy_domain": organisation.policy_domain,
        "website": organisation.website,
    }


def update_organisation(user: User, organisation: Organisation, details: OrganisationDetails) -> None:
    if not can_edit_details(user, organisation):
        _require_admin(user, organisation)
    problems = check_details(user, details, organisation)
    if problems:
        raise Invalid(problems)
    before = details_state(organisation)
    _apply(organisation, details)
    if not can_manage(user, organisation):  # a platform administrator's correction is on the record
        history.record(
            organisation.id,
            ChangeSubject.ORGANISATION,
            ChangeAction.CHANGED,
            actor=user,
            old=before,
            new=details_state(organisation),
            label=organisation.name,
        )
    _commit_organisation(organisation)


def members_of(organisation: Organisation) -> list[Membership]:
    """Administrators first, then by name."""
    return list(
        db.session.scalars(
            sa.select(Membership)
            .join(Membership.user)
            .where(Membership.organisation_id == organisation.id)
            .order_by(Membership.role, sa.func.lower(User.display_name), User.id)
        )
    )


def open_invitations(organisation: Organisation) -> list[Invitation]:
    """Invitations neither accepted nor revoked (expired ones too, so they can be sent again)."""
    return list(
        db.session.scalars(
            sa.select(Invitation)
            .where(
                Invitation.organisation_id == organisation.id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        )
    )


# --- invitations ----------------------------------------------------------------------------------


def invitation_status(invitation: Invitation) -> str:
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= utcnow():
        return "expired"
    return "pending"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_invitation(token: str) -> Invitation | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return db.session.scalar(sa.select(Invitation).where(Invitation.token_hash == hash_token(token)))


def _parse_membership_role(role: str) -> MembershipRole:
    try:
        return MembershipRole(role)
    except ValueError:
        raise Invalid({"role": _("Choose administrator or member.")}) from None


def _new_token(invitation: Invitation) -> str:
    token = secrets.token_urlsafe(32)
    invitation.token_hash = hash_token(token)
    invitation.expires_at = utcnow() + current_app.config["INVITATION_MAX_AGE"]
    return token


def invite_member(inviter: User, organisation: Organisation, email: str, role: str) -> Invitation:
    """Invite someone by email; the mail holds a single-use link (only its hash is stored)."""
    if not can_invite(inviter, organisation):
        _require_admin(inviter, organisation)
    email = normalize_email(email)
    role = _parse_membership_role(role)
    if not email or "@" not in email:
        raise Invalid({"email": _("Enter an email address.")})
    invitee = get_user_by_email(email)
    if invitee is not None and invitee.membership and invitee.membership.organisation_id == organisation.id:
        raise Invalid(
            {
                "email": _(
                    "%(email)s is already a member of %(organisation)s.",
                    email=email,
                    organisation=organisation.name,
                )
            }
        )
    if any(i.email == email and invitation_status(i) == "pending" for i in organisation.invitations):
        raise Invalid(
            {
                "email": _(
                    "%(email)s already has a pending invitation. You can send it again from the "
                    "list of invitations.",
                    email=email,
                )
            }
        )
    since = utcnow() - timedelta(days=1)
    if sum(1 for i in organisation.invitations if i.created_at >= since) >= MAX_INVITATIONS_PER_DAY:
        raise ServiceError(
            _(
                "%(organisation)s sent %(count)d invitations in the last 24 hours, the most we allow. "
                "Please try again tomorrow.",
                organisation=organisation.name,
                count=MAX_INVITATIONS_PER_DAY,
            )
        )
    invitation = Invitation(organisation=organisation, email=email, role=role, invited_by=inviter)
    token = _new_token(invitation)
    db.session.add(invitation)
    _send_invitation(invitation, token, invitee)
    commit()
    log.info("User %s invited %s to organisation %s", inviter.id, email, organisation.id)
    return invitation


def resend_invitation(inviter: User, invitation: Invitation) -> None:
    """Send a fresh link (the old one stops working) with a new expiry date."""
    _require_admin(inviter, invitation.organisation)
    status = invitation_status(invitation)
    if status in ("accepted", "revoked"):
        raise ServiceError(_("This invitation was already accepted or withdrawn: it cannot be sent again."))
    last_sent = invitation.expires_at - current_app.config["INVITATION_MAX_AGE"]
    if utcnow() - last_sent < RESEND_PAUSE:
        raise ServiceError(
            _(
                "This invitation was sent less than %(minutes)d minutes ago. Ask %(email)s to check their "
                "spam folder before sending it again.",
                minutes=RESEND_PAUSE.seconds // 60,
                email=invitation.email,
            )
        )
    token = _new_token(invitation)
    _send_invitation(invitation, token, get_user_by_email(invitation.email))
    commit()


def revoke_invitation(inviter: User, invitation: Invitation) -> None:
    _require_admin(inviter, invitation.organisation)
    if invitation_status(invitation) in ("accepted", "revoked"):
        raise ServiceError(_("This invitation was already accepted or withdrawn."))
    invitation.revoked_at = utcnow()
    commit()


def invitation_problem(user: User, invitation: Invitation) -> str | None:
    """Why this user cannot accept this invitation (translated), or None when they can."""
    organisation = invitation.organisation
    status = invitation_status(invitation)
    if status == "revoked":
        return _("%(organisation)s withdrew this invitation.", organisation=organisation.name)
    if status == "accepted":
        return _("This invitation has already been used.")
    if status == "expired":
        return _(
            "This invitation expired on %(date)s. Ask an administrator of %(organisation)s to send it again.",
            date=format_date(invitation.expires_at, "long"),
            organisation=organisation.name,
        )
    if normalize_email(user.email) != invitation.email:
        return _(
            "This invitation was sent to %(invited)s, but you are logged in as %(current)s. "
            "Log in with the invited address to accept it.",
            invited=invitation.email,
            current=user.email,
        )
    if user.membership is not None:
        if user.membership.organisation_id == organisation.id:
            return _("You are already a member of %(organisation)s.", organisation=organisation.name)
        return _(
            "You already belong to %(current)s. A person belongs to one organisation only: leave "
            "%(current)s first, then open this invitation again.",
            current=user.membership.organisation.name,
        )
    return None


def accept_invitation(user: User, token: str) -> Membership:
    """Join the organisation of a valid invitation sent to the user's address."""
    invitation = find_invitation(token)
    if invitation is None:
        raise ServiceError(_("This invitation link is not valid. Check that you opened the whole link."))
    problem = invitation_problem(user, invitation)
    if problem:
        raise ServiceError(problem)
    organisation = invitation.organisation
    now = utcnow()
    # Claim the invitation atomically, so a revocation or a second click at the same moment cannot both win.
    claimed = db.session.execute(
        sa.update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        discard()
        raise Conflict(_("This invitation is no longer valid."))
    membership = Membership(user=user, organisation=organisation, role=invitation.role)
    db.session.add(membership)
    # Joining a government entity makes the person a buyer, joining another organisation a supplier:
    # the organisation's administrator vouches for them.
    grant_role(user, Role.BUYER if organisation.is_government else Role.SUPPLIER)
    joining.close_pending_request(user)  # a request to join elsewhere is no longer wanted
    commit(_("You already belong to an organisation."))  # when they joined another one at the same moment
    db.session.refresh(invitation)
    log.info("User %s joined organisation %s by invitation %s", user.id, organisation.id, invitation.id)
    return membership


def _send_invitation(invitation: Invitation, token: str, invitee: User | None) -> None:
    inviter = invitation.invited_by
    language = invitee.language if invitee else (inviter.language if inviter else None)
    mail.send_mail(
        invitation.email,
        "invitation",
        language=language,
        invitation=invitation,
        organisation=invitation.organisation,
        inviter_name=inviter.display_name if inviter else invitation.organisation.name,
        role_code=invitation.role,
        url=links.external_url("organisations.invitation", token=token),
        has_account=invitee is not None,
    )


# --- members --------------------------------------------------------------------------------------


def _lock_members(organisation: Organisation) -> list[Membership]:
    """Lock the organisation row (PostgreSQL) and read its memberships afresh, so that two
    administrators demoting each other at the same moment cannot leave it without one."""
    db.session.execute(sa.select(Organisation.id).where(Organisation.id == organisation.id).with_for_update())
    return list(
        db.session.scalars(
            sa.select(Membership)
            .where(Membership.organisation_id == organisation.id)
            .execution_options(populate_existing=True)
        )
    )


def change_member_role(actor: User, membership: Membership, role: str) -> None:
    organisation = membership.organisation
    _require_admin(actor, organisation)
    new_role = _parse_membership_role(role)
    members = _lock_members(organisation)
    if membership.role == new_role:
        return
    admins = [m for m in members if m.role == MembershipRole.ADMIN]
    if membership.role == MembershipRole.ADMIN and len(admins) == 1:
        raise ServiceError(
            _(
                "%(name)s is the only administrator of %(organisation)s. Make another member "
                "administrator first.",
                name=membership.user.display_name,
                organisation=organisation.name,
            )
        )
    membership.role = new_role
    commit()


def remove_member(actor: User, membership: Membership) -> None:
    """An administrator removes someone else (leaving is `leave_organisation`)."""
    organisation = membership.organisation
    _require_admin(actor, organisation)
    if membership.user_id == actor.id:
        leave_organisation(actor)
        return
    _lock_members(organisation)
    removed = membership.user
    db.session.delete(membership)
    mail.send_mail(
        removed.email,
        "membership_removed",
        language=removed.language,
        organisation_name=organisation.name,
        user_name=removed.display_name,
    )
    commit()


def leave_organisation(user: User) -> Organisation:
    membership = user.membership
    if membership is None:
        raise ServiceError(_("You do not belong to an organisation."))
    organisation = membership.organisation
    members = _lock_members(organisation)
    others = [m for m in members if m.id != membership.id]
    if (
        membership.role == MembershipRole.ADMIN
        and others
        and not any(m.role == MembershipRole.ADMIN for m in others)
    ):
        raise ServiceError(
            _(
                "You are the only administrator of %(organisation)s. Make another member administrator "
                "before you leave.",
                organisation=organisation.name,
            )
        )
    db.session.delete(membership)
    commit()
    db.session.expire(user, ["membership"])
    return organisation
