"""Helpers of the tests that are neither factories nor fixtures: form data, finding a slot, and changes made
behind the services' back (moving an event into the past, moving or cancelling a meeting as the scheduler
does)."""

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Event, Meeting, MeetingAttendee, Slot, utcnow
from matchmaker.services.events import local_now

# The scheduling tests run the scheduler inline (not in a thread), with a short time limit: a test module's
# `app_overrides` fixture returns a copy of this.
INLINE_SCHEDULER = {"SCHEDULER_INLINE": True, "SCHEDULER_TIME_LIMIT": 5}

# --------------------------------------------------------------------------------------------------
# Form data


def offering_form(**overrides) -> dict:
    """POST data of a valid offering form."""
    data = {
        "title": "Slimme verkeerslichten",
        "summary": "Verkeerslichten die zich aanpassen.",
        "description": "Een *beschrijving*.",
        "innovation_type": "technological",
        "trl": "6",
        "keywords": "mobiliteit",
        "language": "nl",
        "cpv_codes": "34996000",
        "reference_projects": "",
        "links": "Brochure | https://example.org/brochure.pdf",
        "action": "save",
    }
    data.update(overrides)
    return data


def need_form(**overrides) -> dict:
    data = {
        "title": "Minder files rond schoolpoorten",
        "summary": "Veiliger verkeer aan scholen.",
        "challenge": "Het is er **onveilig**.",
        "expected_outcome": "Veiliger schoolomgevingen.",
        "keywords": "verkeersveiligheid",
        "budget_min": "50000",
        "budget_max": "150000",
        "deadline": (utcnow().date() + timedelta(days=30)).isoformat(),
        "procurement_route": "pre_commercial_procurement",
        "language": "nl",
        "cpv_codes": "",
        "action": "save",
    }
    data.update(overrides)
    return data


# --------------------------------------------------------------------------------------------------
# Events and meetings


def slot_at(event: Event, day: date, hour: int, minute: int = 0) -> Slot:
    starts = datetime.combine(day, time(hour, minute))
    return db.session.scalars(
        sa.select(Slot).where(Slot.event_id == event.id, Slot.starts_at == starts)
    ).one()


def days_ago(days: int) -> date:
    return local_now().date() - timedelta(days=days)


def move_event_to(event: Event, day: date) -> None:
    """Shift the event's (single) day and its slots to `day`."""
    event_day = event.days[0]
    delta = datetime.combine(day, datetime.min.time()) - datetime.combine(event_day.day, datetime.min.time())
    event_day.day = day
    for slot in event.slots:
        slot.starts_at += delta
        slot.ends_at += delta
    db.session.commit()


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
