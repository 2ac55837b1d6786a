"""Outcomes of meetings: the participants' answers after an event, the surveys that ask for them, and the
count of procurements of innovation that began at a meet & greet.

Rules:
- A participant rates the meetings they took part in (published, not cancelled) once the event's last day has
  passed. Round 1 is open from the day after the event; round 2 from OUTCOME_SECOND_SURVEY_DAYS (default 120)
  days after it. A participant may change their answer of the current round; the earlier round is kept.
- An answer is linked to the needs the buyer side brought to the event (a snapshot when it is saved).
- A meeting "began a procurement of innovation" when the latest answer of at least one of its participants
  says "procurement launched" or "contract awarded". It counts once per meeting, for the organisation of the
  buyer side, in the year the meeting took place.
- `send_surveys` mails each participant with meetings once per round (recorded in `outcome_survey`); when
  round 2 is due already, round 1 is not sent any more. Safe to run as often as you like.
"""

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from matchmaker import links
from matchmaker.extensions import db
from matchmaker.models import (
    ChangeAction,
    ChangeSubject,
    CheckIn,
    Event,
    EventDay,
    FollowUp,
    Meeting,
    MeetingOutcome,
    OutcomeSurvey,
    ParticipantRole,
    Registration,
    RegistrationStatus,
    Slot,
    User,
)
from matchmaker.models.outcomes import PROCUREMENT_FOLLOW_UPS
from matchmaker.services import Invalid, ServiceError, discard, history
from matchmaker.services.accounts import personal_data_exporter
from matchmaker.services.event_rules import local_now
from matchmaker.services.notifications import notify, register_kind

log = logging.getLogger(__name__)

register_kind(
    "outcome_survey_first",
    _l("%(event)s is over. How did your meetings go? Tell us in two minutes, meeting by meeting."),
)
register_kind(
    "outcome_survey_second",
    _l("A few months after %(event)s: has anything come of your meetings? Tell us in two minutes."),
)
SURVEY_KINDS = {1: "outcome_survey_first", 2: "outcome_survey_second"}
COMMENT_MAX = 2000


# --- when --------------------------------------------------------------------------------------------------


def second_round_days() -> int:
    return int(current_app.config["OUTCOME_SECOND_SURVEY_DAYS"])


def today() -> date:
    return local_now().date()


def is_over(event: Event, on: date | None = None) -> bool:
    """The event's last day has passed (event-local date)."""
    last = event.last_day
    return last is not None and last < (on or today())


def current_round(event: Event, on: date | None = None) -> int | None:
    """The survey round open now: None before the event is over, 1 after it, 2 from N days after it."""
    return round_after(event.last_day, on)


def round_after(last_day: date | None, on: date | None = None) -> int | None:
    """current_round() of an event whose last day is `last_day`."""
    on = on or today()
    if last_day is None or not last_day < on:
        return None
    return 2 if on >= last_day + timedelta(days=second_round_days()) else 1


def second_round_opens(event: Event) -> date | None:
    return event.last_day + timedelta(days=second_round_days()) if event.last_day else None


# --- whose meetings ----------------------------------------------------------------------------------------


def _visible_meetings():
    return sa.and_(Meeting.published.is_(True), Meeting.cancelled_at.is_(None))


def _held_meetings():
    """The meetings a survey asks about: visible ones whose two participants were both checked in at the
    event; when nobody at the event was checked in (the organizer did not use check-in), all visible ones."""
    first = sa.select(CheckIn.id).where(CheckIn.registration_id == Meeting.first_registration_id).exists()
    second = sa.select(CheckIn.id).where(CheckIn.registration_id == Meeting.second_registration_id).exists()
    nobody = ~sa.select(CheckIn.id).where(CheckIn.event_id == Meeting.event_id).exists()
    return sa.and_(_visible_meetings(), sa.or_(nobody, sa.and_(first, second)))


def registration_in(user, event: Event) -> Registration | None:
    if user is None:
        return None
    return db.session.scalar(
        sa.select(Registration).where(Registration.event_id == event.id, Registration.user_id == user.id)
    )


