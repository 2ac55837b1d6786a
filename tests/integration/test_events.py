"""Events: the organizer's pages, the programme and its slots, the life cycle, public pages, calendar,
exports."""

import csv
import io
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from matchmaker.extensions import db
from matchmaker.models import Event, EventStatus, MeetingRequest, Slot, SlotKind
from matchmaker.services import ServiceError
from matchmaker.services import events as events_service
from matchmaker.services import meeting_requests as requests_service
from matchmaker.services.events import build_day_slots
from tests.factories import EVENT_DAY

pytestmark = pytest.mark.usefixtures("request_context")

# --- slots from the programme (pure) -----------------------------------------------------------------


def test_a_day_is_cut_into_meeting_slots_around_breaks_and_plenaries():
    slots = build_day_slots(
        date(2027, 3, 4),
        time(9, 0),
        time(12, 0),
        30,
        [(time(10, 0), time(10, 15), "break", "Coffee"), (time(11, 0), time(11, 30), "plenary", "Keynote")],
    )
    summary = [(s.starts_at.strftime("%H:%M"), s.ends_at.strftime("%H:%M"), s.kind) for s in slots]
    assert summary == [
        ("09:00", "09:30", "meeting"),
        ("09:30", "10:00", "meeting"),
        ("10:00", "10:15", "break"),
        ("10:15", "10:45", "meeting"),
        # 10:45-11:00 is too short for a 30-minute meeting and stays empty
        ("11:00", "11:30", "plenary"),
        ("11:30", "12:00", "meeting"),
    ]
    assert slots[2].label == "Coffee"


def test_a_day_that_does_not_divide_evenly_ends_with_the_last_whole_slot():
    slots = build_day_slots(date(2027, 3, 4), time(14, 0), time(15, 10), 20, [])
    assert [s.starts_at.strftime("%H:%M") for s in slots] == ["14:00", "14:20", "14:40"]


# --- creating and editing ----------------------------------------------------------------------------


def _event_form(**overrides):
    data = {
        "title": "Circular construction meet & greet",
        "description": "Buyers of **MOW** meet circular builders.",
        "venue_address": "Koning Albert II-laan 20, 1000 Brussel",
        "room_plan_note": "Ground floor, rooms A to D",
        "online_url": "",
        "registration_opens_at": "",
        "registration_closes_at": "",
        "request_deadline": "",
        "capacity_buyers": "20",
        "capacity_suppliers": "",
        "admission": "approval",
        "max_open_requests": "5",
        "table_count": "3",
        "table_names": "Room A\nRoom B",
    }
    data.update(overrides)
    return data


def test_an_organizer_creates_an_event_as_a_draft(client, auth, theme):
    user = auth.login_as("organizer")
    response = client.post("/events/new", data=_event_form(themes=[str(theme.id)]))
    assert response.status_code == 302
    event = db.session.scalars(sa.select(Event)).one()
    assert response.headers["Location"].endswith(f"/events/{event.id}/programme")
    assert event.status == EventStatus.DRAFT
    assert event.organizer_id == user.id
    assert event.admission == "approval" and event.capacity_buyers == 20 and event.capacity_suppliers is None
    assert [t.slug for t in event.themes] == ["mobility"]
    assert [(t.number, t.name) for t in event.tables] == [(1, "Room A"), (2, "Room B"), (3, "")]


def test_the_event_form_keeps_the_input_and_explains_what_is_wrong(client, auth):
    auth.login_as("organizer")
    response = client.post(
        "/events/new",
        data=_event_form(
            venue_address="",
            online_url="",
            registration_opens_at="2027-01-10T09:00",
            registration_closes_at="2027-01-01T09:00",
            title="Kept title",
        ),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Registration must close after it opens." in page
    assert 'value="Kept title"' in page
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0


def test_venue_or_online_link_is_required(client, auth):
    auth.login_as("organizer")
    response = client.post("/events/new", data=_event_form(venue_address="", online_url=""))
    assert "Give a venue address, an online link, or both." in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["supplier", "buyer"])
def test_only_organizers_create_events(client, auth, role):
    auth.login_as(role)
    assert client.get("/events/new").status_code == 403
    assert client.post("/events/new", data=_event_form()).status_code == 403


