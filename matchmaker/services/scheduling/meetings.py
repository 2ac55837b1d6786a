"""The meetings of an event as stored: reading them, the requested pairs, and the low-level writes every
change shares (a meeting with its attendee rows, cancelling or deleting one, committing with a refusal).

Integrity: the database is the last line (one meeting per table and slot, nobody twice in a slot through
meeting_attendee, a pair once); the kernel turns an IntegrityError into a Conflict with a message.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm

from matchmaker.extensions import db
from matchmaker.models import (
    Absence,
    Event,
    EventStatus,
    EventTable,
    Meeting,
    MeetingAttendee,
    MeetingRequest,
    MeetingSource,
    Registration,
    RegistrationStatus,
    RequestStatus,
    Slot,
    utcnow,
)
from matchmaker.models.scheduling import SOURCE_WEIGHTS

SCHEDULABLE = (EventStatus.REGISTRATION_OPEN, EventStatus.REGISTRATION_CLOSED, EventStatus.AGENDA_PUBLISHED)


FAIRNESS_TARGET = 2


def new_uid() -> str:
    return f"{uuid.uuid4()}@matchmaker"


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def active_meetings(event: Event) -> list[Meeting]:
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .join(Slot, Slot.id == Meeting.slot_id)
            .join(EventTable, EventTable.id == Meeting.table_id)
            .where(Meeting.event_id == event.id, Meeting.cancelled_at.is_(None))
            .order_by(Slot.starts_at, EventTable.number)
            .options(
                sa.orm.contains_eager(Meeting.slot),
                sa.orm.contains_eager(Meeting.table),
                sa.orm.selectinload(Meeting.first_registration),
                sa.orm.selectinload(Meeting.second_registration),
            )
        ).all()
    )


def get_meeting(event: Event, meeting_id: int) -> Meeting | None:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.event_id != event.id:
        return None
    return meeting


def absent_ids(event: Event) -> set[int]:
    return set(db.session.scalars(sa.select(Absence.registration_id).where(Absence.event_id == event.id)))


def schedulable_registrations(event: Event) -> list[Registration]:
    """Approved participants, minus those marked absent."""
    absent = absent_ids(event)
    registrations = db.session.scalars(
        sa.select(Registration)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.APPROVED)
        .order_by(Registration.id)
    ).unique()
    return [r for r in registrations if r.id not in absent]


@dataclass
class Candidate:
    """A pair that may meet: how it arose, its weight and the request it comes from."""

    pair: tuple[int, int]
    source: str
    weight: int
    request_id: int | None = None


def requested_pairs(event: Event) -> dict[tuple[int, int], Candidate]:
    """Pairs from open requests: both asked (mutual, weight 3) or one asked and the other accepted or has
    not answered yet (weight 2). Only between approved participants."""
    approved = {
        r.id
        for r in db.session.scalars(
            sa.select(Registration).where(
                Registration.event_id == event.id, Registration.status == RegistrationStatus.APPROVED
            )
        ).unique()
    }
    directions: dict[tuple[int, int], list[MeetingRequest]] = defaultdict(list)
    for request in db.session.scalars(
        sa.select(MeetingRequest)
        .where(
            MeetingRequest.event_id == event.id,
            MeetingRequest.status.in_((RequestStatus.PENDING, RequestStatus.ACCEPTED)),
        )
        .order_by(MeetingRequest.created_at, MeetingRequest.id)
    ):
        if request.from_registration_id in approved and request.to_registration_id in approved:
            directions[_pair(request.from_registration_id, request.to_registration_id)].append(request)
    pairs = {}
    for pair, requests in directions.items():
        senders = {r.from_registration_id for r in requests}
        mutual = len(senders) == 2
        source = MeetingSource.MUTUAL if mutual else MeetingSource.ACCEPTED
        pairs[pair] = Candidate(pair, source, SOURCE_WEIGHTS[source], requests[0].id)
    return pairs


def _insert_meeting(
    event_id: int,
    slot_id: int,
    table_id: int,
    pair: tuple[int, int],
    candidate: Candidate | None,
    locked: bool = False,
) -> Meeting:
    source = candidate.source if candidate else MeetingSource.MANUAL
    meeting = Meeting(
        event_id=event_id,
        slot_id=slot_id,
        table_id=table_id,
        first_registration_id=pair[0],
        second_registration_id=pair[1],
        request_id=candidate.request_id if candidate else None,
        source=source,
        weight=candidate.weight if candidate else SOURCE_WEIGHTS[MeetingSource.MANUAL],
        locked=locked,
        uid=new_uid(),
    )
    db.session.add(meeting)
    db.session.flush()
    _add_attendees(meeting)
    return meeting


def _add_attendees(meeting: Meeting) -> None:
    for rid in (meeting.first_registration_id, meeting.second_registration_id):
        db.session.add(MeetingAttendee(meeting_id=meeting.id, slot_id=meeting.slot_id, registration_id=rid))
    db.session.flush()


def _cancel_or_delete(meeting: Meeting, reason: str) -> None:
    if not meeting.published:
        db.session.delete(meeting)
        db.session.flush()
        return
    db.session.execute(sa.delete(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id))
    db.session.expire(meeting, ["attendees"])
    meeting.cancelled_at = utcnow()
    meeting.cancel_reason = reason[:200]
    meeting.sequence += 1
    meeting.notice_pending = True
    db.session.flush()


def sweep_departed(event: Event) -> int:
    """Take out the meetings of participants who left by another way (they cancelled their registration
    themselves, or the organizer refused it on the dashboard). Returns how many; does not commit."""
    approved = {r.id for r in schedulable_registrations(event)}
    departed = [
        m
        for m in active_meetings(event)
        if m.first_registration_id not in approved or m.second_registration_id not in approved
    ]
    for meeting in departed:
        _cancel_or_delete(meeting, "registration cancelled")
    return len(departed)