def meetings_of(registration: Registration) -> list[Meeting]:
    """The published, not cancelled meetings of a participant that were held (see _held_meetings), in time
    order."""
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .join(Slot, Slot.id == Meeting.slot_id)
            .where(
                Meeting.event_id == registration.event_id,
                _held_meetings(),
                sa.or_(
                    Meeting.first_registration_id == registration.id,
                    Meeting.second_registration_id == registration.id,
                ),
            )
            .order_by(Slot.starts_at, Meeting.id)
        ).all()
    )


def rateable_meeting(user, event: Event, meeting_id: int) -> tuple[Registration, Meeting] | None:
    """The user's registration and the meeting, when the user took part in it; None otherwise (404)."""
    registration = registration_in(user, event)
    meeting = db.session.get(Meeting, meeting_id)
    if (
        registration is None
        or meeting is None
        or meeting.event_id != event.id
        or not meeting.published
        or meeting.cancelled_at is not None
        or registration.id not in (meeting.first_registration_id, meeting.second_registration_id)
        or db.session.scalar(sa.select(sa.literal(True)).where(Meeting.id == meeting.id, _held_meetings()))
        is None
    ):
        return None
    return registration, meeting


def buyer_side(meeting: Meeting) -> Registration | None:
    for registration in meeting.registrations:
        if registration.role == ParticipantRole.BUYER:
            return registration
    return None


# --- answers -----------------------------------------------------------------------------------------------


@dataclass
class OutcomeInput:
    held: bool
    usefulness: int | None
    follow_up: str
    comment: str = ""


def answers_of(registration: Registration) -> dict[int, dict[int, MeetingOutcome]]:
    """meeting id -> round -> the participant's answer."""
    answers: dict[int, dict[int, MeetingOutcome]] = {}
    for outcome in db.session.scalars(
        sa.select(MeetingOutcome).where(MeetingOutcome.registration_id == registration.id)
    ).all():
        answers.setdefault(outcome.meeting_id, {})[outcome.round] = outcome
    return answers


def answer_of(registration: Registration, meeting: Meeting, round_: int) -> MeetingOutcome | None:
    return db.session.scalar(
        sa.select(MeetingOutcome).where(
            MeetingOutcome.meeting_id == meeting.id,
            MeetingOutcome.registration_id == registration.id,
            MeetingOutcome.round == round_,
        )
    )


def claim_to_confirm(registration: Registration, meeting: Meeting) -> str | None:
    """The procurement the other side of a meeting reports (its latest answer), when `registration` is the
    buyer's side and has not stated one itself: only the buyer's word makes the claim public, so the buyer's
    survey shows it to confirm or not."""
    if registration.role != ParticipantRole.BUYER:
        return None
    latest: dict[int, MeetingOutcome] = {}
    for outcome in db.session.scalars(
        sa.select(MeetingOutcome)
        .where(MeetingOutcome.meeting_id == meeting.id)
        .order_by(MeetingOutcome.round)
    ):
        latest[outcome.registration_id] = outcome
    own = latest.pop(registration.id, None)
    if own is not None and own.follow_up in PROCUREMENT_FOLLOW_UPS:
        return None
    claims = [o.follow_up for o in latest.values() if o.follow_up in PROCUREMENT_FOLLOW_UPS]
    if not claims:
        return None
    return FollowUp.CONTRACT_AWARDED if FollowUp.CONTRACT_AWARDED in claims else FollowUp.PROCUREMENT_LAUNCHED


def _check(data: OutcomeInput) -> None:
    problems = {}
    try:
        FollowUp(data.follow_up)
    except ValueError:
        problems["follow_up"] = _("Choose what came of the meeting.")
    if data.held and (data.usefulness is None or not 1 <= data.usefulness <= 5):
        problems["usefulness"] = _("Say how useful the meeting was, from 1 to 5.")
    if len(data.comment or "") > COMMENT_MAX:
        problems["comment"] = _("Keep the comment under %(max)s characters.", max=COMMENT_MAX)
    if problems:
        raise Invalid(problems)


