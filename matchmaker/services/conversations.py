"""Conversations: a user writes to the organisation behind a need or an offering, and the other side answers.

Who may do what:
- a member of an organisation starts a conversation about a need or an offering of another organisation that
  is public (published offering, open need; registered-only needs count, since writing needs a login), unless
  either organisation is suspended or the item's organisation blocked the user;
- the members of both organisations share the conversation: they read it and reply; anyone else gets
  `NotFound` (the web answers 404), except platform administrators, who may read a conversation once a
  participant reported it (and never reply);
- an organisation blocks a user of the other side from writing to it; any participant reports a conversation.

Starting again about the same item continues the organisation's existing conversation (one per organisation
and item, kept by a unique constraint). Each user may start CONVERSATIONS_PER_DAY conversations (questions
about needs count too) and write MESSAGES_PER_DAY messages in 24 hours (counted in the database, so every
process agrees; the routes add a per-minute limit of their own).

Procurement: a buyer may choose per need that questions are answered publicly (`Need.public_questions`), as
a prior market consultation must give every market player the same information. Questions then go to
`NeedQuestion`; the answered ones are shown on the need's page without the asker's name. Private
conversations about the need stay possible where the buyer allows them beside the public questions
(`Need.private_conversations`); otherwise they are refused with the reason. The three choices are
QUESTION_MODES; answers already published stay on the page when the buyer goes back to private questions,
since withdrawing them would leave the market players who did not ask with less than those who did.

A new message notifies the members of the other organisation (kind "conversation_message"), by mail as each
of them chose in their notification settings.
"""

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matchmaker import links
from matchmaker.extensions import db
from matchmaker.models import (
    Conversation,
    ConversationBlock,
    ConversationRead,
    ConversationReport,
    Message,
    Need,
    NeedQuestion,
    NeedStatus,
    Notification,
    Offering,
    OfferingStatus,
    Organisation,
    Role,
    User,
    utcnow,
)
from matchmaker.models.conversations import BODY_MAX
from matchmaker.services import Invalid, NotAllowed, NotFound, Refusal, commit
from matchmaker.services.accounts import active_members
from matchmaker.services.notifications import notify, register_kind
from matchmaker.textutil import one_line

CONVERSATIONS_PER_DAY = 20
MESSAGES_PER_DAY = 200
EXCERPT_LENGTH = 300
REASON_MAX = 2000

register_kind(
    "conversation_message",
    _l("%(name)s (%(organisation)s) wrote to you about %(title)s."),
    email_template="conversation_message",
)
register_kind(
    "need_question",
    _l("Someone asked a question about %(title)s. Answer it on the need's page: the answer is public."),
)
register_kind("need_question_answered", _l("%(organisation)s answered your question about %(title)s."))


class TooMany(Refusal):
    """The user reached the daily number of conversations or messages."""


# How market players may ask about a need (`set_question_mode`): (public_questions, private_conversations).
QUESTION_MODES = {"private": (False, True), "public": (True, False), "both": (True, True)}


def question_mode(need: Need) -> str:
    """The need's QUESTION_MODES key (a need that takes private conversations only by default)."""
    if need.public_questions:
        return "both" if need.private_conversations else "public"
    return "private"


def equal_treatment_reason() -> str:
    """Why a need with public questions refuses private conversations (shown in the interface)."""
    return _(
        "The buyer answers questions about this need publicly, on this page, so that every market player "
        "gets the same information: a prior market consultation must treat everyone equally. Ask your "
        "question below; the other visitors do not see who asked it."
    )


# --- who may do what -----------------------------------------------------------------------------------


def _organisation(user: User | None) -> Organisation | None:
    return user.organisation if user is not None else None


def _is_participant(user: User | None, conversation: Conversation) -> bool:
    organisation = _organisation(user)
    return organisation is not None and organisation.id in (
        conversation.starter_organisation_id,
        conversation.recipient_organisation_id,
    )


def is_reported(conversation: Conversation) -> bool:
    return db.session.scalar(
        sa.select(sa.exists().where(ConversationReport.conversation_id == conversation.id))
    )


