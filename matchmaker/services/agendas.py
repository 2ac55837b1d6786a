"""Agendas: what the scheduled meetings look like to the people who attend or organise them.

- A participant's personal agenda: every slot of every day in order (meetings, free slots, breaks, plenary
  sessions), with the other party, what they bring and how to reach them. Participants see only published
  meetings; a published meeting that was cancelled later is listed apart (and stays in the calendar feed
  with STATUS:CANCELLED, so calendars drop it).
- The organizer's sheets: one per table, and the master grid (slots x tables) with every active meeting,
  published or not; a CSV export of the meetings.
- iCalendar: a secret feed URL per registration (`calendar_token`), and .ics downloads.
- A PDF of the personal agenda (reportlab, A4), see `agenda_pdf`.

Times are event-local naive Europe/Brussels datetimes (models.events); the iCalendar output attaches the
zone (TZID=Europe/Brussels with its VTIMEZONE).
"""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload, subqueryload
from sqlalchemy.orm.attributes import set_committed_value

from matchmaker import links
from matchmaker.csvfiles import csv_text
from matchmaker.extensions import db
from matchmaker.models import (
    AttendanceMode,
    Event,
    EventDay,
    EventStatus,
    EventTable,
    Meeting,
    Need,
    Offering,
    ParticipantRole,
    Registration,
    RegistrationStatus,
    Slot,
    SlotKind,
    User,
)
from matchmaker.models.events import EVENT_TIMEZONE
from matchmaker.models.labels import MEETING_SOURCES, PARTICIPANT_ROLES, label
from matchmaker.services import commit, event_rules, ical
from matchmaker.services.event_rules import TZ
from matchmaker.services.online import is_online_only, meeting_link
from matchmaker.textutil import multi_line, one_line

REMINDER_BEFORE = timedelta(minutes=15)  # calendar alarm before each meeting

# --- who may see what ----------------------------------------------------------------------------------


def can_manage(user, event: Event) -> bool:
    """Table sheets, the master grid and the export are for the event's organizer and administrators."""
    return event_rules.can_manage(user, event)


# --- loading -------------------------------------------------------------------------------------------


# How many parents SQLAlchemy's "select IN" loading asks for in one query.
SELECT_IN_BATCH = 500


def _meeting_query():
    return sa.select(Meeting).options(selectinload(Meeting.slot), selectinload(Meeting.table))


def _load_meetings(query) -> list[Meeting]:
    """The meetings of `query` with their slots and tables, and both participants with what they bring, in
    a fixed number of queries: the participants of every meeting in one query (loading each side through
    its relation took two queries per relation and side, each with the users' roles)."""
    meetings = db.session.scalars(query).all()
    ids = {rid for m in meetings for rid in (m.first_registration_id, m.second_registration_id)}
    if ids:
        user = joinedload(Registration.user)
        # "select IN" is one query a relation for up to 500 registrations (a participant's agenda: 1 ms of CPU
        # less than repeating the query as a subquery); beyond, it would be one a 500 (the master grid).
        load = selectinload if len(ids) <= SELECT_IN_BATCH else subqueryload
        loaded = db.session.scalars(
            sa.select(Registration)
            .where(Registration.id.in_(ids))
            .options(
                # An item's organisation is its registration's, loaded with it. Agendas (page, PDF, calendar
                # entries, event-day page) show an item's title only: its long texts stay in the database.
                *(
                    load(relation)
                    .load_only(model.title, model.status, model.organisation_id, model.language)
                    .lazyload(model.organisation)
                    for relation, model in ((Registration.offerings, Offering), (Registration.needs, Need))
                ),
                user.lazyload(User.roles),
                user.lazyload(User.membership),
            )
        ).unique()
        by_id = {r.id: r for r in loaded}
        for m in meetings:
            set_committed_value(m, "first_registration", by_id.get(m.first_registration_id))
            set_committed_value(m, "second_registration", by_id.get(m.second_registration_id))
    return meetings


def _published_meetings_of(registration: Registration):
    """SQL: the participant's published meetings (cancelled ones included)."""
    return sa.and_(
        Meeting.event_id == registration.event_id,
        Meeting.published.is_(True),
        sa.or_(
            Meeting.first_registration_id == registration.id,
            Meeting.second_registration_id == registration.id,
        ),
    )


