"""The rules of an event that every service asks: its clock, the paths of its pages, who may see and manage
it, and whether registration and requests are open.

A leaf: it imports no other module of matchmaker.services (only the refusal they all share), so that every
service may import it without an import cycle (tests/unit/test_service_imports.py).

Times of the event are naive Europe/Brussels local datetimes (see models.events); `local_now()` is "now"
on that clock.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from matchmaker.models import Event, EventStatus, Role
from matchmaker.models.events import EVENT_TIMEZONE
from matchmaker.services import ServiceError

TZ = ZoneInfo(EVENT_TIMEZONE)


def event_path(event: Event, page: str = "") -> str:
    """The site-relative path of an event page (services run outside requests too, e.g. in commands)."""
    return f"/events/{event.id}/{page}" if page else f"/events/{event.id}"


def local_now() -> datetime:
    """Now on the events' clock: naive Europe/Brussels local time."""
    return datetime.now(UTC).astimezone(TZ).replace(tzinfo=None)


# --- who may do what ---------------------------------------------------------------------------------


def can_create_events(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.ORGANIZER, Role.ADMIN))


def can_manage(user, event: Event) -> bool:
    """The event's organizer and platform administrators manage an event."""
    if not (user and user.is_authenticated):
        return False
    return user.has_role(Role.ADMIN) or (user.has_role(Role.ORGANIZER) and event.organizer_id == user.id)


def is_public(event: Event) -> bool:
    return event.status != EventStatus.DRAFT


def can_view(user, event: Event) -> bool:
    return is_public(event) or can_manage(user, event)


def require_manager(user, event: Event) -> None:
    if not can_manage(user, event):
        raise ServiceError(_("Only the organizer of this event may change it."))


# --- windows -----------------------------------------------------------------------------------------


def registration_is_open(event: Event, now: datetime | None = None) -> bool:
    if event.status != EventStatus.REGISTRATION_OPEN:
        return False
    now = now or local_now()
    if event.registration_opens_at and now < event.registration_opens_at:
        return False
    return not (event.registration_closes_at and now >= event.registration_closes_at)


def requests_are_open(event: Event, now: datetime | None = None) -> bool:
    """Participants send and answer requests until the deadline, while the agenda is not published."""
    if event.status not in (EventStatus.REGISTRATION_OPEN, EventStatus.REGISTRATION_CLOSED):
        return False
    now = now or local_now()
    return not (event.request_deadline and now >= event.request_deadline)
