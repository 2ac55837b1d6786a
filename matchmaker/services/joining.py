"""Joining an organisation without an invitation: by a declared mail domain, or by asking its administrators.

Mail domains. The administrators of a government organisation declare the mail domains that are its own
(`mow.vlaanderen.be`). A person whose *confirmed* address is in a declared domain of a *verified* government
organisation may join it at once, as a member, and becomes a buyer (as with an invitation: here the mail
server vouches for them, and the platform's administrators for the organisation). Safeguards:

- a domain belongs to one organisation at most (unique in the database);
- public webmail and shared umbrella domains (gmail.com, telenet.be, vlaanderen.be...) are refused: anyone can
  have an address there, or many organisations share it;
- an organisation's administrator declares only the domain of their own confirmed address, so nobody claims
  (or squats) the domain of another body; the platform's administrators may declare any domain for any
  government organisation (support, a second domain);
- a domain matches exactly: `x.mow.vlaanderen.be` does not match `mow.vlaanderen.be`. Flemish bodies are
  often subdomains of one another (`mow.vlaanderen.be` under `vlaanderen.be`), so matching subdomains would
  let one body's declaration take in the staff of others; a body with several subdomains declares each.

Join requests. A person without an organisation asks any organisation (not a suspended one) to let them in,
with an optional message; its administrators get a mail each, accept or decline (with an optional reason),
and the person gets a mail with the decision. A person has one pending request at most (a partial unique
index) and creates at most MAX_REQUESTS_PER_DAY a day (each one mails every administrator). Accepting makes
them a member, and a buyer (government) or a supplier (otherwise), as `accept_invitation` does. Decisions
claim the request with a conditional UPDATE, so of two decisions at the same moment only one wins.

Refusals are the kernel's: `Invalid` (per form field), `Conflict` (decided meanwhile), `NotAllowed` (403),
`NotFound` (404).
"""

import logging
import re
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _

from matchmaker import links
from matchmaker.extensions import db
from matchmaker.models import (
    JoinRequest,
    JoinRequestStatus,
    MailDomain,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    Role,
    User,
    Verification,
    utcnow,
)
from matchmaker.services import (
    Conflict,
    Invalid,
    NotAllowed,
    NotFound,
    ServiceError,
    commit,
    discard,
    mail,
    unit_of_work,
)
from matchmaker.services.accounts import active_members, grant_role

log = logging.getLogger(__name__)

MESSAGE_MAX = 1000
REASON_MAX = 1000
MAX_REQUESTS_PER_DAY = 5
SEARCH_MIN_LENGTH = 2
SEARCH_LIMIT = 20

# Anyone can have an address at these: they never identify an organisation.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        *("gmail.com", "googlemail.com", "outlook.com", "outlook.be", "hotmail.com", "hotmail.be"),
        *("live.com", "live.be", "msn.com", "yahoo.com", "yahoo.fr", "icloud.com", "me.com", "proton.me"),
        *("protonmail.com", "gmx.com", "mail.com", "telenet.be", "skynet.be", "proximus.be", "scarlet.be"),
        "orange.be",
    }
)
# Shared by many government bodies: declaring one would let one body take in the staff of all the others.
SHARED_GOVERNMENT_DOMAINS = frozenset(
    {"vlaanderen.be", "belgium.be", "fgov.be", "wallonie.be", "brussels.be"}
)

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


# --- mail domains ---------------------------------------------------------------------------------


def normalize_domain(raw: str) -> str:
    """'@MOW.Vlaanderen.be.' -> 'mow.vlaanderen.be'; an internationalised name in its ASCII (xn--) form.
    Returns '' for something that cannot be a domain name."""
    value = (raw or "").strip().lower().removeprefix("@").rstrip(".")
    if not value or len(value) > 253:
        return ""
    try:
        value = value.encode("idna").decode("ascii")
    except UnicodeError:
        return ""
    return value


def email_domain(email: str) -> str:
    """The normalized domain of an address ('' when it has none)."""
    local, at, domain = (email or "").rpartition("@")
    return normalize_domain(domain) if at and local else ""


