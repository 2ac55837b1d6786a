"""Support requests (issue 19): a member of a need's organisation asks the knowledge network for guidance on
that need, and the network's editors answer on the platform.

A request and its thread are seen by the members of the need's organisation and by the network (knowledge
editors and platform administrators); by nobody else. A new request reaches every active editor (or, while
there is none, every administrator) as a notification, mailed as each of them chose in their settings (through
the outbox). An answer of the network notifies the members who took part; a member's follow-up notifies the
editors who answered before (all editors while none did).
"""

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from matchmaker import links
from matchmaker.extensions import db
from matchmaker.models import (
    Need,
    NeedStatus,
    Role,
    SupportMessage,
    SupportRequest,
    SupportStatus,
    User,
    UserRole,
    utcnow,
)
from matchmaker.models.knowledge import MESSAGE_MAX
from matchmaker.services import Invalid, NotAllowed, NotFound, Refusal, commit
from matchmaker.services.accounts import personal_data_exporter
from matchmaker.services.knowledge import can_edit
from matchmaker.services.notifications import notify, register_kind
from matchmaker.textutil import one_line

SUBJECT_MAX = 200
REQUESTS_PER_DAY = 10
EXCERPT_LENGTH = 300

STATUSES: dict[str, LazyString] = {
    SupportStatus.OPEN: _l("Waiting for the knowledge network"),
    SupportStatus.ANSWERED: _l("Answered"),
    SupportStatus.CLOSED: _l("Closed"),
}

register_kind(
    "support_request",
    _l("%(name)s (%(organisation)s) asks the knowledge network for guidance on %(title)s: %(subject)s"),
)
register_kind("support_answer", _l("The knowledge network answered your question about %(title)s."))
register_kind("support_follow_up", _l("%(name)s (%(organisation)s) wrote again about %(title)s."))


class TooManyRequests(Refusal):
    """The user asked for guidance REQUESTS_PER_DAY times in the last 24 hours."""


def status_label(code: str) -> str:
    found = STATUSES.get(code)
    return str(found) if found is not None else code


# --- who may do what -----------------------------------------------------------------------------------


def _is_member(user: User | None, organisation_id: int) -> bool:
    return bool(
        user is not None and user.organisation is not None and user.organisation.id == organisation_id
    )


def may_read(user: User | None, request: SupportRequest) -> bool:
    return _is_member(user, request.organisation_id) or can_edit(user)


def why_not_ask(user: User | None, need: Need) -> str | None:
    """Why this user cannot ask for guidance on this need (None: they can)."""
    if user is None or not _is_member(user, need.organisation_id):
        return _("Only members of the organisation of this need can ask for guidance on it.")
    if need.status == NeedStatus.ARCHIVED:
        return _("This need is archived. Restore it to ask for guidance on it.")
    return None


def get_request(user: User | None, request_id: int) -> SupportRequest:
    request = db.session.get(SupportRequest, request_id)
    if request is None or not may_read(user, request):
        raise NotFound(_("This support request does not exist or is not yours."))
    return request


def requests_for_need(user: User | None, need: Need) -> list[SupportRequest]:
    """The need's support requests, for its organisation's members and the network; nothing for others."""
    if not (_is_member(user, need.organisation_id) or can_edit(user)):
        return []
    return list(
        db.session.scalars(
            sa.select(SupportRequest)
            .where(SupportRequest.need_id == need.id)
            .order_by(SupportRequest.last_message_at.desc(), SupportRequest.id.desc())
        )
    )


def requests_of(user: User) -> list[SupportRequest]:
    """What the user sees in the list: every request for the network, their organisation's for members."""
    statement = sa.select(SupportRequest)
    if not can_edit(user):
        if user.organisation is None:
            return []
        statement = statement.where(SupportRequest.organisation_id == user.organisation.id)
    order = sa.case((SupportRequest.status == SupportStatus.OPEN.value, 0), else_=1)
    return list(
        db.session.scalars(
            statement.order_by(order, SupportRequest.last_message_at.desc(), SupportRequest.id)
        )
    )


def open_count() -> int:
    return db.session.scalar(
        sa.select(sa.func.count(SupportRequest.id)).where(SupportRequest.status == SupportStatus.OPEN.value)
    )


# --- writing -------------------------------------------------------------------------------------------


def _check_body(body: str | None) -> str:
    body = (body or "").replace("\x00", "").replace("\r\n", "\n").strip()
    if not body:
        raise Invalid({"body": _("Write your message.")})
    if len(body) > MESSAGE_MAX:
        raise Invalid({"body": _("Keep your message under %(max)s characters.", max=MESSAGE_MAX)})
    return body


def _excerpt(body: str) -> str:
    text = one_line(body)
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1].rstrip() + "…"


def thread_path(request: SupportRequest) -> str:
    return links.path("knowledge.support_thread", request_id=request.id)


