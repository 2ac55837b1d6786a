"""In the browser: a participant whose agenda is published opens "My agenda" from the event page, sees the
meeting with the other party, downloads it for their calendar (.ics) and as a PDF; the organizer opens the
master grid and the table sheets. The pages pass axe's WCAG 2.1 AA rules and print on A4 without the site's
navigation."""

import re
import uuid
from datetime import date, time, timedelta
from pathlib import Path

import icalendar
import pytest

from matchmaker.extensions import db
from matchmaker.models import (
    EventStatus,
    Meeting,
    MeetingAttendee,
    Membership,
    MembershipRole,
    Need,
    NeedStatus,
    Offering,
    OfferingStatus,
    Organisation,
    Slot,
)
from matchmaker.services import accounts
from matchmaker.services import events as events_service
from matchmaker.services import registrations as registrations_service
from tests.e2e.conftest import ARTIFACTS, log_in, screenshot
from tests.factories import PASSWORD

EVENT_DAY = date.today() + timedelta(days=40)


@pytest.fixture
def agenda(live_app):
    """An event with a published meeting between Géraldine (buyer) and Sofie (supplier) at 9:20, table 2."""
    with live_app.app_context(), live_app.test_request_context():
        organizer = accounts.create_user(
            "olivia@example.org", PASSWORD, "Olivia Organizer", ("organizer",), language="en", confirmed=True
        )
        buyer = accounts.create_user(
            "geraldine@example.org", PASSWORD, "Géraldine Dupont", ("buyer",), language="en", confirmed=True
        )
        supplier = accounts.create_user(
            "sofie@example.org", PASSWORD, "Sofie Supplier", ("supplier",), language="en", confirmed=True
        )
        agency = Organisation(
            name="Brussel–Zuid Mobiliteit", kind="government", website="https://example.org/bz"
        )
        startup = Organisation(name="Verkeerslicht.ai", kind="startup")
        db.session.add_all([agency, startup])
        db.session.add(Membership(user=buyer, organisation=agency, role=MembershipRole.ADMIN))
        db.session.add(Membership(user=supplier, organisation=startup, role=MembershipRole.ADMIN))
        db.session.add(
            Need(
                organisation=agency,
                title="Detect cyclists at traffic lights",
                challenge="Cyclists wait too long.",
                status=NeedStatus.OPEN,
                language="en",
            )
        )
        db.session.add(
            Offering(
                organisation=startup,
                title="Radar detection of cyclists",
                summary="Radar sensors detect cyclists.",
                status=OfferingStatus.PUBLISHED,
                language="en",
            )
        )
        db.session.commit()
        event = events_service.create_event(
            organizer,
            events_service.EventInput(
                title="Smart mobility meet & greet", venue_address="Havenlaan 88, 1000 Brussel", table_count=3
            ),
        )
        events_service.add_day(organizer, event, EVENT_DAY, time(9, 0), time(11, 0), 20)
        events_service.add_block(organizer, event.days[0], "break", "Coffee", time(10, 0), time(10, 20))
        events_service.change_status(organizer, event, EventStatus.REGISTRATION_OPEN)
        registrations = []
        for user in (buyer, supplier):
            role = "buyer" if user is buyer else "supplier"
            items = registrations_service.eligible_items(user, role)
            data = registrations_service.RegistrationInput(role=role, item_ids=[i.id for i in items])
            registrations.append(registrations_service.register(user, event, data))
        first, second = sorted(registrations, key=lambda r: r.id)
        slot = next(s for s in event.slots if s.starts_at.time() == time(9, 20))
        table = next(t for t in event.tables if t.number == 2)
        meeting = Meeting(
            event_id=event.id,
            slot_id=slot.id,
            table_id=table.id,
            first_registration_id=first.id,
            second_registration_id=second.id,
            source="mutual",
            weight=3,
            published=True,
            locked=True,
            uid=f"meeting-{uuid.uuid4()}@matchmaker.test",
        )
        db.session.add(meeting)
        db.session.flush()
        for registration in (first, second):
            db.session.add(
                MeetingAttendee(meeting_id=meeting.id, slot_id=slot.id, registration_id=registration.id)
            )
        events_service.change_status(organizer, event, EventStatus.REGISTRATION_CLOSED)
        events_service.change_status(organizer, event, EventStatus.AGENDA_PUBLISHED)
        db.session.commit()
        assert isinstance(slot, Slot)
        return {"event_id": event.id, "uid": meeting.uid}


