"""The event day: the organizers' live board and a participant's "now".

The live board shows, at a moment on the event's clock (`now`, default `event_rules.local_now()`), the
meeting slot going on and the next one: per table the meeting there, each party's arrival (checked in, not
yet, marked absent), who is late (their meeting has begun and they have not checked in) and the empty tables.
Its actions reuse the schedule's services: a move to a free table is `corrections.move_meeting` (with the
database's invariants), a no-show is `cancellations.mark_absent`, and "fill the gaps" is a fill run with
suggestions (`runs.start_run`): once the agenda is published, a fill run suggests meetings for the
participants whose partner did not come (with people who have checked in) in the slots that have not begun
(`instance.build_instance`); the organizer publishes its meetings as any change, which tells the people
concerned and puts the meetings in their agendas and calendar feeds.

On the day, a change must reach the two people concerned at once: a move from the board of a published agenda
tells them right away (`tell_changes_now`), with the notice a publication would send. The fill run's
meetings wait for the organizer's review, since a scheduler's proposal should not reach anyone's phone
unseen; publishing them from the board tells their parties at once too. Any other change still waiting for
its notice (a move on the schedule page, say) keeps the board's "send the changes" button in view.

Cost: a fixed number of queries whatever the number of participants (the board loads the meetings of two
slots, and the arrivals, absences and gaps as sets of ids).
"""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    EventStatus,
    EventTable,
    Meeting,
    Registration,
    RegistrationStatus,
    RunMode,
    SchedulingRun,
    Slot,
    SlotKind,
    User,
)
from matchmaker.services import ServiceError, commit, discard, event_rules, online
from matchmaker.services import agendas as agendas_service
from matchmaker.services.checkin import arrival_of, arrived_ids
from matchmaker.services.scheduling.cancellations import mark_absent
from matchmaker.services.scheduling.corrections import move_meeting
from matchmaker.services.scheduling.instance import freed_by_absence
from matchmaker.services.scheduling.meetings import absent_ids
from matchmaker.services.scheduling.notices import tell_about_meeting
from matchmaker.services.scheduling.runs import latest_run, start_run

ARRIVED = "arrived"
WAITING = "waiting"
ABSENT = "absent"

# The proposed meetings listed on the board (the schedule's grid has them all).
PROPOSED_SHOWN = 30

# A fill run on the day: short, the organizer is waiting for it at the board.
GAP_RUN_SECONDS = 20


def _now(now: datetime | None) -> datetime:
    return now or event_rules.local_now()


def slot_at(slots: list[Slot], now: datetime) -> Slot | None:
    """The slot (of any kind) going on at `now`."""
    return next((s for s in slots if s.starts_at <= now < s.ends_at), None)


def next_meeting_slot(slots: list[Slot], now: datetime) -> Slot | None:
    """The first meeting slot that begins after `now`."""
    return next((s for s in slots if s.kind == SlotKind.MEETING and s.starts_at > now), None)


# --- the organizers' live board --------------------------------------------------------------------------


@dataclass
class Attendee:
    registration: Registration
    state: str  # ARRIVED, WAITING or ABSENT

    @property
    def name(self) -> str:
        return self.registration.user.display_name


@dataclass
class Seat:
    """A meeting on the board: its parties with their arrival, and where it may move to."""

    meeting: Meeting
    attendees: list[Attendee]
    begun: bool
    free_tables: list[EventTable] = field(default_factory=list)

    @property
    def late(self) -> list[Attendee]:
        return [a for a in self.attendees if a.state == WAITING] if self.begun else []


@dataclass
class TableRow:
    table: EventTable
    now: Seat | None = None
    next: Seat | None = None


@dataclass
class Board:
    event: Event
    now: datetime
    current: Slot | None  # the slot going on (a meeting slot, a break or a plenary session), if any
    now_slot: Slot | None  # the meeting slot going on
    next_slot: Slot | None
    rows: list[TableRow]
    arrived: int
    participants: int
    absent: list[Registration]
    freed: list[Registration]  # whose partner did not come, and who are free now or next
    run: SchedulingRun | None
    proposed: list[Meeting]  # meetings a fill run proposed (or placed by hand), not yet published
    pending_notices: int = 0  # published meetings changed since their parties were told

    @property
    def late(self) -> list[tuple[Attendee, Seat]]:
        return [(a, row.now) for row in self.rows if row.now for a in row.now.late]

    @property
    def empty_now(self) -> list[EventTable]:
        return [row.table for row in self.rows if row.now is None] if self.now_slot else []

    @property
    def empty_next(self) -> list[EventTable]:
        return [row.table for row in self.rows if row.next is None] if self.next_slot else []

    @property
    def over(self) -> bool:
        return self.now_slot is None and self.next_slot is None and self.current is None


