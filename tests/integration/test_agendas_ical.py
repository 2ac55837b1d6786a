"""The participant's calendar: the secret feed, its token, and the .ics downloads of the agenda page."""

from datetime import UTC, date, datetime

import icalendar
import pytest
from flask_babel import force_locale, gettext

from matchmaker.extensions import db
from matchmaker.models import Registration
from tests.factories import EVENT_DAY, add_day, add_meeting
from tests.helpers import cancel_meeting, move_meeting, slot_at

pytestmark = pytest.mark.usefixtures("request_context")


def _token(client, auth, user, event) -> str:
    """Open the agenda page as the user (which makes the token) and return it."""
    auth.login(user)
    assert client.get(f"/events/{event.id}/agenda").status_code == 200
    auth.logout()
    registration = db.session.scalars(
        db.select(Registration).where(Registration.event_id == event.id, Registration.user_id == user.id)
    ).one()
    db.session.refresh(registration)
    return registration.calendar_token


def _feed(client, token) -> icalendar.Calendar:
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    return icalendar.Calendar.from_ical(response.data)


def _summary(language: str, name: str, organisation: str) -> str:
    """The summary as the participant's language says it (whatever the translations hold today)."""
    with force_locale(language):
        return gettext("Meeting with %(name)s (%(organisation)s)", name=name, organisation=organisation)


def _vevents(calendar) -> list:
    return list(calendar.walk("VEVENT"))


def test_the_token_is_made_when_the_agenda_is_first_opened_and_kept(client, auth, event, meeting, supplier):
    registration = db.session.get(Registration, meeting.second_registration_id)
    assert registration.calendar_token is None
    token = _token(client, auth, supplier, event)
    assert token and len(token) >= 43
    assert _token(client, auth, supplier, event) == token


def test_the_feed_needs_no_login_and_has_the_published_meeting(client, auth, event, meeting, supplier):
    token = _token(client, auth, supplier, event)
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, no-cache"  # kept by the calendar app only
    calendar = icalendar.Calendar.from_ical(response.data)
    (entry,) = _vevents(calendar)
    assert str(entry["UID"]) == meeting.uid
    assert int(entry["SEQUENCE"]) == 0
    assert entry["STATUS"] == "CONFIRMED"
    # the supplier's meeting is with the buyer; the feed speaks the user's language (Dutch by default)
    assert str(entry["SUMMARY"]) == "Meeting with Bart Buyer (Agency of Bart Buyer)"
    assert "Havenlaan 88, 1000 Brussel" in str(entry["LOCATION"]) and "2" in str(entry["LOCATION"])
    description = str(entry["DESCRIPTION"])
    assert "Smart traffic lights for cyclists" in description  # the need the buyer brought
    assert buyer_email(meeting) in description
    assert entry.get("DTSTAMP") is not None
    assert calendar.walk("VTIMEZONE") and str(calendar.walk("VTIMEZONE")[0]["TZID"]) == "Europe/Brussels"


def buyer_email(meeting) -> str:
    return next(r.user.email for r in meeting.registrations if r.role == "buyer")


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_the_summary_is_in_the_participants_language(client, auth, event, meeting, supplier, language):
    supplier.language = language
    db.session.commit()
    token = _token(client, auth, supplier, event)
    (entry,) = _vevents(_feed(client, token))
    assert str(entry["SUMMARY"]) == _summary(language, "Bart Buyer", "Agency of Bart Buyer")
    supplier.language = "en"
    db.session.commit()
    (entry,) = _vevents(_feed(client, token))
    assert str(entry["SUMMARY"]) == "Meeting with Bart Buyer (Agency of Bart Buyer)"


def test_uids_are_stable_across_fetches(client, auth, event, pair, meeting, supplier):
    _rb, _rs = pair
    token = _token(client, auth, supplier, event)
    first = [str(e["UID"]) for e in _vevents(_feed(client, token))]
    second = [str(e["UID"]) for e in _vevents(_feed(client, token))]
    assert first == second == [meeting.uid]


