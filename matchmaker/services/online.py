"""Online and hybrid meetings: where a meeting's online link comes from, who may see it, and the organizer's
settings (the event's mode, the per-meeting link pattern, the tables that are virtual rooms, the reminders).

A meeting's link is its table's own link when the table is a virtual room, otherwise the link made from the
event's pattern (online and hybrid events only); an on-site event has no meeting links. The links are for the
meeting's two participants and the event's organizers: they appear in the participant's own agenda (page,
PDF, .ics, calendar feed), in the meeting mails and in the reminders, never on a public page. The event's own
`online_url` (a plenary stream, a lobby) is likewise for approved participants and organizers only.
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask_babel import gettext as _

from matchmaker.models import AttendanceMode, Event, Meeting, RegistrationStatus
from matchmaker.services import Invalid, commit, event_rules
from matchmaker.textutil import one_line

PLACEHOLDERS = ("{event}", "{meeting}")
URL_MAX = 500


def check_url(url: str) -> str | None:
    """The message for a link that is not a full https:// address (None when it is one)."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.netloc or any(c.isspace() or c in '"<>\\' for c in url):
        return _("Enter a full web address that starts with https://.")
    if len(url) > URL_MAX:
        return _("Enter a web address of at most %(max)s characters.", max=URL_MAX)
    return None


def expand_pattern(pattern: str, event: Event, meeting: Meeting) -> str:
    """The link of `meeting` made from the organizer's pattern. Placeholders:

    - `{event}`: the event's number;
    - `{meeting}`: the meeting's room name, its number followed by its `room_token` (96 random bits, e.g.
      `42-5f0c9e...`).

    Why a random token: video-meeting services (Jitsi, BigBlueButton, ...) let anyone who knows a room's
    address walk in. A link made of the event's and the meeting's numbers alone could be guessed by counting,
    so any participant (or anyone) could join other people's meetings. With 96 random bits per meeting the
    address cannot be guessed; only those who were given it (the two parties and the organizers) can join.
    A pattern must therefore contain `{meeting}`, which `check_pattern` enforces."""
    room = f"{meeting.id}-{meeting.room_token}"
    return pattern.replace("{event}", str(event.id)).replace("{meeting}", room)


def check_pattern(pattern: str) -> str | None:
    """The message for a pattern that would not give every meeting its own unguessable https:// link."""
    if "{meeting}" not in pattern:
        return _("Put {meeting} in the pattern: it makes each meeting's link unique and impossible to guess.")
    sample = pattern.replace("{event}", "1").replace("{meeting}", "1-" + "0" * 24)
    if "{" in sample or "}" in sample:
        return _("Use only the placeholders {event} and {meeting}.")
    return check_url(sample)


def meeting_link(meeting: Meeting) -> str:
    """The meeting's online link, or "" when it takes place on site only.

    In a hybrid event a meeting at a table at the venue is in person: it gets a link only when the organizer
    set the pattern, which the settings page offers "for the meetings at tables without a link of their own"
    (a party who cannot come joins from elsewhere). It stays a meeting at the venue (`is_online_only` is
    false): its place, agenda and calendar entry say the table, and the link is offered "to join from
    elsewhere", not as an online meeting."""
    event = meeting.event
    if event.attendance_mode == AttendanceMode.ON_SITE:
        return ""
    if meeting.table is not None and meeting.table.online_url:
        return meeting.table.online_url
    if event.meeting_link_pattern:
        return expand_pattern(event.meeting_link_pattern, event, meeting)
    return ""


def is_online_only(meeting: Meeting) -> bool:
    """Whether the meeting has no place at the venue: an online event, or a virtual-room table."""
    event = meeting.event
    if event.attendance_mode == AttendanceMode.ONLINE:
        return True
    return event.attendance_mode == AttendanceMode.HYBRID and bool(meeting.table and meeting.table.online_url)


def meeting_place(meeting: Meeting) -> str:
    """Where the meeting is, in the current language, for its parties: "Table 2", or "online, Table 2"
    when it has no place at the venue (mails and reminders add the venue or the link themselves)."""
    table = meeting.table.display_name
    if meeting_link(meeting) and is_online_only(meeting):
        return _("online, %(table)s", table=table)
    return table


def can_see_event_link(user, event: Event) -> bool:
    """The event's own online link: for its organizers and its approved participants."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if event_rules.can_manage(user, event):
        return True
    return any(r.user_id == user.id and r.status == RegistrationStatus.APPROVED for r in event.registrations)


# --- the organizer's settings ------------------------------------------------------------------------


@dataclass
class OnlineSettings:
    attendance_mode: str = AttendanceMode.ON_SITE
    online_url: str = ""
    meeting_link_pattern: str = ""
    reminder_minutes: int = 10
    table_links: dict[int, str] = field(default_factory=dict)  # table id -> link ("" for a physical table)


def settings_of(event: Event) -> OnlineSettings:
    return OnlineSettings(
        attendance_mode=event.attendance_mode,
        online_url=event.online_url,
        meeting_link_pattern=event.meeting_link_pattern,
        reminder_minutes=event.reminder_minutes,
        table_links={table.id: table.online_url for table in event.tables},
    )


def save_settings(user, event: Event, data: OnlineSettings) -> None:
    """Store the event's online and reminder settings; `Invalid` with a message per field when refused."""
    event_rules.require_manager(user, event)
    problems: dict[str, str] = {}
    try:
        mode = AttendanceMode(data.attendance_mode)
    except ValueError:
        problems["attendance_mode"] = _("Choose whether the event takes place on site, online or both.")
        mode = AttendanceMode.ON_SITE
    online_url = one_line(data.online_url)
    if online_url and (message := check_url(online_url)):
        problems["online_url"] = message
    pattern = one_line(data.meeting_link_pattern)
    if pattern and (message := check_pattern(pattern)):
        problems["meeting_link_pattern"] = message
    if not 0 <= data.reminder_minutes <= 1440:
        problems["reminder_minutes"] = _("Enter a number of minutes between 0 and %(max)s.", max=1440)
    tables = {table.id: table for table in event.tables}
    links = {}
    for table_id, link in data.table_links.items():
        if table_id not in tables:
            continue
        link = one_line(link)
        if link and (message := check_url(link)):
            problems[f"table_{table_id}"] = message
        links[table_id] = link
    if mode != AttendanceMode.ON_SITE and not pattern and not any(links.values()) and not online_url:
        problems["meeting_link_pattern"] = _(
            "An online or hybrid event needs a link: a pattern for the meetings, a link per table, "
            "or at least the event's online link."
        )
    if problems:
        raise Invalid(problems)
    event.attendance_mode = mode
    event.online_url = online_url
    event.meeting_link_pattern = pattern
    event.reminder_minutes = data.reminder_minutes
    for table_id, link in links.items():
        tables[table_id].online_url = link
    commit()
