"""The rules of an event that every service asks: its clock, the paths of its pages, who may see and manage
it, and whether registration and requests are open.

A leaf: it imports no other module of matchmaker.services (only the refusal they all share), so that every
service may import it without an import cycle (tests/unit/test_service_imports.py).

Times of the event are naive Europe/Brussels local datetimes (see models.events); `local_now()` is "now"
on that clock.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker import links
from matchmaker.extensions import db
from matchmaker.models import Event, EventStaff, EventStatus, Role, StaffRole
from matchmaker.models.events import EVENT_TIMEZONE
from matchmaker.services import ServiceError

TZ = ZoneInfo(EVENT_TIMEZONE)


# The pages of an event that notifications link to, by the name callers use.
EVENT_PAGES = {
    "": "events.detail",
    "agenda": "agendas.participant_agenda",
    "dashboard": "events.dashboard",
    "participants": "events.participants",
    "requests": "events.requests",
    "schedule": "schedules.overview",
}


def event_path(event: Event, page: str = "") -> str:
    """The site-relative path of an event page, from the URL map (services run outside requests too)."""
    return links.path(EVENT_PAGES[page], event_id=event.id)


def local_now() -> datetime:
    """Now on the events' clock: naive Europe/Brussels local time."""
    return datetime.now(UTC).astimezone(TZ).replace(tzinfo=None)


# --- who may do what ---------------------------------------------------------------------------------


def can_create_events(user) -> bool:
    return bool(user is not None and user.has_role(Role.ORGANIZER, Role.ADMIN))


def staff_role(user, event: Event) -> str | None:
    """The user's role in the event's team (StaffRole), or None. Read from the database on every call, so
    that a member removed from the team loses their access with their next request."""
    if user is None or user.id is None or event.id is None:
        return None
    if getattr(user, "on_an_event_team", None) is False:
        return None  # on no team at all, as read with this request's login (most users): no query
    return db.session.scalar(
        sa.select(EventStaff.role).where(EventStaff.event_id == event.id, EventStaff.user_id == user.id)
    )


def is_organizer(user, event: Event) -> bool:
    """The event's own organizer: the one member of its team nobody removes."""
    return bool(user is not None and user.has_role(Role.ORGANIZER) and event.organizer_id == user.id)


def can_manage(user, event: Event) -> bool:
    """The event's organizer, its co-organizers and platform administrators manage an event. A co-organizer
    needs no platform role: the organizer chose them for this event only."""
    if user is None:
        return False
    if user.has_role(Role.ADMIN) or is_organizer(user, event):
        return True
    return staff_role(user, event) == StaffRole.CO_ORGANIZER


def can_check_in(user, event: Event) -> bool:
    """The event's managers and its check-in staff check participants in at the door (and nothing else).
    The team role is read once for both (can_manage would read it, and then again for the staff)."""
    if user is None:
        return False
    if user.has_role(Role.ADMIN) or is_organizer(user, event):
        return True
    return staff_role(user, event) in (StaffRole.CO_ORGANIZER, StaffRole.CHECK_IN)


def is_public(event: Event) -> bool:
    return event.status != EventStatus.DRAFT


def can_view(user, event: Event) -> bool:
    """Published events are public; a draft is seen by its managers and its team (staff prepare the door
    before the registration opens)."""
    if is_public(event):
        return True
    if user is None:
        return False
    return user.has_role(Role.ADMIN) or is_organizer(user, event) or staff_role(user, event) is not None


def require_manager(user, event: Event) -> None:
    if not can_manage(user, event):
        raise ServiceError(_("Only the organizer of this event may change it."))


def require_check_in(user, event: Event) -> None:
    if not can_check_in(user, event):
        raise ServiceError(_("Only the organizers and the check-in staff of this event may check people in."))


# --- windows -----------------------------------------------------------------------------------------


def is_over(event: Event, now: datetime | None = None) -> bool:
    """Has the event's last day ended (on the events' clock)? An event without days is not over."""
    if not event.days:
        return False
    last = max(event.days, key=lambda d: (d.day, d.end_time))
    return datetime.combine(last.day, last.end_time) <= (now or local_now())


def shown_status(event: Event, now: datetime | None = None) -> str:
    """The stage pages show: an event that is over is never shown with its registration open (issue 18: an
    event entered after the fact said "registration open")."""
    if event.status == EventStatus.REGISTRATION_OPEN and is_over(event, now):
        return EventStatus.REGISTRATION_CLOSED.value
    return event.status


def registration_is_open(event: Event, now: datetime | None = None) -> bool:
    if event.status != EventStatus.REGISTRATION_OPEN:
        return False
    now = now or local_now()
    if is_over(event, now):
        return False
    if event.registration_opens_at and now < event.registration_opens_at:
        return False
    return not (event.registration_closes_at and now >= event.registration_closes_at)


def requests_are_open(event: Event, now: datetime | None = None) -> bool:
    """Participants send and answer requests until the deadline, while the agenda is not published."""
    if event.status not in (EventStatus.REGISTRATION_OPEN, EventStatus.REGISTRATION_CLOSED):
        return False
    now = now or local_now()
    return not (event.request_deadline and now >= event.request_deadline)