def test_a_moved_meeting_keeps_its_uid_with_the_new_time_and_a_higher_sequence(
    client, auth, event, meeting, supplier
):
    token = _token(client, auth, supplier, event)
    (before,) = _vevents(_feed(client, token))
    move_meeting(meeting, slot_at(event, EVENT_DAY, 11, 0))
    (after,) = _vevents(_feed(client, token))
    assert str(after["UID"]) == str(before["UID"]) == meeting.uid
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert before.decoded("DTSTART").hour == 9 and before.decoded("DTSTART").minute == 20
    assert after.decoded("DTSTART").hour == 11 and after.decoded("DTSTART").minute == 0
    assert after.decoded("DTEND").hour == 11 and after.decoded("DTEND").minute == 20


def test_a_cancelled_meeting_stays_in_the_feed_as_cancelled(client, auth, event, meeting, supplier, buyer):
    token = _token(client, auth, supplier, event)
    cancel_meeting(meeting, "The buyer is ill")
    (entry,) = _vevents(_feed(client, token))
    assert entry["STATUS"] == "CANCELLED"
    assert str(entry["UID"]) == meeting.uid and int(entry["SEQUENCE"]) == 1
    # and the agenda page lists it apart, no longer in the programme
    auth.login(buyer)
    page = client.get(f"/events/{event.id}/agenda").get_data(as_text=True)
    assert "<del>" in page and "Sofie Supplier" in page
    assert "The buyer is ill" not in page  # the organizer's note is not for the participants


@pytest.mark.parametrize(("day", "utc_hour"), [(date(2027, 3, 10), 9), (date(2027, 7, 7), 8)])
def test_times_are_in_brussels_time(client, auth, event, pair, supplier, day, utc_hour):
    add_day(event, day)
    rb, rs = pair
    meeting = add_meeting(rb, rs, slot_at(event, day, 10, 0))
    token = _token(client, auth, supplier, event)
    response = client.get(f"/calendar/{token}.ics")
    assert b"DTSTART;TZID=Europe/Brussels:" + day.strftime("%Y%m%d").encode() + b"T100000" in response.data
    (entry,) = [
        e for e in _vevents(icalendar.Calendar.from_ical(response.data)) if str(e["UID"]) == meeting.uid
    ]
    start = entry.decoded("DTSTART")
    assert start.astimezone(UTC) == datetime(day.year, day.month, day.day, utc_hour, 0, tzinfo=UTC)


def test_an_unknown_token_gives_404(client, event, meeting):
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404
    assert client.get(f"/calendar/{'x' * 200}.ics").status_code == 404


def test_resetting_the_link_revokes_the_old_url(client, auth, event, meeting, supplier):
    old = _token(client, auth, supplier, event)
    assert client.get(f"/calendar/{old}.ics").status_code == 200
    auth.login(supplier)
    response = client.post(f"/events/{event.id}/agenda/calendar-link")
    assert response.status_code == 302
    registration = db.session.get(Registration, meeting.second_registration_id)
    db.session.refresh(registration)
    new = registration.calendar_token
    assert new and new != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200
    page = client.get(f"/events/{event.id}/agenda").get_data(as_text=True)
    assert f"http://localhost/calendar/{new}.ics" in page  # on the site's public address (SERVER_BASE_URL)
    assert f"webcal://localhost/calendar/{new}.ics" in page and old not in page