def network_members() -> list[User]:
    """Whom a new request reaches: the active knowledge editors, or the administrators while there is none."""
    for role in (Role.KNOWLEDGE_EDITOR, Role.ADMIN):
        found = list(
            db.session.scalars(
                sa.select(User)
                .join(UserRole, UserRole.user_id == User.id)
                .where(UserRole.role == role.value, User.active.is_(True))
                .order_by(User.id)
            )
        )
        if found:
            return found
    return []


def ask_for_guidance(user: User, need: Need, subject: str, body: str) -> SupportRequest:
    """Open a support request about `need`. Commits, then notifies the network."""
    reason = why_not_ask(user, need)
    if reason is not None:
        raise NotAllowed(reason)
    problems = {}
    subject = one_line(subject)
    if not subject:
        problems["subject"] = _("Say in a few words what you need help with.")
    elif len(subject) > SUBJECT_MAX:
        problems["subject"] = _("A subject has at most %(num)d characters.", num=SUBJECT_MAX)
    try:
        body = _check_body(body)
    except Invalid as invalid:
        problems.update(invalid.problems)
    if problems:
        raise Invalid(problems)
    db.session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    asked = db.session.scalar(
        sa.select(sa.func.count(SupportRequest.id)).where(
            SupportRequest.asked_by_id == user.id, SupportRequest.created_at >= utcnow() - timedelta(days=1)
        )
    )
    if asked >= REQUESTS_PER_DAY:
        raise TooManyRequests(
            _(
                "You asked for guidance %(count)s times in the last 24 hours, the most the platform allows. "
                "Please try again tomorrow.",
                count=asked,
            )
        )
    now = utcnow()
    request = SupportRequest(
        need_id=need.id,
        organisation_id=need.organisation_id,
        asked_by_id=user.id,
        subject=subject,
        status=SupportStatus.OPEN.value,
        created_at=now,
        last_message_at=now,
    )
    request.messages.append(SupportMessage(author_id=user.id, from_network=False, body=body, created_at=now))
    db.session.add(request)
    commit()
    for editor in network_members():
        if editor.id != user.id:
            notify(
                editor,
                "support_request",
                url=thread_path(request),
                name=user.display_name,
                organisation=need.organisation.name,
                title=need.title,
                subject=subject,
            )
    return request


def reply(user: User, request: SupportRequest, body: str) -> SupportMessage:
    """A message in the thread: from the network (an editor or administrator) or from a member of the need's
    organisation. Commits, then notifies the other side."""
    from_network = can_edit(user) and not _is_member(user, request.organisation_id)
    if not (from_network or _is_member(user, request.organisation_id)):
        raise NotFound(_("This support request does not exist or is not yours."))
    body = _check_body(body)
    now = utcnow()
    message = SupportMessage(
        request=request, author_id=user.id, from_network=from_network, body=body, created_at=now
    )
    db.session.add(message)
    request.last_message_at = now
    request.status = (SupportStatus.ANSWERED if from_network else SupportStatus.OPEN).value
    commit()
    _notify_other_side(user, request, message)
    return message


def _notify_other_side(author: User, request: SupportRequest, message: SupportMessage) -> None:
    network_wrote = {m.author_id for m in request.messages if m.from_network and m.author_id is not None}
    if message.from_network:
        members = {m.author_id for m in request.messages if not m.from_network and m.author_id is not None}
        recipients = [db.session.get(User, member_id) for member_id in sorted(members)]
        recipients = [
            u for u in recipients if u is not None and u.active and _is_member(u, request.organisation_id)
        ]
        for recipient in recipients:
            notify(recipient, "support_answer", url=thread_path(request), title=request.need.title)
        return
    editors = [u for u in network_members() if u.id in network_wrote] or network_members()
    for editor in editors:
        if editor.id != author.id:
            notify(
                editor,
                "support_follow_up",
                url=thread_path(request),
                name=author.display_name,
                organisation=request.organisation.name,
                title=request.need.title,
            )


def set_closed(user: User, request: SupportRequest, closed: bool) -> SupportRequest:
    """Close a request (it is answered well enough) or open it again; members and the network may."""
    if not may_read(user, request):
        raise NotFound(_("This support request does not exist or is not yours."))
    if closed:
        request.status = SupportStatus.CLOSED.value
    elif request.status == SupportStatus.CLOSED:
        last = request.messages[-1] if request.messages else None
        request.status = (SupportStatus.ANSWERED if last and last.from_network else SupportStatus.OPEN).value
    commit()
    return request


@personal_data_exporter("support_messages")
def _export_messages(user: User) -> list[dict]:
    """What the user wrote in support requests (personal data export)."""
    messages = db.session.scalars(
        sa.select(SupportMessage).where(SupportMessage.author_id == user.id).order_by(SupportMessage.id)
    ).all()
    return [
        {
            "request": message.request.subject,
            "need": message.request.need.title,
            "as_knowledge_network": message.from_network,
            "body": message.body,
            "written_at": message.created_at,
        }
        for message in messages
    ]
