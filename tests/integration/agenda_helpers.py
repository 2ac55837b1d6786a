# ruff: noqa: F811
"""Factories for the agenda tests. Meetings are made directly as rows (the scheduler's service is someone
else's): a meeting and its two attendee rows, as services.scheduling keeps them."""

import uuid
from datetime import date, datetime, time

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Event, Meeting, MeetingAttendee, Registration, Slot, utcnow
from matchmaker.services import events as events_service
from tests.integration.test_events_support import (  # noqa: F401
    EVENT_DAY,
    buyer,
    event,
    make_event,
    make_participant,
    organizer,
    register,
    request_context,
    supplier,
    theme,
)


def slot_at(event: Event, day: date, hour: int, minute: int = 0) -> Slot:
    starts = datetime.combine(day, time(hour, minute))
    return db.session.scalars(
        sa.select(Slot).where(Slot.event_id == event.id, Slot.starts_at == starts)
    ).one()


def add_meeting(
    a: Registration,
    b: Registration,
    slot: Slot,
    table_number: int = 1,
    published: bool = True,
    **overrides,
) -> Meeting:
    """A meeting between two registrations at a table in a slot, with its attendee rows."""
    first, second = sorted((a, b), key=lambda r: r.id)
    event = slot.event
    table = next(t for t in event.tables if t.number == table_number)
    values = {
        "event_id": event.id,
        "slot_id": slot.id,
        "table_id": table.id,
        "first_registration_id": first.id,
        "second_registration_id": second.id,
        "source": "mutual",
        "weight": 3,
        "published": published,
        "locked": published,
        "uid": f"meeting-{uuid.uuid4()}@matchmaker.test",
    }
    values.update(overrides)
    meeting = Meeting(**values)
    db.session.add(meeting)
    db.session.flush()
    for registration in (first, second):
        db.session.add(
            MeetingAttendee(meeting_id=meeting.id, slot_id=slot.id, registration_id=registration.id)
        )
    db.session.commit()
    return meeting


def move_meeting(meeting: Meeting, slot: Slot) -> None:
    """As the scheduler's move does: the attendee rows follow through ON UPDATE CASCADE; SEQUENCE goes up."""
    meeting.slot_id = slot.id
    meeting.sequence += 1
    db.session.commit()
    db.session.expire_all()


def cancel_meeting(meeting: Meeting, reason: str = "") -> None:
    db.session.execute(sa.delete(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id))
    meeting.cancelled_at = utcnow()
    meeting.cancel_reason = reason
    meeting.sequence += 1
    db.session.commit()
    db.session.expire_all()


@pytest.fixture
def make_user(make_user):
    """Users who read English, so the tests can quote the interface whatever the translations say."""

    def factory(**overrides):
        overrides.setdefault("language", "en")
        return make_user(**overrides)

    return factory


@pytest.fixture
def pair(event, buyer, supplier, register):
    """(buyer's registration, supplier's registration) in `event`, both approved."""
    return register(buyer, event), register(supplier, event)


@pytest.fixture
def meeting(event, pair) -> Meeting:
    """A published meeting at 9:20 at table 2 of the default event."""
    rb, rs = pair
    return add_meeting(rb, rs, slot_at(event, EVENT_DAY, 9, 20), table_number=2)


def add_day(event: Event, day: date) -> None:
    events_service.add_day(event.organizer, event, day, time(9, 0), time(12, 0), 20)
