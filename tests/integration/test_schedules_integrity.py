"""The database itself keeps the schedule sound (SQLite and PostgreSQL): nobody twice in a slot, a table
once per slot, a pair once; moving a meeting moves its attendees; two organizers racing for one place."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from matchmaker.extensions import db
from matchmaker.models import Event, EventTable, Meeting, MeetingAttendee, Slot, User, utcnow
from matchmaker.services import ServiceError
from matchmaker.services import scheduling as service
from matchmaker.services.scheduling import corrections
from tests.factories import Setup
from tests.helpers import FAST_SCHEDULER, race, require_postgres

pytestmark = pytest.mark.usefixtures("english_request_context")


@pytest.fixture
def app_overrides() -> dict:
    return dict(FAST_SCHEDULER)


def insert_meeting(event, first, second, slot, table, attendees=True) -> Meeting:
    a, b = sorted((first.id, second.id))
    meeting = Meeting(
        event_id=event.id,
        slot_id=slot.id,
        table_id=table.id,
        first_registration_id=a,
        second_registration_id=b,
        uid=service.new_uid(),
    )
    db.session.add(meeting)
    db.session.flush()
    if attendees:
        for rid in (a, b):
            db.session.add(MeetingAttendee(meeting_id=meeting.id, slot_id=slot.id, registration_id=rid))
        db.session.flush()
    return meeting


def test_a_participant_cannot_be_in_two_meetings_in_one_slot(setup: Setup):
    event, slot = setup.event, setup.event.meeting_slots[0]
    insert_meeting(event, setup.buyers[0], setup.suppliers[0], slot, event.tables[0])
    db.session.commit()
    with pytest.raises(IntegrityError):
        insert_meeting(event, setup.buyers[0], setup.suppliers[1], slot, event.tables[1])
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 1


def test_a_table_holds_one_meeting_per_slot(setup: Setup):
    event, slot = setup.event, setup.event.meeting_slots[0]
    insert_meeting(event, setup.buyers[0], setup.suppliers[0], slot, event.tables[0])
    db.session.commit()
    with pytest.raises(IntegrityError):
        insert_meeting(event, setup.buyers[1], setup.suppliers[1], slot, event.tables[0], attendees=False)
    db.session.rollback()


def test_a_cancelled_meeting_frees_its_table(setup: Setup):
    event, slot = setup.event, setup.event.meeting_slots[0]
    meeting = insert_meeting(
        event, setup.buyers[0], setup.suppliers[0], slot, event.tables[0], attendees=False
    )
    meeting.cancelled_at = utcnow()
    db.session.commit()
    insert_meeting(event, setup.buyers[1], setup.suppliers[1], slot, event.tables[0])
    db.session.commit()


def test_a_pair_meets_once(setup: Setup):
    event = setup.event
    insert_meeting(event, setup.buyers[0], setup.suppliers[0], event.meeting_slots[0], event.tables[0])
    db.session.commit()
    with pytest.raises(IntegrityError):
        insert_meeting(event, setup.buyers[0], setup.suppliers[0], event.meeting_slots[1], event.tables[0])
    db.session.rollback()


def test_an_attendee_row_must_repeat_its_meetings_slot(setup: Setup):
    event = setup.event
    meeting = insert_meeting(
        event, setup.buyers[0], setup.suppliers[0], event.meeting_slots[0], event.tables[0], False
    )
    db.session.commit()
    db.session.add(
        MeetingAttendee(
            meeting_id=meeting.id, slot_id=event.meeting_slots[1].id, registration_id=setup.buyers[0].id
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_moving_a_meeting_moves_its_attendees_slot(setup: Setup):
    """ON UPDATE CASCADE through the composite foreign key (meeting id, slot)."""
    event = setup.event
    meeting = insert_meeting(
        event, setup.buyers[0], setup.suppliers[0], event.meeting_slots[0], event.tables[0]
    )
    db.session.commit()
    target = event.meeting_slots[3].id
    db.session.execute(sa.update(Meeting).where(Meeting.id == meeting.id).values(slot_id=target))
    db.session.commit()
    slots = db.session.scalars(
        sa.select(MeetingAttendee.slot_id).where(MeetingAttendee.meeting_id == meeting.id)
    ).all()
    assert slots == [target, target]
    # ... and then the unique (slot, participant) index sees the move.
    with pytest.raises(IntegrityError):
        insert_meeting(
            event, setup.buyers[0], setup.suppliers[1], db.session.get(Slot, target), event.tables[1]
        )
    db.session.rollback()


def test_the_service_refuses_what_the_database_would(setup: Setup, organizer):
    event = setup.event
    slot, table = event.meeting_slots[0], event.tables[0]
    service.add_meeting(organizer, event, setup.buyers[0], setup.suppliers[0], slot, table)
    with pytest.raises(ServiceError, match="already has a meeting"):
        service.add_meeting(organizer, event, setup.buyers[0], setup.suppliers[1], slot, event.tables[1])
    with pytest.raises(ServiceError, match="is taken"):
        service.add_meeting(organizer, event, setup.buyers[1], setup.suppliers[1], slot, table)


def test_an_integrity_error_becomes_a_message(setup: Setup, organizer, monkeypatch):
    """If a check is passed by a concurrent change, the database refuses and the organizer reads why."""
    event = setup.event
    slot, table = event.meeting_slots[0], event.tables[0]
    service.add_meeting(organizer, event, setup.buyers[0], setup.suppliers[0], slot, table)
    monkeypatch.setattr(corrections, "_table_taken", lambda *args, **kwargs: None)
    with pytest.raises(ServiceError, match="at the same moment"):
        service.add_meeting(organizer, event, setup.buyers[1], setup.suppliers[1], slot, table)
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 1


# --- races (PostgreSQL) ---------------------------------------------------------------------------------


@pytest.mark.postgres
def test_two_organizers_moving_two_meetings_into_one_free_place_at_once(
    app, setup: Setup, organizer, make_user
):
    require_postgres()
    admin = make_user(roles=("admin",), language="en")
    event = setup.event
    slots, tables = event.meeting_slots, event.tables
    for round_ in range(4):
        db.session.execute(sa.delete(MeetingAttendee))
        db.session.execute(sa.delete(Meeting))
        db.session.commit()
        first = service.add_meeting(
            organizer, event, setup.buyers[0], setup.suppliers[0], slots[0], tables[0]
        )
        second = service.add_meeting(
            organizer, event, setup.buyers[1], setup.suppliers[1], slots[1], tables[1]
        )
        target_slot, target_table = slots[4 + round_ % 3].id, tables[2].id
        ids = (first.id, second.id)

        def mover(user_id, meeting_id, target_slot=target_slot, target_table=target_table):
            def move():
                service.move_meeting(
                    db.session.get(User, user_id),
                    db.session.get(Meeting, meeting_id),
                    db.session.get(Slot, target_slot),
                    db.session.get(EventTable, target_table),
                )

            return move

        results = race(app, mover(organizer.id, ids[0]), mover(admin.id, ids[1]), language="en")
        assert results.count("ok") == 1, results
        loser = next(r for r in results if r != "ok")
        assert "same moment" in loser.message or "is taken" in loser.message
        db.session.expire_all()
        there = db.session.scalars(
            sa.select(Meeting).where(Meeting.slot_id == target_slot, Meeting.table_id == target_table)
        ).all()
        assert len(there) == 1
        assert db.session.get(Event, event.id) is not None