def meetings_of(registration: Registration, include_cancelled: bool = False) -> list[Meeting]:
    """The published meetings of a participant, in time order (the cancelled ones too if asked)."""
    query = _meeting_query().where(_published_meetings_of(registration))
    if not include_cancelled:
        query = query.where(Meeting.cancelled_at.is_(None))
    return sorted(_load_meetings(query), key=lambda m: (m.slot.starts_at, m.id))


def agenda_changed_at(registration: Registration) -> datetime:
    """When the participant's calendar last changed (a meeting of theirs, or the event): the feed's
    Last-Modified. One query."""
    latest = db.session.scalar(
        sa.select(sa.func.max(Meeting.updated_at)).where(_published_meetings_of(registration))
    )
    return max(filter(None, (latest, registration.event.updated_at))).replace(tzinfo=UTC)


def active_meetings(event: Event) -> list[Meeting]:
    """Every active meeting of an event, published or not (the organizer's view)."""
    meetings = _load_meetings(
        _meeting_query().where(Meeting.event_id == event.id, Meeting.cancelled_at.is_(None))
    )
    return sorted(meetings, key=lambda m: (m.slot.starts_at, m.table.number, m.id))


def is_published(event: Event) -> bool:
    """Whether participants get to see their agenda: the organizer published it (some meetings are)."""
    if event.status in (EventStatus.AGENDA_PUBLISHED, EventStatus.CLOSED):
        return True
    return bool(
        db.session.scalar(
            sa.select(sa.literal(True))
            .where(Meeting.event_id == event.id, Meeting.published.is_(True))
            .limit(1)
        )
    )


# --- the personal agenda -------------------------------------------------------------------------------


@dataclass
class Party:
    """The other side of a meeting, as shown to a participant."""

    registration: Registration
    name: str
    organisation: str
    role: str
    email: str
    website: str
    items: list  # Need or Offering rows they brought


def _web_address(url: str | None) -> str:
    """Only web addresses become links (never javascript: or data:)."""
    return url if url and url.lower().startswith(("https://", "http://")) else ""


def party(registration: Registration) -> Party:
    organisation = registration.organisation
    return Party(
        registration=registration,
        name=registration.user.display_name,
        organisation=organisation.name if organisation else "",
        role=registration.role,
        email=registration.user.email,
        website=_web_address(organisation.website if organisation else None),
        items=registration.shown_items,
    )


@dataclass
class AgendaRow:
    """One slot of a participant's day: a meeting, a free meeting slot, a break or a plenary session."""

    slot: Slot
    meeting: Optional[Meeting] = None
    other: Optional[Party] = None

    @property
    def online_link(self) -> str:
        """The meeting's online link (services.online): an agenda is seen by its participant or organizers."""
        return meeting_link(self.meeting) if self.meeting else ""

    @property
    def hybrid_place(self) -> str:
        """In a hybrid event, "online" for a meeting in a virtual room and "venue" for one at a table at the
        venue; "" in on-site and online events, where every meeting is the same. The agenda says it beside
        the table: with the organizer's pattern both kinds carry a link, and the participant must know
        whether to travel."""
        if self.meeting is None or self.meeting.event.attendance_mode != AttendanceMode.HYBRID:
            return ""
        return "online" if is_online_only(self.meeting) else "venue"

    @property
    def kind(self) -> str:
        if self.slot.kind != SlotKind.MEETING:
            return self.slot.kind
        return "meeting" if self.meeting else "free"


@dataclass
class AgendaDay:
    day: EventDay
    rows: list[AgendaRow]

    @property
    def meeting_count(self) -> int:
        return sum(1 for r in self.rows if r.meeting)


@dataclass
class Agenda:
    event: Event
    registration: Registration
    published: bool
    days: list[AgendaDay] = field(default_factory=list)
    cancelled: list[tuple[Meeting, Party]] = field(default_factory=list)

    @property
    def meetings(self) -> list[AgendaRow]:
        return [row for day in self.days for row in day.rows if row.meeting]


