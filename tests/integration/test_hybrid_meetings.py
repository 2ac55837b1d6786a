"""A hybrid event (issue 16): meetings at the venue's tables and meetings in virtual rooms (tables with a link
of their own), and optionally a pattern that gives every other meeting a link too.

What participants expect, and what is checked here:
- a meeting at a table at the venue is in person: it has no video link, unless the organizer set the pattern
  of meeting links, which the settings page says is for "the meetings at tables without a link of their
  own" (someone who cannot come joins from elsewhere); its place stays the table at the venue;
- a meeting at a virtual-room table is online only: its place is the room's link, never the venue;
- the agenda page and its PDF say which of the two each meeting is (before this, both read "Table 1"/"Table
  2" with "Join online" under each when a pattern was set, and a participant could not tell where to go);
- the calendar entry's LOCATION, URL and DESCRIPTION say the same, and only the meeting's two parties and
  the organizers see the links.
"""

import subprocess

import icalendar
import pytest

from matchmaker import links
from matchmaker.extensions import db
from matchmaker.models import AttendanceMode, Event, EventStatus, Meeting
from matchmaker.services import agendas, online
from matchmaker.services.scheduling.notices import tell_about_meeting
from tests.factories import EVENT_DAY, add_meeting
from tests.helpers import slot_at

ROOM = "https://rooms.example.org/virtual-room-2"
PATTERN = "https://meet.example.org/{event}-{meeting}"
VENUE = "Havenlaan 88, 1000 Brussel"


@pytest.fixture
def hybrid(event, pair, make_participant, register):
    """A published hybrid event: table 2 is a virtual room. The buyer meets the supplier at table 1 (at the
    venue, 9:20) and a third participant at table 2 (online, 9:40)."""
    event = db.session.get(Event, event.id)
    event.attendance_mode = AttendanceMode.HYBRID
    event.venue_address = VENUE
    next(t for t in event.tables if t.number == 2).online_url = ROOM
    db.session.commit()
    buyer, supplier = pair
    in_person = add_meeting(buyer, supplier, slot_at(event, EVENT_DAY, 9, 20), table_number=1)
    third = register(make_participant("supplier", name="Theo Third"), event)
    virtual = add_meeting(buyer, third, slot_at(event, EVENT_DAY, 9, 40), table_number=2)
    event.status = EventStatus.AGENDA_PUBLISHED
    db.session.commit()
    return event, in_person, virtual, third


def _set_pattern(event: Event) -> None:
    db.session.get(Event, event.id).meeting_link_pattern = PATTERN
    db.session.commit()


def _meeting(meeting_id: int) -> Meeting:
    return db.session.get(Meeting, meeting_id)


def _entries(client, event) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(client.get(f"/events/{event.id}/agenda.ics").data)
    return {str(entry["UID"]): entry for entry in calendar.walk("VEVENT")}


def _pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "agenda.pdf"
    path.write_bytes(pdf)
    try:
        out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    except FileNotFoundError:
        pytest.skip("pdftotext is not installed here (CI installs it: see .ci/run)")
    return " ".join(out.stdout.decode().split())


# --- where each meeting takes place --------------------------------------------------------------------


@pytest.mark.usefixtures("request_context")
def test_a_venue_table_is_in_person_and_a_virtual_room_online(hybrid):
    event, in_person, virtual, _third = hybrid
    in_person, virtual = _meeting(in_person.id), _meeting(virtual.id)
    assert online.meeting_link(in_person) == ""  # no pattern: no video link for a meeting in person
    assert not online.is_online_only(in_person)
    assert online.meeting_place(in_person) == "Table 1"
    assert agendas.meeting_location(event, in_person) == f"{VENUE} – Table 1"
    assert online.meeting_link(virtual) == ROOM
    assert online.is_online_only(virtual)
    assert online.meeting_place(virtual) == "online, Table 2"
    assert agendas.meeting_location(event, virtual) == ROOM  # not the venue: nobody goes there