def domain_problem(raw: str) -> str | None:
    """Why a typed domain cannot be declared (translated), or None."""
    domain = normalize_domain(raw)
    if not (raw or "").strip():
        return _("Enter a mail domain, for example mow.vlaanderen.be.")
    labels = domain.split(".") if domain else []
    if (
        len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or not (labels[-1].isalpha() or labels[-1].startswith("xn--"))
    ):
        return _(
            "Enter a domain name such as mow.vlaanderen.be: the part of an address after the @, with at "
            "least one dot."
        )
    if domain in PUBLIC_MAIL_DOMAINS:
        return _(
            "%(domain)s is a public mail service: anyone can have an address there, so it cannot identify "
            "your organisation.",
            domain=domain,
        )
    if domain in SHARED_GOVERNMENT_DOMAINS:
        return _(
            "%(domain)s is shared by many government bodies, so it cannot identify one of them. Declare "
            "the domain that is your organisation's own, or invite your colleagues.",
            domain=domain,
        )
    return None


def mail_domains(organisation: Organisation) -> list[MailDomain]:
    return list(
        db.session.scalars(
            sa.select(MailDomain)
            .where(MailDomain.organisation_id == organisation.id)
            .order_by(MailDomain.domain)
        )
    )


def can_manage_domains(user: User | None, organisation: Organisation) -> bool:
    """The organisation's administrators (and the platform's), for a government organisation only."""
    if user is None or not organisation.is_government:
        return False
    return user.is_organisation_admin(organisation) or user.has_role(Role.ADMIN)


def _require_domain_manager(user: User | None, organisation: Organisation) -> None:
    if user is None or not (user.is_organisation_admin(organisation) or user.has_role(Role.ADMIN)):
        raise NotAllowed(
            _("Only the administrators of %(organisation)s can do this.", organisation=organisation.name)
        )


def _domain_owner(domain: str) -> MailDomain | None:
    return db.session.scalar(sa.select(MailDomain).where(MailDomain.domain == domain))


def _taken_message(taken: MailDomain, organisation: Organisation) -> str:
    if taken.organisation_id == organisation.id:
        return _(
            "%(domain)s is already one of the mail domains of %(organisation)s.",
            domain=taken.domain,
            organisation=organisation.name,
        )
    return _(
        "%(domain)s is already declared by %(other)s. A domain belongs to one organisation only: if it is "
        "yours, contact the platform administrators.",
        domain=taken.domain,
        other=taken.organisation.name,
    )


def declare_mail_domain(user: User, organisation: Organisation, raw: str) -> MailDomain:
    """Declare a mail domain of a government organisation (refusals on the field "domain")."""
    _require_domain_manager(user, organisation)
    if not organisation.is_government:
        raise ServiceError(_("Only government organisations declare mail domains."))
    problem = domain_problem(raw)
    if problem:
        raise Invalid({"domain": problem})
    domain = normalize_domain(raw)
    taken = _domain_owner(domain)
    if taken is not None:
        raise Invalid({"domain": _taken_message(taken, organisation)})
    if not user.has_role(Role.ADMIN) and not (user.email_confirmed and email_domain(user.email) == domain):
        raise Invalid(
            {
                "domain": _(
                    "You can declare the domain of your own confirmed address only (%(own)s). To add "
                    "another domain, ask a colleague with an address there, or the platform "
                    "administrators.",
                    own=email_domain(user.email) or user.email,
                )
            }
        )
    declared = MailDomain(organisation_id=organisation.id, domain=domain, created_by_id=user.id)
    db.session.add(declared)
    try:
        commit()
    except Conflict:  # declared by another organisation at the same moment
        taken = _domain_owner(domain)
        if taken is not None:
            raise Invalid({"domain": _taken_message(taken, organisation)}) from None
        raise
    log.info("User %s declared mail domain %s for organisation %s", user.id, domain, organisation.id)
    return declared


def remove_mail_domain(user: User, declared: MailDomain) -> None:
    _require_domain_manager(user, declared.organisation)
    db.session.delete(declared)
    commit()


