"""Meeting requests between the participants of an event.

A participant sends a request with a short message; the other side accepts or declines it; the sender can
cancel it while it is pending. Requests are answered until the organizer's deadline; `expire_overdue` marks
the unanswered ones expired afterwards, and `send_expiry_reminders` warns recipients the day before.
A pending request never reserves a slot: the scheduler places meetings later. When both sides ask each other,
the pair is "mutual" and ranks highest.

Concurrency: answers and cancellations are conditional UPDATEs (`... WHERE status = 'pending'`) whose row
count says who won, so a simultaneous accept and cancel leave exactly one of them applied. A partial unique
index keeps at most one open (pending or accepted) request per ordered pair, and the sender's registration
row is locked (SELECT ... FOR UPDATE) while their number of open requests is checked.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from matchmaker import links
from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    EventStatus,
    Match,
    MeetingRequest,
    Need,
    Offering,
    ParticipantRole,
    Registration,
    RegistrationStatus,
    RequestStatus,
    User,
    utcnow,
)
from matchmaker.services import NotAllowed, ServiceError, commit
from matchmaker.services.event_rules import TZ, event_path, local_now, requests_are_open
from matchmaker.services.notifications import notify, register_kind
from matchmaker.services.registrations import registration_of

MAX_MESSAGE_LENGTH = 1000
REMINDER_BEFORE = timedelta(hours=24)
# Statuses in which a request still counts as "this person wants to meet" (for mutual pairs).
WANTING = (RequestStatus.PENDING, RequestStatus.ACCEPTED)


class NotAParticipant(NotAllowed):
    """The user has no approved registration for the event (the web answers 403)."""


def _my_registration(user: User, event: Event) -> Registration:
    registration = registration_of(user, event)
    if registration is None or registration.status != RegistrationStatus.APPROVED:
        raise NotAParticipant(_("Only approved participants of this event send and answer meeting requests."))
    return registration


def _deadline_text(event: Event) -> str:
    if not event.request_deadline:
        return ""
    return format_datetime(event.request_deadline.replace(tzinfo=TZ), "medium")


def _check_open(event: Event) -> None:
    if requests_are_open(event):
        return
    if event.request_deadline and local_now() >= event.request_deadline:
        raise ServiceError(
            _("The deadline for meeting requests (%(deadline)s) has passed.", deadline=_deadline_text(event))
        )
    raise ServiceError(_("Meeting requests are closed for this event."))


def _sides(sender: Registration, recipient: Registration) -> tuple[Registration, Registration]:
    """(buyer, supplier) of a request between two registrations of different roles."""
    return (sender, recipient) if sender.role == ParticipantRole.BUYER else (recipient, sender)


def request_items(
    user: User,
    sender: Registration,
    recipient: Registration,
    offering_id: int | None = None,
    need_id: int | None = None,
) -> tuple[Need | None, Offering | None]:
    """The need and offering a request will be about, from the ids its form carries (the page it was asked
    from): the offering must be one of the supplier's organisation, the need one of the buyer's, and the
    sender must be allowed to see them. When only one is given, the other is the one of the other side's
    items at the event that matches it best (as `pair_context` shows it), so the recipient sees the pair the
    sender saw. `ServiceError` otherwise; an unknown id gets the same answer as an invisible one, so the
    form tells nothing about items the sender may not see."""
    from matchmaker.services.catalogue import can_view

    buyer, supplier = _sides(sender, recipient)
    offering = db.session.get(Offering, offering_id) if offering_id else None
    need = db.session.get(Need, need_id) if need_id else None
    if offering_id and (
        offering is None
        or offering.organisation_id != supplier.organisation_id
        or not can_view(user, offering)
    ):
        raise ServiceError(
            _(
                "A meeting request can be about an offering of %(organisation)s only, one you may see.",
                organisation=supplier.organisation_name,
            )
        )
    if need_id and (
        need is None or need.organisation_id != buyer.organisation_id or not can_view(user, need)
    ):
        raise ServiceError(
            _(
                "A meeting request can be about a need of %(organisation)s only, one you may see.",
                organisation=buyer.organisation_name,
            )
        )
    if (need is None) != (offering is None):
        context = pair_context(sender, recipient, str(user.language or "en"), need=need, offering=offering)
        need, offering = context.need, context.offering
    return need, offering


def send_request(
    user: User,
    event: Event,
    to_registration_id: int,
    message: str = "",
    offering_id: int | None = None,
    need_id: int | None = None,
) -> MeetingRequest:
    """Send a request; `offering_id` and `need_id` (optional) say what it is about (`request_items`)."""
    sender = _my_registration(user, event)
    _check_open(event)
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE_LENGTH:
        raise ServiceError(_("Keep your message under %(max)s characters.", max=MAX_MESSAGE_LENGTH))
    recipient = db.session.get(Registration, to_registration_id)
    if recipient is not None and recipient.id == sender.id:
        raise ServiceError(_("You cannot send a meeting request to yourself."))
    if recipient is None or recipient.event_id != event.id or recipient.status != RegistrationStatus.APPROVED:
        raise ServiceError(_("This person is not a registered participant of this event."))
    if recipient.role == sender.role:
        raise ServiceError(_("Meetings at this event are between a buyer and a supplier."))
    need, offering = request_items(user, sender, recipient, offering_id, need_id)
    # Serialize this sender's requests, so the open-request limit holds under concurrency.
    db.session.execute(sa.select(Registration.id).where(Registration.id == sender.id).with_for_update())
    previous = db.session.scalars(
        sa.select(MeetingRequest).where(
            MeetingRequest.from_registration_id == sender.id,
            MeetingRequest.to_registration_id == recipient.id,
        )
    ).all()
    name = recipient.user.display_name
    if any(r.status in (RequestStatus.PENDING, RequestStatus.ACCEPTED) for r in previous):
        raise ServiceError(_("You already sent a meeting request to %(name)s.", name=name))
    if any(r.status == RequestStatus.DECLINED for r in previous):
        raise ServiceError(_("%(name)s declined your earlier request; you cannot ask again.", name=name))
    open_count = db.session.scalar(
        sa.select(sa.func.count(MeetingRequest.id)).where(
            MeetingRequest.from_registration_id == sender.id, MeetingRequest.status == RequestStatus.PENDING
        )
    )
    if open_count >= event.max_open_requests:
        raise ServiceError(
            _(
                "You have %(count)s unanswered requests, the most this event allows. Wait for answers or "
                "cancel one first.",
                count=open_count,
            )
        )
    request = MeetingRequest(
        event_id=event.id,
        from_registration_id=sender.id,
        to_registration_id=recipient.id,
        message=message,
        need_id=need.id if need is not None else None,
        offering_id=offering.id if offering is not None else None,
    )
    db.session.add(request)
    commit(_("You already sent a meeting request to %(name)s.", name=name))
    url = request_path(request)
    mail_context = request_mail_context(request, recipient.user)
    about = mail_context["context"]
    items = (
        {"need": about.need.title, "offering": about.offering.title}
        if about.need is not None and about.offering is not None
        else {}
    )
    notify(
        recipient.user,
        "request_received_about" if items else "request_received",
        url=url,
        mail_context=mail_context,
        name=user.display_name,
        organisation=sender.organisation_name,
        event=event.title,
        **items,
    )
    return request


# The notification says what the request is about where the two sides brought a need and an offering
# (its page and mail add the match score in words, its reasons and the message).
register_kind(
    "request_received_about",
    _l(
        "%(name)s (%(organisation)s) asks you for a meeting at %(event)s about “%(offering)s” and “%(need)s”."
    ),
    "meeting_request",
)


# --- what a request is about -----------------------------------------------------------------------------

REASONS_SHOWN = 3


@dataclass
class RequestContext:
    """What a request is about, for the recipient's page and mail: the need and the offering it was made
    about (else those of the two sides that match best), the match score in words and its first reasons
    (empty when the matching has no score for the pair)."""

    need: Need | None
    offering: Offering | None
    score: float | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def percent(self) -> int | None:
        from matchmaker.services.matching import percent

        return None if self.score is None else percent(self.score)

    @property
    def strength(self) -> str | None:
        from matchmaker.services.matching import score_strength

        return None if self.score is None else score_strength(self.score)

    @property
    def strength_words(self) -> str:
        words = {"strong": _("a strong match"), "fair": _("a fair match"), "weak": _("a weak match")}
        return words.get(self.strength or "", "")


def request_context(request: MeetingRequest, language: str) -> RequestContext:
    """The need and offering the request was made about, with the matching's explanation for the pair (the
    stored one of an answered match, else the served index's), in `language`. A request that recorded only
    one of them (the other was deleted) shows it with the other side's best match for it; one that recorded
    neither (made from the participant list, or both deleted), the best-matching pair of the buyer's needs
    and the supplier's offerings at the event. Without any scored pair: the first need and offering, and no
    score."""
    return pair_context(
        request.from_registration,
        request.to_registration,
        language,
        need=request.need,
        offering=request.offering,
    )


def pair_context(
    sender: Registration,
    recipient: Registration,
    language: str,
    need: Need | None = None,
    offering: Offering | None = None,
) -> RequestContext:
    """`request_context` of a request not sent yet: what the new-request form shows the sender, the same
    the recipient will see with the request. A given `need` or `offering` is the only candidate of its side
    (the recorded or chosen one comes first, whatever scores higher)."""
    from matchmaker.services.matching import explanation_datas, localize

    buyer, supplier = _sides(sender, recipient)
    needs = [need] if need is not None else [i for i in buyer.shown_items if isinstance(i, Need)]
    offerings = (
        [offering] if offering is not None else [i for i in supplier.shown_items if isinstance(i, Offering)]
    )
    first = RequestContext(needs[0] if needs else None, offerings[0] if offerings else None)
    if not needs or not offerings:
        return first
    stored = {
        (m.need_id, m.offering_id): m
        for m in db.session.scalars(
            sa.select(Match).where(
                Match.need_id.in_([n.id for n in needs]), Match.offering_id.in_([o.id for o in offerings])
            )
        )
    }
    pairs = [
        (n.id, o.id, stored[(n.id, o.id)].score if (n.id, o.id) in stored else None)
        for n in needs
        for o in offerings
    ]
    datas = explanation_datas(pairs)
    for key, match in stored.items():
        if match.explanation and key not in datas:
            datas[key] = match.explanation
    if not datas:
        return first
    (need_id, offering_id), data = max(datas.items(), key=lambda kv: float(kv[1].get("score", 0.0)))
    explanation = localize(data, language)
    reasons = (
        [
            _(
                "Shared words: %(words)s",
                words=", ".join(str(t) for t in explanation.shared_terms[:REASONS_SHOWN]),
            )
        ]
        if explanation.shared_terms
        else []
    )
    if explanation.cpv:
        reasons.append(
            _("CPV codes: %(labels)s", labels=", ".join(c.label for c in explanation.cpv[:REASONS_SHOWN]))
        )
    if explanation.themes:
        reasons.append(
            _("Themes: %(names)s", names=", ".join(t.name for t in explanation.themes[:REASONS_SHOWN]))
        )
    return RequestContext(
        need=next(n for n in needs if n.id == need_id),
        offering=next(o for o in offerings if o.id == offering_id),
        score=explanation.score,
        reasons=reasons,
    )


def request_path(request: MeetingRequest) -> str:
    """The request on its event's requests page (received and sent requests carry the same anchor)."""
    return event_path(request.event, "requests") + f"#request-{request.id}"


