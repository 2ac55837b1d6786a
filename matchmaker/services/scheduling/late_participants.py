"""Participants added after publishing: approved at once and available in every slot."""

from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    EventStatus,
    ParticipantRole,
    Registration,
    RegistrationStatus,
    User,
    utcnow,
)
from matchmaker.services import ServiceError, commit
from matchmaker.services.accounts import get_user_by_email
from matchmaker.services.event_rules import event_path
from matchmaker.services.notifications import notify
from matchmaker.services.registrations import eligible_items, participant_roles, registration_of
from matchmaker.services.scheduling.runs import _check_editable


def add_late_participant(
    user: User, event: Event, email: str, role: str, max_meetings: int = 8
) -> Registration:
    """After publishing, the organizer adds someone (approved at once, available in every slot). A "fill"
    run or a meeting placed by hand then gives them meetings."""
    _check_editable(user, event)
    if event.status != EventStatus.AGENDA_PUBLISHED:
        raise ServiceError(_("Before the agenda is published, register participants from the dashboard."))
    person = get_user_by_email(email or "")
    if person is None or not person.active:
        raise ServiceError(
            _("No active account uses this email address. Ask the person to create one first.")
        )
    if role not in participant_roles(person) or person.organisation is None:
        raise ServiceError(_("This account cannot take part in that role."))
    items = eligible_items(person, role)
    if not items:
        raise ServiceError(_("%(name)s's organisation has nothing to bring yet.", name=person.display_name))
    if not 1 <= max_meetings <= 50:
        raise ServiceError(_("Enter a maximum number of meetings between 1 and 50."))
    registration = registration_of(person, event)
    if registration is not None and registration.status == RegistrationStatus.APPROVED:
        raise ServiceError(_("%(name)s is already registered.", name=person.display_name))
    if registration is None:
        registration = Registration(event_id=event.id, user_id=person.id)
        db.session.add(registration)
    registration.role = role
    registration.organisation_id = person.organisation.id
    registration.status = RegistrationStatus.APPROVED
    registration.max_meetings = max_meetings
    registration.registered_by_id = user.id
    registration.decided_at = utcnow()
    if role == ParticipantRole.BUYER:
        registration.needs, registration.offerings = items, []
    else:
        registration.offerings, registration.needs = items, []
    registration.available_slots = list(event.meeting_slots)
    commit(_("%(name)s is already registered.", name=person.display_name))
    notify(person, "registration_approved", url=event_path(event), event=event.title)
    return registration