def organisation_for_address(user: User) -> Organisation | None:
    """The verified government organisation whose declared domain holds the user's confirmed address."""
    if user is None or not user.email_confirmed:
        return None
    domain = email_domain(user.email)
    if not domain:
        return None
    return db.session.scalar(
        sa.select(Organisation)
        .join(MailDomain, MailDomain.organisation_id == Organisation.id)
        .where(
            MailDomain.domain == domain,
            Organisation.kind == OrganisationKind.GOVERNMENT,
            Organisation.verification == Verification.VERIFIED,
        )
    )


def join_by_mail_domain(user: User, organisation_id: int) -> Membership:
    """Join the organisation whose declared domain holds the user's confirmed address (the one the page
    offered: `organisation_id`), as a member; the user becomes a buyer."""
    _require_no_organisation(user)
    organisation = organisation_for_address(user)
    if organisation is None or organisation.id != organisation_id:
        raise ServiceError(
            _("Your address does not let you join this organisation directly. Ask to join it instead.")
            if user.email_confirmed
            else _("Confirm your email address first: the link is in the mail we sent you.")
        )
    admins = _admins(organisation)
    # A flush inside (the pending request's update, a mail) may meet a membership stored at this very moment:
    # the unit of work turns that into the same refusal as the commit.
    with unit_of_work(_("You already belong to an organisation.")):
        membership = Membership(user=user, organisation=organisation, role=MembershipRole.MEMBER)
        db.session.add(membership)
        grant_role(user, Role.BUYER)
        close_pending_request(user)
        for admin in admins:
            mail.send_mail(
                admin.email,
                "organisation_joined_by_domain",
                language=admin.language,
                organisation_name=organisation.name,
                admin_name=admin.display_name,
                member_name=user.display_name,
                member_email=user.email,
                domain=email_domain(user.email),
                url=links.external_url("organisations.mine"),
            )
    log.info("User %s joined organisation %s by mail domain", user.id, organisation.id)
    return membership


# --- join requests --------------------------------------------------------------------------------


def _require_no_organisation(user: User) -> None:
    if user.membership is not None:
        raise ServiceError(
            _(
                "You already belong to %(organisation)s. A person belongs to one organisation only.",
                organisation=user.membership.organisation.name,
            )
        )


def _admins(organisation: Organisation) -> list[User]:
    """The administrators a join request is mailed to: deactivated accounts get nothing."""
    return active_members(organisation.id, MembershipRole.ADMIN)


def search_organisations(query: str) -> list[Organisation]:
    """Organisations (not suspended ones) whose name holds the query's words, accents and case aside, or whose
    enterprise number matches it, in any notation; at most SEARCH_LIMIT."""
    query = (query or "").strip()[:200]
    condition = Organisation.search_condition(query) if len(query) >= SEARCH_MIN_LENGTH else None
    if condition is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(condition, Organisation.verification != Verification.SUSPENDED)
            .order_by(sa.func.lower(Organisation.name), Organisation.id)
            .limit(SEARCH_LIMIT)
        )
    )


