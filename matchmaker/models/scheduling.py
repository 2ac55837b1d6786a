"""Scheduled 1:1 meetings and the scheduler runs that produce them.

Integrity is the database's job, not the views': whatever two organizers do at once,
- a table holds at most one (active) meeting per slot: a partial unique index on meeting (slot, table);
- nobody is in two meetings in one slot: each active meeting has one `meeting_attendee` row per participant,
  unique on (slot, registration). The attendee row repeats the meeting's slot through a composite foreign key
  (meeting id, slot) with ON UPDATE CASCADE, so moving a meeting moves its attendees' slot with it and the
  unique index sees the move;
- a pair meets at most once per event: a partial unique index on the ordered pair of active meetings.

A cancelled meeting keeps its row (with `cancelled_at` set, its attendee rows deleted) so that calendar feeds
can send the cancellation under the same UID with a higher SEQUENCE.

Runs: the organizer starts a run; a worker thread (or `flask schedules run`) solves it and reports progress
into the row, which the page polls. At most one queued or running run per event (partial unique index).
"""

import enum
import secrets
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import enum_check, utcnow
from matchmaker.models.events import Event, EventTable, MeetingRequest, Registration, Slot
from matchmaker.models.user import User

ACTIVE = sa.text("cancelled_at IS NULL")


def new_room_token() -> str:
    """The secret part of a meeting's generated online link: 96 random bits (services.online)."""
    return secrets.token_hex(12)


class MeetingSource(enum.StrEnum):
    """How the pair arose; it gives the meeting's weight for the scheduler."""

    MUTUAL = "mutual"  # both asked: weight 3
    ACCEPTED = "accepted"  # one asked, the other accepted: weight 2
    SUGGESTED = "suggested"  # proposed by the matching engine to fill free time: weight 1
    MANUAL = "manual"  # placed by hand by the organizer


SOURCE_WEIGHTS = {
    MeetingSource.MUTUAL: 3,
    MeetingSource.ACCEPTED: 2,
    MeetingSource.SUGGESTED: 1,
    MeetingSource.MANUAL: 2,
}


class RunMode(enum.StrEnum):
    FULL = "full"  # (re)schedule everything that is not locked
    FILL = "fill"  # keep every existing meeting, fill the free slots only


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


