"""In the browser: a buyer and a supplier see each other proposed with an explanation, both say they are
interested (without leaving the page), the mutual match is highlighted, listed with the contact and notified;
an organizer filters the best pairs by theme. Every page is checked with axe."""

import sqlalchemy as sa
from playwright.sync_api import expect

from matchmaker.extensions import db
from matchmaker.models import (
    Match,
    Membership,
    MembershipRole,
    Need,
    NeedCpvCode,
    Offering,
    OfferingCpvCode,
    Organisation,
    Theme,
    utcnow,
)
from matchmaker.services import accounts
from matchmaker.services.matching import index
from tests.e2e.conftest import log_in
from tests.factories import BUS_NEED, BUS_OFFERING, PASSWORD, SENSOR_NEED

BUYER = "an@mow.example"
SUPPLIER = "tom@voltbus.example"
ORGANIZER = "eva@ewi.example"


def _catalogue(live_app) -> dict:
    with live_app.app_context():
        mobility = Theme(slug="mobility", name_nl="Mobiliteit", name_fr="Mobilité", name_en="Mobility")
        db.session.add(mobility)
        ids = {}
        for email, name, role, organisation_name, kind in (
            (BUYER, "An Peeters", "buyer", "Departement Mobiliteit en Openbare Werken", "government"),
            (SUPPLIER, "Tom Claes", "supplier", "Voltbus", "startup"),
            (ORGANIZER, "Eva Janssens", "organizer", None, None),
        ):
            user = accounts.create_user(email, PASSWORD, name, roles=(role,), language="en", confirmed=True)
            if organisation_name:
                organisation = Organisation(name=organisation_name, kind=kind)
                db.session.add(organisation)
                db.session.add(Membership(user=user, organisation=organisation, role=MembershipRole.ADMIN))
                db.session.flush()
                ids[role] = organisation.id
        need = Need(organisation_id=ids["buyer"], status="open", published_at=utcnow(), themes=[mobility])
        for name, value in BUS_NEED.items():
            if name != "cpv":
                setattr(need, name, value)
        need.cpv_links = [NeedCpvCode(code="34144910")]
        other_need = Need(organisation_id=ids["buyer"], status="open", published_at=utcnow())
        for name, value in SENSOR_NEED.items():
            if name != "cpv":
                setattr(other_need, name, value)
        offering = Offering(
            organisation_id=ids["supplier"], status="published", published_at=utcnow(), themes=[mobility]
        )
        for name, value in BUS_OFFERING.items():
            if name != "cpv":
                setattr(offering, name, value)
        offering.cpv_links = [OfferingCpvCode(code="34144910")]
        db.session.add_all([need, other_need, offering])
        db.session.commit()
        index.refit()  # the items were stored behind the catalogue service's back
        return {"need": need.id, "offering": offering.id, "theme": mobility.id}


def _settle(page) -> None:
    """Move the pointer off the buttons and let their colour transitions end (axe checks what it sees)."""
    page.mouse.move(0, 0)
    page.wait_for_timeout(300)


def _wait_for_announcement(page, text: str) -> None:
    """The live region (role=status) says `text`: screen readers read it out."""
    page.wait_for_function(
        "(text) => document.getElementById('match-live').textContent.includes(text)", arg=text
    )


def test_buyer_and_supplier_find_each_other_and_match(page, check_a11y, live_app, live_server):
    ids = _catalogue(live_app)
    card = f"#proposal-{ids['need']}-{ids['offering']}"

    # The buyer sees the bus offering proposed for the bus need, with its score and why.
    log_in(page, BUYER, "/matches/")
    proposal = page.locator(card)
    assert BUS_OFFERING["title"] in proposal.locator(".proposal-title").inner_text()
    assert "%" in proposal.locator(".match-score-value").inner_text()
    check_a11y(page, "matches-buyer-proposals")
    proposal.get_by_text("Why this proposal?").click()
    assert "Electric buses" in proposal.locator(".match-explanation").inner_text()
    assert "Mobility" in proposal.locator(".match-explanation").inner_text()
    check_a11y(page, "matches-buyer-explanation-open")

    # Answering does not reload the page: the state changes in place and is announced.
    url_before = page.url
    proposal.get_by_role("button", name="Interested", exact=True).click()
    pressed = "(sel) => document.querySelector(sel + ' [data-decision=interested]').ariaPressed === 'true'"
    page.wait_for_function(pressed, arg=card)
    _wait_for_announcement(page, "Marked as interested")
    assert page.url == url_before
    with live_app.app_context():
        match = db.session.scalars(sa.select(Match)).one()
        assert (match.buyer_interest, match.supplier_interest) == (True, None)

    # The supplier sees that the buyer is interested, and answers: a mutual match.
    log_in(page, SUPPLIER, "/matches/")
    proposal = page.locator(card)
    assert "is interested" in proposal.locator("[data-interest-state]").inner_text()
    check_a11y(page, "matches-supplier-proposals")
    proposal.get_by_role("button", name="Interested", exact=True).click()
    page.wait_for_function("(sel) => document.querySelector(sel).classList.contains('is-mutual')", arg=card)
    _wait_for_announcement(page, "Mutual match")
    _settle(page)
    check_a11y(page, "matches-supplier-mutual-in-place")

    # Both are told, and the mutual match lists the other side's contact.
    recipients = sorted(mail.to for mail in live_server.outbox)
    assert recipients == sorted([BUYER, SUPPLIER])
    page.goto("/matches/mutual")
    assert BUYER in page.locator(".match-contact").inner_text()
    check_a11y(page, "matches-mutual")

    # Without JavaScript's help the form still works: withdraw by a normal post.
    page.get_by_role("button", name="Withdraw my interest").click()
    page.wait_for_url("**/matches/mutual")
    assert "No mutual matches yet" in page.content()

    # From the proposal to a conversation (issue 15): the supplier writes to the agency behind the need.
    page.goto("/matches/")
    page.locator(card).get_by_role("link", name="Start a conversation").click()
    check_a11y(page, "matches-start-conversation")
    page.get_by_label("Your message").fill("Our electric buses charge in ten minutes. Shall we show you?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("main")).to_contain_text("charge in ten minutes", use_inner_text=True)


def test_organizer_filters_the_best_pairs_by_theme(page, check_a11y, live_app):
    ids = _catalogue(live_app)
    log_in(page, ORGANIZER, "/matches/overview")
    rows = page.locator(".overview-table tbody tr")
    assert rows.count() >= 1
    assert BUS_OFFERING["title"] in rows.first.inner_text()
    check_a11y(page, "matches-overview")

    page.get_by_label("Theme").select_option(str(ids["theme"]))
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(f"**/matches/overview?theme={ids['theme']}")
    assert SENSOR_NEED["title"] not in page.locator(".overview-table tbody").inner_text()
    assert (
        page.get_by_role("link", name="Download as CSV")
        .get_attribute("href")
        .endswith(f"theme={ids['theme']}")
    )
    check_a11y(page, "matches-overview-filtered")

    page.goto(f"/matches/{ids['need']}/{ids['offering']}")
    check_a11y(page, "matches-pair-organizer")
