"""Meet & greet events: the event, its days and programme, the slots and tables the scheduler fills,
registrations of buyers and suppliers, and the meeting requests between them.

Times: everything that belongs to the event's own clock — days, programme blocks, slots, the registration
window and the request deadline — is stored as a NAIVE Europe/Brussels local datetime (what the organizer
typed and what participants read on the programme). Bookkeeping timestamps (created_at, responded_at, ...) are
naive UTC, as everywhere else (`utcnow`). `services.event_rules.local_now()` gives "now" on the event's clock.
"""

import enum
from datetime import date, datetime, time
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship, selectinload, subqueryload

from matchmaker.extensions import db
from matchmaker.models.base import enum_check, utcnow
from matchmaker.models.catalogue import Need, Offering, Theme
from matchmaker.models.organisation import Organisation
from matchmaker.models.user import User

EVENT_TIMEZONE = "Europe/Brussels"


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    REGISTRATION_OPEN = "registration_open"
    REGISTRATION_CLOSED = "registration_closed"
    AGENDA_PUBLISHED = "agenda_published"
    CLOSED = "closed"


class Admission(enum.StrEnum):
    AUTOMATIC = "automatic"
    APPROVAL = "approval"


class AttendanceMode(enum.StrEnum):
    """Where an event's meetings take place: at the venue, online, or both (some tables are virtual rooms,
    or every meeting also has its own online link)."""

    ON_SITE = "on_site"
    ONLINE = "online"
    HYBRID = "hybrid"


class BlockKind(enum.StrEnum):
    """A part of a day's programme that blocks meeting slots."""

    BREAK = "break"
    PLENARY = "plenary"


class SlotKind(enum.StrEnum):
    MEETING = "meeting"
    BREAK = "break"
    PLENARY = "plenary"


class ParticipantRole(enum.StrEnum):
    BUYER = "buyer"
    SUPPLIER = "supplier"


class RegistrationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    CANCELLED = "cancelled"


class RequestStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


OPEN_REQUEST_STATUSES = (RequestStatus.PENDING, RequestStatus.ACCEPTED)