def participant_agenda(
    registration: Registration, published: bool | None = None, meetings: list[Meeting] | None = None
) -> Agenda:
    """What a participant sees. `published` and `meetings` (theirs, cancelled too) when already loaded."""
    event = registration.event
    published = is_published(event) if published is None else published
    agenda = Agenda(event=event, registration=registration, published=published)
    if not published:
        return agenda
    if meetings is None:
        meetings = meetings_of(registration, include_cancelled=True)
    by_slot = {}
    for meeting in meetings:
        other = party(meeting.other(registration.id))
        if meeting.cancelled_at is None:
            by_slot[meeting.slot_id] = (meeting, other)
        else:
            agenda.cancelled.append((meeting, other))
    for event_day in event.days:
        rows = []
        for slot in event.slots:
            if slot.day_id != event_day.id:
                continue
            meeting, other = by_slot.get(slot.id, (None, None))
            rows.append(AgendaRow(slot=slot, meeting=meeting, other=other))
        agenda.days.append(AgendaDay(day=event_day, rows=rows))
    return agenda


def event_agendas(event: Event, registration_id: int | None = None) -> list[Agenda]:
    """The agendas of the event's approved participants (or of one), as each of them sees theirs, by name:
    for the organizer to print. Every meeting is loaded once; for one participant only theirs (the event's
    7,000 in the benchmark's made one agenda cost a second of CPU)."""
    query = sa.select(Registration).where(
        Registration.event_id == event.id, Registration.status == RegistrationStatus.APPROVED
    )
    if registration_id is not None:
        query = query.where(Registration.id == registration_id)
    registrations = sorted(
        db.session.scalars(query).all(), key=lambda r: (r.user.display_name.casefold(), r.id)
    )
    published = is_published(event)
    by_registration: dict[int, list[Meeting]] = {r.id: [] for r in registrations}
    if published and registrations:
        where = [Meeting.event_id == event.id, Meeting.published.is_(True)]
        if registration_id is not None:  # one participant's meetings, not the event's thousands
            where.append(
                sa.or_(
                    Meeting.first_registration_id == registration_id,
                    Meeting.second_registration_id == registration_id,
                )
            )
        meetings = _load_meetings(_meeting_query().where(*where))
        for meeting in sorted(meetings, key=lambda m: (m.slot.starts_at, m.id)):
            for rid in (meeting.first_registration_id, meeting.second_registration_id):
                if rid in by_registration:
                    by_registration[rid].append(meeting)
    return [participant_agenda(r, published, by_registration[r.id]) for r in registrations]


# --- the organizer's sheets ----------------------------------------------------------------------------


@dataclass
class GridDay:
    day: EventDay
    slots: list[Slot]


@dataclass
class Grid:
    """Slots x tables, with every active meeting of the event."""

    event: Event
    tables: list[EventTable]
    days: list[GridDay]
    cells: dict[tuple[int, int], Meeting]  # (slot id, table id) -> meeting
    meeting_count: int
    unpublished_count: int

    def at(self, slot: Slot, table: EventTable) -> Optional[Meeting]:
        return self.cells.get((slot.id, table.id))


def master_grid(event: Event, tables: Iterable[EventTable] | None = None) -> Grid:
    meetings = active_meetings(event)
    cells = {(m.slot_id, m.table_id): m for m in meetings}
    days = [GridDay(day=d, slots=[s for s in event.slots if s.day_id == d.id]) for d in event.days]
    return Grid(
        event=event,
        tables=list(tables) if tables is not None else list(event.tables),
        days=days,
        cells=cells,
        meeting_count=len(meetings),
        unpublished_count=sum(1 for m in meetings if not m.published),
    )


def table_of(event: Event, table_id: int) -> Optional[EventTable]:
    table = db.session.get(EventTable, table_id)
    return table if table is not None and table.event_id == event.id else None


def source_label(source: str) -> str:
    return label(MEETING_SOURCES, source)


def _role_label(role: str) -> str:
    return label(PARTICIPANT_ROLES, role)


def meetings_csv(event: Event) -> str:
    """Every active meeting of the event, for a spreadsheet (formula-safe)."""
    return csv_text(meetings_rows(event))


