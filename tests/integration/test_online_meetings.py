"""Online and hybrid meetings (issue 16): a meeting's link comes from its table (a virtual room) or from the
organizer's pattern with a random part per meeting, and only the meeting's two parties and the organizers see
it: in the agenda page, its PDF, the .ics files, the calendar feed and the meeting mails. Nobody else does,
anonymous visitors included, and the event's own online link is no longer public."""

import re
from datetime import datetime, time
from email import message_from_bytes, policy

import icalendar
import pytest

from matchmaker.extensions import db
from matchmaker.models import AttendanceMode, Event, EventStatus, Meeting
from matchmaker.services import agendas, event_rules, mail, online
from matchmaker.services.scheduling.notices import tell_about_meeting
from tests.factories import EVENT_DAY, add_meeting
from tests.helpers import slot_at

PATTERN = "https://meet.example.org/{event}-{meeting}"
EVENT_LINK = "https://stream.example.org/plenary-secret"


@pytest.fixture
def online_event(event, organizer, pair, make_participant, register):
    """An online event with a link pattern and its own link; a published meeting of `pair` at 9:20, and a
    third participant (supplier) with a meeting of their own at 9:40."""
    event = db.session.get(Event, event.id)
    event.attendance_mode = AttendanceMode.ONLINE
    event.meeting_link_pattern = PATTERN
    event.online_url = EVENT_LINK
    db.session.commit()
    buyer, supplier = pair
    meeting = add_meeting(buyer, supplier, slot_at(event, EVENT_DAY, 9, 20), table_number=2)
    third = register(make_participant("supplier", name="Theo Third"), event)
    own = add_meeting(buyer, third, slot_at(event, EVENT_DAY, 9, 40), table_number=1)
    event.status = EventStatus.AGENDA_PUBLISHED
    db.session.commit()
    return event, meeting, third, own


def _link(meeting_id: int) -> str:
    return online.meeting_link(db.session.get(Meeting, meeting_id))


# --- the links -----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("request_context")
def test_a_pattern_gives_each_meeting_its_own_unguessable_link(online_event):
    event, meeting, _third, own = online_event
    first, second = _link(meeting.id), _link(own.id)
    assert first != second
    assert re.fullmatch(rf"https://meet\.example\.org/{event.id}-{meeting.id}-[0-9a-f]{{24}}", first)
    assert meeting.room_token not in second


@pytest.mark.usefixtures("request_context")
def test_a_virtual_room_table_uses_its_own_link_and_an_on_site_event_has_none(online_event):
    event, meeting, _third, _own = online_event
    meeting = db.session.get(Meeting, meeting.id)
    meeting.table.online_url = "https://rooms.example.org/table-2"
    db.session.commit()
    assert _link(meeting.id) == "https://rooms.example.org/table-2"
    event.attendance_mode = AttendanceMode.ON_SITE
    db.session.commit()
    assert _link(meeting.id) == ""


@pytest.mark.usefixtures("request_context")
@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("https://meet.example.org/{event}", "{meeting}"),
        ("http://meet.example.org/{meeting}", "https://"),
        ("https://meet.example.org/{meeting}/{room}", "placeholders"),
        ("meet.example.org/{meeting}", "https://"),
    ],
)
def test_a_pattern_that_would_not_give_safe_https_links_is_refused(pattern, problem):
    assert problem in online.check_pattern(pattern)


# --- who sees them -------------------------------------------------------------------------------------


def test_the_two_parties_see_the_link_in_their_agenda_pdf_and_calendars(client, auth, online_event, pair):
    event, meeting, _third, _own = online_event
    with client.application.test_request_context():
        link = _link(meeting.id)
    for registration in pair:
        auth.login(registration.user)
        assert link in client.get(f"/events/{event.id}/agenda").get_data(as_text=True)
        pdf = client.get(f"/events/{event.id}/agenda.pdf")
        assert pdf.status_code == 200 and link.encode() in pdf.data
        for url in (f"/events/{event.id}/agenda.ics", f"/events/{event.id}/agenda/meetings/{meeting.id}.ics"):
            calendar = icalendar.Calendar.from_ical(client.get(url).data)
            entry = next(e for e in calendar.walk("VEVENT") if str(e["UID"]) == meeting.uid)
            assert str(entry["LOCATION"]) == link  # an online event: the link is where
            assert str(entry["URL"]) == link
            assert link in str(entry["DESCRIPTION"])
        with client.application.test_request_context():
            token = agendas.calendar_token(db.session.get(type(registration), registration.id))
        feed = client.get(f"/calendar/{token}.ics")
        assert link in feed.get_data(as_text=True).replace("\r\n ", "")


def test_the_organizer_sees_the_links_in_the_participants_agendas(client, auth, online_event, organizer):
    event, meeting, _third, _own = online_event
    with client.application.test_request_context():
        link = _link(meeting.id)
    auth.login(organizer)
    pdf = client.get(f"/events/{event.id}/agenda/participants.pdf")
    assert pdf.status_code == 200 and link.encode() in pdf.data
    assert EVENT_LINK in client.get(f"/events/{event.id}").get_data(as_text=True)