def may_read(user: User | None, conversation: Conversation) -> bool:
    if _is_participant(user, conversation):
        return True
    return user is not None and user.has_role(Role.ADMIN) and is_reported(conversation)


def get_conversation(user: User | None, conversation_id: int) -> Conversation:
    """The conversation if the user may read it; `NotFound` otherwise (also for administrators, unless it
    was reported)."""
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None or not may_read(user, conversation):
        raise NotFound(_("This conversation does not exist or is not yours."))
    return conversation


def is_blocked(organisation_id: int, user_id: int) -> bool:
    return db.session.scalar(
        sa.select(
            sa.exists().where(
                ConversationBlock.organisation_id == organisation_id,
                ConversationBlock.blocked_user_id == user_id,
            )
        )
    )


def why_not_start(user: User | None, item: Need | Offering, blocked_by: set[int] | None = None) -> str | None:
    """None if the user may write to the organisation of `item` about it, else the reason (translated).
    `blocked_by`: the ids of the organisations that blocked the user, when a page decides for many items."""
    organisation = _organisation(user)
    if organisation is None:
        return _("Join or register an organisation to write to other organisations.")
    if organisation.id == item.organisation_id:
        return _("This is an item of your own organisation.")
    if organisation.is_suspended:
        return _("Your organisation is suspended: it cannot write to other organisations.")
    if isinstance(item, Need):
        if item.status != NeedStatus.OPEN or not item.is_public:
            return _("This need is not open: its organisation does not take questions about it.")
        if not item.private_conversations:
            return equal_treatment_reason()
    elif item.status != OfferingStatus.PUBLISHED or not item.is_public:
        return _("This offering is not published.")
    if (
        item.organisation_id in blocked_by
        if blocked_by is not None
        else is_blocked(item.organisation_id, user.id)
    ):
        return _("%(organisation)s does not accept your messages.", organisation=item.organisation.name)
    return None


def _check_body(body: str | None) -> str:
    body = (body or "").replace("\x00", "").strip()
    if not body:
        raise Invalid({"body": _("Write a message.")})
    if len(body) > BODY_MAX:
        raise Invalid({"body": _("Keep your message under %(max)s characters.", max=BODY_MAX)})
    return body


def _lock_user(user: User) -> None:
    """Serialize one user's writes, so the daily limits hold under concurrency (PostgreSQL; SQLite writes one
    at a time anyway)."""
    db.session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())


def _since() -> datetime:
    return utcnow() - timedelta(days=1)


def _check_new_conversation_limit(user: User) -> None:
    started = db.session.scalar(
        sa.select(sa.func.count(Conversation.id)).where(
            Conversation.created_by_id == user.id, Conversation.created_at >= _since()
        )
    )
    asked = db.session.scalar(
        sa.select(sa.func.count(NeedQuestion.id)).where(
            NeedQuestion.asked_by_id == user.id, NeedQuestion.created_at >= _since()
        )
    )
    if started + asked >= CONVERSATIONS_PER_DAY:
        raise TooMany(
            _(
                "You started %(count)s conversations or questions in the last 24 hours, the most the "
                "platform allows. Please try again tomorrow.",
                count=started + asked,
            )
        )


def _check_message_limit(user: User) -> None:
    written = db.session.scalar(
        sa.select(sa.func.count(Message.id)).where(
            Message.author_id == user.id, Message.created_at >= _since()
        )
    )
    if written >= MESSAGES_PER_DAY:
        raise TooMany(
            _(
                "You wrote %(count)s messages in the last 24 hours, the most the platform allows. Please try "
                "again tomorrow.",
                count=written,
            )
        )


# --- writing -------------------------------------------------------------------------------------------


def _existing(organisation: Organisation, item: Need | Offering) -> Conversation | None:
    column = Conversation.need_id if isinstance(item, Need) else Conversation.offering_id
    return db.session.scalar(
        sa.select(Conversation).where(
            Conversation.starter_organisation_id == organisation.id, column == item.id
        )
    )