@pytest.mark.usefixtures("request_context")
def test_the_pattern_gives_the_meetings_at_the_venue_a_link_to_join_from_elsewhere(hybrid):
    event, in_person, virtual, _third = hybrid
    _set_pattern(event)
    in_person, virtual = _meeting(in_person.id), _meeting(virtual.id)
    link = online.meeting_link(in_person)
    assert link == f"https://meet.example.org/{event.id}-{in_person.id}-{in_person.room_token}"
    assert not online.is_online_only(in_person)  # still at its table: the link is for a party far away
    assert online.meeting_place(in_person) == "Table 1"
    assert agendas.meeting_location(event, in_person) == f"{VENUE} – Table 1 – {link}"
    assert online.meeting_link(virtual) == ROOM  # the room's own link comes first


# --- the agenda page, its PDF and the calendar ---------------------------------------------------------


def _rows(page: str) -> dict[str, str]:
    """The table cell of each meeting row of the agenda page, by the other participant's name."""
    cells = {}
    for row in page.split('<tr class="agenda-row agenda-meeting">')[1:]:
        cell = row.split('<td class="agenda-table-label"')[1].split("</td>")[0]
        name = row.split('<span class="agenda-other-name">')[1].split("<")[0]
        cells[name] = cell
    return cells


def test_the_agenda_page_says_which_meeting_is_at_the_venue_and_which_online(client, auth, hybrid, pair):
    event, _in_person, _virtual, _third = hybrid
    auth.login(pair[0].user)
    cells = _rows(client.get(f"/events/{event.id}/agenda").get_data(as_text=True))
    assert "At the venue" in cells["Sofie Supplier"] and "Online" not in cells["Sofie Supplier"]
    assert "href=" not in cells["Sofie Supplier"]  # in person, no pattern: no link
    assert "Online" in cells["Theo Third"] and "At the venue" not in cells["Theo Third"]
    assert f'href="{ROOM}"' in cells["Theo Third"]


def test_with_a_pattern_the_meeting_at_the_venue_stays_there_with_a_link(client, auth, hybrid, pair):
    event, in_person, _virtual, _third = hybrid
    _set_pattern(event)
    with client.application.test_request_context():
        link = online.meeting_link(_meeting(in_person.id))
    auth.login(pair[0].user)
    cells = _rows(client.get(f"/events/{event.id}/agenda").get_data(as_text=True))
    assert "At the venue" in cells["Sofie Supplier"] and f'href="{link}"' in cells["Sofie Supplier"]
    assert "Online" in cells["Theo Third"] and f'href="{ROOM}"' in cells["Theo Third"]


def test_the_agenda_pdf_says_where_and_carries_the_room_link(client, auth, hybrid, pair, tmp_path):
    event, _in_person, _virtual, _third = hybrid
    auth.login(pair[0].user)
    pdf = client.get(f"/events/{event.id}/agenda.pdf").data
    text = _pdf_text(pdf, tmp_path)
    # Beside each table, in the table column: where the meeting is (then the room's link, wrapped).
    assert "09:20–09:40 1 At the venue 09:40–10:00 2 Online https://" in text
    assert text.count("At the venue") == 1
    assert f"/URI ({ROOM})".encode() in pdf  # the room's link, as a link
    assert "meet.example.org" not in text


def test_the_calendar_entries_say_where_each_meeting_is(client, auth, hybrid, pair):
    event, in_person, virtual, _third = hybrid
    auth.login(pair[0].user)
    entries = _entries(client, event)
    with client.application.test_request_context():
        agenda_url = links.external_url("agendas.participant_agenda", event_id=event.id)
    there = entries[in_person.uid]
    assert str(there["LOCATION"]) == f"{VENUE} – Table 1"
    assert str(there["URL"]) == agenda_url  # no meeting link: the agenda
    assert "Online meeting" not in str(there["DESCRIPTION"]) and "http" not in str(there["LOCATION"])
    room = entries[virtual.uid]
    assert str(room["LOCATION"]) == ROOM and str(room["URL"]) == ROOM
    assert f"Online meeting: {ROOM}" in str(room["DESCRIPTION"])


def test_with_a_pattern_the_calendar_entry_at_the_venue_offers_the_link_without_calling_it_online(
    client, auth, hybrid, pair
):
    event, in_person, _virtual, _third = hybrid
    _set_pattern(event)
    with client.application.test_request_context():
        link = online.meeting_link(_meeting(in_person.id))
    auth.login(pair[1].user)
    there = _entries(client, event)[in_person.uid]
    assert str(there["LOCATION"]) == f"{VENUE} – Table 1 – {link}"
    assert str(there["URL"]) == link
    description = str(there["DESCRIPTION"])
    assert f"To join from elsewhere: {link}" in description
    assert "Online meeting" not in description  # it is not one: the other party comes to table 1


