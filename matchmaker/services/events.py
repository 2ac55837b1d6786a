"""Events: creating and editing meet & greets, their programme and tables, their life cycle, the public
listing, the organizer's dashboard, exports and the iCalendar file.

Times of the event (days, programme, slots, registration window, request deadline) are naive
Europe/Brussels local datetimes (see models.events); `event_rules.local_now()` is "now" on that clock. The
rules every service asks (clock, paths, permissions, windows) are in services.event_rules, a leaf; this module
sits above the schedule and the requests (the dashboard counts requests, "publish the agenda" is the
schedule's own publication).

Life cycle: draft -> registration open -> registration closed -> agenda published -> closed. The organizer may
reopen registration from "registration closed". Programme and tables can change until the agenda is published.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import selectinload

from matchmaker import links
from matchmaker.csvfiles import csv_text, utc
from matchmaker.extensions import db
from matchmaker.markdown import markdown_to_text
from matchmaker.models import (
    Admission,
    BlockKind,
    Event,
    EventDay,
    EventStaff,
    EventStatus,
    EventTable,
    Meeting,
    MeetingRequest,
    ProgrammeBlock,
    Registration,
    RegistrationStatus,
    RequestStatus,
    Role,
    Slot,
    SlotKind,
    StaffRole,
    Theme,
    User,
    utcnow,
)
from matchmaker.models.events import EVENT_TIMEZONE, with_items
from matchmaker.models.labels import PARTICIPANT_ROLES, REGISTRATION_STATUSES, REQUEST_STATUSES
from matchmaker.models.labels import label as code_label
from matchmaker.services import Invalid, ServiceError, commit, ical, scheduling, unit_of_work
from matchmaker.services.event_rules import (
    TZ,
    can_create_events,
    event_path,
    local_now,
    requests_are_open,
    require_manager,
)
from matchmaker.services.meeting_requests import count_mutual_pairs, mutual_request_ids
from matchmaker.services.notifications import notify
from matchmaker.textutil import multi_line, one_line

MAX_TABLES = 500
MAX_DAYS = 14

# Which status may follow which (the organizer's buttons).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    EventStatus.DRAFT: (EventStatus.REGISTRATION_OPEN,),
    EventStatus.REGISTRATION_OPEN: (EventStatus.REGISTRATION_CLOSED,),
    EventStatus.REGISTRATION_CLOSED: (EventStatus.REGISTRATION_OPEN, EventStatus.AGENDA_PUBLISHED),
    EventStatus.AGENDA_PUBLISHED: (EventStatus.CLOSED,),
    EventStatus.CLOSED: (),
}
PROGRAMME_EDITABLE = (EventStatus.DRAFT, EventStatus.REGISTRATION_OPEN, EventStatus.REGISTRATION_CLOSED)


# --- create and edit ---------------------------------------------------------------------------------


@dataclass
class EventInput:
    title: str
    description: str = ""
    theme_ids: list[int] = field(default_factory=list)
    venue_address: str = ""
    room_plan_note: str = ""
    online_url: str = ""
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    request_deadline: datetime | None = None
    capacity_buyers: int | None = None
    capacity_suppliers: int | None = None
    admission: str = Admission.AUTOMATIC
    max_open_requests: int = 10
    table_count: int = 10
    table_names: list[str] = field(default_factory=list)


def _check(data: EventInput) -> None:
    problems: dict[str, str] = {}
    if not one_line(data.title):
        problems["title"] = _("Enter a title.")
    if not one_line(data.venue_address) and not one_line(data.online_url):
        problems["venue_address"] = _("Give a venue address, an online link, or both.")
    if one_line(data.online_url):
        parts = urlsplit(one_line(data.online_url))
        if parts.scheme != "https" or not parts.netloc:
            problems["online_url"] = _("Enter a full web address that starts with https://.")
    if (
        data.registration_opens_at
        and data.registration_closes_at
        and data.registration_opens_at >= data.registration_closes_at
    ):
        problems["registration_closes_at"] = _("Registration must close after it opens.")
    if not 0 <= data.table_count <= MAX_TABLES:
        problems["table_count"] = _("Enter a number of tables between 0 and %(max)s.", max=MAX_TABLES)
    if data.max_open_requests < 1:
        problems["max_open_requests"] = _("Allow at least one open request per participant.")
    for name in ("capacity_buyers", "capacity_suppliers"):
        value = getattr(data, name)
        if value is not None and value < 0:
            problems[name] = _("Leave empty for no limit, or enter 0 or more.")
    if data.admission not in (Admission.AUTOMATIC, Admission.APPROVAL):
        problems["admission"] = _("Choose how participants are admitted.")
    if problems:
        raise Invalid(problems)


def _apply(event: Event, data: EventInput) -> None:
    # Names, titles and places are one line whoever writes them (textutil.one_line).
    event.title = one_line(data.title)
    event.description = data.description.strip()
    event.venue_address = one_line(data.venue_address)
    event.room_plan_note = data.room_plan_note.strip()
    event.online_url = one_line(data.online_url)
    event.registration_opens_at = data.registration_opens_at
    event.registration_closes_at = data.registration_closes_at
    event.request_deadline = data.request_deadline
    event.capacity_buyers = data.capacity_buyers
    event.capacity_suppliers = data.capacity_suppliers
    event.admission = data.admission
    event.max_open_requests = data.max_open_requests
    themes = (
        db.session.scalars(sa.select(Theme).where(Theme.id.in_(data.theme_ids))).all()
        if data.theme_ids
        else []
    )
    event.themes = list(themes)
    _sync_tables(event, data.table_count, data.table_names)


def _sync_tables(event: Event, count: int, names: list[str]) -> None:
    names = [one_line(n)[:100] for n in names]
    by_number = {t.number: t for t in event.tables}
    if count < len(by_number) and event.status not in PROGRAMME_EDITABLE:
        raise ServiceError(_("Tables cannot be removed once the agenda is published."))
    _clear_meetings_in_the_way(table_ids=[t.id for t in event.tables if t.number > count and t.id])
    for number in range(1, count + 1):
        name = names[number - 1] if number - 1 < len(names) else ""
        table = by_number.get(number)
        if table is None:
            event.tables.append(EventTable(number=number, name=name))
        else:
            if table.id is not None and table.label != (name or str(number)):
                _table_renamed(table)
            table.name = name
    event.tables = [t for t in event.tables if t.number <= count]


def _clear_meetings_in_the_way(slot_ids: Iterable[int] = (), table_ids: Iterable[int] = ()) -> int:
    """Before slots or tables of an event go, take out the draft meetings held there (the database would
    drop them silently with their slot or table); returns how many.

    Locked meetings are the organizer's own decisions: a change that would drop one is refused, and so is one
    that would drop a published meeting, so nothing the organizer fixed is lost without being asked."""
    slot_ids, table_ids = [i for i in slot_ids if i], [i for i in table_ids if i]
    if not slot_ids and not table_ids:
        return 0
    where = sa.or_(Meeting.slot_id.in_(slot_ids), Meeting.table_id.in_(table_ids))
    meetings = db.session.scalars(sa.select(Meeting).where(where, Meeting.cancelled_at.is_(None))).all()
    fixed = [m for m in meetings if m.locked or m.published]
    if fixed:
        raise ServiceError(
            ngettext(
                "%(num)s locked meeting of the schedule is in a slot or at a table this change removes. "
                "Move, unlock or remove it on the schedule page first.",
                "%(num)s locked meetings of the schedule are in slots or at tables this change removes. "
                "Move, unlock or remove them on the schedule page first.",
                len(fixed),
            )
        )
    for meeting in meetings:
        db.session.delete(meeting)
    db.session.flush()
    return len(meetings)


def draft_meeting_count(event: Event) -> int:
    """Meetings of the event's schedule that are not cancelled (before publishing: the draft)."""
    return db.session.scalar(
        sa.select(sa.func.count(Meeting.id)).where(
            Meeting.event_id == event.id, Meeting.cancelled_at.is_(None)
        )
    )


