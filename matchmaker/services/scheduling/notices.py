"""Telling a participant that one of their meetings was added, moved or cancelled: who, what, when, where.

The notification's text names the time, the table and the other party; its mail (`email/meeting_notice.txt`)
adds the details (date and time in the reader's language and the event's timezone, venue and table, the other
party and their organisation, the needs and offerings concerned) and an .ics file: METHOD:REQUEST for an
added or moved meeting, METHOD:CANCEL for a cancelled one, with the UID and SEQUENCE of the calendar feed
(`agendas.meeting_invitation`), so a calendar updates the entry it has.
"""

from dataclasses import replace
from datetime import timedelta
from email.utils import parseaddr

import sqlalchemy as sa
from babel.dates import format_date, format_time
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matchmaker.extensions import db
from matchmaker.models import EmailMode, Event, Meeting, ParticipantRole, Registration, RegistrationStatus
from matchmaker.services import agendas, event_rules, mail, online
from matchmaker.services.event_rules import TZ, event_path
from matchmaker.services.notifications import email_mode, notify, register_kind
from matchmaker.services.scheduling.meetings import active_meetings
from matchmaker.textutil import one_line

# A meeting change this close to the meeting is mailed at once even to users of the daily digest.
SOON = timedelta(hours=24)

NOTICE_TEMPLATE = "meeting_notice"

register_kind(
    "meeting_added",
    _l("New meeting at %(event)s: %(time)s, %(place)s, with %(name)s%(organisation)s."),
    NOTICE_TEMPLATE,
)
register_kind(
    "meeting_moved",
    _l("Your meeting with %(name)s%(organisation)s at %(event)s has moved: now %(time)s, %(place)s."),
    NOTICE_TEMPLATE,
)
register_kind(
    "meeting_removed",
    _l(
        "Your meeting of %(time)s, %(place)s, with %(name)s%(organisation)s at %(event)s is cancelled. "
        "The slot is free in your agenda."
    ),
    NOTICE_TEMPLATE,
)


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def meeting_time(meeting: Meeting) -> str:
    """ "Tuesday 12 May 2026, 10:00–10:20" in the current language, in the event's timezone."""
    starts, ends = meeting.slot.starts_at.replace(tzinfo=TZ), meeting.slot.ends_at.replace(tzinfo=TZ)
    locale = _locale()
    day = format_date(starts.date(), "full", locale=locale)
    return f"{day}, {format_time(starts, 'short', tzinfo=TZ, locale=locale)}\u2013" + format_time(
        ends, "short", tzinfo=TZ, locale=locale
    )


def _other_items(other: agendas.Party) -> tuple[str, str]:
    if not other.items:
        return "", ""
    label = _("Their needs") if other.role == ParticipantRole.BUYER else _("Their offerings")
    return label, "; ".join(one_line(item.title) for item in other.items)


def meeting_details(registration: Registration, meeting: Meeting) -> list[tuple[str, str]]:
    """(label, value) lines in the current language: when, where, with whom, about what, your own items."""
    event = meeting.event
    other = agendas.party(meeting.other(registration.id))
    who = one_line(other.name) + (f" ({one_line(other.organisation)})" if other.organisation else "")
    link = online.meeting_link(meeting)
    place = online.meeting_place(meeting)
    online_only = link and online.is_online_only(meeting)
    where = place if online_only else ", ".join(p for p in (one_line(event.venue_address), place) if p)
    details = [
        (_("Event"), one_line(event.title)),
        (_("When"), meeting_time(meeting) + f" ({TZ.key})"),
        (_("Where"), where),
    ]
    if link:  # the meeting's parties only: these details go to them
        # At a table at the venue (a hybrid event with a pattern) the link is for a party who cannot come:
        # not an online meeting, the other party goes to the table (agendas.meeting_description).
        details.append((_("Online meeting") if online_only else _("To join from elsewhere"), link))
    details.append((_("With"), who))
    label, items = _other_items(other)
    if items:
        details.append((label, items))
    mine = agendas.party(registration)
    label, items = _other_items(mine)
    if items:
        details.append(
            (_("Your needs") if mine.role == ParticipantRole.BUYER else _("Your offerings"), items)
        )
    return details


def invitation(registration: Registration, meeting: Meeting) -> mail.Attachment:
    sender = parseaddr(current_app.config["MAIL_SENDER"])[1] or "noreply@localhost"
    cancelled = meeting.cancelled_at is not None
    return mail.Attachment(
        filename="meeting-cancelled.ics" if cancelled else "meeting.ics",
        content_type="text/calendar",
        content=agendas.meeting_invitation(registration, meeting, sender).decode("utf-8"),
        params={"method": "CANCEL" if cancelled else "REQUEST"},
    )