def start_conversation(user: User, item: Need | Offering, body: str) -> Conversation:
    """Write to the organisation of `item` about it; continues this organisation's conversation about the
    item if there is one. Commits and notifies the other side."""
    reason = why_not_start(user, item)
    if reason is not None:
        raise NotAllowed(reason)
    body = _check_body(body)
    organisation = user.organisation
    _lock_user(user)
    conversation = _existing(organisation, item)
    if conversation is None:
        _check_new_conversation_limit(user)
        conversation = Conversation(
            starter_organisation_id=organisation.id,
            recipient_organisation_id=item.organisation_id,
            need_id=item.id if isinstance(item, Need) else None,
            offering_id=item.id if isinstance(item, Offering) else None,
            created_by_id=user.id,
        )
        db.session.add(conversation)
    _add_message(user, conversation, body)
    return conversation


def reply(user: User, conversation: Conversation, body: str) -> Message:
    """A message of a participant in the conversation. Commits and notifies the other side."""
    if not _is_participant(user, conversation):
        raise NotFound(_("This conversation does not exist or is not yours."))
    organisation = user.organisation
    other = conversation.other_organisation(organisation.id)
    if organisation.is_suspended:
        raise NotAllowed(_("Your organisation is suspended: it cannot write to other organisations."))
    if is_blocked(other.id, user.id):
        raise NotAllowed(_("%(organisation)s does not accept your messages.", organisation=other.name))
    body = _check_body(body)
    _lock_user(user)
    return _add_message(user, conversation, body)


def _add_message(user: User, conversation: Conversation, body: str) -> Message:
    _check_message_limit(user)
    now = utcnow()
    message = Message(
        conversation=conversation,
        author_id=user.id,
        author_organisation_id=user.organisation.id,
        body=body,
        created_at=now,
    )
    db.session.add(message)
    conversation.last_message_at = now
    db.session.flush()
    _set_read(user, conversation, message.id)
    commit(
        _("Someone of your organisation started this conversation at the same moment. Please send it again.")
    )
    _notify_other_side(user, conversation, message)
    return message


def excerpt(body: str, length: int = EXCERPT_LENGTH) -> str:
    text = one_line(body)
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def thread_path(conversation: Conversation) -> str:
    return links.path("conversations.thread", conversation_id=conversation.id)


def item_path(item: Need | Offering) -> str:
    if isinstance(item, Need):
        return links.path("catalogue.need", need_id=item.id)
    return links.path("catalogue.offering", offering_id=item.id)


def _notify_other_side(author: User, conversation: Conversation, message: Message) -> None:
    other = conversation.other_organisation(author.organisation.id)
    subject = conversation.subject
    for member in active_members(other.id):
        notify(
            member,
            "conversation_message",
            url=thread_path(conversation),
            name=author.display_name,
            organisation=author.organisation.name,
            title=subject.title,
            excerpt=excerpt(message.body),
            item_url=links.external_url(
                "catalogue.need" if isinstance(subject, Need) else "catalogue.offering",
                **({"need_id": subject.id} if isinstance(subject, Need) else {"offering_id": subject.id}),
            ),
        )


# --- reading -------------------------------------------------------------------------------------------


def _set_read(user: User, conversation: Conversation, message_id: int) -> None:
    state = db.session.get(ConversationRead, (conversation.id, user.id))
    if state is None:
        state = ConversationRead(conversation_id=conversation.id, user_id=user.id, last_read_message_id=0)
        db.session.add(state)
    if message_id > state.last_read_message_id:
        state.last_read_message_id = message_id
        state.read_at = utcnow()