def save_outcome(user: User, event: Event, meeting: Meeting, data: OutcomeInput) -> MeetingOutcome:
    """Record (or change) the user's answer about a meeting for the round open now. Commits."""
    found = rateable_meeting(user, event, meeting.id)
    if found is None:
        raise ServiceError(_("You can only rate your own meetings."))
    registration, meeting = found
    round_ = current_round(event)
    if round_ is None:
        raise ServiceError(_("You can rate your meetings once the event is over."))
    _check(data)
    outcome = answer_of(registration, meeting, round_)
    before = None
    if outcome is None:
        outcome = MeetingOutcome(meeting_id=meeting.id, registration_id=registration.id, round=round_)
        db.session.add(outcome)
    else:
        before = history.outcome_state(outcome)
    outcome.held = bool(data.held)
    outcome.usefulness = data.usefulness if data.held else None
    # A meeting that did not take place has no follow-up.
    outcome.follow_up = data.follow_up if data.held else FollowUp.NONE
    outcome.comment = (data.comment or "").strip()
    buyer = buyer_side(meeting)
    outcome.needs = list(buyer.needs) if buyer is not None else []
    try:
        if registration.organisation_id is not None:  # the history of the organisation's public record
            db.session.flush()
            history.record(
                registration.organisation_id,
                ChangeSubject.OUTCOME,
                ChangeAction.CREATED if before is None else ChangeAction.CHANGED,
                actor=user,
                subject_id=outcome.id,
                old=before,
                new=history.outcome_state(outcome),
                label=f"{event.title} ({round_})",
            )
        db.session.commit()
    except IntegrityError:  # the same answer sent twice at once: keep the one that came first
        discard()
        outcome = answer_of(registration, meeting, round_)
        if outcome is None:
            raise
    return outcome


@dataclass
class Progress:
    rated: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.rated / self.total) if self.total else 100

    @property
    def done(self) -> bool:
        return self.rated >= self.total


def progress_of(registration: Registration, round_: int, meetings: list[Meeting] | None = None) -> Progress:
    meetings = meetings if meetings is not None else meetings_of(registration)
    answers = answers_of(registration)
    rated = sum(1 for meeting in meetings if round_ in answers.get(meeting.id, {}))
    return Progress(rated, len(meetings))


@dataclass
class EventToRate:
    event: Event
    registration: Registration
    round: int
    progress: Progress


def events_to_rate(user) -> list[EventToRate]:
    """The user's events that are over and in which they had meetings, most recent first."""
    if user is None:
        return []
    registrations = db.session.scalars(
        sa.select(Registration).where(
            Registration.user_id == user.id, Registration.status == RegistrationStatus.APPROVED
        )
    ).all()
    found = []
    for registration in registrations:
        event = registration.event
        round_ = current_round(event)
        if round_ is None:
            continue
        meetings = meetings_of(registration)
        if meetings:
            found.append(
                EventToRate(event, registration, round_, progress_of(registration, round_, meetings))
            )
    found.sort(key=lambda item: item.event.last_day, reverse=True)
    return found


# --- procurements that began at a meet & greet -------------------------------------------------------------


@dataclass
class BegunProcurement:
    meeting_id: int
    event_id: int
    year: int
    buyer_organisation_id: int | None
    follow_up: str  # the furthest follow-up reported: contract awarded, else procurement launched
    # Stated by the buyer's side: only then is it a public claim about the buyer (the tracker, the public
    # summaries); a claim of the supplier's side alone is shown to organizers as reported by one side.
    confirmed: bool = True