def _subject(kind: str, registration: Registration, meeting: Meeting) -> str:
    """A short subject that says what happened first, then when, where and with whom (the notification's
    text, which says it at length, is the mail's first paragraph)."""
    starts = meeting.slot.starts_at.replace(tzinfo=TZ)
    locale = _locale()
    params = {
        "when": f"{format_date(starts.date(), 'medium', locale=locale)} "
        + format_time(starts, "short", tzinfo=TZ, locale=locale),
        "place": meeting.table.display_name,
        "name": one_line(meeting.other(registration.id).user.display_name),
    }
    if kind == "meeting_added":
        return _("New meeting: %(when)s, %(place)s, with %(name)s", **params)
    if kind == "meeting_moved":
        return _("Meeting moved: now %(when)s, %(place)s, with %(name)s", **params)
    return _("Meeting cancelled: %(when)s, %(place)s, with %(name)s", **params)


def tell_about_meeting(registration: Registration, meeting: Meeting, kind: str, **params) -> None:
    """Notify the participant of `registration` about `meeting` (kind: meeting_added, meeting_moved,
    meeting_removed, or a cancellation kind whose text has %(name)s, %(time)s and %(event)s): the text says
    when, where and with whom, the mail adds the details and the .ics. Commits (through `notify`)."""
    user = registration.user
    other = meeting.other(registration.id)
    with force_locale(user.language):
        organisation = other.organisation_name
        base = {
            "name": one_line(other.user.display_name),
            "organisation": f" ({one_line(organisation)})" if organisation else "",
            "time": meeting_time(meeting),
            "table": meeting.table.label,
            "place": meeting.table.display_name,
            "event": one_line(meeting.event.title),
        }
        details = meeting_details(registration, meeting)
        attachment = invitation(registration, meeting)
        subject = _subject(kind, registration, meeting)
    notify(
        user,
        kind,
        url=event_path(meeting.event, "agenda"),
        mail_context={"details": details, "cancelled": meeting.cancelled_at is not None, "subject": subject},
        attachments=[attachment],
        mail_now=True if _too_soon_for_a_digest(user, meeting) else None,
        **{**base, **params},
    )


def _too_soon_for_a_digest(user, meeting: Meeting) -> bool:
    """A change to a meeting less than a day away is mailed at once to a user of the daily digest, as
    reminders are: the digest would bring a move on the event day after the meeting. Who turned mail off
    gets none."""
    if email_mode(user) != EmailMode.DAILY:
        return False
    return meeting.slot.starts_at - event_rules.local_now() < SOON


def meetings_mail(registration: Registration, meetings: list[Meeting]) -> tuple[list, list[mail.Attachment]]:
    """The mail context and .ics files of a mail that lists the participant's meetings (by time): each
    meeting's details (`meeting_details`) and its own calendar file, numbered as the list is."""
    meetings = sorted(meetings, key=lambda m: m.slot.starts_at)
    with force_locale(registration.user.language):
        listed = [meeting_details(registration, m) for m in meetings]
        attachments = [
            replace(invitation(registration, m), filename=f"meeting-{number}.ics")
            for number, m in enumerate(meetings, start=1)
        ]
    return listed, attachments


def tell_about_new_venue(event: Event) -> None:
    """Everyone approved with a published, active meeting at `event` hears that the event moved, with each
    of their meetings' new where and when (venue, table, time) and its updated .ics. Commits (through
    `notify`)."""
    mine: dict[int, list[Meeting]] = {}
    for meeting in active_meetings(event):
        if meeting.published and meeting.cancelled_at is None:
            for registration_id in (meeting.first_registration_id, meeting.second_registration_id):
                mine.setdefault(registration_id, []).append(meeting)
    registrations = (
        db.session.scalars(
            sa.select(Registration)
            .where(Registration.id.in_(mine), Registration.status == RegistrationStatus.APPROVED)
            .order_by(Registration.id)
        ).all()
        if mine
        else []
    )
    for registration in registrations:
        listed, attachments = meetings_mail(registration, mine[registration.id])
        notify(
            registration.user,
            "event_venue_changed",
            url=event_path(event, "agenda"),
            mail_context={"meetings": listed},
            attachments=attachments,
            event=event.title,
            venue=event.venue_address or event.online_url,
        )
