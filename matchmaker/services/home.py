"""The home page: for a visitor, what can be found on the platform right now (figures); for a logged-in
user, what to do next for their role(s) (next_steps), in a handful of counting queries."""

import time
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    EventStaff,
    EventStatus,
    Meeting,
    MeetingOutcome,
    MeetingRequest,
    Need,
    NeedQuestion,
    Offering,
    Organisation,
    Registration,
    RegistrationStatus,
    RequestStatus,
    Role,
    Slot,
    StaffRole,
    Verification,
)
from matchmaker.models.catalogue import NeedStatus, OfferingStatus
from matchmaker.models.organisation import not_suspended
from matchmaker.services import admin as admin_service
from matchmaker.services import conversations, event_team, matching
from matchmaker.services import events as events_service
from matchmaker.services.event_rules import local_now
from matchmaker.services.outcomes import round_after


@dataclass(frozen=True)
class HomeFigures:
    offerings: int
    needs: int
    upcoming_count: int
    upcoming_events: list


def home_figures(logged_in: bool, event_limit: int = 3) -> HomeFigures:
    """Published offerings, open needs and the next public events (two counts and one listing).

    Needs shown to registered users only are counted for logged-in readers only, as the browse page does.
    Each process keeps the two counts for HOME_FIGURES_SECONDS: counting 50,000 items took 40 ms of the
    database on every visit of the home page, for figures nobody needs to the second."""
    offerings, needs = _counts(logged_in)
    upcoming = events_service.list_public_events().upcoming
    return HomeFigures(
        offerings=offerings,
        needs=needs,
        upcoming_count=len(upcoming),
        upcoming_events=list(upcoming[:event_limit]),
    )


def _counts(logged_in: bool) -> tuple[int, int]:
    seconds = float(current_app.config["HOME_FIGURES_SECONDS"])
    cache = current_app.extensions.setdefault("home_figures", {})
    kept = cache.get(logged_in)
    now = time.monotonic()
    if seconds > 0 and kept is not None and now < kept[0]:
        return kept[1]
    offerings = db.session.scalar(sa.select(sa.func.count(Offering.id)).where(Offering.public_condition()))
    need_query = sa.select(sa.func.count(Need.id)).where(
        Need.status == NeedStatus.OPEN, not_suspended(Need.organisation_id)
    )
    if not logged_in:
        need_query = need_query.where(Need.registered_only.is_(False))
    counts = (offerings or 0, db.session.scalar(need_query) or 0)
    cache[logged_in] = (now + seconds, counts)
    return counts


# --- the logged-in home: what to do next -------------------------------------------------------------------


@dataclass(frozen=True)
class EventCount:
    """A count about one event (requests received, meetings coming up, registrations waiting)."""

    event_id: int
    title: str
    count: int
    first_at: datetime | None = None  # the first upcoming meeting's start, where it applies
    more: int = 0  # a second count where it applies (an organizer's pending meeting requests)


@dataclass(frozen=True)
class NeedCount:
    """A count about one of the organisation's needs (public questions waiting for an answer)."""

    need_id: int
    title: str
    count: int


@dataclass
class NextSteps:
    organisation: Organisation | None = None
    side: str | None = None  # "buyer" (a government organisation's needs) or "supplier" (offerings)
    has_live_item: bool = False  # a published offering or an open need
    awaiting_verification: bool = False  # a government organisation the administrators have not verified
    new_proposals: int = 0
    mutual: int = 0
    requests: list[EventCount] = field(default_factory=list)  # meeting requests received, not answered
    meetings: list[EventCount] = field(default_factory=list)  # upcoming published meetings
    surveys: list[EventCount] = field(default_factory=list)  # outcome surveys not finished (count: rated)
    organised: list[EventCount] = field(default_factory=list)  # organizer: registrations waiting
    organisations_waiting: int | None = None  # administrators only
    years_to_review: int | None = None
    unread_messages: int = 0  # in the conversations of the user's organisation
    questions: list[NeedCount] = field(default_factory=list)  # public questions on the needs, not answered
    profile_missing: tuple[str, ...] = ()  # an organisation administrator's: "logo", "description", "website"

    @property
    def questions_total(self) -> int:
        return sum(item.count for item in self.questions)

    @property
    def requests_total(self) -> int:
        return sum(item.count for item in self.requests)

    @property
    def meetings_total(self) -> int:
        return sum(item.count for item in self.meetings)

    @property
    def is_empty(self) -> bool:
        """Nothing waits for the user: the page shows a helpful empty state."""
        return not (
            (self.organisation is None and self.side is not None)
            or (self.side and not self.has_live_item)
            or self.new_proposals
            or self.requests
            or self.meetings
            or self.surveys
            or any(item.count or item.more for item in self.organised)
            or self.organisations_waiting
            or self.years_to_review
            or self.unread_messages
            or self.questions
            or self.profile_missing
        )


