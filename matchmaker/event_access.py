"""Who may open an event's pages, for every blueprint that has some (events, schedules, agendas, check-in, the
live board, announcements): an event the user may not see is missing (404); one they see but do not manage is
forbidden on its organizer pages (403); the check-in page and the live board also open to the event's check-in
staff (`door_event`). And the headers of the answers that hold someone's data."""

from flask import abort

from matchmaker.auth.sessions import acting_user
from matchmaker.extensions import db
from matchmaker.models import Event
from matchmaker.services import event_rules

# Personal pages and files (agendas, calendars, check-in): kept by no cache, indexed by no search engine.
PRIVATE = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"}


def visible_event(event_id: int) -> Event:
    event = db.get_or_404(Event, event_id)
    if not event_rules.can_view(acting_user(), event):
        abort(404)
    return event


def managed_event(event_id: int) -> Event:
    event = visible_event(event_id)
    if not event_rules.can_manage(acting_user(), event):
        abort(403)
    return event


def door_event(event_id: int) -> Event:
    """An event whose check-in the user may run: its managers and its check-in staff (403 for others)."""
    event = visible_event(event_id)
    if not event_rules.can_check_in(acting_user(), event):
        abort(403)
    return event