def request_mail_context(request: MeetingRequest, reader: User) -> dict:
    """What the mails about a request add to their text (`email/meeting_request.txt`), for `reader`, its
    sender or its recipient: the other party and their organisation, the message, the need and offering with
    the match score and its reasons, in the reader's language, and whether the reader may still answer it."""
    sent = request.from_registration.user_id == reader.id
    other = request.to_registration if sent else request.from_registration
    language = reader.language
    with force_locale(language):
        context = request_context(request, language)
    return {
        "request": request,
        "context": context,
        "requests_url": links.absolute(request_path(request)),
        "sent_by_reader": sent,
        "may_answer": not sent and request.status == RequestStatus.PENDING,
        "other_name": other.user.display_name,
        "other_organisation": other.organisation_name,
    }


def get_request_for(user: User, event: Event, request_id: int) -> MeetingRequest | None:
    """The request if `user` sent or received it in this event; None otherwise (routes answer 404)."""
    request = db.session.get(MeetingRequest, request_id)
    if request is None or request.event_id != event.id:
        return None
    if user.id not in (request.from_registration.user_id, request.to_registration.user_id):
        return None
    return request


def _transition(request: MeetingRequest, from_statuses: tuple[str, ...], to_status: str) -> bool:
    """Move the request to `to_status` only if it is still in `from_statuses`; True if this call did it."""
    result = db.session.execute(
        sa.update(MeetingRequest)
        .where(MeetingRequest.id == request.id, MeetingRequest.status.in_(from_statuses))
        .values(status=to_status, responded_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    commit()
    db.session.refresh(request)
    return result.rowcount == 1


def _refusal_for(request: MeetingRequest) -> ServiceError:
    messages = {
        RequestStatus.ACCEPTED: _("This request was already accepted."),
        RequestStatus.DECLINED: _("This request was already declined."),
        RequestStatus.CANCELLED: _("The sender cancelled this request."),
        RequestStatus.EXPIRED: _("This request expired: the deadline for answers has passed."),
    }
    return ServiceError(messages.get(request.status, _("This request can no longer change.")))


def respond(user: User, request: MeetingRequest, accept: bool) -> MeetingRequest:
    """The recipient accepts or declines a pending request."""
    if request.to_registration.user_id != user.id:
        raise ServiceError(_("Only the person who received this request can answer it."))
    event = request.event
    if request.status == RequestStatus.PENDING and not requests_are_open(event):
        if event.request_deadline and local_now() >= event.request_deadline:
            _transition(request, (RequestStatus.PENDING,), RequestStatus.EXPIRED)
        raise (
            _refusal_for(request)
            if request.status != RequestStatus.PENDING
            else ServiceError(_("Meeting requests are closed for this event."))
        )
    target = RequestStatus.ACCEPTED if accept else RequestStatus.DECLINED
    if not _transition(request, (RequestStatus.PENDING,), target):
        raise _refusal_for(request)
    sender = request.from_registration.user
    notify(
        sender,
        "request_accepted" if accept else "request_declined",
        url=request_path(request),
        mail_context=request_mail_context(request, sender),
        name=user.display_name,
        event=event.title,
    )
    return request


def accept_request(user: User, request: MeetingRequest) -> MeetingRequest:
    return respond(user, request, accept=True)


def decline_request(user: User, request: MeetingRequest) -> MeetingRequest:
    return respond(user, request, accept=False)


def cancel_request(user: User, request: MeetingRequest) -> MeetingRequest:
    """The sender withdraws a request that has not been answered yet."""
    if request.from_registration.user_id != user.id:
        raise ServiceError(_("Only the sender can cancel this request."))
    if not _transition(request, (RequestStatus.PENDING,), RequestStatus.CANCELLED):
        raise _refusal_for(request)
    return request


# --- reading -----------------------------------------------------------------------------------------


def mutual_request_ids(event: Event) -> set[int]:
    """Ids of requests whose reverse request also exists, both still wanted (pending or accepted)."""
    forward = sa.orm.aliased(MeetingRequest)
    reverse = sa.orm.aliased(MeetingRequest)
    rows = db.session.execute(
        sa.select(forward.id)
        .join(
            reverse,
            sa.and_(
                reverse.from_registration_id == forward.to_registration_id,
                reverse.to_registration_id == forward.from_registration_id,
                reverse.status.in_(WANTING),
            ),
        )
        .where(forward.event_id == event.id, forward.status.in_(WANTING))
    ).scalars()
    return set(rows)


def count_mutual_pairs(event: Event) -> int:
    return len(mutual_request_ids(event)) // 2


@dataclass
class RequestView:
    request: MeetingRequest
    mutual: bool
    other: Registration
    context: RequestContext | None = None


def with_context(views: list[RequestView], language: str) -> list[RequestView]:
    """The views with what each request is about (`request_context`), for the page that shows them."""
    for view in views:
        view.context = request_context(view.request, language)
    return views


def _rank(view: RequestView) -> tuple:
    order = {RequestStatus.PENDING: 0, RequestStatus.ACCEPTED: 1}
    return (not view.mutual, order.get(view.request.status, 2), -view.request.created_at.timestamp())


def requests_of(registration: Registration) -> tuple[list[RequestView], list[RequestView]]:
    """(received, sent) requests of a participant, mutual ones first, then pending, then the rest."""
    mutual = mutual_request_ids(registration.event)
    requests = db.session.scalars(
        sa.select(MeetingRequest)
        .where(
            sa.or_(
                MeetingRequest.from_registration_id == registration.id,
                MeetingRequest.to_registration_id == registration.id,
            )
        )
        # The items each request is about (`with_context`): two queries for the page, not two per request.
        .options(selectinload(MeetingRequest.need), selectinload(MeetingRequest.offering))
    ).all()
    received, sent = [], []
    for r in requests:
        if r.to_registration_id == registration.id:
            received.append(RequestView(r, r.id in mutual, r.from_registration))
        else:
            sent.append(RequestView(r, r.id in mutual, r.to_registration))
    return sorted(received, key=_rank), sorted(sent, key=_rank)


def request_states_by_partner(registration: Registration) -> dict[int, dict[str, MeetingRequest]]:
    """For the participant list: per other registration id, the latest request sent ("sent") and received
    ("received")."""
    states: dict[int, dict[str, MeetingRequest]] = {}
    requests = db.session.scalars(
        sa.select(MeetingRequest)
        .where(
            sa.or_(
                MeetingRequest.from_registration_id == registration.id,
                MeetingRequest.to_registration_id == registration.id,
            )
        )
        .order_by(MeetingRequest.created_at)
    ).all()
    for r in requests:
        if r.from_registration_id == registration.id:
            states.setdefault(r.to_registration_id, {})["sent"] = r
        else:
            states.setdefault(r.from_registration_id, {})["received"] = r
    return states


def open_request_count(registration: Registration) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(MeetingRequest.id)).where(
                MeetingRequest.from_registration_id == registration.id,
                MeetingRequest.status == RequestStatus.PENDING,
            )
        )
        or 0
    )


