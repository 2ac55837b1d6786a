"""An event's team (issue 16): the people besides its organizer who help run it, so that several people at the
door need no shared account.

The organizer and co-organizers add an existing account by its e-mail address, with a role: a co-organizer
manages the event as its organizer does; check-in staff only check participants in (event_rules.can_check_in).
They change a member's role and remove them; the organizer is no row of the team, so nobody removes them.
Access is read from the team on every request (event_rules.staff_role): a removed member is out at once.

Which addresses have accounts: the message for an unknown address is the one the organizer already gets when
registering someone on their behalf (services.registrations.register_on_behalf), and only an event's managers
see it: the team page tells them nothing the existing pages do not.

One row per (event, user), unique in the database: the same person added twice, or by two co-organizers at the
same moment, is one member, and the second is told so.
"""

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from matchmaker import links
from matchmaker.extensions import db
from matchmaker.models import Event, EventStaff, EventStatus, StaffRole, User
from matchmaker.services import Invalid, commit, unit_of_work
from matchmaker.services.accounts import get_user_by_email, normalize_email, personal_data_exporter
from matchmaker.services.event_rules import require_manager
from matchmaker.services.notifications import notify, register_kind

log = logging.getLogger(__name__)

ROLE_LABELS = {
    StaffRole.CO_ORGANIZER: _l("Co-organizer"),
    StaffRole.CHECK_IN: _l("Check-in staff"),
}

register_kind(
    "event_team_co_organizer",
    _l("%(name)s added you to the team of %(event)s as a co-organizer: you manage the event with them."),
)
register_kind(
    "event_team_check_in",
    _l("%(name)s added you to the check-in staff of %(event)s: you check participants in at the door."),
)

register_kind(
    "event_team_now_co_organizer",
    _l("%(name)s made you a co-organizer of %(event)s: you now manage the event with them."),
)
register_kind(
    "event_team_now_check_in",
    _l("%(name)s made you check-in staff of %(event)s: you now check participants in at the door only."),
)
register_kind("event_team_removed", _l("%(name)s removed you from the team of %(event)s."))


class TeamInvalid(Invalid):
    field = "email"


def role_label(role: str) -> str:
    label = ROLE_LABELS.get(role)
    return str(label) if label is not None else role


def _role(role: str) -> StaffRole:
    try:
        return StaffRole(role)
    except ValueError:
        raise Invalid({"role": _("Choose a role in the team.")}) from None


def team_of(event: Event) -> list[EventStaff]:
    """The event's team besides its organizer, in the order they were added."""
    return list(
        db.session.scalars(
            sa.select(EventStaff)
            .options(joinedload(EventStaff.user))
            .where(EventStaff.event_id == event.id)
            .order_by(EventStaff.created_at, EventStaff.id)
        )
    )


def get_member(event: Event, member_id: int) -> EventStaff | None:
    """A member of this event's team (None for another event's)."""
    member = db.session.get(EventStaff, member_id)
    return member if member is not None and member.event_id == event.id else None


def _landing(event: Event, role: str) -> str:
    """Where a new member starts: check-in staff at the door, a co-organizer on the dashboard."""
    if role == StaffRole.CHECK_IN:
        return links.path("checkin.page", event_id=event.id)
    return links.path("events.dashboard", event_id=event.id)


def add_member(by: User, event: Event, email: str, role: str) -> EventStaff:
    """Add an existing account to the team with a role, and tell them (in the app, and by mail as they
    chose). Refused: an unknown address, the organizer themselves, someone already on the team."""
    require_manager(by, event)
    role = _role(role)
    email = normalize_email(email)
    if not email or "@" not in email:
        raise TeamInvalid(_("Enter an email address."))
    user = get_user_by_email(email)
    if user is None or not user.active:
        raise TeamInvalid(_("No active account uses this email address. Ask the person to create one first."))
    if user.id == event.organizer_id:
        raise TeamInvalid(
            _("%(name)s organises this event: they are on its team already.", name=user.display_name)
        )
    already = _("%(name)s is already on the team of this event.", name=user.display_name)
    if db.session.scalar(
        sa.select(EventStaff.id).where(EventStaff.event_id == event.id, EventStaff.user_id == user.id)
    ):
        raise TeamInvalid(already)
    member = EventStaff(event_id=event.id, user_id=user.id, role=role.value, added_by_id=by.id)
    with unit_of_work(already):  # the same person added by someone else at this moment: one row, unique
        db.session.add(member)
    log.info("User %s added user %s to the team of event %s as %s", by.id, user.id, event.id, role.value)
    notify(
        user,
        f"event_team_{role.value}",
        url=_landing(event, role),
        name=by.display_name,
        event=event.title,
    )
    return member


def change_role(by: User, member: EventStaff, role: str) -> EventStaff:
    event = db.session.get(Event, member.event_id)
    require_manager(by, event)
    role = _role(role)
    if member.role == role.value:
        return member
    member.role = role.value
    commit()
    # Told, as when they were added: what they may do at the event has changed.
    notify(
        member.user,
        f"event_team_now_{role.value}",
        url=_landing(event, role),
        name=by.display_name,
        event=event.title,
    )
    return member


def remove_member(by: User, member: EventStaff) -> None:
    """Remove a member from the team: their access ends with their next request."""
    event = db.session.get(Event, member.event_id)
    require_manager(by, event)
    user = member.user
    db.session.delete(member)
    commit()
    log.info("User %s removed user %s from the team of event %s", by.id, user.id, event.id)
    if user.id != by.id:  # who leaves the team themselves knows
        notify(
            user,
            "event_team_removed",
            url=links.path("events.detail", event_id=event.id),
            name=by.display_name,
            event=event.title,
        )


# --- the member's side -------------------------------------------------------------------------------------


@dataclass
class TeamEvent:
    event: Event
    role: str


def events_of_member(user: User) -> list[TeamEvent]:
    """The events whose team the user is on (not the ones they organise), the running ones first."""
    rows = db.session.execute(
        sa.select(Event, EventStaff.role)
        .join(EventStaff, EventStaff.event_id == Event.id)
        .where(EventStaff.user_id == user.id)
        .order_by(Event.status == EventStatus.CLOSED.value, Event.created_at.desc(), Event.id.desc())
    ).all()
    return [TeamEvent(event, role) for event, role in rows]


def is_on_a_team(user: User | None) -> bool:
    """Whether the user is on any event's team (the navigation then shows their team events)."""
    if user is None:
        return False
    known = getattr(user, "on_an_event_team", None)  # read with the login's session (user_sessions)
    if known is not None:
        return known
    return (
        db.session.scalar(sa.select(EventStaff.id).where(EventStaff.user_id == user.id).limit(1)) is not None
    )


@personal_data_exporter("event_teams")
def _export_teams(user: User) -> list[dict]:
    """The events whose team the user is on, with their role ("download my data")."""
    return [
        {"event": item.event.title, "event_id": item.event.id, "role": item.role}
        for item in events_of_member(user)
    ]