def _table_renamed(table: EventTable) -> None:
    """The published meetings at a renamed table show another place."""
    _published_meetings_changed(Meeting.table_id == table.id)


def _published_meetings_changed(where) -> None:
    """Published, active meetings (matching `where`) whose calendar entry shows something that changed:
    their iCalendar SEQUENCE goes up so subscribed calendars update them."""
    db.session.execute(
        sa.update(Meeting)
        .where(where, Meeting.published.is_(True), Meeting.cancelled_at.is_(None))
        .values(sequence=Meeting.sequence + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def create_event(user: User, data: EventInput) -> Event:
    if not can_create_events(user):
        raise ServiceError(_("Only organizers create events."))
    _check(data)
    with unit_of_work():
        event = Event(organizer_id=user.id, status=EventStatus.DRAFT)
        db.session.add(event)
        _apply(event, data)
    return event


def update_event(user: User, event: Event, data: EventInput) -> Event:
    require_manager(user, event)
    if event.status == EventStatus.CLOSED:
        raise ServiceError(_("This event is closed and can no longer change."))
    _check(data)
    title, venue = event.title, event.venue_address
    with unit_of_work():  # the tables may refuse to change after the event's fields did
        _apply(event, data)
        event.calendar_sequence += 1
        published = event.status == EventStatus.AGENDA_PUBLISHED
        moved = published and event.venue_address != venue
        if moved or (published and event.title != title):
            # The entries show the event's title and address.
            _published_meetings_changed(Meeting.event_id == event.id)
    if moved:
        # Each participant with meetings hears where and when each of them now is.
        scheduling.tell_about_new_venue(event)
    return event


def event_input_from(event: Event) -> EventInput:
    return EventInput(
        title=event.title,
        description=event.description,
        theme_ids=[t.id for t in event.themes],
        venue_address=event.venue_address,
        room_plan_note=event.room_plan_note,
        online_url=event.online_url,
        registration_opens_at=event.registration_opens_at,
        registration_closes_at=event.registration_closes_at,
        request_deadline=event.request_deadline,
        capacity_buyers=event.capacity_buyers,
        capacity_suppliers=event.capacity_suppliers,
        admission=event.admission,
        max_open_requests=event.max_open_requests,
        table_count=len(event.tables),
        table_names=[t.name for t in event.tables],
    )


# --- programme -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedSlot:
    starts_at: datetime
    ends_at: datetime
    kind: str
    label: str = ""


def build_day_slots(
    day: date, start: time, end: time, slot_minutes: int, blocks: list[tuple[time, time, str, str]]
) -> list[PlannedSlot]:
    """The slots of one day: meeting slots of `slot_minutes` from start to end, around the blocks
    (start, end, kind, title) that are breaks or plenary sessions.

    A gap too short for a meeting stays empty."""
    at = datetime.combine
    cursor, day_end = at(day, start), at(day, end)
    ordered = sorted((at(day, s), at(day, e), kind, title) for s, e, kind, title in blocks)
    length = timedelta(minutes=slot_minutes)
    slots: list[PlannedSlot] = []
    index = 0
    while cursor < day_end:
        while index < len(ordered) and ordered[index][1] <= cursor:
            index += 1
        if index < len(ordered) and ordered[index][0] <= cursor:
            b_start, b_end, kind, title = ordered[index]
            slots.append(PlannedSlot(max(b_start, cursor), min(b_end, day_end), kind, title))
            cursor = b_end
            index += 1
            continue
        next_block = ordered[index][0] if index < len(ordered) else day_end
        if cursor + length <= min(next_block, day_end):
            slots.append(PlannedSlot(cursor, cursor + length, SlotKind.MEETING))
            cursor += length
        else:
            cursor = next_block
    return slots


def _require_programme_editable(user: User, event: Event) -> None:
    require_manager(user, event)
    if event.status not in PROGRAMME_EDITABLE:
        raise ServiceError(_("The programme cannot change once the agenda is published."))


def add_day(user: User, event: Event, day: date, start: time, end: time, slot_minutes: int) -> EventDay:
    _require_programme_editable(user, event)
    if start >= end:
        raise ServiceError(_("The day must end after it starts."))
    if not 5 <= slot_minutes <= 240:
        raise ServiceError(_("A meeting slot lasts between 5 and 240 minutes."))
    if any(d.day == day for d in event.days):
        raise ServiceError(_("This event already has a programme on %(day)s.", day=day.isoformat()))
    if len(event.days) >= MAX_DAYS:
        raise ServiceError(_("An event has at most %(max)s days.", max=MAX_DAYS))
    event_day = EventDay(day=day, start_time=start, end_time=end, slot_minutes=slot_minutes)
    event.days.append(event_day)
    db.session.flush()
    regenerate_slots(event)
    commit()
    return event_day


def remove_day(user: User, event_day: EventDay) -> None:
    event = event_day.event
    _require_programme_editable(user, event)
    event.days.remove(event_day)
    db.session.flush()
    regenerate_slots(event)
    commit()


def add_block(
    user: User, event_day: EventDay, kind: str, title: str, start: time, end: time
) -> ProgrammeBlock:
    event = event_day.event
    _require_programme_editable(user, event)
    if kind not in (BlockKind.BREAK, BlockKind.PLENARY):
        raise ServiceError(_("Choose a break or a plenary session."))
    if start >= end:
        raise ServiceError(_("A break or session must end after it starts."))
    if start < event_day.start_time or end > event_day.end_time:
        raise ServiceError(_("A break or session must fall within the day's hours."))
    for other in event_day.blocks:
        if start < other.end_time and other.start_time < end:
            raise ServiceError(_("This overlaps another break or session of the day."))
    block = ProgrammeBlock(kind=kind, title=one_line(title)[:200], start_time=start, end_time=end)
    event_day.blocks.append(block)
    db.session.flush()
    regenerate_slots(event)
    commit()
    return block


def remove_block(user: User, block: ProgrammeBlock) -> None:
    event_day = block.day
    _require_programme_editable(user, event_day.event)
    event_day.blocks.remove(block)
    db.session.flush()
    regenerate_slots(event_day.event)
    commit()


def regenerate_slots(event: Event) -> None:
    """Bring the Slot rows in line with the programme. Unchanged slots keep their rows (and so the
    participants' availability); participants who were available for every meeting slot stay so."""
    event.calendar_sequence += 1  # the programme changed: calendars update their entries (event_ical)
    old_meeting_ids = {s.id for s in event.slots if s.kind == SlotKind.MEETING}
    fully_available = [
        r
        for r in event.registrations
        if old_meeting_ids and {s.id for s in r.available_slots} >= old_meeting_ids
    ]
    existing = {(s.starts_at, s.ends_at, s.kind): s for s in event.slots}
    keep: list[Slot] = []
    for event_day in event.days:
        blocks = [(b.start_time, b.end_time, b.kind, b.title) for b in event_day.blocks]
        for planned in build_day_slots(
            event_day.day, event_day.start_time, event_day.end_time, event_day.slot_minutes, blocks
        ):
            slot = existing.pop((planned.starts_at, planned.ends_at, planned.kind), None)
            if slot is None:
                slot = Slot(
                    starts_at=planned.starts_at, ends_at=planned.ends_at, kind=planned.kind, day=event_day
                )
            slot.label = planned.label
            keep.append(slot)
    _clear_meetings_in_the_way(slot_ids=[s.id for s in existing.values()])
    for stale in existing.values():
        for registration in event.registrations:
            if stale in registration.available_slots:
                registration.available_slots.remove(stale)
        db.session.delete(stale)
    db.session.flush()  # free the (event, starts_at) pairs of deleted slots before inserting
    event.slots = keep
    db.session.flush()
    meeting = [s for s in keep if s.kind == SlotKind.MEETING]
    for registration in fully_available:
        registration.available_slots = list(meeting)


# --- life cycle --------------------------------------------------------------------------------------


def allowed_transitions(event: Event) -> tuple[str, ...]:
    return TRANSITIONS.get(event.status, ())


def _check_transition(user: User, event: Event, status: str) -> None:
    require_manager(user, event)
    if status not in allowed_transitions(event):
        raise ServiceError(_("This event cannot go to that stage from its current stage."))
    if status == EventStatus.REGISTRATION_OPEN and not event.meeting_slots:
        raise ServiceError(
            _("Add at least one day with meeting slots to the programme before opening registration.")
        )


def change_status(user: User, event: Event, status: str) -> Event:
    """Move the event to the next stage. "Agenda published" goes through `publish_agenda`: one way to
    publish, whether from the dashboard or the schedule page."""
    if status == EventStatus.AGENDA_PUBLISHED:
        publish_agenda(user, event)
        return event
    _check_transition(user, event, status)
    event.status = status
    commit()
    return event


def publish_agenda(user: User, event: Event):
    """The dashboard's "publish the agenda": the schedule's own publication (services.scheduling.publish),
    which publishes and locks the scheduled meetings and notifies each participant with a meeting once.
    An event without meetings may be published too (so that it can be closed). Returns its PublishReport."""
    _check_transition(user, event, EventStatus.AGENDA_PUBLISHED)
    return scheduling.publish(user, event, allow_empty=True)


# --- reading -----------------------------------------------------------------------------------------


@dataclass
class EventListing:
    upcoming: list[Event]
    past: list[Event]


def _first_day_subquery():
    return (
        sa.select(sa.func.min(EventDay.day))
        .where(EventDay.event_id == Event.id)
        .correlate(Event)
        .scalar_subquery()
    )


def _last_day_subquery():
    return (
        sa.select(sa.func.max(EventDay.day))
        .where(EventDay.event_id == Event.id)
        .correlate(Event)
        .scalar_subquery()
    )


def list_public_events(theme_slug: str | None = None, today: date | None = None) -> EventListing:
    """Published events (not drafts), upcoming first by date, past ones most recent first."""
    today = today or local_now().date()
    query = sa.select(Event).where(Event.status != EventStatus.DRAFT)
    if theme_slug:
        query = query.where(Event.themes.any(Theme.slug == theme_slug))
    last_day = _last_day_subquery()
    first_day = _first_day_subquery()
    upcoming = db.session.scalars(
        query.where(
            sa.or_(last_day >= today, last_day.is_(None)), Event.status != EventStatus.CLOSED
        ).order_by(first_day, Event.id)
    ).all()
    upcoming_ids = {e.id for e in upcoming}
    past = [
        e
        for e in db.session.scalars(query.order_by(last_day.desc(), Event.id.desc())).all()
        if e.id not in upcoming_ids
    ]
    return EventListing(list(upcoming), past)


def events_managed_by(user: User) -> list[Event]:
    """The events the user organises, and those whose team they are on as a co-organizer (issue 16)."""
    query = sa.select(Event).order_by(Event.created_at.desc())
    if not user.has_role(Role.ADMIN):
        co_organized = sa.select(EventStaff.event_id).where(
            EventStaff.user_id == user.id, EventStaff.role == StaffRole.CO_ORGANIZER.value
        )
        query = query.where(sa.or_(Event.organizer_id == user.id, Event.id.in_(co_organized)))
    return list(db.session.scalars(query).all())


# --- organizer dashboard -------------------------------------------------------------------------------


@dataclass
class Dashboard:
    registrations: dict[tuple[str, str], int]
    requests: dict[str, int]
    mutual_pairs: int
    without_requests: list[Registration]
    all_registrations: list[Registration]


def _registrations(event: Event, *options) -> list[Registration]:
    """Every registration of the event in the order they came, with what they bring (a query per relation)."""
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(Registration.event_id == event.id)
            .order_by(Registration.created_at, Registration.id)
            .options(*with_items(), *options)
        )
        .unique()
        .all()
    )


