"""The organizer's corrections by hand: lock, move, swap, remove and add meetings.

Conflicts are refused here with a message; the database is the last line. Every change participants can
see (a published meeting moved or cancelled) increases the meeting's sequence (calendar feeds) and marks it
for the next "publish changes", which notifies the participants affected.
"""

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    EventTable,
    Meeting,
    MeetingAttendee,
    Registration,
    RegistrationStatus,
    Slot,
    SlotKind,
    User,
    utcnow,
)
from matchmaker.services import ServiceError, commit, unit_of_work
from matchmaker.services.scheduling.meetings import (
    _add_attendees,
    _cancel_or_delete,
    _insert_meeting,
    _pair,
    absent_ids,
    requested_pairs,
)
from matchmaker.services.scheduling.runs import _check_editable


def _conflict_text() -> str:
    return _(
        "Someone else changed the schedule at the same moment: that place is taken now. Reload and try again."
    )


def _busy(registration_id: int, slot_id: int, except_ids: tuple[int, ...] = ()) -> Meeting | None:
    query = (
        sa.select(Meeting)
        .join(MeetingAttendee, MeetingAttendee.meeting_id == Meeting.id)
        .where(MeetingAttendee.registration_id == registration_id, MeetingAttendee.slot_id == slot_id)
    )
    if except_ids:
        query = query.where(Meeting.id.not_in(except_ids))
    return db.session.scalar(query.limit(1))


def _table_taken(slot_id: int, table_id: int, except_ids: tuple[int, ...] = ()) -> Meeting | None:
    query = sa.select(Meeting).where(
        Meeting.slot_id == slot_id, Meeting.table_id == table_id, Meeting.cancelled_at.is_(None)
    )
    if except_ids:
        query = query.where(Meeting.id.not_in(except_ids))
    return db.session.scalar(query.limit(1))


def _check_place(event: Event, slot: Slot | None, table: EventTable | None) -> tuple[Slot, EventTable]:
    if slot is None or slot.event_id != event.id or slot.kind != SlotKind.MEETING:
        raise ServiceError(_("Choose one of the event's meeting slots."))
    if table is None or table.event_id != event.id:
        raise ServiceError(_("Choose one of the event's tables."))
    return slot, table


def _check_people_free(
    registrations: tuple[Registration, ...], slot: Slot, except_ids: tuple[int, ...] = ()
) -> None:
    for registration in registrations:
        if _busy(registration.id, slot.id, except_ids) is not None:
            raise ServiceError(
                _(
                    "%(name)s already has a meeting at %(time)s.",
                    name=registration.user.display_name,
                    time=slot.starts_at.strftime("%H:%M"),
                )
            )
        chosen = {s.id for s in registration.available_slots}
        if chosen and slot.id not in chosen:
            raise ServiceError(
                _(
                    "%(name)s is not available at %(time)s.",
                    name=registration.user.display_name,
                    time=slot.starts_at.strftime("%H:%M"),
                )
            )


def _changed_published(meeting: Meeting) -> None:
    if meeting.published:
        meeting.sequence += 1
        meeting.notice_pending = True


def set_locked(user: User, meeting: Meeting, locked: bool) -> Meeting:
    _check_editable(user, meeting.event)
    if meeting.cancelled_at is not None:
        raise ServiceError(_("This meeting was cancelled."))
    if not locked and meeting.published:
        raise ServiceError(_("A published meeting stays locked: move or cancel it instead."))
    meeting.locked = locked
    commit()
    return meeting


def move_meeting(user: User, meeting: Meeting, slot: Slot | None, table: EventTable | None) -> Meeting:
    event = meeting.event
    _check_editable(user, event)
    if meeting.cancelled_at is not None:
        raise ServiceError(_("This meeting was cancelled."))
    slot, table = _check_place(event, slot, table)
    if (slot.id, table.id) == (meeting.slot_id, meeting.table_id):
        raise ServiceError(_("The meeting is already there."))
    other = _table_taken(slot.id, table.id, (meeting.id,))
    if other is not None:
        raise ServiceError(
            _(
                "%(table)s is taken at %(time)s; swap the two meetings instead.",
                table=table.display_name,
                time=slot.starts_at.strftime("%H:%M"),
            )
        )
    _check_people_free(meeting.registrations, slot, (meeting.id,))
    meeting.slot_id, meeting.table_id = slot.id, table.id
    _changed_published(meeting)
    commit(_conflict_text())
    # The attendees' slot followed through ON UPDATE CASCADE; reload what the session holds.
    for attendee in meeting.attendees:
        db.session.expire(attendee)
    db.session.expire(meeting)
    return meeting