@pytest.mark.parametrize(
    "path",
    ["dashboard", "edit", "programme", "registrations/new", "export/participants.csv", "export/requests.csv"],
)
def test_another_organizer_cannot_manage_the_event(client, auth, event, path):
    auth.login_as("organizer")
    assert client.get(f"/events/{event.id}/{path}").status_code == 403


def test_another_organizer_cannot_change_the_stage(client, auth, event):
    auth.login_as("organizer")
    response = client.post(f"/events/{event.id}/status", data={"status": "registration_closed"})
    assert response.status_code == 403
    assert db.session.get(Event, event.id).status == EventStatus.REGISTRATION_OPEN


def test_a_platform_admin_may_manage_any_event(client, auth, event):
    auth.login_as("admin")
    assert client.get(f"/events/{event.id}/dashboard").status_code == 200


def test_a_draft_is_hidden_from_everyone_but_its_organizer(client, auth, make_event, organizer):
    draft = make_event(open_registration=False)
    assert client.get(f"/events/{draft.id}").status_code == 404
    assert client.get(f"/events/{draft.id}.ics").status_code == 404
    auth.login_as("supplier")
    assert client.get(f"/events/{draft.id}").status_code == 404
    assert "Smart mobility" not in client.get("/events/").get_data(as_text=True)
    auth.login(organizer)
    assert client.get(f"/events/{draft.id}").status_code == 200


# --- programme ---------------------------------------------------------------------------------------


def test_the_programme_generates_slots_and_keeps_availability(event, buyer, register, organizer):
    registration = register(buyer, event)
    assert len(event.meeting_slots) == 8  # 9:00-12:00 in 20 minutes, minus the 10:00-10:20 coffee
    assert len(registration.available_slots) == 8
    events_service.add_block(organizer, event.days[0], "plenary", "Keynote", time(11, 20), time(12, 0))
    db.session.refresh(registration)
    assert len(event.meeting_slots) == 6
    assert {s.id for s in registration.available_slots} == {s.id for s in event.meeting_slots}
    kinds = db.session.scalars(
        sa.select(Slot.kind).where(Slot.event_id == event.id).order_by(Slot.starts_at)
    ).all()
    assert kinds.count(SlotKind.PLENARY) == 1 and kinds.count(SlotKind.BREAK) == 1