def begun_procurements(where: Iterable = ()) -> list[BegunProcurement]:
    """Meetings whose participants' latest answers say a procurement of innovation began, once each; the
    furthest follow-up is the buyer's when the buyer's side states one (`confirmed`), else the other's."""
    first = aliased(Registration)
    second = aliased(Registration)
    rows = db.session.execute(
        sa.select(
            MeetingOutcome.meeting_id,
            MeetingOutcome.registration_id,
            MeetingOutcome.round,
            MeetingOutcome.follow_up,
            Meeting.event_id,
            Slot.starts_at,
            first.role,
            first.organisation_id,
            second.role,
            second.organisation_id,
            first.id,
            second.id,
        )
        .join(Meeting, Meeting.id == MeetingOutcome.meeting_id)
        .join(Slot, Slot.id == Meeting.slot_id)
        .join(first, first.id == Meeting.first_registration_id)
        .join(second, second.id == Meeting.second_registration_id)
        .where(_visible_meetings(), *where)
    ).all()
    latest: dict[tuple[int, int], tuple[int, str]] = {}
    meetings: dict[int, tuple] = {}
    buyers: set[tuple[int, int]] = set()  # (meeting, registration) of the buyer's side
    for meeting_id, registration_id, round_, follow_up, event_id, starts_at, r1, o1, r2, o2, id1, id2 in rows:
        key = (meeting_id, registration_id)
        if key not in latest or latest[key][0] < round_:
            latest[key] = (round_, follow_up)
        buyer_org = o1 if r1 == ParticipantRole.BUYER else o2 if r2 == ParticipantRole.BUYER else None
        meetings[meeting_id] = (event_id, starts_at.year, buyer_org)
        if (registration_id == id1 and r1 == ParticipantRole.BUYER) or (
            registration_id == id2 and r2 == ParticipantRole.BUYER
        ):
            buyers.add(key)
    follow_ups: dict[int, set[str]] = {}
    stated: dict[int, set[str]] = {}  # by the buyer's side
    for key, (_round, follow_up) in latest.items():
        follow_ups.setdefault(key[0], set()).add(follow_up)
        if key in buyers:
            stated.setdefault(key[0], set()).add(follow_up)
    begun = []
    for meeting_id, answers in follow_ups.items():
        if not answers.intersection(PROCUREMENT_FOLLOW_UPS):
            continue
        confirmed = bool(stated.get(meeting_id, set()).intersection(PROCUREMENT_FOLLOW_UPS))
        if confirmed:
            answers = stated[meeting_id]
        event_id, year, buyer_org = meetings[meeting_id]
        furthest = (
            FollowUp.CONTRACT_AWARDED
            if FollowUp.CONTRACT_AWARDED in answers
            else FollowUp.PROCUREMENT_LAUNCHED
        )
        begun.append(BegunProcurement(meeting_id, event_id, year, buyer_org, furthest, confirmed))
    begun.sort(key=lambda b: (b.year, b.meeting_id))
    return begun


def _begun_subquery(where: Iterable = ()):
    """One row per meeting that began a procurement of innovation: (meeting_id, event_id, year, buyer
    organisation), computed in SQL. A meeting counts when the latest answer (highest round) of its buyer's
    side says procurement launched or contract awarded: the confirmed ones of `begun_procurements`."""
    first = aliased(Registration)
    second = aliased(Registration)
    answering = aliased(Registration)
    latest_round = (
        sa.select(
            MeetingOutcome.meeting_id,
            MeetingOutcome.registration_id,
            sa.func.max(MeetingOutcome.round).label("round"),
        )
        .group_by(MeetingOutcome.meeting_id, MeetingOutcome.registration_id)
        .subquery()
    )
    begun_meetings = (
        sa.select(MeetingOutcome.meeting_id)
        .join(
            latest_round,
            sa.and_(
                latest_round.c.meeting_id == MeetingOutcome.meeting_id,
                latest_round.c.registration_id == MeetingOutcome.registration_id,
                latest_round.c.round == MeetingOutcome.round,
            ),
        )
        .join(answering, answering.id == MeetingOutcome.registration_id)
        .where(
            MeetingOutcome.follow_up.in_([f.value for f in PROCUREMENT_FOLLOW_UPS]),
            answering.role == ParticipantRole.BUYER.value,
        )
    )
    buyer_organisation = sa.case(
        (first.role == ParticipantRole.BUYER.value, first.organisation_id),
        (second.role == ParticipantRole.BUYER.value, second.organisation_id),
        else_=None,
    )
    return (
        sa.select(
            Meeting.id.label("meeting_id"),
            Meeting.event_id.label("event_id"),
            sa.extract("year", Slot.starts_at).label("year"),
            buyer_organisation.label("organisation_id"),
        )
        .join(Slot, Slot.id == Meeting.slot_id)
        .join(first, first.id == Meeting.first_registration_id)
        .join(second, second.id == Meeting.second_registration_id)
        .where(_visible_meetings(), Meeting.id.in_(begun_meetings), *where)
        .subquery()
    )


def _begun_rows(where: Iterable = ()) -> list[tuple[int, int, int | None]]:
    begun = _begun_subquery(where)
    return [
        (event_id, int(year), organisation_id)
        for event_id, year, organisation_id in db.session.execute(
            sa.select(begun.c.event_id, begun.c.year, begun.c.organisation_id)
        ).all()
    ]