def swap_meetings(user: User, first: Meeting, second: Meeting) -> None:
    """Exchange the places (slot and table) of two meetings of the event."""
    event = first.event
    _check_editable(user, event)
    if first.id == second.id or second.event_id != event.id:
        raise ServiceError(_("Choose another meeting of this event to swap with."))
    if first.cancelled_at is not None or second.cancelled_at is not None:
        raise ServiceError(_("This meeting was cancelled."))
    ids = (first.id, second.id)
    place_a, place_b = (first.slot, first.table_id), (second.slot, second.table_id)
    _check_people_free(first.registrations, place_b[0], ids)
    _check_people_free(second.registrations, place_a[0], ids)
    # Attendee rows are unique per (slot, participant) and a table holds one meeting per slot: take both
    # meetings out of those indexes, move them, and put them back, all in one transaction.
    with unit_of_work(_conflict_text()):
        _swap(first, second, place_a, place_b, ids)


def _swap(first: Meeting, second: Meeting, place_a, place_b, ids) -> None:
    db.session.execute(sa.delete(MeetingAttendee).where(MeetingAttendee.meeting_id.in_(ids)))
    for meeting in (first, second):
        db.session.expire(meeting, ["attendees"])
    parked = utcnow()
    first.cancelled_at = parked
    db.session.flush()
    second.slot_id, second.table_id = place_a[0].id, place_a[1]
    db.session.flush()
    first.slot_id, first.table_id = place_b[0].id, place_b[1]
    first.cancelled_at = None
    db.session.flush()
    for meeting in (first, second):
        _add_attendees(meeting)
        _changed_published(meeting)


def remove_meeting(user: User, meeting: Meeting, reason: str = "") -> None:
    """Take a meeting out. An unpublished one disappears; a published one is cancelled (its row stays for
    the calendar feeds, with a higher sequence), and its participants are told on the next publication."""
    _check_editable(user, meeting.event)
    if meeting.cancelled_at is not None:
        raise ServiceError(_("This meeting was cancelled already."))
    _cancel_or_delete(meeting, reason or "removed by the organizer")
    commit()


def add_meeting(
    user: User,
    event: Event,
    first: Registration | None,
    second: Registration | None,
    slot: Slot | None,
    table: EventTable | None,
) -> Meeting:
    """The organizer places a meeting by hand (locked, so a full re-run keeps it)."""
    _check_editable(user, event)
    for registration in (first, second):
        if (
            registration is None
            or registration.event_id != event.id
            or registration.status != RegistrationStatus.APPROVED
        ):
            raise ServiceError(_("Choose two approved participants of this event."))
    if first.id == second.id or first.role == second.role:
        raise ServiceError(_("Meetings at this event are between a buyer and a supplier."))
    absent = absent_ids(event)
    if first.id in absent or second.id in absent:
        raise ServiceError(_("One of them is marked absent."))
    slot, table = _check_place(event, slot, table)
    pair = _pair(first.id, second.id)
    existing = db.session.scalar(
        sa.select(Meeting).where(
            Meeting.event_id == event.id,
            Meeting.first_registration_id == pair[0],
            Meeting.second_registration_id == pair[1],
            Meeting.cancelled_at.is_(None),
        )
    )
    if existing is not None:
        raise ServiceError(
            _("These two already have a meeting at %(time)s.", time=existing.slot.starts_at.strftime("%H:%M"))
        )
    if _table_taken(slot.id, table.id) is not None:
        raise ServiceError(
            _(
                "%(table)s is taken at %(time)s.",
                table=table.display_name,
                time=slot.starts_at.strftime("%H:%M"),
            )
        )
    _check_people_free((first, second), slot)
    candidate = requested_pairs(event).get(pair)
    with unit_of_work(_conflict_text()):
        meeting = _insert_meeting(event.id, slot.id, table.id, pair, candidate, locked=True)
    return meeting