def _slot_meetings(event: Event, slot_ids: list[int]) -> list[Meeting]:
    if not slot_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .where(
                Meeting.event_id == event.id,
                Meeting.slot_id.in_(slot_ids),
                Meeting.cancelled_at.is_(None),
            )
            .options(
                selectinload(Meeting.first_registration),
                selectinload(Meeting.second_registration),
            )
        )
    )


def live_board(event: Event, now: datetime | None = None) -> Board:
    """What the organizers see at `now` (default: the event's clock)."""
    now = _now(now)
    slots = sorted(event.slots, key=lambda s: s.starts_at)
    current = slot_at(slots, now)
    now_slot = current if current is not None and current.kind == SlotKind.MEETING else None
    next_slot = next_meeting_slot(slots, now)
    tables = sorted(event.tables, key=lambda t: t.number)
    arrived, absent = arrived_ids(event), absent_ids(event)

    def state(registration_id: int) -> str:
        if registration_id in absent:
            return ABSENT
        return ARRIVED if registration_id in arrived else WAITING

    rows = {t.id: TableRow(t) for t in tables}
    busy: dict[int, set[int]] = {}  # slot id -> registrations in a meeting then
    meetings = _slot_meetings(event, [s.id for s in (now_slot, next_slot) if s is not None])
    for meeting in meetings:
        busy.setdefault(meeting.slot_id, set()).update(
            (meeting.first_registration_id, meeting.second_registration_id)
        )
        if meeting.table_id not in rows:
            continue
        seat = Seat(
            meeting,
            [Attendee(r, state(r.id)) for r in meeting.registrations],
            begun=now_slot is not None and meeting.slot_id == now_slot.id,
        )
        if now_slot is not None and meeting.slot_id == now_slot.id:
            rows[meeting.table_id].now = seat
        else:
            rows[meeting.table_id].next = seat
    for row in rows.values():
        for seat, which in ((row.now, "now"), (row.next, "next")):
            if seat is not None:
                seat.free_tables = [r.table for r in rows.values() if getattr(r, which) is None]
    participants = db.session.scalar(
        sa.select(sa.func.count(Registration.id)).where(
            Registration.event_id == event.id, Registration.status == RegistrationStatus.APPROVED
        )
    )
    # Freed by a no-show, unless they have a meeting both now and next already.
    freed_ids = freed_by_absence(event) - (
        busy.get(getattr(now_slot, "id", None), set()) & busy.get(getattr(next_slot, "id", None), set())
    )
    named = _registrations(freed_ids | absent)
    proposed = list(
        db.session.scalars(
            sa.select(Meeting)
            .join(Slot, Slot.id == Meeting.slot_id)
            .where(Meeting.event_id == event.id, Meeting.cancelled_at.is_(None), Meeting.published.is_(False))
            .order_by(Slot.starts_at, Meeting.id)
            .limit(PROPOSED_SHOWN)
            .options(
                selectinload(Meeting.first_registration),
                selectinload(Meeting.second_registration),
            )
        )
    )
    pending_notices = db.session.scalar(
        sa.select(sa.func.count(Meeting.id)).where(
            Meeting.event_id == event.id, Meeting.notice_pending.is_(True)
        )
    )
    return Board(
        event=event,
        now=now,
        current=current,
        now_slot=now_slot,
        next_slot=next_slot,
        rows=list(rows.values()),
        arrived=len(arrived - absent),
        participants=participants or 0,
        absent=[named[i] for i in sorted(absent, key=lambda i: _sort_name(named, i)) if i in named],
        freed=[named[i] for i in sorted(freed_ids, key=lambda i: _sort_name(named, i)) if i in named],
        run=latest_run(event),
        proposed=proposed,
        pending_notices=pending_notices or 0,
    )


def _registrations(ids: set[int]) -> dict[int, Registration]:
    if not ids:
        return {}
    return {r.id: r for r in db.session.scalars(sa.select(Registration).where(Registration.id.in_(ids)))}


def _sort_name(named: dict[int, Registration], registration_id: int) -> str:
    registration = named.get(registration_id)
    return registration.user.display_name.casefold() if registration else ""


