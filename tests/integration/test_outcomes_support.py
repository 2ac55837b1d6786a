"""Fixtures for the outcome tests: an event with published meetings, moved into the past (no tests here)."""

from datetime import date, datetime, timedelta
from uuid import uuid4

import pytest

from matchmaker.extensions import db
from matchmaker.models import Event, Meeting, MeetingAttendee, Registration
from matchmaker.services.event_rules import local_now


def move_event_to(event: Event, day: date) -> None:
    """Shift the event's (single) day and its slots to `day`."""
    event_day = event.days[0]
    delta = datetime.combine(day, datetime.min.time()) - datetime.combine(event_day.day, datetime.min.time())
    event_day.day = day
    for slot in event.slots:
        slot.starts_at += delta
        slot.ends_at += delta
    db.session.commit()


def days_ago(days: int) -> date:
    return local_now().date() - timedelta(days=days)


@pytest.fixture
def make_meeting(app):
    def factory(
        event: Event,
        a: Registration,
        b: Registration,
        slot_index: int = 0,
        table_index: int = 0,
        published: bool = True,
    ) -> Meeting:
        first, second = sorted((a.id, b.id))
        slot = event.meeting_slots[slot_index]
        meeting = Meeting(
            event_id=event.id,
            slot_id=slot.id,
            table_id=event.tables[table_index].id,
            first_registration_id=first,
            second_registration_id=second,
            published=published,
            locked=published,
            uid=f"{uuid4()}@test",
        )
        db.session.add(meeting)
        db.session.flush()
        for registration_id in (first, second):
            db.session.add(
                MeetingAttendee(meeting_id=meeting.id, slot_id=slot.id, registration_id=registration_id)
            )
        db.session.commit()
        return meeting

    return factory