def test_adding_a_day_and_a_break_through_the_pages(client, auth, make_event, organizer):
    event = make_event(open_registration=False)
    auth.login(organizer)
    day = (EVENT_DAY + timedelta(days=1)).isoformat()
    response = client.post(
        f"/events/{event.id}/programme/days",
        data={"day": day, "start_time": "13:00", "end_time": "15:00", "slot_minutes": "30"},
    )
    assert response.status_code == 302
    new_day = event.days[1]
    response = client.post(
        f"/events/{event.id}/programme/days/{new_day.id}/blocks",
        data={
            f"b{new_day.id}-kind": "break",
            f"b{new_day.id}-title": "Tea",
            f"b{new_day.id}-start_time": "14:00",
            f"b{new_day.id}-end_time": "14:30",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/events/{event.id}/programme").get_data(as_text=True)
    assert "Tea" in page
    assert len([s for s in event.slots if s.day_id == new_day.id and s.kind == "meeting"]) == 3


def test_an_overlapping_break_is_refused_with_a_message(client, auth, event, organizer):
    auth.login(organizer)
    day = event.days[0]
    response = client.post(
        f"/events/{event.id}/programme/days/{day.id}/blocks",
        data={
            f"b{day.id}-kind": "break",
            f"b{day.id}-title": "Second coffee",
            f"b{day.id}-start_time": "10:10",
            f"b{day.id}-end_time": "10:40",
        },
    )
    assert response.status_code == 422
    assert "This overlaps another break or session of the day." in response.get_data(as_text=True)


def test_the_same_date_cannot_be_added_twice(event, organizer):
    with pytest.raises(ServiceError, match="already has a programme"):
        events_service.add_day(organizer, event, EVENT_DAY, time(13, 0), time(14, 0), 20)


# --- life cycle --------------------------------------------------------------------------------------


def test_registration_cannot_open_without_meeting_slots(organizer):
    event = events_service.create_event(
        organizer, events_service.EventInput(title="Empty", venue_address="Brussel")
    )
    with pytest.raises(ServiceError, match="at least one day"):
        events_service.change_status(organizer, event, EventStatus.REGISTRATION_OPEN)


def test_the_stages_follow_each_other(client, auth, event, organizer):
    auth.login(organizer)
    client.post(f"/events/{event.id}/status", data={"status": "agenda_published"})
    assert db.session.get(Event, event.id).status == EventStatus.REGISTRATION_OPEN  # not allowed: skipping
    for status in (
        "registration_closed",
        "registration_open",
        "registration_closed",
        "agenda_published",
        "closed",
    ):
        response = client.post(f"/events/{event.id}/status", data={"status": status})
        assert response.status_code == 302
        db.session.expire_all()
        assert db.session.get(Event, event.id).status == status


def test_publishing_the_agenda_notifies_every_participant_with_a_meeting_once(
    event, organizer, buyer, supplier, make_participant, register, outbox
):
    from matchmaker.services import scheduling

    rb, rs = register(buyer, event), register(supplier, event)
    register(make_participant("supplier", name="Nobody asked me"), event)
    scheduling.add_meeting(organizer, event, rb, rs, event.meeting_slots[0], event.tables[0])
    events_service.change_status(organizer, event, EventStatus.REGISTRATION_CLOSED)
    outbox.clear()
    report = events_service.publish_agenda(organizer, event)  # the schedule's own publication
    assert report.first and report.notified == 2
    assert sorted(m.to for m in outbox) == sorted([buyer.email, supplier.email])
    assert "agenda" in outbox[0].body.lower()


def test_the_programme_is_frozen_once_the_agenda_is_published(event, organizer):
    events_service.change_status(organizer, event, EventStatus.REGISTRATION_CLOSED)
    events_service.publish_agenda(organizer, event)
    with pytest.raises(ServiceError, match="agenda is published"):
        events_service.add_block(organizer, event.days[0], "break", "Lunch", time(11, 0), time(11, 20))


# --- public pages -----------------------------------------------------------------------------------


def test_public_listing_separates_upcoming_and_past_events_and_filters_by_theme(
    client, make_event, organizer, theme
):
    upcoming = make_event(title="Upcoming mobility day", theme_ids=[theme.id])
    other = make_event(title="Upcoming energy day")
    past = events_service.create_event(
        organizer, events_service.EventInput(title="Edition 2025", venue_address="Gent", theme_ids=[theme.id])
    )
    events_service.add_day(organizer, past, date.today() - timedelta(days=200), time(9), time(12), 30)
    for status in ("registration_open", "registration_closed", "agenda_published", "closed"):
        events_service.change_status(organizer, past, status)
    page = client.get("/events/").get_data(as_text=True)
    upcoming_part, past_part = page.split('id="past-heading"')
    assert upcoming.title in upcoming_part and other.title in upcoming_part
    assert past.title in past_part and past.title not in upcoming_part
    filtered = client.get("/events/?theme=mobility").get_data(as_text=True)
    assert upcoming.title in filtered and past.title in filtered and other.title not in filtered


def test_an_event_that_is_over_never_says_its_registration_is_open(client, auth, organizer, make_participant):
    """Issue 18: an event entered after the fact (its day in the past) showed "registration open", and took
    registrations."""
    past = events_service.create_event(
        organizer, events_service.EventInput(title="Edition 2025", venue_address="Gent")
    )
    events_service.add_day(organizer, past, date.today() - timedelta(days=200), time(9), time(12), 30)
    events_service.change_status(organizer, past, "registration_open")
    page = client.get(f"/events/{past.id}").get_data(as_text=True)
    assert "event-status-registration_closed" in page and "event-status-registration_open" not in page
    auth.login(make_participant("supplier"))
    response = client.get(f"/events/{past.id}/register", follow_redirects=True)
    assert response.request.path == f"/events/{past.id}"  # sent back to the event: no form to fill in


def test_the_event_page_shows_programme_venue_and_registration(client, event):
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Havenlaan 88, 1000 Brussel" in page
    assert "Coffee" in page
    assert "Log in to register" in page


def test_the_calendar_file_is_in_brussels_time(client, event):
    response = client.get(f"/events/{event.id}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    entries = list(calendar.walk("VEVENT"))
    assert len(entries) == 1
    start = entries[0].decoded("dtstart")
    assert str(start.tzinfo) == "Europe/Brussels"
    assert (start.date(), start.hour, start.minute) == (EVENT_DAY, 9, 0)
    assert entries[0].decoded("dtend").hour == 12
    assert b"BEGIN:VTIMEZONE" in response.data and b"TZID:Europe/Brussels" in response.data
    assert str(entries[0]["location"]) == "Havenlaan 88, 1000 Brussel"


def test_the_calendar_file_keeps_one_entry_when_the_event_moves_to_another_day(client, organizer, event):
    """Issue 18: the UID held the date, so an event moved to another day became a second entry; it had no
    SEQUENCE, and its description was raw Markdown."""
    event.description = (
        "**Bring** your _business cards_.\n\n- Coffee at 9:00\n- [Map](https://example.org/map)"
    )
    db.session.commit()
    before = Calendar.from_ical(client.get(f"/events/{event.id}.ics").data).walk("VEVENT")[0]
    assert "**" not in str(before["DESCRIPTION"]) and "Bring your business cards" in str(
        before["DESCRIPTION"]
    )
    events_service.remove_day(organizer, event.days[0])
    events_service.add_day(organizer, event, EVENT_DAY + timedelta(days=7), time(9, 0), time(12, 0), 20)
    after = Calendar.from_ical(client.get(f"/events/{event.id}.ics").data).walk("VEVENT")[0]
    assert str(after["UID"]) == str(before["UID"])
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after.decoded("DTSTART").date() == EVENT_DAY + timedelta(days=7)


# --- dashboard and exports ---------------------------------------------------------------------------


def test_the_dashboard_counts_registrations_and_requests(
    client, auth, event, organizer, buyer, supplier, make_participant, register
):
    quiet = make_participant("supplier", name="Quentin Quiet")
    rb, rs = register(buyer, event), register(supplier, event)
    register(quiet, event)
    requests_service.send_request(supplier, event, rb.id, "Hi")
    requests_service.send_request(buyer, event, rs.id, "Hello")
    board = events_service.dashboard(event)
    assert board.registrations == {("buyer", "approved"): 1, ("supplier", "approved"): 2}
    assert board.requests["pending"] == 2 and board.mutual_pairs == 1
    assert [r.user.display_name for r in board.without_requests] == ["Quentin Quiet"]
    auth.login(organizer)
    page = client.get(f"/events/{event.id}/dashboard").get_data(as_text=True)
    assert "Quentin Quiet" in page and "Send them a reminder by email" in page


def test_nudging_mails_only_participants_without_requests(
    client, auth, event, organizer, buyer, supplier, make_participant, register, outbox
):
    quiet = make_participant("supplier", name="Quentin Quiet")
    rb = register(buyer, event)
    register(supplier, event)
    register(quiet, event)
    requests_service.send_request(supplier, event, rb.id, "")
    outbox.clear()
    auth.login(organizer)
    response = client.post(f"/events/{event.id}/nudge", follow_redirects=True)
    assert "1 participant received a reminder by email." in response.get_data(as_text=True)
    assert [m.to for m in outbox] == [quiet.email]


def test_csv_exports_list_participants_and_requests(
    client, auth, event, organizer, buyer, supplier, register
):
    rb = register(buyer, event)
    register(supplier, event)
    requests_service.send_request(supplier, event, rb.id, '=HYPERLINK("http://evil")')
    buyer.display_name = "@SUM(1+1)*cmd|' /C calc'!A0"
    db.session.commit()
    auth.login(organizer)
    participants = client.get(f"/events/{event.id}/export/participants.csv")
    assert participants.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = f'attachment; filename="event-{event.id}-participants.csv"'
    assert participants.headers["Content-Disposition"] == disposition
    text = participants.data.decode("utf-8-sig")
    assert buyer.email in text and supplier.email in text and "Smart traffic lights for cyclists" in text
    names = [row[1] for row in csv.reader(io.StringIO(text))]
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in names and "Sofie Supplier" in names
    requests = client.get(f"/events/{event.id}/export/requests.csv").data.decode("utf-8-sig")
    assert "Sofie Supplier" in requests and "'@SUM(1+1)" in requests
    assert "'=HYPERLINK" in requests  # formulas are defused


def test_closing_an_event_expires_its_pending_requests(event, organizer, buyer, supplier, register):
    rb = register(buyer, event)
    register(supplier, event)
    request = requests_service.send_request(supplier, event, rb.id, "")
    events_service.change_status(organizer, event, EventStatus.REGISTRATION_CLOSED)
    events_service.publish_agenda(organizer, event)
    assert requests_service.expire_overdue() == 1
    assert db.session.get(MeetingRequest, request.id).status == "expired"