def procurements_begun_by_year(organisation_ids: list[int] | None = None) -> dict[int, int]:
    """year -> number of meetings that began a procurement of innovation, for the buyer organisations given
    (all when None). One aggregate query: no answer is loaded into Python."""
    begun = _begun_subquery()
    query = sa.select(begun.c.year, sa.func.count(begun.c.meeting_id)).group_by(begun.c.year)
    if organisation_ids is not None:
        if not organisation_ids:
            return {}
        query = query.where(begun.c.organisation_id.in_(organisation_ids))
    return {int(year): int(count) for year, count in db.session.execute(query).all()}


@dataclass
class BegunDetail:
    begun: BegunProcurement
    event: Event
    needs: list


def begun_for_organisation(organisation_id: int) -> list[BegunDetail]:
    """The organisation's procurements begun at a meet & greet, with the event and the needs behind them."""
    details = []
    for begun in begun_procurements():
        if begun.buyer_organisation_id != organisation_id or not begun.confirmed:
            continue
        meeting = db.session.get(Meeting, begun.meeting_id)
        needs = {}
        for outcome in db.session.scalars(
            sa.select(MeetingOutcome).where(MeetingOutcome.meeting_id == meeting.id)
        ).all():
            for need in outcome.needs:
                needs[need.id] = need
        details.append(BegunDetail(begun, meeting.event, sorted(needs.values(), key=lambda n: n.title)))
    return details


# --- the organizer's summary of an event -------------------------------------------------------------------


@dataclass
class EventSummary:
    meetings: int = 0
    participants_with_meetings: int = 0
    answered_meetings: int = 0  # meetings with at least one answer
    answers: int = 0
    held: int = 0
    not_held: int = 0
    average_usefulness: float | None = None
    follow_ups: dict[str, int] = field(default_factory=dict)  # latest answer per participant and meeting
    procurements_begun: int = 0  # stated by the buyer's side
    contracts_awarded: int = 0
    reported_by_one_side: int = 0  # reported by the supplier's side only, not (yet) by the buyer's
    surveys_sent: dict[int, int] = field(default_factory=dict)
    rounds: dict[int, int] = field(default_factory=dict)  # answers per round
    average_by_round: dict[int, float] = field(default_factory=dict)
    comments: list["Comment"] = field(default_factory=list)


@dataclass
class Comment:
    """A participant's comment about a meeting, with who wrote it, for the organizer."""

    text: str
    author: Registration
    partner: Registration
    round: int
    held: bool
    usefulness: int | None
    follow_up: str
    answered_at: datetime


def event_summary(event: Event) -> EventSummary:
    summary = EventSummary()
    meetings = db.session.scalars(
        sa.select(Meeting).where(Meeting.event_id == event.id, _visible_meetings())
    ).all()
    summary.meetings = len(meetings)
    people = set()
    for meeting in meetings:
        people.update((meeting.first_registration_id, meeting.second_registration_id))
    summary.participants_with_meetings = len(people)
    outcomes = db.session.scalars(
        sa.select(MeetingOutcome)
        .join(Meeting, Meeting.id == MeetingOutcome.meeting_id)
        .where(Meeting.event_id == event.id, _visible_meetings())
        .order_by(MeetingOutcome.round, MeetingOutcome.updated_at, MeetingOutcome.id)
    ).all()
    summary.answers = len(outcomes)
    summary.answered_meetings = len({o.meeting_id for o in outcomes})
    latest: dict[tuple[int, int], MeetingOutcome] = {}
    for outcome in outcomes:
        latest[(outcome.meeting_id, outcome.registration_id)] = outcome  # ordered by round: the last wins
        summary.rounds[outcome.round] = summary.rounds.get(outcome.round, 0) + 1
    useful = [o.usefulness for o in latest.values() if o.held and o.usefulness]
    summary.held = sum(1 for o in latest.values() if o.held)
    summary.not_held = sum(1 for o in latest.values() if not o.held)
    summary.average_usefulness = round(sum(useful) / len(useful), 1) if useful else None
    for round_ in sorted(summary.rounds):
        scores = [o.usefulness for o in outcomes if o.round == round_ and o.held and o.usefulness]
        if scores:
            summary.average_by_round[round_] = round(sum(scores) / len(scores), 1)
    summary.comments = event_comments(event, outcomes)
    summary.follow_ups = {kind.value: 0 for kind in FollowUp}
    for outcome in latest.values():
        summary.follow_ups[outcome.follow_up] += 1
    begun = begun_procurements([Meeting.event_id == event.id])
    confirmed = [b for b in begun if b.confirmed]
    summary.procurements_begun = len(confirmed)
    summary.contracts_awarded = sum(1 for b in confirmed if b.follow_up == FollowUp.CONTRACT_AWARDED)
    summary.reported_by_one_side = len(begun) - len(confirmed)
    for round_, count in db.session.execute(
        sa.select(OutcomeSurvey.round, sa.func.count(OutcomeSurvey.id))
        .join(Registration, Registration.id == OutcomeSurvey.registration_id)
        .where(Registration.event_id == event.id)
        .group_by(OutcomeSurvey.round)
    ).all():
        summary.surveys_sent[round_] = count
    return summary