def _side(user, organisation: Organisation | None) -> str | None:
    if organisation is not None:
        return "buyer" if organisation.is_government else "supplier"
    if user.has_role(Role.BUYER):
        return "buyer"
    if user.has_role(Role.SUPPLIER):
        return "supplier"
    return None


def _has_live_item(organisation: Organisation) -> bool:
    if organisation.is_government:
        live = sa.select(Need.id).where(
            Need.organisation_id == organisation.id, Need.status == NeedStatus.OPEN.value
        )
    else:
        live = sa.select(Offering.id).where(
            Offering.organisation_id == organisation.id, Offering.status == OfferingStatus.PUBLISHED.value
        )
    return bool(db.session.scalar(sa.select(sa.exists(live))))


def profile_missing(organisation: Organisation) -> tuple[str, ...]:
    """What the organisation's profile lacks of what other organisations see beside its items and
    proposals: its logo, a description, a website (no query)."""
    missing = []
    if not organisation.logo_version:
        missing.append("logo")
    if not (organisation.description or "").strip():
        missing.append("description")
    if not (organisation.website or "").strip():
        missing.append("website")
    return tuple(missing)


def _questions_waiting(organisation: Organisation) -> list[NeedCount]:
    """The public questions on the organisation's needs that wait for its answer, per need, the need with
    the oldest question first (one query). Only needs that take public questions: their page is where the
    answer is written."""
    rows = db.session.execute(
        sa.select(Need.id, Need.title, sa.func.count(NeedQuestion.id))
        .join(NeedQuestion, NeedQuestion.need_id == Need.id)
        .where(
            Need.organisation_id == organisation.id,
            Need.public_questions.is_(True),
            NeedQuestion.answer.is_(None),
        )
        .group_by(Need.id, Need.title)
        .order_by(sa.func.min(NeedQuestion.created_at), Need.id)
    )
    return [NeedCount(need_id, title, count) for need_id, title, count in rows]


def _requests_received(user) -> list[EventCount]:
    """Pending meeting requests to the user's approved registrations, per event (one query)."""
    rows = db.session.execute(
        sa.select(Event.id, Event.title, sa.func.count(MeetingRequest.id))
        .select_from(MeetingRequest)
        .join(Registration, Registration.id == MeetingRequest.to_registration_id)
        .join(Event, Event.id == MeetingRequest.event_id)
        .where(
            Registration.user_id == user.id,
            Registration.status == RegistrationStatus.APPROVED.value,
            MeetingRequest.status == RequestStatus.PENDING.value,
        )
        .group_by(Event.id, Event.title)
        .order_by(Event.id)
    )
    return [EventCount(event_id, title, count) for event_id, title, count in rows]


def _meetings(user, now: datetime) -> tuple[list[EventCount], int]:
    """(the user's upcoming published meetings per event, how many of their meetings are past): one query."""
    upcoming = Slot.starts_at >= now
    rows = db.session.execute(
        sa.select(
            Event.id,
            Event.title,
            sa.func.count(Meeting.id).filter(upcoming),
            sa.func.min(Slot.starts_at).filter(upcoming),
            sa.func.count(Meeting.id).filter(~upcoming),
        )
        .select_from(Meeting)
        .join(Slot, Slot.id == Meeting.slot_id)
        .join(Event, Event.id == Meeting.event_id)
        .join(
            Registration,
            sa.or_(
                Registration.id == Meeting.first_registration_id,
                Registration.id == Meeting.second_registration_id,
            ),
        )
        .where(
            Registration.user_id == user.id,
            Meeting.published.is_(True),
            Meeting.cancelled_at.is_(None),
        )
        .group_by(Event.id, Event.title)
    )
    coming, past = [], 0
    for event_id, title, count, first_at, done in rows:
        past += done or 0
        if count:
            coming.append(EventCount(event_id, title, count, first_at))
    coming.sort(key=lambda item: (item.first_at, item.event_id))
    return coming, past


