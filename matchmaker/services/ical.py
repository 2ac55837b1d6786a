"""What every iCalendar file of the platform shares: the event time zone, written as its rules.

icalendar's `add_missing_timezones()` writes Europe/Brussels as a list of every transition from 1970 to 2038
(RDATE lines). Outlook is known to shift summer-time events with that form, and the file grows with it. The
zone's rules are short and stable since 1996 (EU summer time: last Sunday of March 02:00 to last Sunday of
October 03:00), so they are written as two RRULEs, the form calendar programs expect.

`etag()` gives a calendar's entity tag without its DTSTAMP lines: those are the time a file is generated (as
RFC 5545 wants for a calendar with a METHOD), so they differ at every download while nothing else does.
"""

import hashlib
import re
from datetime import datetime, timedelta

from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard

from matchmaker.models.events import EVENT_TIMEZONE

_DTSTAMP = re.compile(rb"^DTSTAMP[;:][^\r\n]*\r?\n", re.MULTILINE)


def event_timezone() -> Timezone:
    """Europe/Brussels as a VTIMEZONE with its yearly rules (CET/CEST)."""
    zone = Timezone()
    zone.add("tzid", EVENT_TIMEZONE)
    summer = TimezoneDaylight()
    summer.add("tzname", "CEST")
    summer.add("tzoffsetfrom", _offset(1))
    summer.add("tzoffsetto", _offset(2))
    summer.add("dtstart", datetime(1981, 3, 29, 2, 0))
    summer.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1SU"})
    winter = TimezoneStandard()
    winter.add("tzname", "CET")
    winter.add("tzoffsetfrom", _offset(2))
    winter.add("tzoffsetto", _offset(1))
    winter.add("dtstart", datetime(1996, 10, 27, 3, 0))
    winter.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1SU"})
    zone.add_component(summer)
    zone.add_component(winter)
    return zone


def _offset(hours: int) -> timedelta:
    return timedelta(hours=hours)


def finish(calendar: Calendar) -> bytes:
    """The calendar as bytes, with the event time zone's VTIMEZONE first (before the events that use it)."""
    calendar.subcomponents.insert(0, event_timezone())
    return calendar.to_ical()


def etag(body: bytes) -> str:
    """An entity tag for an .ics body that ignores when it was generated (its DTSTAMP lines)."""
    return hashlib.sha256(_DTSTAMP.sub(b"", body)).hexdigest()[:32]