def event_comments(event: Event, outcomes: list[MeetingOutcome] | None = None) -> list[Comment]:
    """The participants' comments about the event's meetings, earliest round first, with their authors and
    partners (registrations, users and organisations loaded in a fixed number of queries)."""
    if outcomes is None:
        outcomes = db.session.scalars(
            sa.select(MeetingOutcome)
            .join(Meeting, Meeting.id == MeetingOutcome.meeting_id)
            .where(Meeting.event_id == event.id, _visible_meetings())
            .order_by(MeetingOutcome.round, MeetingOutcome.updated_at, MeetingOutcome.id)
        ).all()
    with_text = [o for o in outcomes if (o.comment or "").strip()]
    registration_ids = set()
    meeting_ids = {o.meeting_id for o in with_text}
    meetings = {}
    if meeting_ids:
        meetings = {
            m.id: m for m in db.session.scalars(sa.select(Meeting).where(Meeting.id.in_(meeting_ids))).all()
        }
        for meeting in meetings.values():
            registration_ids.update((meeting.first_registration_id, meeting.second_registration_id))
    registrations = {}
    if registration_ids:
        registrations = {
            r.id: r
            for r in db.session.scalars(
                sa.select(Registration).where(Registration.id.in_(registration_ids))
            ).unique()
        }
    comments = []
    for outcome in with_text:
        meeting = meetings[outcome.meeting_id]
        other_id = (
            meeting.second_registration_id
            if outcome.registration_id == meeting.first_registration_id
            else meeting.first_registration_id
        )
        comments.append(
            Comment(
                text=outcome.comment,
                author=registrations[outcome.registration_id],
                partner=registrations[other_id],
                round=outcome.round,
                held=outcome.held,
                usefulness=outcome.usefulness,
                follow_up=outcome.follow_up,
                answered_at=outcome.updated_at,
            )
        )
    return comments


@dataclass
class EventOutcomeRow:
    """One event in the organizer's overview of outcomes."""

    event: Event
    answers: int
    average_usefulness: float | None
    procurements_begun: int


def outcomes_overview(events: list[Event]) -> list[EventOutcomeRow]:
    """Answers, average usefulness (latest answer per participant and meeting) and procurements begun per
    event, in a fixed number of aggregate queries."""
    ids = [event.id for event in events]
    if not ids:
        return []
    latest_round = (
        sa.select(
            MeetingOutcome.meeting_id,
            MeetingOutcome.registration_id,
            sa.func.max(MeetingOutcome.round).label("round"),
        )
        .group_by(MeetingOutcome.meeting_id, MeetingOutcome.registration_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            Meeting.event_id,
            sa.func.count(MeetingOutcome.id),
            sa.func.avg(sa.case((MeetingOutcome.held.is_(True), MeetingOutcome.usefulness))),
        )
        .join(Meeting, Meeting.id == MeetingOutcome.meeting_id)
        .join(
            latest_round,
            sa.and_(
                latest_round.c.meeting_id == MeetingOutcome.meeting_id,
                latest_round.c.registration_id == MeetingOutcome.registration_id,
                latest_round.c.round == MeetingOutcome.round,
            ),
        )
        .where(Meeting.event_id.in_(ids), _visible_meetings())
        .group_by(Meeting.event_id)
    ).all()
    figures = {event_id: (count, average) for event_id, count, average in rows}
    begun = Counter(event_id for event_id, _year, _organisation in _begun_rows([Meeting.event_id.in_(ids)]))
    return [
        EventOutcomeRow(
            event,
            int(figures.get(event.id, (0, None))[0]),
            round(float(figures[event.id][1]), 1)
            if figures.get(event.id, (0, None))[1] is not None
            else None,
            begun.get(event.id, 0),
        )
        for event in events
    ]


