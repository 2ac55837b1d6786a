"""In the browser, the event day of issue 16 ("Done when"): the organizer checks participants in with their
codes on the check-in page; one supplier does not come. At 9:25 the live board shows her late at her table;
the organizer marks her absent, which frees her partner, fills the gap and publishes the new meeting; the
freed buyer finds it in their agenda, in their "now" view and in their calendar feed. The live board and the
"now" view pass axe's WCAG 2.1 AA rules at a desktop and a phone viewport.

The event's clock is set (no waiting for real time): `event_rules.local_now` and the no-show's `local_now`
answer 9:25 on the event's day, in the live server's process.
"""

import re
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

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
    Registration,
)
from matchmaker.services import accounts, checkin, event_rules
from matchmaker.services import events as events_service
from matchmaker.services import registrations as registrations_service
from matchmaker.services.scheduling import cancellations
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, index_item

EVENT_DAY = date.today() + timedelta(days=30)
NOW = datetime.combine(EVENT_DAY, time(9, 25))
BRUSSELS = ZoneInfo("Europe/Brussels")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

PEOPLE = {  # key: (name, role, what they bring)
    "bart": ("Bart Buyer", "buyer", "Detect cyclists at traffic lights"),
    "bea": ("Bea Buyer", "buyer", "Count cyclists at traffic lights on bridges"),
    "sofie": ("Sofie Supplier", "supplier", "Radar detection of cyclists at traffic lights"),
    "sam": ("Sam Supplier", "supplier", "Camera detection of cyclists at traffic lights"),
    "stan": ("Stan Supplier", "supplier", "Thermal sensors that detect cyclists at traffic lights"),
}


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr(event_rules, "local_now", lambda: NOW)
    monkeypatch.setattr(cancellations, "local_now", lambda: NOW)


def _participant(key: str) -> tuple:
    name, role, title = PEOPLE[key]
    user = accounts.create_user(f"{key}@example.org", PASSWORD, name, (role,), language="en", confirmed=True)
    organisation = Organisation(
        name=f"{name.split()[0]}'s {'agency' if role == 'buyer' else 'start-up'}",
        kind="government" if role == "buyer" else "startup",
    )
    db.session.add(organisation)
    db.session.add(Membership(user=user, organisation=organisation, role=MembershipRole.ADMIN))
    if role == "buyer":
        item = Need(
            organisation=organisation, title=title, challenge=title, status=NeedStatus.OPEN, language="en"
        )
    else:
        item = Offering(
            organisation=organisation,
            title=title,
            summary=title,
            status=OfferingStatus.PUBLISHED,
            language="en",
        )
    db.session.add(item)
    db.session.commit()
    index_item("need" if role == "buyer" else "offering", item.id)
    return user, role


def _meeting(event, a: Registration, b: Registration, at: time, table_number: int) -> Meeting:
    first, second = sorted((a, b), key=lambda r: r.id)
    slot = next(s for s in event.slots if s.starts_at.time() == at)
    table = next(t for t in event.tables if t.number == table_number)
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
    return meeting


@pytest.fixture
def event_day(live_app, clock):
    """A published agenda: at 9:20 Bart meets Sofie at table 1 and Bea meets Sam at table 2; at 9:40 Bea meets
    Stan at table 1. Everyone's check-in code."""
    with live_app.app_context(), live_app.test_request_context():
        organizer = accounts.create_user(
            "olivia@example.org", PASSWORD, "Olivia Organizer", ("organizer",), language="en", confirmed=True
        )
        event = events_service.create_event(
            organizer,
            events_service.EventInput(
                title="Smart mobility meet & greet", venue_address="Havenlaan 88, 1000 Brussel", table_count=4
            ),
        )
        events_service.add_day(organizer, event, EVENT_DAY, time(9, 0), time(11, 0), 20)
        events_service.add_block(organizer, event.days[0], "break", "Coffee", time(10, 0), time(10, 20))
        events_service.change_status(organizer, event, EventStatus.REGISTRATION_OPEN)
        registrations = {}
        for key in PEOPLE:
            user, role = _participant(key)
            items = registrations_service.eligible_items(user, role)
            data = registrations_service.RegistrationInput(role=role, item_ids=[i.id for i in items])
            registrations[key] = registrations_service.register(user, event, data)
        r = registrations
        first = _meeting(event, r["bart"], r["sofie"], time(9, 20), 1)
        _meeting(event, r["bea"], r["sam"], time(9, 20), 2)
        _meeting(event, r["bea"], r["stan"], time(9, 40), 1)
        events_service.change_status(organizer, event, EventStatus.REGISTRATION_CLOSED)
        events_service.change_status(organizer, event, EventStatus.AGENDA_PUBLISHED)
        db.session.commit()
        codes = {key: checkin.checkin_code(registration) for key, registration in r.items()}
        ids = {key: registration.id for key, registration in r.items()}
        return {"event_id": event.id, "codes": codes, "ids": ids, "first_uid": first.uid}


def _check_in_with_codes(page, event_id: int, codes: dict[str, str], keys: list[str]) -> None:
    page.goto(f"/events/{event_id}/check-in")
    for key in keys:
        name = PEOPLE[key][0]
        page.get_by_label("Check-in code").fill(codes[key].lower())  # as typed from a badge
        page.get_by_role("button", name="Check in", exact=True).click()
        page.get_by_text(re.compile(rf"^{name}\b.* is checked in\.$")).wait_for()


