"""Meetings that go after publishing: a participant cancels a meeting or their participation, the
organizer withdraws a registration or marks a no-show.

The meetings are cancelled at once (sequence + 1), the other party and the organizer are notified at once,
and a pair that was cancelled is not proposed again; the freed slots are there for the organizer's next
fill run.
"""

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matchmaker.extensions import db
from matchmaker.models import (
    Absence,
    EventStatus,
    Meeting,
    MeetingAttendee,
    Registration,
    RegistrationStatus,
    User,
    utcnow,
)
from matchmaker.services import Conflict, ServiceError, commit, discard, unit_of_work
from matchmaker.services.event_rules import event_path, local_now
from matchmaker.services.notifications import notify, register_kind
from matchmaker.services.registrations import close_open_requests
from matchmaker.services.scheduling.meetings import _cancel_or_delete, absent_ids, active_meetings
from matchmaker.services.scheduling.notices import NOTICE_TEMPLATE, tell_about_meeting
from matchmaker.services.scheduling.runs import _check_editable

register_kind(
    "meeting_cancelled",
    _l("%(name)s cancelled your meeting of %(time)s at %(event)s. The slot is free in your agenda."),
    NOTICE_TEMPLATE,
)


register_kind(
    "meeting_cancelled_reason",
    _l(
        "%(name)s cancelled your meeting of %(time)s at %(event)s, saying: %(reason)s. "
        "The slot is free in your agenda."
    ),
    NOTICE_TEMPLATE,
)


register_kind(
    "meeting_cancelled_organizer",
    _l(
        "%(name)s cancelled their meeting of %(time)s with %(other)s at %(event)s. "
        "A fill run can use the free slot."
    ),
)


register_kind(
    "meeting_cancelled_organizer_reason",
    _l(
        "%(name)s cancelled their meeting of %(time)s with %(other)s at %(event)s, saying: %(reason)s. "
        "A fill run can use the free slot."
    ),
)


register_kind(
    "meeting_cancelled_absent",
    _l(
        "%(name)s is not at %(event)s: your meeting of %(time)s is cancelled. "
        "The slot is free in your agenda."
    ),
    NOTICE_TEMPLATE,
)


register_kind(
    "meeting_cancelled_withdrawn",
    _l(
        "%(name)s no longer takes part in %(event)s: your meeting of %(time)s is cancelled. "
        "The slot is free in your agenda."
    ),
    NOTICE_TEMPLATE,
)


register_kind(
    "registration_withdrawn",
    _l("The organizer cancelled your registration for %(event)s, and with it your meetings there."),
)


register_kind(
    "participant_withdrew",
    _l(
        "%(name)s cannot come to %(event)s after all; their meetings are cancelled. "
        "A fill run can use the free slots."
    ),
)


register_kind(
    "participant_withdrew_reason",
    _l(
        "%(name)s cannot come to %(event)s after all, saying: %(reason)s. Their meetings are cancelled. "
        "A fill run can use the free slots."
    ),
)


def _meetings_of(registration: Registration, only_from=None) -> list[Meeting]:
    return [
        m
        for m in active_meetings(registration.event)
        if registration.id in (m.first_registration_id, m.second_registration_id)
        and (only_from is None or m.slot.ends_at > only_from)
    ]


def _cancel_now(meetings: list[Meeting], reason: str) -> list[tuple[Meeting, str]]:
    """Take meetings out at once: those not published yet simply go; published ones are cancelled now (the
    people concerned are to be told now, not at the next publication). Returns the published ones with
    their time, for telling. Does not commit."""
    told: list[tuple[Meeting, str]] = []
    for meeting in meetings:
        when = _meeting_time(meeting)
        if not meeting.published:
            _cancel_or_delete(meeting, reason)
        elif _cancel_published(meeting, reason):
            told.append((meeting, when))
    return told


def _tell_partners(told: list[tuple[Meeting, str]], registration: Registration, kind: str) -> None:
    """The other party of each cancelled meeting hears which one (when, where, with whom), with the .ics
    that takes it out of their calendar."""
    for meeting, _when in told:
        tell_about_meeting(meeting.other(registration.id), meeting, kind)


def withdraw_participant(user: User, registration: Registration) -> int:
    """The organizer cancels a registration (also after publishing): open requests and meetings go with it.
    Returns how many meetings were cancelled."""
    event = registration.event
    _check_editable(user, event)
    if registration.status != RegistrationStatus.APPROVED:
        raise ServiceError(_("Only an approved registration can be withdrawn."))
    registration.status = RegistrationStatus.CANCELLED
    close_open_requests(registration)
    meetings = _meetings_of(registration)
    told = _cancel_now(meetings, "registration cancelled")
    commit()
    _tell_partners(told, registration, "meeting_cancelled_withdrawn")
    notify(registration.user, "registration_withdrawn", url=event_path(event), event=event.title)
    return len(meetings)


REASON_MAX = 200


def _clean_reason(reason: str | None) -> str:
    return " ".join((reason or "").split())[:REASON_MAX]


def _meeting_time(meeting: Meeting) -> str:
    return meeting.slot.starts_at.strftime("%d/%m %H:%M")