# --- the surveys -------------------------------------------------------------------------------------------


def due_surveys(on: date | None = None) -> list[tuple[Registration, int]]:
    """(registration, round) pairs whose invitation is due and was not sent: approved participants with at
    least one meeting that was held (both parties checked in, or nobody at the event checked in at all), of
    events that are over. Only the latest due round is sent."""
    on = on or today()
    days = second_round_days()
    last_day = (
        sa.select(EventDay.event_id, sa.func.max(EventDay.day).label("last"))
        .group_by(EventDay.event_id)
        .subquery()
    )
    has_meeting = (
        sa.select(Meeting.id)
        .where(
            _held_meetings(),
            sa.or_(
                Meeting.first_registration_id == Registration.id,
                Meeting.second_registration_id == Registration.id,
            ),
        )
        .exists()
    )
    rows = db.session.execute(
        sa.select(Registration, last_day.c.last)
        .join(last_day, last_day.c.event_id == Registration.event_id)
        .where(last_day.c.last < on, Registration.status == RegistrationStatus.APPROVED, has_meeting)
        .order_by(Registration.id)
    ).all()
    sent = {
        (registration_id, round_)
        for registration_id, round_ in db.session.execute(
            sa.select(OutcomeSurvey.registration_id, OutcomeSurvey.round)
        ).all()
    }
    due = []
    for registration, last in rows:
        round_ = 2 if on >= last + timedelta(days=days) else 1
        if (registration.id, round_) not in sent:
            due.append((registration, round_))
    return due


def send_survey(registration: Registration, round_: int, now: datetime | None = None) -> bool:
    """Record and send one invitation; False when it was sent already (by another run). Commits."""
    db.session.add(
        OutcomeSurvey(registration_id=registration.id, round=round_, **({"sent_at": now} if now else {}))
    )
    try:
        db.session.flush()
    except IntegrityError:
        discard()
        return False
    event = registration.event
    try:
        notify(
            registration.user,
            SURVEY_KINDS[round_],
            url=survey_path(event),
            always_mail=True,
            event=event.title,
        )  # commits the survey row with the notification
    except Exception:
        discard()  # not recorded: the next run tries again
        raise
    return True


def send_surveys(
    on: date | None = None, progress: Callable[[Iterable], Iterable] | None = None
) -> tuple[int, int]:
    """Send every due invitation. Returns (sent, failed). `progress` wraps the iteration (a progress bar)."""
    due = due_surveys(on)
    ids = [(registration.id, round_) for registration, round_ in due]
    sent = failed = 0
    iterable = progress(ids) if progress else ids
    for registration_id, round_ in iterable:
        registration = db.session.get(Registration, registration_id)
        if registration is None:
            continue
        try:
            sent += send_survey(registration, round_)
        except Exception:
            log.exception("Could not send the outcome survey to registration %s", registration_id)
            failed += 1
    return sent, failed


def survey_path(event: Event) -> str:
    return links.path("outcomes.event", event_id=event.id)


@personal_data_exporter("meeting_outcomes")
def _export_outcomes(user: User) -> list[dict]:
    """The user's answers about their meetings (personal data export)."""
    outcomes = db.session.scalars(
        sa.select(MeetingOutcome)
        .join(Registration, Registration.id == MeetingOutcome.registration_id)
        .where(Registration.user_id == user.id)
        .order_by(MeetingOutcome.created_at)
    ).all()
    return [
        {
            "event": outcome.meeting.event.title,
            "with": outcome.meeting.other(outcome.registration_id).display_name,
            "round": outcome.round,
            "held": outcome.held,
            "usefulness": outcome.usefulness,
            "follow_up": outcome.follow_up,
            "comment": outcome.comment,
            "answered_at": outcome.updated_at,
        }
        for outcome in outcomes
    ]