def _surveys(user) -> list[EventCount]:
    """outcomes.events_to_rate() in one query, without the finished ones: the user's events that are over,
    with their meetings (`more`) and how many of them the user rated in the round open now (`count`)."""
    last_day = events_service._last_day_subquery()
    rated = sa.func.count(sa.distinct(MeetingOutcome.meeting_id))
    rows = db.session.execute(
        sa.select(
            Event.id,
            Event.title,
            last_day,
            sa.func.count(sa.distinct(Meeting.id)),
            rated.filter(MeetingOutcome.round == 1),
            rated.filter(MeetingOutcome.round == 2),
        )
        .select_from(Registration)
        .join(Event, Event.id == Registration.event_id)
        .join(
            Meeting,
            sa.and_(
                Meeting.event_id == Registration.event_id,
                sa.or_(
                    Meeting.first_registration_id == Registration.id,
                    Meeting.second_registration_id == Registration.id,
                ),
                Meeting.published.is_(True),
                Meeting.cancelled_at.is_(None),
            ),
        )
        .outerjoin(
            MeetingOutcome,
            sa.and_(
                MeetingOutcome.meeting_id == Meeting.id, MeetingOutcome.registration_id == Registration.id
            ),
        )
        .where(Registration.user_id == user.id, Registration.status == RegistrationStatus.APPROVED.value)
        .group_by(Event.id, Event.title)
    )
    found = []
    for event_id, title, last, meetings, first_round, second_round in rows:
        round_ = round_after(last)
        rated_now = first_round if round_ == 1 else second_round
        if round_ is not None and rated_now < meetings:
            found.append((last, EventCount(event_id, title, rated_now, more=meetings)))
    found.sort(key=lambda pair: pair[0], reverse=True)
    return [item for _last, item in found]


def _organised(user) -> list[EventCount]:
    """The events the user organises or co-organizes (issue 16: their team) still running, with their
    registrations waiting for approval and their meeting requests not answered yet (one query)."""
    waiting = (
        sa.select(sa.func.count(Registration.id))
        .where(Registration.event_id == Event.id, Registration.status == RegistrationStatus.PENDING.value)
        .correlate(Event)
        .scalar_subquery()
    )
    pending = (
        sa.select(sa.func.count(MeetingRequest.id))
        .where(MeetingRequest.event_id == Event.id, MeetingRequest.status == RequestStatus.PENDING.value)
        .correlate(Event)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Event.id, Event.title, waiting, pending)
        .where(
            sa.or_(
                Event.organizer_id == user.id,
                Event.id.in_(
                    sa.select(EventStaff.event_id).where(
                        EventStaff.user_id == user.id, EventStaff.role == StaffRole.CO_ORGANIZER.value
                    )
                ),
            ),
            Event.status != EventStatus.CLOSED.value,
        )
        .order_by(Event.created_at.desc(), Event.id.desc())
    )
    return [EventCount(event_id, title, count or 0, more=more or 0) for event_id, title, count, more in rows]


def next_steps(user, unread_messages: int | None = None) -> NextSteps:
    """What waits for the user, by role: the organisation to complete, a first item to publish, proposals
    not answered, unread messages (counted here unless the caller has them), public questions to answer,
    meeting requests received, meetings coming up, surveys to fill in, an organizer's events and an
    administrator's queue. A few counting queries whatever the size of the platform."""
    organisation = user.organisation
    steps = NextSteps(organisation=organisation, side=_side(user, organisation))
    if unread_messages is None:
        unread_messages = conversations.unread_total(user)  # no query without an organisation
    steps.unread_messages = unread_messages
    if organisation is not None:
        if user.is_organisation_admin(organisation):
            steps.profile_missing = profile_missing(organisation)
        if organisation.is_government:  # only buyers have needs
            steps.questions = _questions_waiting(organisation)
        steps.has_live_item = _has_live_item(organisation)
        steps.awaiting_verification = (
            organisation.is_government and organisation.verification == Verification.UNVERIFIED
        )
        if steps.has_live_item:
            steps.new_proposals = matching.unanswered_count(user)
    steps.requests = _requests_received(user)
    steps.meetings, past_meetings = _meetings(user, local_now())
    if past_meetings:  # only then can a survey wait
        steps.surveys = _surveys(user)
    if user.has_role(Role.ORGANIZER) or event_team.is_on_a_team(user):  # the team: read with the login
        steps.organised = _organised(user)
    if user.has_role(Role.ADMIN):
        steps.organisations_waiting, steps.years_to_review = admin_service.queue_counts()
    return steps
