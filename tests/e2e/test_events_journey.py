"""In the browser: an organizer creates and opens an event; a buyer and a supplier register; the supplier sees
the buyer recommended with an explanation and sends a request; the buyer accepts; both are notified.
Every page on the way passes axe's WCAG 2.1 AA rules."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from matchmaker.extensions import db
from matchmaker.models import Need, NeedStatus, Offering, OfferingStatus
from matchmaker.services import accounts
from matchmaker.services.matching import index
from matchmaker.services.themes import ensure_default_themes
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD

EVENT_DAY = date.today() + timedelta(days=40)


@pytest.fixture
def people(live_app):
    with live_app.app_context():
        ensure_default_themes()
        accounts.create_user(
            "olivia@example.org", PASSWORD, "Olivia Organizer", ("organizer",), language="en", confirmed=True
        )
        buyer = accounts.create_user(
            "bart@example.org", PASSWORD, "Bart Buyer", ("buyer",), language="en", confirmed=True
        )
        supplier = accounts.create_user(
            "sofie@example.org", PASSWORD, "Sofie Supplier", ("supplier",), language="en", confirmed=True
        )
        from matchmaker.models import Membership, MembershipRole, Organisation

        agency = Organisation(
            name="Agentschap Wegen en Verkeer", kind="government", enterprise_number="0974638776"
        )
        startup = Organisation(name="Verkeerslicht.ai", kind="startup", enterprise_number="0995127057")
        db.session.add_all([agency, startup])
        db.session.add(Membership(user=buyer, organisation=agency, role=MembershipRole.ADMIN))
        db.session.add(Membership(user=supplier, organisation=startup, role=MembershipRole.ADMIN))
        db.session.add(
            Need(
                organisation=agency,
                title="Detect cyclists at traffic lights",
                challenge="Cyclists wait too long at traffic lights; we want radar or camera detection.",
                status=NeedStatus.OPEN,
                language="en",
            )
        )
        db.session.add(
            Offering(
                organisation=startup,
                title="Radar detection of cyclists at traffic lights",
                summary="Radar sensors detect approaching cyclists and give them green earlier.",
                status=OfferingStatus.PUBLISHED,
                language="en",
            )
        )
        db.session.commit()
        index.refit()  # the items were stored behind the catalogue service's back
    return {"organizer": "olivia@example.org", "buyer": "bart@example.org", "supplier": "sofie@example.org"}


def test_from_a_new_event_to_an_accepted_meeting_request(page, check_a11y, people, live_server):
    # The organizer creates the event...
    log_in(page, people["organizer"])
    page.goto("/events/")
    check_a11y(page, "events-index")
    page.get_by_role("link", name="Create an event").click()
    check_a11y(page, "events-new")
    page.get_by_label("Title").fill("Smart mobility meet & greet")
    page.get_by_label("Venue address").fill("Havenlaan 88, 1000 Brussel")
    page.get_by_label("Mobility").check()
    page.get_by_label("Number of tables or rooms").fill("6")
    page.get_by_role("button", name="Create the event").click()
    # ...adds a day to the programme...
    page.get_by_label("Date").fill(EVENT_DAY.isoformat())
    page.get_by_label("Starts at").fill("09:00")
    page.get_by_label("Ends at").fill("12:00")
    page.get_by_role("button", name="Add the day").click()
    expect(page.locator(".slot-meeting")).to_have_count(9)  # waits for the programme page after the post
    check_a11y(page, "events-programme")
    # ...and opens registration.
    page.get_by_role("link", name="Go to the dashboard").click()
    page.get_by_role("button", name="Open registration").click()
    assert page.locator(".stage-current").inner_text() == "Registration open"
    check_a11y(page, "events-dashboard")
    event_url = page.url.removesuffix("/dashboard")

    # The buyer and the supplier register with what they bring.
    for who in ("buyer", "supplier"):
        log_in(page, people[who])
        page.goto(event_url)
        page.get_by_role("link", name="Register for this event").click()
        check_a11y(page, f"events-register-{who}")
        page.get_by_role("button", name="Register", exact=True).click()
        expect(page.locator(".flash-messages")).to_contain_text("You are registered.", use_inner_text=True)
        check_a11y(page, f"events-detail-{who}")

    # The supplier sees the buyer recommended, with the reason, and asks for a meeting.
    page.get_by_role("link", name="See who is here").click()
    recommended = page.locator("section[aria-labelledby=recommended-heading]")
    assert "Bart Buyer" in recommended.inner_text()
    assert recommended.locator(".match-explanation").count() == 1
    check_a11y(page, "events-participants")
    recommended.get_by_role("link", name="Request a meeting").click()
    check_a11y(page, "events-request-form")
    page.get_by_label("Your message").fill("We detect cyclists with radar. Shall we talk?")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator(".flash-messages")).to_contain_text(
        "Your request is sent to Bart Buyer.", use_inner_text=True
    )

    # The buyer is notified and accepts.
    log_in(page, people["buyer"])
    badge = page.locator(".notifications-link .badge")
    assert badge.inner_text().startswith("2")  # the confirmation of the registration, and the request
    page.get_by_role("link", name="Notifications").click()
    expect(page.locator(".notification-list")).to_contain_text("Sofie Supplier", use_inner_text=True)
    check_a11y(page, "notifications")
    page.locator(".notification-item", has_text="Sofie Supplier").get_by_role("button", name="View").click()
    page.wait_for_url(re.compile(r".*/requests#request-\d+$"))  # the page, at the request received
    check_a11y(page, "events-requests")
    assert "We detect cyclists with radar." in page.locator(".request-list").inner_text()
    page.get_by_role("button", name="Accept").click()
    expect(page.locator(".flash-messages")).to_contain_text("You accepted the request.", use_inner_text=True)

    # The supplier is notified of the acceptance.
    log_in(page, people["supplier"])
    page.get_by_role("link", name="Notifications").click()
    expect(page.locator(".notification-list")).to_contain_text(
        "Bart Buyer accepted your meeting request", use_inner_text=True
    )
    page.get_by_role("link", name="Email settings").click()
    check_a11y(page, "notifications-settings")
    mails = {(m.to, m.subject) for m in live_server.outbox}
    assert any(to == people["buyer"] and "asks you for a meeting" in subject for to, subject in mails)
    assert any(
        to == people["supplier"] and "accepted your meeting request" in subject for to, subject in mails
    )
