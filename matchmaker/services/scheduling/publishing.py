"""Publishing the agenda, the first time and the changes since.

Publishing has one way: `publish`, whether from the schedule page or the dashboard's stage change
(services.events.publish_agenda), so meetings are always published and locked and nobody is told twice.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    EventStatus,
    Meeting,
    Registration,
    RegistrationStatus,
    User,
)
from matchmaker.services import ServiceError, commit
from matchmaker.services.event_rules import event_path, require_manager
from matchmaker.services.notifications import notify, register_kind
from matchmaker.services.scheduling.meetings import active_meetings, sweep_departed
from matchmaker.services.scheduling.notices import meetings_mail, tell_about_meeting
from matchmaker.services.scheduling.runs import _check_editable, _check_schedulable

register_kind(  # no longer sent (each change is told with its meeting, see notices): kept for old ones
    "agenda_changed",
    _l("Your agenda for %(event)s has changed: a meeting was added, moved or cancelled. See your agenda."),
)
register_kind(
    "agenda_published",
    _l("The agenda of %(event)s is published. See your meetings and their tables."),
    "agenda_published",
)


@dataclass
class PublishReport:
    published: int
    notified: int
    first: bool


def publish(
    user: User | None, event: Event, send_notifications: bool = True, allow_empty: bool = False
) -> PublishReport:
    """Publish the agenda (first time) or the changes since: every active meeting becomes published and
    locked, the event goes to "agenda published", and the participants concerned are notified (all with a
    meeting the first time; afterwards those with a new, moved or cancelled meeting).

    The one way to publish: the schedule page and the dashboard's stage change both come here.
    `allow_empty`: the dashboard may move an event without meetings on (to close it later)."""
    if user is not None:
        require_manager(user, event)
        _check_editable(user, event)
    else:
        _check_schedulable(event)
    first = event.status != EventStatus.AGENDA_PUBLISHED
    sweep_departed(event)
    meetings = active_meetings(event)
    if first and not meetings and not allow_empty:
        raise ServiceError(_("There are no meetings to publish yet: run the scheduler first."))
    if first and not _claim_first_publication(event):
        # Someone published at the same moment (the dashboard and the schedule page): theirs told
        # everyone; what is left here are changes, if any.
        first = False
        db.session.expire_all()
        meetings = active_meetings(event)
    affected: set[int] = set()
    changes: dict[int, tuple[Meeting, str]] = {}  # after the first publication: what happened to each
    published = 0
    for meeting in meetings:
        if not meeting.published or first:
            affected.update((meeting.first_registration_id, meeting.second_registration_id))
        if not meeting.published:
            published += 1
            changes[meeting.id] = (meeting, "meeting_added")
        meeting.published = True
        meeting.locked = True
    # The pending notices are claimed by one UPDATE, as the live board claims the one it sends at once
    # (event_day.tell_changes_now): when both happen at the same moment, each notice goes once.
    pending = db.session.scalars(
        sa.update(Meeting)
        .where(Meeting.event_id == event.id, Meeting.notice_pending.is_(True))
        .values(notice_pending=False)
        .returning(Meeting.id)
        .execution_options(synchronize_session=False)
    ).all()
    for meeting in db.session.scalars(sa.select(Meeting).where(Meeting.id.in_(pending))) if pending else ():
        affected.update((meeting.first_registration_id, meeting.second_registration_id))
        if meeting.id not in changes:
            changes[meeting.id] = (meeting, "meeting_removed" if meeting.cancelled_at else "meeting_moved")
    if not first and not affected:
        raise ServiceError(_("There are no changes to publish."))
    event.status = EventStatus.AGENDA_PUBLISHED
    commit()
    notified = 0
    if send_notifications:
        registrations = db.session.scalars(
            sa.select(Registration).where(
                Registration.id.in_(affected), Registration.status == RegistrationStatus.APPROVED
            )
        ).unique()
        told = {registration.id: registration for registration in registrations}
        if first:
            for registration in told.values():
                _tell_agenda(registration, [m for m in meetings if registration.id in _parties(m)])
        else:
            # One notice per meeting and participant: which meeting, when, where, with whom, and its .ics.
            for meeting, kind in changes.values():
                for registration_id in _parties(meeting):
                    if registration_id in told:
                        tell_about_meeting(told[registration_id], meeting, kind)
        notified = len(told)
    return PublishReport(published, notified, first)


def _parties(meeting: Meeting) -> tuple[int, int]:
    return meeting.first_registration_id, meeting.second_registration_id


def _tell_agenda(registration: Registration, meetings: list[Meeting]) -> None:
    """The first publication: the participant's meetings, each with its details and its own .ics."""
    listed, attachments = meetings_mail(registration, meetings)
    event = registration.event
    notify(
        registration.user,
        "agenda_published",
        url=event_path(event, "agenda"),
        mail_context={"meetings": listed},
        attachments=attachments,
        event=event.title,
    )


def _claim_first_publication(event: Event) -> bool:
    """Move the event to "agenda published" unless another transaction just did (it waits for that one's
    commit, then sees it): only one first publication notifies everyone."""
    return bool(
        db.session.execute(
            sa.update(Event)
            .where(Event.id == event.id, Event.status != EventStatus.AGENDA_PUBLISHED)
            .values(status=EventStatus.AGENDA_PUBLISHED)
            .execution_options(synchronize_session=False)
        ).rowcount
    )
