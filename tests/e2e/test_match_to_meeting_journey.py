"""In the browser, issue 15's "done when": a buyer and a supplier who never met find each other through a
proposal, write to each other on the platform, and at an event both attend the supplier requests a meeting
from the proposal; the buyer sees the request with its context (offering, need, score in words, reasons,
message) and accepts it. Every page on the way passes axe."""

import re
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from matchmaker.extensions import db
from matchmaker.models import (
    EventStatus,
    Match,
    MeetingRequest,
    Membership,
    MembershipRole,
    Need,
    NeedCpvCode,
    Offering,
    OfferingCpvCode,
    Organisation,
    RequestStatus,
    Theme,
    utcnow,
)
from matchmaker.services import accounts
from matchmaker.services import events as events_service
from matchmaker.services import registrations as registrations_service
from matchmaker.services.events import EventInput
from matchmaker.services.matching import index
from tests.e2e.conftest import log_in
from tests.factories import BUS_NEED, BUS_OFFERING, PASSWORD

BUYER = "an@mow.example"
SUPPLIER = "tom@voltbus.example"
AGENCY = "Departement Mobiliteit en Openbare Werken"
EVENT_TITLE = "Clean transport meet & greet"


@pytest.fixture
def world(live_app) -> dict:
    """A buyer's bus need and a supplier's bus offering (the matching proposes them to each other), and an
    event with meeting requests open where both are approved participants. They have never been in touch."""
    with live_app.app_context():
        mobility = Theme(slug="mobility", name_nl="Mobiliteit", name_fr="Mobilité", name_en="Mobility")
        db.session.add(mobility)
        organizer = accounts.create_user(
            "eva@ewi.example", PASSWORD, "Eva Janssens", ("organizer",), language="en", confirmed=True
        )
        people, organisations = {}, {}
        for email, name, role, organisation_name, kind in (
            (BUYER, "An Peeters", "buyer", AGENCY, "government"),
            (SUPPLIER, "Tom Claes", "supplier", "Voltbus", "startup"),
        ):
            user = accounts.create_user(email, PASSWORD, name, roles=(role,), language="en", confirmed=True)
            organisation = Organisation(name=organisation_name, kind=kind)
            db.session.add(organisation)
            db.session.add(Membership(user=user, organisation=organisation, role=MembershipRole.ADMIN))
            db.session.flush()
            people[role], organisations[role] = user, organisation
        need = Need(
            organisation_id=organisations["buyer"].id, status="open", published_at=utcnow(), themes=[mobility]
        )
        for name, value in BUS_NEED.items():
            if name != "cpv":
                setattr(need, name, value)
        need.cpv_links = [NeedCpvCode(code="34144910")]
        offering = Offering(
            organisation_id=organisations["supplier"].id,
            status="published",
            published_at=utcnow(),
            themes=[mobility],
        )
        for name, value in BUS_OFFERING.items():
            if name != "cpv":
                setattr(offering, name, value)
        offering.cpv_links = [OfferingCpvCode(code="34144910")]
        db.session.add_all([need, offering])
        db.session.commit()
        index.refit()  # the items were stored behind the catalogue service's back

        event = events_service.create_event(
            organizer,
            EventInput(title=EVENT_TITLE, venue_address="Havenlaan 88, 1000 Brussel", table_count=4),
        )
        events_service.add_day(
            organizer, event, date.today() + timedelta(days=30), time(9, 0), time(12, 0), 20
        )
        events_service.change_status(organizer, event, EventStatus.REGISTRATION_OPEN)
        for role, user in people.items():
            items = registrations_service.eligible_items(user, role)
            data = registrations_service.RegistrationInput(role=role, item_ids=[i.id for i in items])
            registrations_service.register(user, event, data)
        return {"need": need.id, "offering": offering.id, "event": event.id}