def dashboard(event: Event) -> Dashboard:
    registrations = _registrations(event)
    by_role_status = Counter((r.role, r.status) for r in registrations)
    request_rows = db.session.execute(
        sa.select(MeetingRequest.status, sa.func.count())
        .where(MeetingRequest.event_id == event.id)
        .group_by(MeetingRequest.status)
    ).all()
    requests = dict.fromkeys(RequestStatus, 0)
    requests.update(dict(request_rows))
    involved = set()
    for from_id, to_id in db.session.execute(
        sa.select(MeetingRequest.from_registration_id, MeetingRequest.to_registration_id).where(
            MeetingRequest.event_id == event.id
        )
    ):
        involved.add(from_id)
        involved.add(to_id)
    without = [r for r in registrations if r.status == RegistrationStatus.APPROVED and r.id not in involved]
    return Dashboard(
        registrations=dict(by_role_status),
        requests=requests,
        mutual_pairs=count_mutual_pairs(event),
        without_requests=without,
        all_registrations=registrations,
    )


def nudge_participants_without_requests(user: User, event: Event) -> int:
    """Mail every approved participant who neither sent nor received a request. Returns how many."""
    require_manager(user, event)
    if not requests_are_open(event):
        raise ServiceError(_("Requests are closed for this event: there is nobody to nudge."))
    url = event_path(event, "participants")
    targets = dashboard(event).without_requests
    for registration in targets:
        notify(registration.user, "event_nudge", url=url, always_mail=True, event=event.title)
    return len(targets)