def test_unpublished_meetings_never_appear(
    client, auth, event, pair, meeting, supplier, buyer, make_participant, register
):
    _rb, rs = pair
    other = register(make_participant("buyer", name="Hidden Harry"), event)
    hidden = add_meeting(other, rs, slot_at(event, EVENT_DAY, 11, 0), table_number=3, published=False)
    token = _token(client, auth, supplier, event)
    body = client.get(f"/calendar/{token}.ics").data
    assert meeting.uid.encode() in body and hidden.uid.encode() not in body and b"Hidden Harry" not in body
    auth.login(supplier)
    assert "Hidden Harry" not in client.get(f"/events/{event.id}/agenda").get_data(as_text=True)
    assert b"Hidden Harry" not in client.get(f"/events/{event.id}/agenda.ics").data
    assert client.get(f"/events/{event.id}/agenda/meetings/{hidden.id}.ics").status_code == 404


def test_the_whole_agenda_and_a_single_meeting_download(
    client, auth, event, pair, meeting, supplier, make_participant, register
):
    _rb, rs = pair
    other = register(make_participant("buyer", name="Second Buyer"), event)
    second = add_meeting(other, rs, slot_at(event, EVENT_DAY, 11, 0), table_number=1)
    auth.login(supplier)
    response = client.get(f"/events/{event.id}/agenda.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    uids = [str(e["UID"]) for e in _vevents(icalendar.Calendar.from_ical(response.data))]
    assert uids == [meeting.uid, second.uid]
    single = client.get(f"/events/{event.id}/agenda/meetings/{second.id}.ics")
    assert single.status_code == 200
    assert [str(e["UID"]) for e in _vevents(icalendar.Calendar.from_ical(single.data))] == [second.uid]


def test_someone_elses_meeting_cannot_be_downloaded(client, auth, event, meeting, make_participant, register):
    stranger = make_participant("supplier", name="Stranger")
    register(stranger, event)
    auth.login(stranger)
    assert client.get(f"/events/{event.id}/agenda/meetings/{meeting.id}.ics").status_code == 404
    body = client.get(f"/events/{event.id}/agenda.ics").data
    assert meeting.uid.encode() not in body


def test_the_feed_answers_304_while_nothing_changed_and_the_new_file_once_a_meeting_moves(
    client, auth, event, meeting, supplier
):
    """Issue 18: calendar apps downloaded the whole feed every hour (no ETag, no Last-Modified). DTSTAMP,
    the time the file is made, changes at every download and is left out of the tag."""
    token = _token(client, auth, supplier, event)
    first = client.get(f"/calendar/{token}.ics")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag and modified
    stamp = icalendar.Calendar.from_ical(first.data).walk("VEVENT")[0].decoded("DTSTAMP")
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 120  # when the file was made
    again = client.get(f"/calendar/{token}.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get(f"/calendar/{token}.ics", headers={"If-Modified-Since": modified}).status_code == 304
    move_meeting(meeting, slot_at(event, EVENT_DAY, 10, 20))
    changed = client.get(f"/calendar/{token}.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    (entry,) = _vevents(icalendar.Calendar.from_ical(changed.data))
    assert entry.decoded("DTSTART").hour == 10


def test_the_time_zone_is_written_as_its_rules(client, auth, event, meeting, supplier):
    """Issue 18: the VTIMEZONE listed every transition 1970-2038 as RDATEs, a form Outlook shifts summer-time
    events with; it is the EU rule now (last Sunday of March and of October)."""
    body = client.get(f"/calendar/{_token(client, auth, supplier, event)}.ics").data
    [zone] = icalendar.Calendar.from_ical(body).walk("VTIMEZONE")
    assert b"RDATE" not in body and body.count(b"RRULE:") == 2
    rules = {part.name: part for part in zone.subcomponents}
    assert rules["DAYLIGHT"]["RRULE"]["BYMONTH"] == [3] and rules["STANDARD"]["RRULE"]["BYMONTH"] == [10]
    assert body.index(b"BEGIN:VTIMEZONE") < body.index(b"BEGIN:VEVENT")
    summer = datetime(2027, 7, 1, 12, 0, tzinfo=UTC)
    assert zone.to_tz().utcoffset(summer.replace(tzinfo=None)).total_seconds() == 7200