def move_to_free_table(user: User, meeting: Meeting, table: EventTable | None) -> int:
    """Move a meeting to another table in its own slot (the table is broken, taken, too loud...): the
    schedule's move, whose refusals and database invariants hold (a table taken meanwhile is refused). Once
    the agenda is published its two parties are told at once. Returns how many were told."""
    if table is None or table.event_id != meeting.event_id:
        raise ServiceError(_("Choose one of the event's tables."))
    moved = move_meeting(user, meeting, meeting.slot, table)
    if moved.event.status != EventStatus.AGENDA_PUBLISHED:
        return 0
    return tell_changes_now(moved)


def tell_changes_now(meeting: Meeting) -> int:
    """Tell the two parties of a published meeting that changed (moved, or cancelled and waiting for its
    notice) now rather than at the next publication: the notice "publish changes" would send, the new table
    and time and an updated .ics. Returns how many were told.

    Sent once: the meeting's pending notice is claimed by an UPDATE that only one transaction can make (two
    organizers at the board, or a publication at the same moment, which claims its notices the same way); the
    claim commits with the first notice."""
    claimed = db.session.execute(
        sa.update(Meeting)
        .where(Meeting.id == meeting.id, Meeting.notice_pending.is_(True))
        .values(notice_pending=False)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        discard()
        return 0
    db.session.expire(meeting)
    kind = "meeting_removed" if meeting.cancelled_at is not None else "meeting_moved"
    told = 0
    for registration in meeting.registrations:
        if registration.status == RegistrationStatus.APPROVED:
            tell_about_meeting(registration, meeting, kind)  # commits (the first one with the claim)
            told += 1
    commit()
    return told


def mark_no_show(user: User, registration: Registration) -> int:
    """The board's "mark absent": the schedule's no-show (their remaining meetings are cancelled)."""
    return mark_absent(user, registration)


def fill_gaps(user: User, event: Event) -> SchedulingRun:
    """A fill run with suggestions: once the agenda is published it proposes meetings, in slots that have not
    begun, for the participants whose partner did not come (and late participants), keeping every meeting.
    Its meetings wait for the organizer to publish them."""
    return start_run(user, event, RunMode.FILL, include_suggestions=True, time_limit=GAP_RUN_SECONDS)


# --- a participant's "now" ---------------------------------------------------------------------------------


@dataclass
class NowMeeting:
    meeting: Meeting
    other: agendas_service.Party
    begun: bool
    online_link: str | None = None  # the meeting's video link (the participant is one of its parties)
    online_only: bool = False


@dataclass
class NowView:
    registration: Registration
    now: datetime
    published: bool
    current: NowMeeting | None
    next: NowMeeting | None
    current_slot: Slot | None  # the slot going on, of any kind (a break has its title)
    remaining: int  # meetings after the next one
    checked_in: bool

    @property
    def over(self) -> bool:
        return self.published and self.current is None and self.next is None


def participant_now(registration: Registration, now: datetime | None = None) -> NowView:
    """A participant's current and next meeting at `now` (default: the event's clock)."""
    now = _now(now)
    event = registration.event
    published = agendas_service.is_published(event)
    meetings = agendas_service.meetings_of(registration) if published else []
    current = next((m for m in meetings if m.slot.starts_at <= now < m.slot.ends_at), None)
    coming = [m for m in meetings if m.slot.starts_at > now]

    def view(meeting: Meeting | None, begun: bool) -> NowMeeting | None:
        if meeting is None:
            return None
        return NowMeeting(
            meeting,
            agendas_service.party(meeting.other(registration.id)),
            begun,
            online.meeting_link(meeting),
            online.is_online_only(meeting),
        )

    slots = sorted(event.slots, key=lambda s: s.starts_at)
    return NowView(
        registration=registration,
        now=now,
        published=published,
        current=view(current, True),
        next=view(coming[0] if coming else None, False),
        current_slot=slot_at(slots, now),
        remaining=max(0, len(coming) - 1),
        checked_in=arrival_of(registration) is not None,
    )


def free_tables(meeting: Meeting) -> list[EventTable]:
    """The event's tables without an active meeting in the meeting's slot."""
    taken = set(
        db.session.scalars(
            sa.select(Meeting.table_id).where(
                Meeting.slot_id == meeting.slot_id, Meeting.cancelled_at.is_(None)
            )
        )
    )
    return [t for t in sorted(meeting.event.tables, key=lambda t: t.number) if t.id not in taken]