ACTIVE_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class Meeting(db.Model):
    """A 1:1 meeting between two registrations of an event, at a table in a meeting slot."""

    __tablename__ = "meeting"
    __table_args__ = (
        enum_check("source", MeetingSource),
        sa.CheckConstraint("first_registration_id < second_registration_id", name="ordered_pair"),
        sa.CheckConstraint("weight >= 0", name="weight_positive"),
        sa.CheckConstraint("sequence >= 0", name="sequence_positive"),
        # The target of meeting_attendee's composite foreign key.
        sa.UniqueConstraint("id", "slot_id", name="uq_meeting_id_slot_id"),
        sa.Index(
            "uq_meeting_slot_table_active",
            "slot_id",
            "table_id",
            unique=True,
            sqlite_where=ACTIVE,
            postgresql_where=ACTIVE,
        ),
        sa.Index(
            "uq_meeting_pair_active",
            "event_id",
            "first_registration_id",
            "second_registration_id",
            unique=True,
            sqlite_where=ACTIVE,
            postgresql_where=ACTIVE,
        ),
        sa.Index("ix_meeting_event_id_cancelled_at", "event_id", "cancelled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int] = mapped_column(sa.ForeignKey("slot.id", ondelete="CASCADE"), index=True)
    table_id: Mapped[int] = mapped_column(sa.ForeignKey("event_table.id", ondelete="CASCADE"), index=True)
    first_registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    second_registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    request_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("meeting_request.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str] = mapped_column(sa.String(10), default=MeetingSource.ACCEPTED)
    weight: Mapped[int] = mapped_column(default=2)
    # Locked meetings are kept as they are by every later run (published meetings are locked).
    locked: Mapped[bool] = mapped_column(default=False)
    # Shown to the participants (agenda, calendar feed) since the agenda was published.
    published: Mapped[bool] = mapped_column(default=False)
    # iCalendar: the UID never changes; SEQUENCE goes up with every change the participants can see.
    uid: Mapped[str] = mapped_column(sa.String(100), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    # The unguessable part of the meeting's online link when the event generates one per meeting.
    room_token: Mapped[str] = mapped_column(sa.String(32), default=new_room_token)
    # A published meeting moved or cancelled since the last publication: its participants are told on the
    # next "publish changes".
    notice_pending: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[Optional[datetime]]
    cancel_reason: Mapped[str] = mapped_column(sa.String(200), default="")

    event: Mapped[Event] = relationship()
    slot: Mapped[Slot] = relationship()
    table: Mapped[EventTable] = relationship()
    first_registration: Mapped[Registration] = relationship(foreign_keys=[first_registration_id])
    second_registration: Mapped[Registration] = relationship(foreign_keys=[second_registration_id])
    request: Mapped[Optional[MeetingRequest]] = relationship()
    attendees: Mapped[list["MeetingAttendee"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return (
            f"<Meeting {self.id} event={self.event_id} slot={self.slot_id} table={self.table_id} "
            f"{self.first_registration_id}-{self.second_registration_id}>"
        )

    @property
    def is_active(self) -> bool:
        return self.cancelled_at is None

    @property
    def registrations(self) -> tuple[Registration, Registration]:
        return self.first_registration, self.second_registration

    def other(self, registration_id: int) -> Registration:
        """The other party of the meeting, seen from one of its participants."""
        if registration_id == self.first_registration_id:
            return self.second_registration
        return self.first_registration


class MeetingAttendee(db.Model):
    """One participant of an active meeting, in the meeting's slot: unique (slot, registration) means nobody
    is double-booked. Maintained by services.scheduling; deleted when the meeting is cancelled."""

    __tablename__ = "meeting_attendee"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["meeting_id", "slot_id"],
            ["meeting.id", "meeting.slot_id"],
            name="fk_meeting_attendee_meeting_slot",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.UniqueConstraint("slot_id", "registration_id", name="uq_meeting_attendee_slot_registration"),
        sa.UniqueConstraint("meeting_id", "registration_id", name="uq_meeting_attendee_meeting_registration"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(index=True)
    slot_id: Mapped[int] = mapped_column()
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )

    meeting: Mapped[Meeting] = relationship(back_populates="attendees")
    registration: Mapped[Registration] = relationship()


class Absence(db.Model):
    """A participant the organizer marked absent on the day (a no-show): their remaining meetings are
    cancelled and later runs leave them out."""

    __tablename__ = "absence"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), unique=True
    )
    marked_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)

    registration: Mapped[Registration] = relationship()


class CheckIn(db.Model):
    """A participant who arrived at the event, as the organizers checked them in (services.checkin). At most
    one per registration: two organizers scanning the same badge at once record one arrival."""

    __tablename__ = "check_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), unique=True
    )
    checked_in_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    arrived_at: Mapped[datetime] = mapped_column(default=utcnow)

    registration: Mapped[Registration] = relationship()


class SchedulingRun(db.Model):
    """One run of the scheduler for an event: what was asked, how far it got, and the quality certificate."""

    __tablename__ = "scheduling_run"
    __table_args__ = (
        enum_check("mode", RunMode),
        enum_check("status", RunStatus),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name="progress_range"),
        sa.Index(
            "uq_scheduling_run_active",
            "event_id",
            unique=True,
            sqlite_where=sa.text("status IN ('queued', 'running')"),
            postgresql_where=sa.text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    mode: Mapped[str] = mapped_column(sa.String(10), default=RunMode.FULL)
    status: Mapped[str] = mapped_column(sa.String(10), default=RunStatus.QUEUED)
    include_suggestions: Mapped[bool] = mapped_column(default=False)
    fairness_target: Mapped[int] = mapped_column(default=2)
    time_limit: Mapped[int] = mapped_column(default=60)  # seconds
    progress: Mapped[float] = mapped_column(sa.Float, default=0.0)
    message: Mapped[str] = mapped_column(sa.String(300), default="")
    started_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[Optional[datetime]]
    finished_at: Mapped[Optional[datetime]]
    # The certificate: what the schedule reached beside the best bound the engine proved.
    fair_share: Mapped[Optional[float]] = mapped_column(sa.Float)
    fair_share_bound: Mapped[Optional[float]] = mapped_column(sa.Float)
    weight: Mapped[Optional[float]] = mapped_column(sa.Float)
    weight_bound: Mapped[Optional[float]] = mapped_column(sa.Float)
    proven_optimal: Mapped[bool] = mapped_column(default=False)
    # Statistics (meetings per participant min/median/max, ...) and the requests left out with their reasons.
    stats: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    unscheduled: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    error: Mapped[str] = mapped_column(sa.Text, default="")

    event: Mapped[Event] = relationship()
    started_by: Mapped[Optional[User]] = relationship()

    def __repr__(self) -> str:
        return (
            f"<SchedulingRun {self.id} event={self.event_id} {self.mode} {self.status} {self.progress:.0%}>"
        )

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_RUN_STATUSES