def joinable(organisation_id: int) -> Organisation:
    """The organisation a person may ask to join (suspended ones are hidden: 404)."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or organisation.verification == Verification.SUSPENDED:
        raise NotFound(_("This organisation does not exist."))
    return organisation


def pending_request_of(user: User) -> JoinRequest | None:
    if user is None:
        return None
    return db.session.scalar(
        sa.select(JoinRequest).where(
            JoinRequest.user_id == user.id, JoinRequest.status == JoinRequestStatus.PENDING
        )
    )


def pending_requests(organisation: Organisation) -> list[JoinRequest]:
    """The requests waiting for the organisation's administrators, oldest first (not those of people who
    joined an organisation meanwhile)."""
    return list(
        db.session.scalars(
            sa.select(JoinRequest)
            .join(JoinRequest.user)
            .where(
                JoinRequest.organisation_id == organisation.id,
                JoinRequest.status == JoinRequestStatus.PENDING,
                ~sa.exists().where(Membership.user_id == JoinRequest.user_id),
            )
            .order_by(JoinRequest.created_at, JoinRequest.id)
        )
    )


def request_problem(user: User, organisation: Organisation) -> str | None:
    """Why the user cannot ask to join this organisation now (translated), or None."""
    if user.membership is not None:
        if user.membership.organisation_id == organisation.id:
            return _("You are already a member of %(organisation)s.", organisation=organisation.name)
        return _(
            "You already belong to %(organisation)s. A person belongs to one organisation only.",
            organisation=user.membership.organisation.name,
        )
    pending = pending_request_of(user)
    if pending is not None:
        return _(
            "You already asked to join %(organisation)s on %(date)s. Withdraw that request first: you can "
            "ask one organisation at a time.",
            organisation=pending.organisation.name,
            date=format_date(pending.created_at, "long"),
        )
    if not _admins(organisation):
        return _(
            "%(organisation)s has no administrator yet, so nobody can accept a request. Contact the platform "
            "administrators: they can invite you.",
            organisation=organisation.name,
        )
    return None


def _plain(text: str | None) -> str:
    """Browsers send line breaks as CRLF but count them as one character against a text area's maxlength."""
    return (text or "").replace("\r\n", "\n").strip()


def request_to_join(user: User, organisation: Organisation, message: str = "") -> JoinRequest:
    """Ask to join; each administrator of the organisation gets a mail in their language."""
    message = _plain(message)
    if len(message) > MESSAGE_MAX:
        raise Invalid({"message": _("Keep your message under %(max)d characters.", max=MESSAGE_MAX)})
    if organisation.verification == Verification.SUSPENDED:
        raise NotFound(_("This organisation does not exist."))
    problem = request_problem(user, organisation)
    if problem:
        raise ServiceError(problem)
    since = utcnow() - timedelta(days=1)
    sent_today = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(JoinRequest)
        .where(JoinRequest.user_id == user.id, JoinRequest.created_at >= since)
    )
    if sent_today >= MAX_REQUESTS_PER_DAY:
        raise ServiceError(
            _(
                "You asked to join organisations %(count)d times in the last 24 hours, the most we "
                "allow. Please try again tomorrow.",
                count=MAX_REQUESTS_PER_DAY,
            )
        )
    admins = _admins(organisation)
    # Two requests at the same moment: the partial unique index keeps one (at a flush inside, or the commit).
    with unit_of_work(_("You already asked to join an organisation. Withdraw that request first.")):
        join_request = JoinRequest(user=user, organisation=organisation, message=message)
        db.session.add(join_request)
        for admin in admins:
            mail.send_mail(
                admin.email,
                "join_request_received",
                language=admin.language,
                organisation_name=organisation.name,
                admin_name=admin.display_name,
                requester_name=user.display_name,
                requester_email=user.email,
                message=message,
                url=links.external_url("organisations.mine"),
            )
    log.info("User %s asked to join organisation %s (request %s)", user.id, organisation.id, join_request.id)
    return join_request


def _require_decider(user: User, join_request: JoinRequest) -> None:
    if user is None or not user.is_organisation_admin(join_request.organisation):
        raise NotAllowed(
            _(
                "Only the administrators of %(organisation)s can do this.",
                organisation=join_request.organisation.name,
            )
        )