def _check_participant(user: User, registration: Registration) -> None:
    if registration.user_id != user.id:
        raise ServiceError(_("This registration is not yours."))
    if registration.status != RegistrationStatus.APPROVED:
        raise ServiceError(_("Your registration for this event is not active."))
    if registration.event.status != EventStatus.AGENDA_PUBLISHED:
        raise ServiceError(
            _("Meetings can be cancelled here once the agenda is published, until the event is closed.")
        )


def may_cancel(registration: Registration) -> bool:
    """Whether the participant may cancel meetings (or their participation) now."""
    return (
        registration.status == RegistrationStatus.APPROVED
        and registration.event.status == EventStatus.AGENDA_PUBLISHED
    )


def _cancel_published(meeting: Meeting, reason: str) -> bool:
    """Cancel a published meeting at once: the first to cancel wins (two parties at the same moment
    cancel it once). Its attendee rows go, its sequence goes up (calendar feeds show STATUS:CANCELLED);
    nothing is left for "publish changes", since the people concerned are told now. Does not commit."""
    now = utcnow()
    done = db.session.execute(
        sa.update(Meeting)
        .where(Meeting.id == meeting.id, Meeting.cancelled_at.is_(None))
        .values(
            cancelled_at=now,
            cancel_reason=reason,
            sequence=Meeting.sequence + 1,
            notice_pending=False,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if done:
        db.session.execute(sa.delete(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id))
    db.session.expire(meeting)
    return bool(done)


def _tell_other_party(meeting: Meeting, registration: Registration, when: str, reason: str) -> None:
    other = meeting.other(registration.id)
    if reason:
        tell_about_meeting(other, meeting, "meeting_cancelled_reason", reason=reason)
    else:
        tell_about_meeting(other, meeting, "meeting_cancelled")


def cancel_own_meeting(user: User, meeting: Meeting, reason: str = "") -> Meeting:
    """A participant cancels one of their published meetings that has not begun. The other party and the
    organizer are told at once; the freed slot is free for the organizer's next fill run (which does not
    bring this pair back)."""
    registration = next((r for r in meeting.registrations if r.user_id == user.id), None)
    if registration is None or not meeting.published:
        raise ServiceError(_("This meeting is not in your agenda."))
    _check_participant(user, registration)
    if meeting.cancelled_at is not None:
        raise ServiceError(_("This meeting was cancelled already."))
    if meeting.slot.starts_at <= local_now():
        raise ServiceError(_("This meeting has begun or is over: it can no longer be cancelled."))
    reason = _clean_reason(reason)
    when = _meeting_time(meeting)
    other = meeting.other(registration.id)
    if not _cancel_published(meeting, reason):
        discard()
        raise Conflict(_("This meeting was cancelled already."))
    commit()
    event = registration.event
    _tell_other_party(meeting, registration, when, reason)
    if event.organizer is not None:
        params = {
            "name": registration.user.display_name,
            "other": other.user.display_name,
            "time": when,
            "event": event.title,
        }
        url = event_path(event, "schedule")
        if reason:
            notify(event.organizer, "meeting_cancelled_organizer_reason", url=url, reason=reason, **params)
        else:
            notify(event.organizer, "meeting_cancelled_organizer", url=url, **params)
    return meeting


def withdraw_from_event(user: User, registration: Registration, reason: str = "") -> int:
    """A participant cannot come after all (after publishing): their registration is cancelled with their
    open requests, and their meetings are cancelled as in `cancel_own_meeting` (those not published yet
    simply go). The other parties and the organizer are told. Returns how many published
    meetings were cancelled."""
    _check_participant(user, registration)
    event = registration.event
    reason = _clean_reason(reason)
    # All of them, as when the organizer withdraws someone: the meetings of a cancelled registration
    # would be swept out before the next run anyway.
    theirs = _meetings_of(registration)
    registration.status = RegistrationStatus.CANCELLED
    close_open_requests(registration)
    told = _cancel_now(theirs, reason)
    commit()
    for meeting, when in told:
        _tell_other_party(meeting, registration, when, reason)
    if event.organizer is not None:
        params = {"name": registration.user.display_name, "event": event.title}
        url = event_path(event, "schedule")
        if reason:
            notify(event.organizer, "participant_withdrew_reason", url=url, reason=reason, **params)
        else:
            notify(event.organizer, "participant_withdrew", url=url, **params)
    return len(told)


def mark_absent(user: User, registration: Registration) -> int:
    """A no-show: the participant's remaining meetings (those not over yet) are cancelled, and later runs
    leave them out. Returns how many meetings were cancelled."""
    event = registration.event
    _check_editable(user, event)
    if registration.status != RegistrationStatus.APPROVED:
        raise ServiceError(_("Only an approved participant can be marked absent."))
    if registration.id in absent_ids(event):
        raise ServiceError(_("%(name)s is already marked absent.", name=registration.user.display_name))
    refusal = _("%(name)s is already marked absent.", name=registration.user.display_name)
    with unit_of_work(refusal):  # marked absent by someone else at the same moment: the Absence row is unique
        db.session.add(Absence(event_id=event.id, registration_id=registration.id, marked_by_id=user.id))
        db.session.flush()
        meetings = _meetings_of(registration, only_from=local_now())
        told = _cancel_now(meetings, "absent")
    _tell_partners(told, registration, "meeting_cancelled_absent")
    return len(meetings)
