"""Reminders: the day before an event (the personal agenda, as a summary, a link and an .ics file) and a
number of minutes before each meeting (when, where, with whom and about what), in the app and by mail.

`send_due_reminders` is run every minute by the periodic job "events.send_reminders" (Celery beat, or the
embedded ticker). Each reminder is sent once whatever runs it, however many times and on however many hosts:
its `ReminderSent` row is written in the same transaction as its notification and its outbox mail, and the
database refuses a second row for the same (registration, kind, key) (models.reminders). A worker that finds
the row taken rolls back its own notification and mail and goes on with the next reminder.

Who gets one: the approved participants of an event whose agenda is published, not marked absent (Absence),
for their published meetings that are not cancelled. A meeting's key includes its start, so a meeting moved
later gets its reminder at its new time (and one moved after its reminder gets a new one); a cancelled
meeting gets none. The key does not hold the lead time: a user who changes theirs after a reminder went out
does not get a second one for the same meeting.

Users choose in their notification settings (`notifications.reminder_settings`): how long before each
meeting (the organizer's `event.reminder_minutes` is the default for those who did not choose; 0 is none),
whether reminders come in the app, and whether by mail (at once, whatever their digest choice: a reminder
cannot wait for tomorrow's digest). Someone who wants them neither way gets none, and no row is written:
turning them on again before the meeting brings its reminder.

Times: slots are naive Europe/Brussels local times; "now" is `event_rules.local_now()`. The day-before mail
goes from REMINDER_DAY_BEFORE_HOUR (event-local) on the day before the event's first day.
"""

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from matchmaker import links
from matchmaker.extensions import db
from matchmaker.models import (
    Absence,
    Event,
    EventDay,
    EventStatus,
    Meeting,
    NotificationPreference,
    Registration,
    RegistrationStatus,
    ReminderKind,
    ReminderSent,
    Slot,
)
from matchmaker.services import agendas, mail, online
from matchmaker.services.event_rules import event_path, local_now
from matchmaker.services.kernel import discard
from matchmaker.services.notifications import notify, register_kind, reminder_settings
from matchmaker.services.scheduling.notices import meeting_details, meeting_time
from matchmaker.textutil import one_line

log = logging.getLogger(__name__)

MAX_MINUTES = 1440  # the longest lead time an event or a user may set (the models' checks)

register_kind(
    "agenda_reminder",
    _l("%(event)s is tomorrow. Your personal agenda is ready; your first meeting is on %(first)s."),
    "agenda_reminder",
)
register_kind(
    "meeting_reminder",
    _l("Soon at %(event)s: your meeting with %(name)s%(organisation)s at %(time)s, %(where)s."),
    "meeting_reminder",
)


def send_due_reminders(now: datetime | None = None) -> dict[str, int]:
    """Send the reminders that are due at `now` (event-local naive; default: now). Returns how many of each
    kind this run sent (those another run sent first are not counted)."""
    now = now or local_now()
    return {"day_before": _send_day_before(now), "meetings": _send_meeting_reminders(now)}


def _claim(registration: Registration, kind: str, key: str, meeting_id: int | None = None) -> bool:
    """Add this reminder's row to the unit of work: False (rolled back) when it was sent already."""
    db.session.add(
        ReminderSent(
            event_id=registration.event_id,
            registration_id=registration.id,
            meeting_id=meeting_id,
            kind=kind,
            key=key,
        )
    )
    try:
        db.session.flush()  # on PostgreSQL, waits for a concurrent insert of the same key to end
    except IntegrityError:
        discard()
        return False
    return True


def _absent(event_id: int) -> set[int]:
    return set(db.session.scalars(sa.select(Absence.registration_id).where(Absence.event_id == event_id)))


# --- the day before ----------------------------------------------------------------------------------