def test_nobody_else_sees_a_meeting_link(client, auth, online_event, make_user):
    event, meeting, third, own = online_event
    with client.application.test_request_context():
        link, their_own = _link(meeting.id), _link(own.id)
    token = link.rsplit("-", 1)[1]

    def seen(*urls) -> list[str]:
        found = []
        for url in urls:
            response = client.get(url)
            body = response.data.replace(b"\r\n ", b"")
            if token.encode() in body:
                found.append(url)
        return found

    # Another participant of the same event: their agenda, PDF and calendars show their own meeting only.
    auth.login(third.user)
    with client.application.test_request_context():
        feed_token = agendas.calendar_token(db.session.get(type(third), third.id))
    assert not seen(
        f"/events/{event.id}/agenda",
        f"/events/{event.id}/agenda.pdf",
        f"/events/{event.id}/agenda.ics",
        f"/events/{event.id}/agenda/meetings/{meeting.id}.ics",
        f"/calendar/{feed_token}.ics",
        f"/events/{event.id}",
        f"/events/{event.id}.ics",
    )
    assert client.get(f"/events/{event.id}/agenda/meetings/{meeting.id}.ics").status_code == 404
    assert their_own in client.get(f"/events/{event.id}/agenda").get_data(as_text=True)  # the page works
    # Another user, and an anonymous visitor: not even the event's own link.
    auth.login(make_user(roles=("supplier",)))
    assert not seen(f"/events/{event.id}", f"/events/{event.id}.ics", f"/events/{event.id}/agenda")
    assert EVENT_LINK not in client.get(f"/events/{event.id}").get_data(as_text=True)
    client.get("/auth/logout")
    with client.session_transaction() as session:
        session.clear()
    for url in (f"/events/{event.id}", f"/events/{event.id}.ics"):
        body = client.get(url).get_data(as_text=True)
        assert EVENT_LINK not in body and token not in body


@pytest.mark.usefixtures("request_context")
def test_the_meeting_mail_and_its_invitation_carry_the_link(online_event, pair, outbox):
    _event, meeting, _third, _own = online_event
    buyer, _supplier = pair
    buyer.user.language = "en"
    db.session.commit()
    meeting = db.session.get(Meeting, meeting.id)
    link = online.meeting_link(meeting)
    outbox.clear()
    tell_about_meeting(buyer, meeting, "meeting_moved")
    [sent] = [m for m in outbox if m.to == buyer.user.email]
    assert f"Online meeting: {link}" in sent.body
    message = message_from_bytes(mail.build_message(sent).as_bytes(), policy=policy.default)
    [attached] = list(message.iter_attachments())
    [entry] = icalendar.Calendar.from_ical(attached.get_content()).walk("VEVENT")
    assert str(entry["LOCATION"]) == link and str(entry["URL"]) == link


# --- the organizer's form ------------------------------------------------------------------------------


def test_the_organizer_sets_the_mode_pattern_table_rooms_and_reminders(client, auth, event, organizer):
    auth.login(organizer)
    page = client.get(f"/events/{event.id}/online")
    assert page.status_code == 200
    table = event.tables[0]
    response = client.post(
        f"/events/{event.id}/online",
        data={
            "attendance_mode": "hybrid",
            "online_url": "",
            "meeting_link_pattern": PATTERN,
            "reminder_minutes": "15",
            f"table_{table.id}": "https://rooms.example.org/one",
        },
    )
    assert response.status_code == 302
    event = db.session.get(Event, event.id)
    db.session.refresh(event)
    assert (event.attendance_mode, event.meeting_link_pattern, event.reminder_minutes) == (
        "hybrid",
        PATTERN,
        15,
    )
    assert db.session.get(type(table), table.id).online_url == "https://rooms.example.org/one"


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Enter a full web address that starts with https://."),
        ("nl", None),
        ("fr", None),
    ],
)
def test_links_must_be_https_with_a_message_in_the_users_language(
    client, auth, event, organizer, language, message
):
    organizer.language = language
    db.session.commit()
    auth.login(organizer)
    table = event.tables[0]
    response = client.post(
        f"/events/{event.id}/online",
        data={
            "attendance_mode": "online",
            "online_url": "http://stream.example.org/x",
            "meeting_link_pattern": "javascript:alert(1)//{meeting}",
            "reminder_minutes": "10",
            f"table_{table.id}": "ftp://rooms.example.org/one",
        },
        headers={"Accept-Language": language},
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert body.count('aria-invalid="true"') >= 3
    assert f'<html lang="{language}"' in body
    if message:
        assert message in body
    assert db.session.get(Event, event.id).attendance_mode == "on_site"


@pytest.mark.parametrize("minutes", ["-1", "1441", "99999999999999999999", "ten"])
def test_reminder_minutes_out_of_range_are_refused_without_error(client, auth, event, organizer, minutes):
    auth.login(organizer)
    response = client.post(
        f"/events/{event.id}/online",
        data={"attendance_mode": "on_site", "reminder_minutes": minutes},
    )
    assert response.status_code == 422


def test_another_organizer_cannot_change_the_settings(client, auth, event, make_user):
    auth.login(make_user(roles=("organizer",)))
    assert client.get(f"/events/{event.id}/online").status_code == 403
    response = client.post(f"/events/{event.id}/online", data={"attendance_mode": "online"})
    assert response.status_code == 403


def test_the_now_view_shows_the_link_to_the_meetings_parties_only(
    client, auth, online_event, pair, monkeypatch
):
    """Issue 16: the participant's 'now' view says where in one glance; for an online meeting that is its
    link, for the two parties (a third participant of the event sees their own meeting's link only)."""
    event, meeting, third, own = online_event
    with client.application.test_request_context():
        link, own_link = _link(meeting.id), _link(own.id)
    _buyer, supplier = pair
    auth.login(supplier.user)
    monkeypatch.setattr(event_rules, "local_now", lambda: datetime.combine(EVENT_DAY, time(9, 25)))
    page = client.get(f"/events/{event.id}/now").get_data(as_text=True)
    current = page.split('id="now-current"')[1].split("</section>")[0]
    assert link in current and "Join online" in current and own_link not in page
    auth.login(third.user)
    assert link not in client.get(f"/events/{event.id}/now").get_data(as_text=True)