def test_from_a_proposal_to_an_accepted_meeting_with_its_context(page, check_a11y, world, live_app):
    need_title, offering_title = BUS_NEED["title"], BUS_OFFERING["title"]

    # The buyer searches the site and finds the supplier's offering, proposed for the bus need: she answers
    # "interested" on the result itself and comes back to it.
    log_in(page, BUYER, "/search?q=elektrische")
    card = page.locator(f"#actions-offering-{world['offering']}")
    assert f"Proposed for your need {need_title}" in " ".join(card.inner_text().split())
    check_a11y(page, "journey-match-search-buyer")
    card.get_by_role("button", name=f"Interested in {offering_title}, for {need_title}", exact=True).click()
    page.wait_for_url(re.compile(rf".*/search\?q=elektrische#actions-offering-{world['offering']}$"))
    assert "Marked as interested" in page.locator(".flash-messages").inner_text()
    answered = page.locator(f"#actions-offering-{world['offering']}").get_by_role(
        "button", name=f"Interested in {offering_title}, for {need_title}", exact=True
    )
    assert answered.get_attribute("aria-pressed") == "true"
    check_a11y(page, "journey-match-search-answered")
    with live_app.app_context():
        match = db.session.scalars(sa.select(Match)).one()
        assert (match.need_id, match.offering_id) == (world["need"], world["offering"])
        assert match.buyer_interest is True

    # The catalogue's result cards offer the same, inside its search form's page.
    page.goto("/catalogue/offerings?q=elektrische")
    browse_card = page.locator(f"#actions-offering-{world['offering']}")
    undo = f"Undo my answer about {offering_title}, for {need_title}"
    assert browse_card.get_by_role("button", name=undo, exact=True).count() == 1
    check_a11y(page, "journey-match-browse-buyer")
    page.go_back()

    # From the same result she writes to the supplier.
    page.locator(f"#actions-offering-{world['offering']}").get_by_role(
        "link", name=f"Start a conversation about {offering_title}"
    ).click()
    check_a11y(page, "journey-match-conversation-start")
    page.get_by_label("Your message").fill("Your buses charge in ten minutes? Could you tell us more?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("main")).to_contain_text("charge in ten minutes", use_inner_text=True)

    # The supplier reads it in the inbox and answers on the platform.
    log_in(page, SUPPLIER, "/messages/")
    check_a11y(page, "journey-match-inbox-supplier")
    page.locator("main").get_by_role("link", name=AGENCY).first.click()
    expect(page.locator("main")).to_contain_text("Could you tell us more?", use_inner_text=True)
    page.get_by_label("Your message").fill("Gladly: ten minutes at the terminus, 300 km a charge.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("main")).to_contain_text("300 km a charge", use_inner_text=True)
    check_a11y(page, "journey-match-thread-supplier")

    # His proposals show the buyer's interest and, as both take part in the event, a meeting request.
    page.goto("/matches/")
    proposal = page.locator(f"#proposal-{world['need']}-{world['offering']}")
    assert "is interested" in proposal.inner_text()
    check_a11y(page, "journey-match-proposals-supplier")
    proposal.get_by_role("link", name=re.compile(r"^Request a meeting")).click()
    pair = rf"need={world['need']}&offering={world['offering']}"  # the request records the proposal's pair
    page.wait_for_url(re.compile(rf".*/events/{world['event']}/requests/new\?to=\d+&{pair}$"))
    about = page.locator("section[aria-labelledby=about-heading]")
    text = about.inner_text()
    assert need_title in text and offering_title in text
    assert re.search(r"a (strong|fair|weak) match \(\d+%\)", text)
    assert "Shared words" in text
    check_a11y(page, "journey-match-request-form")
    page.get_by_label("Your message").fill("We would love to show you the bus at the meet & greet.")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator(".flash-messages")).to_contain_text(
        "Your request is sent to An Peeters.", use_inner_text=True
    )

    # The buyer is told which items it is about, opens the request and sees its whole context.
    log_in(page, BUYER, "/notifications/")
    notice = page.locator(".notification-item", has_text="asks you for a meeting")
    assert f"about “{offering_title}” and “{need_title}”" in notice.inner_text()
    check_a11y(page, "journey-match-notifications-buyer")
    notice.get_by_role("button", name="View").click()
    page.wait_for_url(re.compile(r".*/requests#request-\d+$"))
    received = page.locator("section[aria-labelledby=received-heading] .request-item").first
    text = received.inner_text()
    for expected in (offering_title, need_title, "the bus at the meet & greet", "Tom Claes", "Voltbus"):
        assert expected in text
    assert re.search(r"a (strong|fair|weak) match \(\d+%\)", text) and "Shared words" in text
    check_a11y(page, "journey-match-requests-buyer")
    received.get_by_role("button", name=re.compile(r"^Accept")).click()
    expect(page.locator(".flash-messages")).to_contain_text("You accepted the request.", use_inner_text=True)
    check_a11y(page, "journey-match-request-accepted")
    with live_app.app_context():
        request = db.session.scalars(sa.select(MeetingRequest)).one()
        assert request.status == RequestStatus.ACCEPTED
        assert (request.need_id, request.offering_id) == (world["need"], world["offering"])