def _send_day_before(now: datetime) -> int:
    if now.hour < current_app.config["REMINDER_DAY_BEFORE_HOUR"]:
        return 0
    tomorrow = now.date() + timedelta(days=1)
    first_days = (
        sa.select(EventDay.event_id, sa.func.min(EventDay.day).label("first"))
        .group_by(EventDay.event_id)
        .subquery()
    )
    event_ids = db.session.scalars(
        sa.select(Event.id)
        .join(first_days, first_days.c.event_id == Event.id)
        .where(first_days.c.first == tomorrow, Event.status == EventStatus.AGENDA_PUBLISHED)
        .order_by(Event.id)
    ).all()
    sent = 0
    for event_id in event_ids:
        registration_ids = db.session.scalars(
            sa.select(Registration.id)
            .where(Registration.event_id == event_id, Registration.status == RegistrationStatus.APPROVED)
            .order_by(Registration.id)
        ).all()
        absent = _absent(event_id)
        for registration_id in registration_ids:
            if registration_id not in absent and send_agenda_reminder(registration_id, tomorrow):
                sent += 1
    return sent


def send_agenda_reminder(registration_id: int, first_day) -> bool:
    """The day-before reminder of one participant, if they have meetings and did not get it yet."""
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        return False
    meetings = agendas.meetings_of(registration)
    if not meetings:
        return False
    settings = reminder_settings(registration.user)
    if not (settings.in_app or settings.mails):
        return False
    if not _claim(registration, ReminderKind.DAY_BEFORE, f"day:{first_day.isoformat()}"):
        return False
    user = registration.user
    event = registration.event
    with force_locale(user.language):
        listed = [_summary_line(registration, meeting) for meeting in meetings]
        first = meeting_time(meetings[0])
        calendar = agendas.agenda_ical(registration, meetings, language=user.language)
        subject = ngettext(
            "Tomorrow: %(event)s, your agenda with %(num)s meeting",
            "Tomorrow: %(event)s, your agenda with %(num)s meetings",
            len(meetings),
            event=one_line(event.title),
        )
    attachment = mail.Attachment(
        filename="agenda.ics",
        content_type="text/calendar",
        content=calendar.decode("utf-8"),
        params={"method": "PUBLISH"},
    )
    notify(
        user,
        "agenda_reminder",
        url=event_path(event, "agenda"),
        mail_now=settings.mails,
        in_app=settings.in_app,
        mail_context={
            "subject": subject,
            "meetings": listed,
            "pdf_url": links.external_url("agendas.agenda_download_pdf", event_id=event.id),
        },
        attachments=[attachment],
        event=one_line(event.title),
        first=first,
    )
    return True


def _summary_line(registration: Registration, meeting: Meeting) -> dict:
    """One meeting of the day-before mail: time, where, with whom, about what, and its online link."""
    other = agendas.party(meeting.other(registration.id))
    return {
        "time": f"{meeting.slot.starts_at:%H:%M}\u2013{meeting.slot.ends_at:%H:%M}",
        "where": online.meeting_place(meeting),
        "with": one_line(other.name) + (f" ({one_line(other.organisation)})" if other.organisation else ""),
        "about": "; ".join(one_line(item.title) for item in other.items),
        "link": online.meeting_link(meeting),
        "online_only": online.is_online_only(meeting),  # else at a table: the link is to join from elsewhere
    }


# --- minutes before each meeting ---------------------------------------------------------------------