def mark_read(user: User, conversation: Conversation) -> None:
    """The participant saw every message (and the notifications about this conversation). Commits."""
    if not _is_participant(user, conversation):
        return
    last = db.session.scalar(
        sa.select(sa.func.max(Message.id)).where(Message.conversation_id == conversation.id)
    )
    if last is not None:
        _set_read(user, conversation, last)
    db.session.execute(
        sa.update(Notification)
        .where(
            Notification.user_id == user.id,
            Notification.url == thread_path(conversation),
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
    )
    commit()


# One alias for every query (the menu counts unread messages on every page): an alias made per call cost
# 0.3 ms of CPU to adapt its columns again, the query's own price.
_READ = sa.orm.aliased(ConversationRead)


def _unread_messages(organisation_id):
    """SELECT condition pieces: messages of the other side after the user's read position."""
    read = _READ
    return read, sa.and_(
        Message.author_organisation_id != organisation_id,
        Message.id > sa.func.coalesce(read.last_read_message_id, 0),
    )


def _of_organisation(organisation_id: int):
    return sa.or_(
        Conversation.starter_organisation_id == organisation_id,
        Conversation.recipient_organisation_id == organisation_id,
    )


def unread_total(user: User | None) -> int:
    """Unread messages in the conversations of the user's organisation."""
    organisation = _organisation(user)
    if organisation is None:
        return 0
    parameters = {"user_id": user.id, "organisation_id": organisation.id}
    return db.session.scalar(unread_total_query(), parameters) or 0


@functools.cache
def unread_total_query() -> sa.Select:
    """unread_total's count for the user `user_id` of the organisation `organisation_id`, for the menu of
    every page: built once."""
    user_id = sa.bindparam("user_id", type_=sa.Integer)
    organisation_id = sa.bindparam("organisation_id", type_=sa.Integer)
    read, unread = _unread_messages(organisation_id)
    return (
        sa.select(sa.func.count(Message.id))
        .join(Conversation, Conversation.id == Message.conversation_id)
        .outerjoin(read, sa.and_(read.conversation_id == Conversation.id, read.user_id == user_id))
        .where(_of_organisation(organisation_id), unread)
    )


@dataclass
class Thread:
    conversation: Conversation
    other: Organisation
    subject: Need | Offering
    unread: int

    @property
    def last_message_at(self) -> datetime:
        return self.conversation.last_message_at


def threads_of(user: User) -> list[Thread]:
    """The conversations of the user's organisation, latest first, with the user's unread counts."""
    organisation = _organisation(user)
    if organisation is None:
        return []
    read, unread = _unread_messages(organisation.id)
    counts = (
        sa.select(sa.func.count(Message.id))
        .outerjoin(read, sa.and_(read.conversation_id == Message.conversation_id, read.user_id == user.id))
        .where(Message.conversation_id == Conversation.id, unread)
        .correlate(Conversation)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Conversation, counts)
        .where(_of_organisation(organisation.id))
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
    ).all()
    return [
        Thread(
            conversation, conversation.other_organisation(organisation.id), conversation.subject, count or 0
        )
        for conversation, count in rows
    ]


def pair_conversations(
    organisation_id: int, pairs: Iterable[tuple[Need, Offering]]
) -> dict[tuple[int, int], Conversation]:
    """Per (need id, offering id) of `pairs` (each with an item of the organisation): the conversation the
    pair's two organisations already have about one of its items, the buyer's about the offering or the
    supplier's about the need, the latest if both. A mutual match then opens it instead of starting a
    second thread beside it; another organisation's thread about the same item is not the pair's. One
    query for a page of pairs."""
    pairs = list(pairs)
    if not pairs:
        return {}
    found = db.session.scalars(
        sa.select(Conversation)
        .where(
            _of_organisation(organisation_id),
            sa.or_(
                Conversation.need_id.in_({need.id for need, _offering in pairs}),
                Conversation.offering_id.in_({offering.id for _need, offering in pairs}),
            ),
        )
        .order_by(Conversation.last_message_at, Conversation.id)
    )
    by_subject = {}
    for conversation in found:  # the latest last
        subject = (
            ("need", conversation.need_id) if conversation.need_id else ("offering", conversation.offering_id)
        )
        by_subject[subject, conversation.starter_organisation_id] = conversation
    out = {}
    for need, offering in pairs:
        about_need = by_subject.get((("need", need.id), offering.organisation_id))
        about_offering = by_subject.get((("offering", offering.id), need.organisation_id))
        candidates = [c for c in (about_need, about_offering) if c is not None]
        if candidates:
            out[need.id, offering.id] = max(candidates, key=lambda c: (c.last_message_at, c.id))
    return out