@pytest.mark.usefixtures("request_context")
def test_the_meeting_mail_says_the_same(hybrid, pair, outbox):
    event, in_person, virtual, _third = hybrid
    _set_pattern(event)
    buyer, _supplier = pair
    buyer.user.language = "en"
    db.session.commit()
    in_person, virtual = _meeting(in_person.id), _meeting(virtual.id)
    link = online.meeting_link(in_person)
    outbox.clear()
    tell_about_meeting(buyer, in_person, "meeting_moved")
    tell_about_meeting(buyer, virtual, "meeting_moved")
    there, room = [m.body for m in outbox if m.to == buyer.user.email]
    assert f"{VENUE}, Table 1" in there and f"To join from elsewhere: {link}" in there
    assert "Online meeting" not in there
    assert "online, Table 2" in room and f"Online meeting: {ROOM}" in room and VENUE not in room


# --- who sees the links --------------------------------------------------------------------------------


def test_only_the_parties_and_the_organizer_see_the_links(client, auth, hybrid, pair, organizer, make_user):
    event, in_person, _virtual, third = hybrid
    _set_pattern(event)
    with client.application.test_request_context():
        link = online.meeting_link(_meeting(in_person.id))
    token = link.rsplit("-", 1)[1]
    urls = (f"/events/{event.id}/agenda", f"/events/{event.id}/agenda.pdf", f"/events/{event.id}/agenda.ics")
    # The supplier meets at table 1 only: their own link, not the virtual room's.
    auth.login(pair[1].user)
    bodies = [client.get(url).data for url in urls]
    assert all(token.encode() in body for body in bodies)
    assert not any(ROOM.encode() in body for body in bodies)
    # The third participant meets in the room: the room's link, not the link of a meeting not theirs.
    auth.login(third.user)
    bodies = [client.get(url).data for url in urls]
    assert any(ROOM.encode() in body for body in bodies)
    assert not any(token.encode() in body for body in bodies)
    # The organizer: in the participants' agendas.
    auth.login(organizer)
    every_agenda = client.get(f"/events/{event.id}/agenda/participants.pdf").data
    assert token.encode() in every_agenda and ROOM.encode() in every_agenda
    # Anyone else, and an anonymous visitor: neither on the event's page nor in its calendar.
    auth.login(make_user(roles=("supplier",)))
    for url in (f"/events/{event.id}", f"/events/{event.id}.ics"):
        body = client.get(url).data
        assert token.encode() not in body and ROOM.encode() not in body
    client.get("/auth/logout")
    for url in (f"/events/{event.id}", f"/events/{event.id}.ics"):
        body = client.get(url).data
        assert token.encode() not in body and ROOM.encode() not in body


def test_the_reminders_say_which_meeting_is_online_and_which_may_be_joined_from_elsewhere(hybrid, outbox):
    """The reminder before a meeting at a venue table offers the pattern's link "to join from elsewhere", as
    the agenda and the meeting mails do, and the reminder before a virtual room's meeting says it is online;
    the day-before mail tells them apart the same way."""
    from matchmaker.services import reminders

    event, in_person, virtual, _third = hybrid
    _set_pattern(event)
    buyer = _meeting(in_person.id).first_registration_id
    outbox.clear()
    for meeting in (_meeting(in_person.id), _meeting(virtual.id)):
        assert reminders.send_meeting_reminder(meeting.id, buyer, meeting.slot.starts_at)
    at_the_venue, in_the_room = outbox
    venue_link = online.meeting_link(_meeting(in_person.id))
    assert f"To join from elsewhere: {venue_link}" in at_the_venue.body
    assert "Join the meeting online" not in at_the_venue.body
    assert f"Join the meeting online: {ROOM}" in in_the_room.body and "from elsewhere" not in in_the_room.body

    outbox.clear()
    assert reminders.send_agenda_reminder(buyer, EVENT_DAY)
    [agenda] = outbox
    assert f"To join from elsewhere: {venue_link}" in agenda.body and f"Online: {ROOM}" in agenda.body