def _claim(join_request: JoinRequest, status: str, by: User | None, reason: str = "", **where) -> bool:
    """Decide the request if it is still pending (one conditional UPDATE: of two decisions at the same moment,
    one changes the row and the other finds it decided)."""
    result = db.session.execute(
        sa.update(JoinRequest)
        .where(
            JoinRequest.id == join_request.id,
            JoinRequest.status == JoinRequestStatus.PENDING,
            *(getattr(JoinRequest, name) == value for name, value in where.items()),
        )
        .values(status=status, decided_at=utcnow(), decided_by_id=by.id if by else None, reason=reason)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _already_decided(join_request: JoinRequest) -> Conflict:
    """The refusal for a request someone decided first (read afresh: who won, and how)."""
    discard()
    db.session.refresh(join_request)
    name = join_request.user.display_name
    if join_request.status == JoinRequestStatus.ACCEPTED:
        return Conflict(_("%(name)s's request was already accepted.", name=name))
    if join_request.status == JoinRequestStatus.DECLINED:
        return Conflict(_("%(name)s's request was already declined.", name=name))
    if join_request.status == JoinRequestStatus.WITHDRAWN:
        return Conflict(_("%(name)s withdrew the request.", name=name))
    return Conflict(_("%(name)s's request was changed meanwhile. Please try again.", name=name))


def close_pending_request(user: User) -> None:
    """The user joined an organisation another way: a pending request is no longer wanted."""
    db.session.execute(
        sa.update(JoinRequest)
        .where(JoinRequest.user_id == user.id, JoinRequest.status == JoinRequestStatus.PENDING)
        .values(status=JoinRequestStatus.WITHDRAWN, decided_at=utcnow(), decided_by_id=user.id)
        .execution_options(synchronize_session=False)
    )


def accept_request(actor: User, join_request: JoinRequest) -> Membership:
    """Let the requester in as a member (a buyer for a government organisation, a supplier otherwise)."""
    _require_decider(actor, join_request)
    organisation, requester = join_request.organisation, join_request.user
    # Both as committed now, the membership first: another administrator may have accepted this very request a
    # moment ago, and whoever sees that membership then sees the request accepted too (one commit made both),
    # so the answer is "already accepted", not "joined elsewhere".
    db.session.refresh(requester, ["membership"])
    db.session.refresh(join_request)
    if requester.membership is not None and join_request.is_pending:
        # They joined an organisation another way meanwhile: the request is closed, nobody is let in.
        close_pending_request(requester)
        commit()
        raise Conflict(
            _(
                "%(name)s joined an organisation meanwhile, so the request is closed.",
                name=requester.display_name,
            )
        )
    if not _claim(join_request, JoinRequestStatus.ACCEPTED, actor):
        raise _already_decided(join_request)
    # The unique membership per user: if they joined elsewhere at this very moment, nothing is changed (the
    # claim is rolled back with the rest).
    with unit_of_work(
        _("%(name)s joined another organisation meanwhile. Nothing was changed.", name=requester.display_name)
    ):
        membership = Membership(user=requester, organisation=organisation, role=MembershipRole.MEMBER)
        db.session.add(membership)
        grant_role(requester, Role.BUYER if organisation.is_government else Role.SUPPLIER)
        _send_decision(join_request, accepted=True)
    db.session.refresh(join_request)
    log.info("User %s accepted join request %s", actor.id, join_request.id)
    return membership


def decline_request(actor: User, join_request: JoinRequest, reason: str = "") -> None:
    _require_decider(actor, join_request)
    reason = _plain(reason)
    if len(reason) > REASON_MAX:
        raise Invalid({"reason": _("Keep the reason under %(max)d characters.", max=REASON_MAX)})
    if not _claim(join_request, JoinRequestStatus.DECLINED, actor, reason):
        raise _already_decided(join_request)
    _send_decision(join_request, accepted=False, reason=reason)
    commit()
    db.session.refresh(join_request)
    log.info("User %s declined join request %s", actor.id, join_request.id)


def withdraw_request(user: User, join_request: JoinRequest) -> None:
    """The requester takes their pending request back (another user's request is 'not found')."""
    if user is None or join_request.user_id != user.id:
        raise NotFound(_("This request does not exist."))
    if not _claim(join_request, JoinRequestStatus.WITHDRAWN, user, user_id=user.id):
        discard()
        raise Conflict(_("This request was already decided."))
    commit()
    db.session.refresh(join_request)


def _send_decision(join_request: JoinRequest, accepted: bool, reason: str = "") -> None:
    requester = join_request.user
    mail.send_mail(
        requester.email,
        "join_request_decided",
        language=requester.language,
        accepted=accepted,
        organisation_name=join_request.organisation.name,
        user_name=requester.display_name,
        reason=reason,
        url=links.external_url("organisations.mine"),
    )