def _print_view(page, name: str) -> Path:
    """The page as Chromium prints it on A4: no site header, navigation or buttons; kept as a PDF and PNG."""
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".site-footer").is_visible()
    screenshot(page, f"{name}-print")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}-print.pdf"
    page.pdf(path=str(path), format="A4", print_background=True, prefer_css_page_size=True)
    page.emulate_media(media="screen")
    return path


def test_a_participant_opens_and_downloads_their_agenda(page, check_a11y, agenda, tmp_path):
    event_id = agenda["event_id"]
    log_in(page, "sofie@example.org")
    page.goto(f"/events/{event_id}")
    page.get_by_role("navigation", name="Event pages").get_by_role("link", name="My agenda").click()
    page.wait_for_url(f"**/events/{event_id}/agenda")
    main = page.locator("main")
    row = main.locator("tr.agenda-meeting")
    assert row.count() == 1
    text = row.inner_text()
    assert "09:20" in text and "Géraldine Dupont" in text and "Brussel–Zuid Mobiliteit" in text
    assert "Detect cyclists at traffic lights" in text and "geraldine@example.org" in text
    assert main.locator("tr.agenda-break").inner_text().count("Coffee") == 1
    assert "/calendar/" in page.locator("#feed-url").input_value()
    check_a11y(page, "agenda-participant")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download all meetings (.ics)").click()
    ics = tmp_path / "agenda.ics"
    download_info.value.save_as(ics)
    calendar = icalendar.Calendar.from_ical(ics.read_bytes())
    (entry,) = calendar.walk("VEVENT")
    assert str(entry["UID"]) == agenda["uid"]
    assert str(entry["SUMMARY"]) == "Meeting with Géraldine Dupont (Brussel–Zuid Mobiliteit)"

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as PDF").click()
    pdf = tmp_path / "agenda.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert download_info.value.suggested_filename == f"agenda-{event_id}.pdf"

    printed = _print_view(page, "agenda-participant")
    assert printed.read_bytes().startswith(b"%PDF")

    page.set_viewport_size({"width": 390, "height": 844})  # a phone, on the day itself
    check_a11y(page, "agenda-participant-phone")


def test_a_participant_cancels_a_meeting_from_their_agenda(page, check_a11y, agenda, live_app):
    event_id = agenda["event_id"]
    log_in(page, "sofie@example.org", next_path=f"/events/{event_id}/agenda")
    page.get_by_role("link", name="Cancel Meeting with Géraldine Dupont at 09:20").click()
    page.wait_for_url(f"**/events/{event_id}/agenda/meetings/*/cancel")
    page.get_by_role("heading", name="Cancel this meeting?").wait_for()
    check_a11y(page, "agenda-cancel-meeting")
    page.get_by_label("Reason (optional)").fill("Our demonstrator is broken")
    page.get_by_role("button", name="Cancel the meeting").click()
    page.wait_for_url(f"**/events/{event_id}/agenda")
    page.get_by_text("they and the organizer are told").wait_for()
    assert page.locator("tr.agenda-meeting").count() == 0
    assert "Géraldine Dupont" in page.locator(".agenda-cancelled").inner_text()
    check_a11y(page, "agenda-after-cancelling")
    with live_app.app_context():
        meeting = db.session.scalars(db.select(Meeting).where(Meeting.uid == agenda["uid"])).one()
        assert meeting.cancelled_at is not None and meeting.sequence == 1
        assert meeting.cancel_reason == "Our demonstrator is broken"


def test_the_organizer_prints_the_master_grid_and_table_sheets(page, check_a11y, agenda):
    event_id = agenda["event_id"]
    log_in(page, "olivia@example.org")
    page.goto(f"/events/{event_id}/dashboard")
    page.get_by_role("link", name="Master grid").click()
    page.wait_for_url(f"**/events/{event_id}/agenda/grid")
    cell = page.locator("td.grid-meeting")
    assert cell.count() == 1
    assert "Géraldine Dupont" in cell.inner_text() and "Sofie Supplier" in cell.inner_text()
    check_a11y(page, "agenda-master-grid")
    _print_view(page, "agenda-master-grid")

    page.get_by_role("link", name="Table sheets").click()
    page.wait_for_url(f"**/events/{event_id}/agenda/tables")
    assert page.locator("section.table-sheet").count() == 3
    check_a11y(page, "agenda-table-sheets")
    printed = _print_view(page, "agenda-table-sheets")
    assert _pdf_page_count(printed) == 3  # one table per printed page


def _pdf_page_count(path: Path) -> int:
    """Pages of a PDF that Chromium printed (its page objects are not compressed into object streams)."""
    return len(re.findall(rb"/Type\s*/Page\b", path.read_bytes()))