# --- abuse: blocking and reporting ---------------------------------------------------------------------


def blockable_senders(user: User, conversation: Conversation) -> list[tuple[User, bool]]:
    """The users of the other side who wrote in the conversation, each with whether the user's organisation
    blocked them."""
    if not _is_participant(user, conversation):
        return []
    own = user.organisation.id
    authors = db.session.scalars(
        sa.select(User)
        .join(Message, Message.author_id == User.id)
        .where(Message.conversation_id == conversation.id, Message.author_organisation_id != own)
        .distinct()
        .order_by(User.id)
    ).all()
    return [(author, is_blocked(own, author.id)) for author in authors]


def _sender_in(user: User, conversation: Conversation, sender_id: int) -> User:
    for sender, _blocked in blockable_senders(user, conversation):
        if sender.id == sender_id:
            return sender
    raise NotFound(_("This person did not write to you in this conversation."))


def block_sender(user: User, conversation: Conversation, sender_id: int) -> User:
    """The user's organisation no longer accepts messages from this sender (of the other side). Commits."""
    if not _is_participant(user, conversation):
        raise NotFound(_("This conversation does not exist or is not yours."))
    sender = _sender_in(user, conversation, sender_id)
    if not is_blocked(user.organisation.id, sender.id):
        db.session.add(
            ConversationBlock(
                organisation_id=user.organisation.id, blocked_user_id=sender.id, blocked_by_id=user.id
            )
        )
        commit(_("This person is blocked already."))
    return sender


def unblock_sender(user: User, conversation: Conversation, sender_id: int) -> User:
    if not _is_participant(user, conversation):
        raise NotFound(_("This conversation does not exist or is not yours."))
    sender = _sender_in(user, conversation, sender_id)
    db.session.execute(
        sa.delete(ConversationBlock).where(
            ConversationBlock.organisation_id == user.organisation.id,
            ConversationBlock.blocked_user_id == sender.id,
        )
    )
    commit()
    return sender


def report_conversation(user: User, conversation: Conversation, reason: str) -> ConversationReport:
    """Ask the administrators to look at the conversation; from now on they may read it. Commits."""
    if not _is_participant(user, conversation):
        raise NotFound(_("This conversation does not exist or is not yours."))
    reason = (reason or "").replace("\x00", "").strip()
    if not reason:
        raise Invalid({"reason": _("Say what is wrong with this conversation.")})
    if len(reason) > REASON_MAX:
        raise Invalid({"reason": _("Keep the reason under %(max)s characters.", max=REASON_MAX)})
    report = ConversationReport(conversation_id=conversation.id, reporter_id=user.id, reason=reason)
    db.session.add(report)
    commit()
    return report


def reports_of(conversation: Conversation) -> list[ConversationReport]:
    return list(
        db.session.scalars(
            sa.select(ConversationReport)
            .where(ConversationReport.conversation_id == conversation.id)
            .order_by(ConversationReport.created_at)
        )
    )


def reported_conversations(user: User) -> list[tuple[Conversation, int, bool]]:
    """For administrators: each reported conversation, its number of reports and whether all are handled."""
    if not user.has_role(Role.ADMIN):
        raise NotAllowed(_("Only administrators see reported conversations."))
    rows = db.session.execute(
        sa.select(
            Conversation,
            sa.func.count(ConversationReport.id),
            sa.func.count(ConversationReport.id) - sa.func.count(ConversationReport.handled_at),
            sa.func.max(ConversationReport.created_at),
        )
        .join(ConversationReport, ConversationReport.conversation_id == Conversation.id)
        .group_by(Conversation.id)
        .order_by(sa.func.max(ConversationReport.created_at).desc())
    ).all()
    return [(conversation, count, open_count == 0) for conversation, count, open_count, _latest in rows]


def mark_reports_handled(user: User, conversation: Conversation) -> int:
    if not user.has_role(Role.ADMIN):
        raise NotAllowed(_("Only administrators handle reports."))
    result = db.session.execute(
        sa.update(ConversationReport)
        .where(ConversationReport.conversation_id == conversation.id, ConversationReport.handled_at.is_(None))
        .values(handled_at=utcnow(), handled_by_id=user.id)
    )
    commit()
    return result.rowcount or 0