def participants_csv(event: Event) -> str:
    return csv_text(participants_rows(event))


def participants_rows(event: Event) -> list[list]:
    """The participants' export (CSV or workbook): a header in the reader's language, then a row each."""
    rows = [
        [
            _("Registration"),
            _("Name"),
            _("Email"),
            _("Organisation"),
            _("Role"),
            _("Status"),
            _("Maximum meetings"),
            _("Available slots"),
            _("Offerings or needs"),
            _("Registered on"),
        ]
    ]
    for r in _registrations(event, selectinload(Registration.available_slots)):
        rows.append(
            [
                r.id,
                r.user.display_name,
                r.user.email,
                r.organisation_name,
                code_label(PARTICIPANT_ROLES, r.role),
                code_label(REGISTRATION_STATUSES, r.status),
                r.max_meetings,
                len(r.available_slots),
                " | ".join(item.title for item in r.shown_items),
                utc(r.created_at),  # stored in UTC, written in Brussels time (csvfiles)
            ]
        )
    return rows


def requests_csv(event: Event) -> str:
    return csv_text(requests_rows(event))


def requests_rows(event: Event) -> list[list]:
    """The meeting requests' export (CSV or workbook): a header, then a row per request."""
    mutual = mutual_request_ids(event)
    rows = [
        [
            _("Request"),
            _("From"),
            _("From organisation"),
            _("To"),
            _("To organisation"),
            _("Status"),
            _("Mutual"),
            _("Sent on"),
            _("Answered on"),
            _("Message"),
        ]
    ]
    requests = db.session.scalars(
        sa.select(MeetingRequest)
        .where(MeetingRequest.event_id == event.id)
        .order_by(MeetingRequest.created_at, MeetingRequest.id)
        .options(selectinload(MeetingRequest.from_registration), selectinload(MeetingRequest.to_registration))
    ).all()
    for q in requests:
        rows.append(
            [
                q.id,
                q.from_registration.user.display_name,
                q.from_registration.organisation_name,
                q.to_registration.user.display_name,
                q.to_registration.organisation_name,
                code_label(REQUEST_STATUSES, q.status),
                _("yes") if q.id in mutual else _("no"),
                utc(q.created_at),
                utc(q.responded_at),
                q.message,
            ]
        )
    return rows