def test_an_event_day_from_check_in_to_a_filled_gap(page, check_a11y, live_app, event_day):
    event_id, codes, ids = event_day["event_id"], event_day["codes"], event_day["ids"]
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, "olivia@example.org")

    # The entrance: three participants check in with their codes; Sofie does not come.
    _check_in_with_codes(page, event_id, codes, ["bart", "bea", "sam"])

    # The live board at 9:25: Sofie is late at table 1; tables 3 and 4 are empty now.
    page.get_by_role("navigation", name="Event pages").get_by_role("link", name="Live board").click()
    page.wait_for_url(f"**/events/{event_id}/live")
    board = page.locator("#board")
    assert "Now: 09:25" in board.inner_text()
    late = page.locator("section[aria-labelledby=late-heading]")
    assert "Sofie Supplier" in late.inner_text() and "with Bart Buyer" in late.inner_text()
    table_1 = page.locator("li.live-table").nth(0)
    assert "late" in table_1.locator(".live-party-late").inner_text()
    assert "not yet" in table_1.inner_text() and "arrived" in table_1.inner_text()
    assert page.locator("#live-summary").inner_text().replace("\n", " ").count("3 of 5") == 1
    check_a11y(page, "live-board-desktop")

    # The board updates itself without a reload, and not while its tab is hidden: the organizer switches
    # tabs, Stan checks in at another entrance, the tab comes back, the board fetches its fragment, and the
    # status line tells it once.
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: true, configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    assert "paused" in page.locator("#live-updated").inner_text()
    with live_app.app_context(), live_app.test_request_context():
        from matchmaker.models import User

        organizer = db.session.scalars(db.select(User).where(User.email == "olivia@example.org")).one()
        checkin.check_in(organizer, db.session.get(Registration, ids["stan"]))
        db.session.remove()
    page.evaluate("window.__kept = document.getElementById('live-refresh')")
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: false, configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    page.locator("#live-summary", has_text="4 of 5").wait_for()
    assert page.evaluate("window.__kept === document.getElementById('live-refresh')")  # no page reload
    assert "4 of 5 arrived; 1 late" in page.locator("#live-status").inner_text()

    # Sofie is marked absent from the board: her meeting with Bart is cancelled; Bart waits for a partner.
    page.get_by_role("button", name="Mark absent Sofie Supplier", exact=True).first.click()
    page.get_by_text("Sofie Supplier is marked absent; 1 meeting is cancelled.").wait_for()
    gaps = page.locator("section[aria-labelledby=gaps-heading]")
    assert "Bart Buyer" in gaps.locator("#live-freed").inner_text()
    assert "Empty" in page.locator("li.live-table").nth(0).inner_text()

    # Fill the gaps: the scheduler proposes meetings for Bart with people who came; the organizer publishes.
    page.get_by_role("button", name="Fill the gaps").click()
    page.locator("#live-proposed").wait_for()
    proposed = page.locator("#live-proposed").inner_text()
    assert "Bart Buyer" in proposed and "Sofie" not in proposed
    check_a11y(page, "live-board-gaps")
    page.get_by_role("button", name="Publish the new meetings").click()
    page.get_by_text("The changes are published;").wait_for()
    assert page.locator("#live-proposed").count() == 0
    page.set_viewport_size(PHONE)
    check_a11y(page, "live-board-phone")
    page.set_viewport_size(DESKTOP)

    with live_app.app_context():
        new = db.session.scalars(
            db.select(Meeting).where(
                Meeting.event_id == event_id,
                Meeting.cancelled_at.is_(None),
                db.or_(
                    Meeting.first_registration_id == ids["bart"],
                    Meeting.second_registration_id == ids["bart"],
                ),
            )
        ).all()
        assert new and all(m.published and m.slot.starts_at > NOW for m in new)
        assert all(ids["sofie"] not in (m.first_registration_id, m.second_registration_id) for m in new)
        new_uids = {m.uid for m in new}
        first_new = min(new, key=lambda m: m.slot.starts_at)
        when = first_new.slot.starts_at.strftime("%H:%M")
        partner = first_new.other(ids["bart"]).user.display_name
        db.session.remove()

    # Bart: the new meeting in his agenda, in his "now" view and in his calendar feed.
    log_in(page, "bart@example.org", next_path=f"/events/{event_id}/agenda")
    rows = page.locator("tr.agenda-meeting")
    assert rows.count() == len(new_uids)
    assert when in rows.first.inner_text() and partner in rows.first.inner_text()
    assert "Sofie Supplier" in page.locator(".agenda-cancelled").inner_text()
    feed_url = page.locator("#feed-url").input_value()

    page.get_by_role("link", name="Now: my current and next meeting").click()
    page.wait_for_url(f"**/events/{event_id}/now")
    assert "You have no meeting now." in page.locator("main").inner_text()
    upcoming = page.locator("#now-next").locator("xpath=..")
    assert when in upcoming.inner_text() and partner in upcoming.inner_text()
    check_a11y(page, "now-desktop")
    page.set_viewport_size(PHONE)
    check_a11y(page, "now-phone")

    feed = page.request.get(feed_url)
    assert feed.ok
    calendar = icalendar.Calendar.from_ical(feed.body())
    entries = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert new_uids <= set(entries)
    entry = entries[first_new_uid(new_uids, entries)]
    assert entry.decoded("DTSTART").astimezone(BRUSSELS).strftime("%H:%M") == when and partner in str(
        entry["SUMMARY"]
    )
    assert str(entries[event_day["first_uid"]]["STATUS"]) == "CANCELLED"


def first_new_uid(uids: set[str], entries: dict) -> str:
    return min(uids, key=lambda uid: entries[uid].decoded("DTSTART"))
