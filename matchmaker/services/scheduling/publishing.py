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
from matchmaker.services.scheduling.runs import _check_editable, _check_schedulable

register_kind(
    "agenda_changed",
    _l("Your agenda for %(event)s has changed: a meeting was added, moved or cancelled. See your agenda."),
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
    published = 0
    for meeting in meetings:
        if not meeting.published or first:
            affected.update((meeting.first_registration_id, meeting.second_registration_id))
        if not meeting.published:
            published += 1
        meeting.published = True
        meeting.locked = True
    for meeting in db.session.scalars(
        sa.select(Meeting).where(Meeting.event_id == event.id, Meeting.notice_pending.is_(True))
    ):
        affected.update((meeting.first_registration_id, meeting.second_registration_id))
        meeting.notice_pending = False
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
        url = event_path(event, "agenda")
        for registration in registrations:
            notify(
                registration.user,
                "agenda_published" if first else "agenda_changed",
                url=url,
                event=event.title,
            )
            notified += 1
    return PublishReport(published, notified, first)


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