# --- deadline ------------------------------------------------------------------------------------------


def expire_overdue(now: datetime | None = None) -> int:
    """Mark pending requests of events whose deadline has passed as expired (or whose agenda is out)."""
    now = now or local_now()
    overdue_events = sa.select(Event.id).where(
        sa.or_(
            sa.and_(Event.request_deadline.is_not(None), Event.request_deadline <= now),
            Event.status.in_((EventStatus.AGENDA_PUBLISHED, EventStatus.CLOSED)),
        )
    )
    result = db.session.execute(
        sa.update(MeetingRequest)
        .where(MeetingRequest.status == RequestStatus.PENDING, MeetingRequest.event_id.in_(overdue_events))
        .values(status=RequestStatus.EXPIRED, responded_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    commit()
    return result.rowcount or 0


def send_expiry_reminders(now: datetime | None = None, before: timedelta = REMINDER_BEFORE) -> int:
    """Remind recipients of pending requests whose deadline is less than `before` away. Each request is
    reminded once (reminder_sent_at), so running this again sends nothing new."""
    now = now or local_now()
    candidates = db.session.scalars(
        sa.select(MeetingRequest)
        .join(Event, Event.id == MeetingRequest.event_id)
        .where(
            MeetingRequest.status == RequestStatus.PENDING,
            MeetingRequest.reminder_sent_at.is_(None),
            Event.request_deadline.is_not(None),
            Event.request_deadline > now,
            Event.request_deadline <= now + before,
        )
    ).all()
    sent = 0
    for request in candidates:
        claimed = db.session.execute(
            sa.update(MeetingRequest)
            .where(MeetingRequest.id == request.id, MeetingRequest.reminder_sent_at.is_(None))
            .values(reminder_sent_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        commit()
        if not claimed:
            continue
        event = request.event
        recipient = request.to_registration.user
        notify(
            recipient,
            "request_expiring",
            url=request_path(request),
            mail_context=request_mail_context(request, recipient),
            name=request.from_registration.user.display_name,
            event=event.title,
            deadline=event.request_deadline.strftime("%d/%m/%Y %H:%M"),
        )
        sent += 1
    return sent