def meetings_rows(event: Event) -> list[list]:
    """Every active meeting of the event (CSV or workbook): its times are the events' clock (Brussels)."""
    rows = [
        [
            _("Start"),
            _("End"),
            _("Table"),
            _("Participant 1"),
            _("Organisation 1"),
            _("Role 1"),
            _("Participant 2"),
            _("Organisation 2"),
            _("Role 2"),
            _("Source"),
            _("Locked"),
            _("Published"),
        ]
    ]
    for m in active_meetings(event):
        first, second = m.first_registration, m.second_registration
        rows.append(
            [
                m.slot.starts_at,  # naive Brussels time: written as 2026-12-07 14:30, or a workbook's date
                m.slot.ends_at,
                m.table.label,
                first.user.display_name,
                first.organisation_name,
                _role_label(first.role),
                second.user.display_name,
                second.organisation_name,
                _role_label(second.role),
                source_label(m.source),
                _("yes") if m.locked else _("no"),
                _("yes") if m.published else _("no"),
            ]
        )
    return rows


# --- calendar ------------------------------------------------------------------------------------------


def calendar_token(registration: Registration) -> str:
    """The registration's feed token, made on first use (an unguessable 43-character secret)."""
    if not registration.calendar_token:
        registration.calendar_token = secrets.token_urlsafe(32)
        commit()
    return registration.calendar_token


def reset_calendar_token(registration: Registration) -> str:
    """A new feed URL: the old one stops working at once."""
    registration.calendar_token = secrets.token_urlsafe(32)
    commit()
    return registration.calendar_token


def registration_by_token(token: str) -> Optional[Registration]:
    if not token or len(token) > 64:
        return None
    registration = db.session.scalar(sa.select(Registration).where(Registration.calendar_token == token))
    if registration is None or not secrets.compare_digest(registration.calendar_token or "", token):
        return None
    return registration


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=TZ)


def _utc(value: datetime) -> datetime:
    """A naive UTC bookkeeping timestamp, made aware."""
    return value.replace(tzinfo=UTC)


def meeting_summary(other: Party) -> str:
    if other.organisation:
        return _("Meeting with %(name)s (%(organisation)s)", name=other.name, organisation=other.organisation)
    return _("Meeting with %(name)s", name=other.name)


def meeting_location(event: Event, meeting: Meeting) -> str:
    """Where: the venue and table, the online link, or both (hybrid). For the meeting's parties only."""
    link = meeting_link(meeting)
    if link and is_online_only(meeting):
        return link
    return " – ".join(p for p in (event.venue_address, meeting.table.display_name, link) if p)


def meeting_description(event: Event, meeting: Meeting, other: Party, agenda_url: str) -> str:
    lines = [one_line(event.title), ""]
    if link := meeting_link(meeting):
        # A meeting at a table at the venue of a hybrid event keeps its place: the pattern's link is for a
        # party who cannot come, so it is not called an online meeting (the other party goes to the table).
        if is_online_only(meeting):
            lines += [_("Online meeting: %(url)s", url=link), ""]
        else:
            lines += [_("To join from elsewhere: %(url)s", url=link), ""]
    lines.append(one_line(other.name) + (f", {one_line(other.organisation)}" if other.organisation else ""))
    if other.items:
        heading = _("Needs") if other.role == ParticipantRole.BUYER else _("Offerings")
        lines.append(f"{heading}: " + "; ".join(one_line(item.title) for item in other.items))
    if other.email:
        lines.append(_("Email: %(email)s", email=other.email))
    if other.website:
        lines.append(_("Website: %(url)s", url=other.website))
    if agenda_url:
        lines += ["", _("Your agenda: %(url)s", url=agenda_url)]
    return "\n".join(lines)


def agenda_ical(
    registration: Registration,
    meetings: list[Meeting] | None = None,
    language: str | None = None,
) -> bytes:
    """An iCalendar file with the participant's published meetings (cancelled ones as STATUS:CANCELLED).

    UID and SEQUENCE come from the meeting, so a calendar that subscribed updates the same entry when a
    meeting moves and removes it when it is cancelled. Texts are in `language` (the participant's own, for
    the feed that is fetched without a session). Each meeting carries a reminder 15 minutes before it.
    One-line texts are written with `one_line` and descriptions with `multi_line` whatever is stored (a name
    or title saved with a line break before the rule would otherwise start a line of its own, or fail)."""
    if language:
        with force_locale(language):
            return _agenda_ical(registration, meetings)
    return _agenda_ical(registration, meetings)