def _send_meeting_reminders(now: datetime) -> int:
    """Each party's reminder of each published meeting that begins within their lead time: their own choice,
    else the event's default. One query finds them, with the reminders sent already left out, so that a
    run every minute does not try again (and roll back) the ones it sent a minute ago."""
    party = sa.or_(
        Registration.id == Meeting.first_registration_id, Registration.id == Meeting.second_registration_id
    )
    lead = sa.func.coalesce(NotificationPreference.reminder_minutes, Event.reminder_minutes)
    candidates = db.session.execute(
        sa.select(Meeting.id, Slot.starts_at, Registration.id, lead)
        .join(Slot, Slot.id == Meeting.slot_id)
        .join(Event, Event.id == Meeting.event_id)
        .join(Registration, party)
        .outerjoin(NotificationPreference, NotificationPreference.user_id == Registration.user_id)
        .where(
            Meeting.cancelled_at.is_(None),
            Meeting.published.is_(True),
            Event.status == EventStatus.AGENDA_PUBLISHED,
            Registration.status == RegistrationStatus.APPROVED,
            lead > 0,
            # Neither in the app nor by mail: nothing to send (no preference row: both).
            sa.or_(
                NotificationPreference.user_id.is_(None),
                NotificationPreference.reminder_in_app.is_(True),
                NotificationPreference.reminder_mails.is_(True),
            ),
            ~sa.exists().where(
                Absence.event_id == Meeting.event_id, Absence.registration_id == Registration.id
            ),
            Slot.starts_at > now,
            Slot.starts_at <= now + timedelta(minutes=MAX_MINUTES),
        )
        .order_by(Slot.starts_at, Meeting.id, Registration.id)
    ).all()
    due = [
        (m, starts_at, r)
        for m, starts_at, r, minutes in candidates
        if starts_at <= now + timedelta(minutes=minutes)
    ]
    sent_already = _sent_keys({meeting_id for meeting_id, _s, _r in due})
    sent = 0
    for meeting_id, starts_at, registration_id in due:
        if (registration_id, _meeting_key(meeting_id, starts_at)) in sent_already:
            continue
        if send_meeting_reminder(meeting_id, registration_id, starts_at):
            sent += 1
    return sent


def _meeting_key(meeting_id: int, starts_at: datetime) -> str:
    return f"{meeting_id}@{starts_at:%Y%m%dT%H%M}"


def _sent_keys(meeting_ids: set[int]) -> set[tuple[int, str]]:
    """(registration, key) of the meeting reminders sent for these meetings. A hint only: the unique key
    decides (another run may send one between this query and the claim)."""
    if not meeting_ids:
        return set()
    rows = db.session.execute(
        sa.select(ReminderSent.registration_id, ReminderSent.key).where(
            ReminderSent.kind == ReminderKind.MEETING, ReminderSent.meeting_id.in_(meeting_ids)
        )
    )
    return {(registration_id, key) for registration_id, key in rows}


def send_meeting_reminder(meeting_id: int, registration_id: int, starts_at: datetime) -> bool:
    """The reminder of one meeting for one of its participants, unless sent already for this start."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.status != RegistrationStatus.APPROVED:
        return False
    settings = reminder_settings(registration.user)
    if not (settings.in_app or settings.mails):
        return False
    if not _claim(registration, ReminderKind.MEETING, _meeting_key(meeting_id, starts_at), meeting_id):
        return False
    meeting = db.session.get(Meeting, meeting_id)
    registration = db.session.get(Registration, registration_id)
    if meeting is None or meeting.cancelled_at is not None or meeting.slot.starts_at != starts_at:
        discard()  # changed since it was found: the next run sees it as it is now
        return False
    user = registration.user
    other = meeting.other(registration.id)
    with force_locale(user.language):
        details = meeting_details(registration, meeting)
        where = online.meeting_place(meeting)
        time_text = meeting_time(meeting)
        subject = _(
            "Reminder: %(time)s, %(where)s, with %(name)s",
            time=f"{meeting.slot.starts_at:%H:%M}",
            where=where,
            name=one_line(other.user.display_name),
        )
    notify(
        user,
        "meeting_reminder",
        url=event_path(meeting.event, "agenda"),
        mail_now=settings.mails,
        in_app=settings.in_app,
        mail_context={
            "subject": subject,
            "details": details,
            "online_link": online.meeting_link(meeting),
            "online_only": online.is_online_only(meeting),
        },
        name=one_line(other.user.display_name),
        organisation=f" ({one_line(other.organisation_name)})" if other.organisation_name else "",
        event=one_line(meeting.event.title),
        time=time_text,
        where=where,
    )
    return True