event_theme = sa.Table(
    "event_theme",
    db.metadata,
    sa.Column("event_id", sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("theme_id", sa.ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Event(db.Model):
    """A thematic meet & greet, organised by an organizer."""

    __tablename__ = "event"
    __table_args__ = (
        enum_check("status", EventStatus),
        enum_check("admission", Admission),
        enum_check("attendance_mode", AttendanceMode),
        sa.CheckConstraint(
            "reminder_minutes >= 0 AND reminder_minutes <= 1440", name="reminder_minutes_range"
        ),
        sa.CheckConstraint(
            "capacity_buyers IS NULL OR capacity_buyers >= 0", name="capacity_buyers_positive"
        ),
        sa.CheckConstraint(
            "capacity_suppliers IS NULL OR capacity_suppliers >= 0", name="capacity_suppliers_positive"
        ),
        sa.CheckConstraint("max_open_requests >= 1", name="max_open_requests_positive"),
        sa.CheckConstraint(
            "registration_opens_at IS NULL OR registration_closes_at IS NULL "
            "OR registration_opens_at < registration_closes_at",
            name="registration_window",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown
    venue_address: Mapped[str] = mapped_column(sa.String(300), default="")
    room_plan_note: Mapped[str] = mapped_column(sa.Text, default="")
    # The event's own online room (a plenary stream, a lobby), for its approved participants and organizers
    # only: never shown on public pages or in the public .ics (services.online). Meetings get their links
    # from their table (`EventTable.online_url`) or from `meeting_link_pattern`.
    online_url: Mapped[str] = mapped_column(sa.String(500), default="")
    # The SEQUENCE of the event's entries in its .ics (services.events.event_ical): raised by every change of
    # its details or programme, so that calendars update the entry they have instead of adding one.
    calendar_sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    attendance_mode: Mapped[str] = mapped_column(sa.String(10), default=AttendanceMode.ON_SITE)
    # e.g. "https://meet.example.org/{event}-{meeting}": a link per meeting (services.online.expand_pattern).
    meeting_link_pattern: Mapped[str] = mapped_column(sa.String(500), default="")
    # Minutes before each meeting that its participants get a reminder (0: none), services.reminders: the
    # default for those who did not choose their own in their notification settings.
    reminder_minutes: Mapped[int] = mapped_column(default=10)
    # Event-local (Europe/Brussels) naive datetimes, see the module docstring.
    registration_opens_at: Mapped[Optional[datetime]]
    registration_closes_at: Mapped[Optional[datetime]]
    request_deadline: Mapped[Optional[datetime]]
    capacity_buyers: Mapped[Optional[int]]  # None: no limit
    capacity_suppliers: Mapped[Optional[int]]
    admission: Mapped[str] = mapped_column(sa.String(10), default=Admission.AUTOMATIC)
    max_open_requests: Mapped[int] = mapped_column(default=10)
    status: Mapped[str] = mapped_column(sa.String(20), default=EventStatus.DRAFT, index=True)
    organizer_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organizer: Mapped[Optional[User]] = relationship()
    themes: Mapped[list[Theme]] = relationship(secondary=event_theme, order_by=Theme.position)
    days: Mapped[list["EventDay"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventDay.day"
    )
    tables: Mapped[list["EventTable"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventTable.number"
    )
    slots: Mapped[list["Slot"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Slot.starts_at"
    )
    registrations: Mapped[list["Registration"]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.status} {self.title!r}>"

    @property
    def first_day(self) -> Optional[date]:
        return self.days[0].day if self.days else None

    @property
    def last_day(self) -> Optional[date]:
        return self.days[-1].day if self.days else None

    @property
    def meeting_slots(self) -> list["Slot"]:
        return [slot for slot in self.slots if slot.kind == SlotKind.MEETING]

    def capacity(self, role: str) -> Optional[int]:
        return self.capacity_buyers if role == ParticipantRole.BUYER else self.capacity_suppliers


class EventDay(db.Model):
    """One day of an event and its programme: from start to end, in slots of `slot_minutes`."""

    __tablename__ = "event_day"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "day"),
        sa.CheckConstraint("start_time < end_time", name="hours"),
        sa.CheckConstraint("slot_minutes >= 5 AND slot_minutes <= 240", name="slot_minutes_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    day: Mapped[date]
    start_time: Mapped[time]
    end_time: Mapped[time]
    slot_minutes: Mapped[int] = mapped_column(default=20)

    event: Mapped[Event] = relationship(back_populates="days")
    blocks: Mapped[list["ProgrammeBlock"]] = relationship(
        back_populates="day", cascade="all, delete-orphan", order_by="ProgrammeBlock.start_time"
    )


class ProgrammeBlock(db.Model):
    """A break or a plenary session in a day's programme: no meetings take place during it."""

    __tablename__ = "programme_block"
    __table_args__ = (
        enum_check("kind", BlockKind),
        sa.CheckConstraint("start_time < end_time", name="hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day_id: Mapped[int] = mapped_column(sa.ForeignKey("event_day.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10), default=BlockKind.BREAK)
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    start_time: Mapped[time]
    end_time: Mapped[time]

    day: Mapped[EventDay] = relationship(back_populates="blocks")


class Slot(db.Model):
    """A period of an event day, generated from the programme. The scheduler puts meetings into
    (meeting slot, table) pairs; break and plenary slots are there so agendas can show them."""

    __tablename__ = "slot"
    __table_args__ = (
        enum_check("kind", SlotKind),
        sa.UniqueConstraint("event_id", "starts_at"),
        sa.CheckConstraint("starts_at < ends_at", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    day_id: Mapped[int] = mapped_column(sa.ForeignKey("event_day.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]  # event-local
    ends_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(sa.String(10), default=SlotKind.MEETING)
    label: Mapped[str] = mapped_column(sa.String(200), default="")

    event: Mapped[Event] = relationship(back_populates="slots")
    day: Mapped[EventDay] = relationship()

    def __repr__(self) -> str:
        return f"<Slot {self.id} {self.kind} {self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%H:%M}>"


class EventTable(db.Model):
    """A table or room where 1:1 meetings take place."""

    __tablename__ = "event_table"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "number"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    # A virtual room: the link its meetings take place at (online and hybrid events), services.online.
    online_url: Mapped[str] = mapped_column(sa.String(500), default="")

    event: Mapped[Event] = relationship(back_populates="tables")

    @property
    def label(self) -> str:
        """The table's own name, else its number: under a "Table" column header."""
        return self.name or str(self.number)

    @property
    def display_name(self) -> str:
        """The table named in full where no header says it is a table: its own name as the organizer wrote it
        ("Zaal Jan Breydel", "Tafel 1"), else "Table 3" in the reader's language. Adding the word "Table" to
        the label made "Tafel Tafel 1" and "Tafel Zaal Jan Breydel" (issue 18)."""
        return self.name or gettext("Table %(table)s", table=self.number)


registration_offering = sa.Table(
    "registration_offering",
    db.metadata,
    sa.Column("registration_id", sa.ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("offering_id", sa.ForeignKey("offering.id", ondelete="CASCADE"), primary_key=True, index=True),
)

registration_need = sa.Table(
    "registration_need",
    db.metadata,
    sa.Column("registration_id", sa.ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("need_id", sa.ForeignKey("need.id", ondelete="CASCADE"), primary_key=True, index=True),
)

registration_slot = sa.Table(
    "registration_slot",
    db.metadata,
    sa.Column("registration_id", sa.ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("slot_id", sa.ForeignKey("slot.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Registration(db.Model):
    """A buyer or supplier taking part in an event, with what they bring and when they are available."""

    __tablename__ = "registration"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "user_id"),
        sa.UniqueConstraint("event_id", "checkin_code"),
        enum_check("role", ParticipantRole),
        enum_check("status", RegistrationStatus),
        sa.CheckConstraint("max_meetings >= 1", name="max_meetings_positive"),
        sa.Index("ix_registration_event_id_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    role: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(10), default=RegistrationStatus.PENDING)
    max_meetings: Mapped[int] = mapped_column(default=8)
    registered_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    decided_at: Mapped[Optional[datetime]]
    # The secret part of the participant's calendar feed URL (set when first asked for; reset to revoke).
    calendar_token: Mapped[Optional[str]] = mapped_column(sa.String(64), unique=True)
    # The short code on the participant's agenda and badge that the organizer types or scans at check-in
    # (services.checkin); unique within the event, set when first asked for.
    checkin_code: Mapped[Optional[str]] = mapped_column(sa.String(12))

    event: Mapped[Event] = relationship(back_populates="registrations")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined", innerjoin=True)
    organisation: Mapped[Optional[Organisation]] = relationship(lazy="joined")
    registered_by: Mapped[Optional[User]] = relationship(foreign_keys=[registered_by_id])
    offerings: Mapped[list[Offering]] = relationship(secondary=registration_offering, order_by=Offering.title)
    needs: Mapped[list[Need]] = relationship(secondary=registration_need, order_by=Need.title)
    available_slots: Mapped[list[Slot]] = relationship(secondary=registration_slot, order_by=Slot.starts_at)

    def __repr__(self) -> str:
        return f"<Registration {self.id} event={self.event_id} user={self.user_id} {self.role} {self.status}>"

    @property
    def items(self) -> list:
        """The offerings (supplier) or needs (buyer) brought to the event."""
        return list(self.offerings) if self.role == ParticipantRole.SUPPLIER else list(self.needs)

    @property
    def shown_items(self) -> list:
        """What others see of the items brought: only those still public. An offering unpublished or a
        need taken back to draft after registering stays private to its organisation, also here."""
        return [item for item in self.items if item.is_public]

    @property
    def display_name(self) -> str:
        return self.user.display_name

    @property
    def organisation_name(self) -> str:
        return self.organisation.name if self.organisation else ""

    @property
    def is_active(self) -> bool:
        return self.status in (RegistrationStatus.PENDING, RegistrationStatus.APPROVED)


def with_items(themes: bool = True) -> tuple:
    """Loader options for a query of many registrations: their offerings and needs with their themes in one
    query per relation (not one per registration, which `shown_items` would otherwise cost in a loop).
    Subquery loading, not "select IN": that one sends a query per 500 parents, so its count would still grow
    with the event. The users' roles and memberships (loaded with every user otherwise) are left out: lists of
    participants do not show them, and the query-count tests fail if one starts to.

    Without `themes`, for one page of a list that only shows the items: their titles, summaries and status,
    without their themes, their organisations (the registration's own, in the identity map for `is_public`)
    or their long texts. A page holds far fewer than 500 registrations, so "select IN" is one query a
    relation there, and cheaper than repeating the page's query as a subquery (1 ms of CPU of a page of 40).
    """
    user = joinedload(Registration.user)
    if not themes:
        return (
            *(
                selectinload(relation)
                .load_only(model.title, model.summary, model.status, model.organisation_id, model.language)
                .lazyload(model.organisation)
                for relation, model in ((Registration.offerings, Offering), (Registration.needs, Need))
            ),
            user.lazyload(User.roles),
            user.lazyload(User.membership),
        )
    return (
        subqueryload(Registration.offerings).subqueryload(Offering.themes),
        subqueryload(Registration.needs).subqueryload(Need.themes),
        user.lazyload(User.roles),
        user.lazyload(User.membership),
    )


class MeetingRequest(db.Model):
    """One participant asks another for a 1:1 meeting. At most one open (pending or accepted) request per
    ordered pair, enforced by a partial unique index. Requests never reserve a slot: the scheduler does."""

    __tablename__ = "meeting_request"
    __table_args__ = (
        enum_check("status", RequestStatus),
        sa.CheckConstraint("from_registration_id <> to_registration_id", name="not_to_oneself"),
        sa.Index(
            "uq_meeting_request_open_pair",
            "from_registration_id",
            "to_registration_id",
            unique=True,
            sqlite_where=sa.text("status IN ('pending', 'accepted')"),
            postgresql_where=sa.text("status IN ('pending', 'accepted')"),
        ),
        sa.Index("ix_meeting_request_event_id_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    from_registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    to_registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    message: Mapped[str] = mapped_column(sa.String(1000), default="")
    status: Mapped[str] = mapped_column(sa.String(10), default=RequestStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[Optional[datetime]]
    reminder_sent_at: Mapped[Optional[datetime]]
    # What the request is about, as the sender chose it where they asked (an item's page, a proposal, a
    # search result): the supplier's offering and the buyer's need. Deleting an item keeps the request
    # (SET NULL); without either, its context is inferred (services.meeting_requests.request_context).
    offering_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("offering.id", ondelete="SET NULL"), index=True
    )
    need_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("need.id", ondelete="SET NULL"), index=True)

    event: Mapped[Event] = relationship()
    from_registration: Mapped[Registration] = relationship(foreign_keys=[from_registration_id])
    to_registration: Mapped[Registration] = relationship(foreign_keys=[to_registration_id])
    offering: Mapped[Optional[Offering]] = relationship()
    need: Mapped[Optional[Need]] = relationship()

    def __repr__(self) -> str:
        return (
            f"<MeetingRequest {self.id} {self.from_registration_id}->{self.to_registration_id} {self.status}>"
        )