def _agenda_ical(registration: Registration, meetings: list[Meeting] | None) -> bytes:
    from icalendar import Calendar

    event = registration.event
    if meetings is None:
        meetings = meetings_of(registration, include_cancelled=True) if is_published(event) else []
    agenda_url = links.external_url("agendas.participant_agenda", event_id=event.id)
    calendar = Calendar()
    calendar.add("prodid", "-//Matchmaker//Agenda//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", one_line(_("Agenda: %(title)s", title=event.title)))
    calendar.add("x-wr-timezone", EVENT_TIMEZONE)
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for meeting in meetings:
        if meeting.published:
            calendar.add_component(_meeting_entry(registration, meeting, agenda_url))
    return ical.finish(calendar)


def _meeting_entry(registration: Registration, meeting: Meeting, agenda_url: str):
    """The VEVENT of one meeting as `registration` sees it: the same in the feed and in a mailed invitation
    (UID from the meeting, SEQUENCE its change counter, so both speak of the same calendar entry)."""
    from icalendar import Event as CalendarEvent

    event = meeting.event
    other = party(meeting.other(registration.id))
    entry = CalendarEvent()
    entry.add("uid", meeting.uid)
    entry.add("sequence", meeting.sequence)
    # The time this file is made (RFC 5545, for a calendar with a METHOD); when the meeting last changed is
    # LAST-MODIFIED. The feed's ETag leaves DTSTAMP out (services.ical.etag).
    entry.add("dtstamp", datetime.now(UTC))
    entry.add("last-modified", _utc(meeting.updated_at))
    entry.add("dtstart", _aware(meeting.slot.starts_at))
    entry.add("dtend", _aware(meeting.slot.ends_at))
    entry.add("summary", one_line(meeting_summary(other)))
    entry.add("location", one_line(meeting_location(event, meeting)))
    entry.add("description", multi_line(meeting_description(event, meeting, other, agenda_url)))
    entry.add("url", meeting_link(meeting) or agenda_url)
    entry.add("status", "CANCELLED" if meeting.cancelled_at else "CONFIRMED")
    entry.add("transp", "OPAQUE")
    if not meeting.cancelled_at:
        entry.add_component(_reminder(entry["summary"]))
    return entry


def meeting_invitation(registration: Registration, meeting: Meeting, organizer_address: str) -> bytes:
    """A one-meeting iCalendar file for a mail (iTIP, RFC 5546): METHOD:REQUEST for a meeting that is added
    or moved, METHOD:CANCEL for one that is cancelled. Its VEVENT is the feed's (same UID, same SEQUENCE,
    which every change raises), with the organizer (`organizer_address`, the platform's sender) and the
    participant as attendee, so a calendar adds, updates or removes the entry it already has."""
    from icalendar import Calendar, vCalAddress

    agenda_url = links.external_url("agendas.participant_agenda", event_id=meeting.event_id)
    calendar = Calendar()
    calendar.add("prodid", "-//Matchmaker//Agenda//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if meeting.cancelled_at else "REQUEST")
    entry = _meeting_entry(registration, meeting, agenda_url)
    organizer = vCalAddress(f"mailto:{organizer_address}")
    organizer.params["cn"] = "Matchmaker"
    entry.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{registration.user.email}")
    attendee.params["cn"] = one_line(registration.user.display_name)
    attendee.params["role"] = "REQ-PARTICIPANT"
    attendee.params["partstat"] = "ACCEPTED"
    attendee.params["rsvp"] = "FALSE"
    entry.add("attendee", attendee)
    calendar.add_component(entry)
    return ical.finish(calendar)


def _reminder(summary: str):
    """A calendar alarm that shows the meeting REMINDER_BEFORE its start."""
    from icalendar import Alarm

    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -REMINDER_BEFORE)
    alarm.add("description", one_line(summary))
    return alarm


def meeting_of(registration: Registration, meeting_id: int) -> Optional[Meeting]:
    """One of the participant's published meetings, or None (someone else's, unpublished, unknown)."""
    meeting = db.session.get(Meeting, meeting_id)
    if (
        meeting is None
        or not meeting.published
        or registration.id not in (meeting.first_registration_id, meeting.second_registration_id)
    ):
        return None
    return meeting