# --- public questions on a need ------------------------------------------------------------------------


def set_question_mode(user: User, need: Need, mode: str) -> None:
    """The buyer chooses how market players ask about the need: privately ("private"), publicly
    ("public") or both ("both"), as QUESTION_MODES. No choice turns both off: a need nobody may ask about
    would shut the buyer off from the market it consults. Commits."""
    organisation = _organisation(user)
    if organisation is None or organisation.id != need.organisation_id:
        raise NotAllowed(_("Only members of the organisation that owns this need can change this."))
    if mode not in QUESTION_MODES:
        raise Invalid({"mode": _("Choose how market players may ask their questions.")})
    need.public_questions, need.private_conversations = QUESTION_MODES[mode]
    commit()


def why_not_ask(user: User | None, need: Need) -> str | None:
    organisation = _organisation(user)
    if not need.public_questions:
        return _("This need takes no public questions.")
    if organisation is None:
        return _("Join or register an organisation to ask a question.")
    if organisation.id == need.organisation_id:
        return _("This is a need of your own organisation.")
    if organisation.is_suspended:
        return _("Your organisation is suspended: it cannot write to other organisations.")
    if need.status != NeedStatus.OPEN or not need.is_public:
        return _("This need is not open: its organisation does not take questions about it.")
    if is_blocked(need.organisation_id, user.id):
        return _("%(organisation)s does not accept your messages.", organisation=need.organisation.name)
    return None


def ask_question(user: User, need: Need, text: str) -> NeedQuestion:
    reason = why_not_ask(user, need)
    if reason is not None:
        raise NotAllowed(reason)
    text = _check_body(text)
    _lock_user(user)
    _check_new_conversation_limit(user)
    question = NeedQuestion(
        need_id=need.id, asked_by_id=user.id, asker_organisation_id=user.organisation.id, question=text
    )
    db.session.add(question)
    commit()
    for member in active_members(need.organisation_id):
        notify(member, "need_question", url=item_path(need) + "#questions", title=need.title)
    return question


def get_question(user: User | None, question_id: int) -> NeedQuestion:
    """A question the user may answer (a member of the need's organisation); `NotFound` otherwise."""
    question = db.session.get(NeedQuestion, question_id)
    organisation = _organisation(user)
    if question is None or organisation is None or organisation.id != question.need.organisation_id:
        raise NotFound(_("This question does not exist or is not yours to answer."))
    return question


def answer_question(user: User, question: NeedQuestion, text: str) -> NeedQuestion:
    organisation = _organisation(user)
    if organisation is None or organisation.id != question.need.organisation_id:
        raise NotFound(_("This question does not exist or is not yours to answer."))
    text = _check_body(text)
    question.answer = text
    question.answered_by_id = user.id
    question.answered_at = utcnow()
    commit()
    asker = db.session.get(User, question.asked_by_id) if question.asked_by_id else None
    if asker is not None and asker.active:
        notify(
            asker,
            "need_question_answered",
            url=item_path(question.need) + "#questions",
            organisation=organisation.name,
            title=question.need.title,
        )
    return question


def answered_questions(need: Need) -> list[NeedQuestion]:
    return list(
        db.session.scalars(
            sa.select(NeedQuestion)
            .where(NeedQuestion.need_id == need.id, NeedQuestion.answer.is_not(None))
            .order_by(NeedQuestion.answered_at, NeedQuestion.id)
        )
    )


def open_questions(user: User | None, need: Need) -> list[NeedQuestion]:
    """Unanswered questions: all of them for the need's organisation, the user's own for anyone else."""
    organisation = _organisation(user)
    if organisation is None:
        return []
    query = sa.select(NeedQuestion).where(NeedQuestion.need_id == need.id, NeedQuestion.answer.is_(None))
    if organisation.id != need.organisation_id:
        query = query.where(NeedQuestion.asked_by_id == user.id)
    return list(db.session.scalars(query.order_by(NeedQuestion.created_at, NeedQuestion.id)))