# --- calendar ----------------------------------------------------------------------------------------


def event_ical(event: Event) -> bytes:
    """An iCalendar file with one VEVENT per event day, in Europe/Brussels time (with its VTIMEZONE).

    One-line texts are written with `one_line` and descriptions with `multi_line` whatever is stored (a title
    saved with a line break before the rule would otherwise start a line of its own, or fail)."""
    from icalendar import Calendar
    from icalendar import Event as CalendarEvent

    calendar = Calendar()
    calendar.add("prodid", "-//Matchmaker//Meet and greet//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", one_line(event.title))
    calendar.add("x-wr-timezone", EVENT_TIMEZONE)
    page = links.external_url("events.detail", event_id=event.id)
    # A public file: the online link is for participants only (services.online), so never here.
    location = one_line(event.venue_address) or (_("Online") if event.online_url else "")
    # The description as text: calendars show DESCRIPTION as it is, and Markdown's marks would show with it.
    description = multi_line("\n\n".join(p for p in (markdown_to_text(event.description), page) if p))
    for number, event_day in enumerate(sorted(event.days, key=lambda d: d.day), start=1):
        entry = CalendarEvent()
        # Named by the day's place in the event (first day, second day), not its date: an event moved to
        # another date (its day removed and added again) stays one entry in calendars, with a higher SEQUENCE.
        entry.add("uid", f"event-{event.id}-day-{number}@matchmaker")
        entry.add("sequence", event.calendar_sequence)
        entry.add("summary", one_line(event.title))
        entry.add("dtstart", datetime.combine(event_day.day, event_day.start_time, tzinfo=TZ))
        entry.add("dtend", datetime.combine(event_day.day, event_day.end_time, tzinfo=TZ))
        entry.add("dtstamp", datetime.now(UTC))
        entry.add("last-modified", event.updated_at.replace(tzinfo=UTC))
        if location:
            entry.add("location", location)
        entry.add("description", description)
        entry.add("url", page)
        entry.add("status", "CANCELLED" if event.status == EventStatus.DRAFT else "CONFIRMED")
        calendar.add_component(entry)
    return ical.finish(calendar)

