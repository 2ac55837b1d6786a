"""In the browser (issue 15 audit): from the mutual-match notification's page to a conversation, and back
through the home page. The buyer starts the conversation from the mutual match; the supplier's home counts
the unread message and its mutual match opens the same thread. Every page on the way passes axe."""

from playwright.sync_api import expect

from matchmaker.extensions import db
from matchmaker.services import matching
from matchmaker.services.accounts import get_user_by_email
from tests.e2e.conftest import log_in
from tests.e2e.test_matches_journey import BUYER, SUPPLIER, _catalogue

AGENCY = "Departement Mobiliteit en Openbare Werken"


def test_a_mutual_match_leads_to_a_conversation_and_the_home_counts_it(page, check_a11y, live_app):
    ids = _catalogue(live_app)
    with live_app.test_request_context():
        for email in (BUYER, SUPPLIER):
            matching.set_interest(get_user_by_email(email), ids["need"], ids["offering"], "interested")
        db.session.remove()

    # The buyer's home asks her, as her organisation's administrator, to complete its profile.
    log_in(page, BUYER, "/")
    steps = page.get_by_role("list", name="What to do next")
    assert "Complete your organisation profile" in steps.inner_text()
    assert "Description" in steps.inner_text() and "Website" in steps.inner_text()
    check_a11y(page, "next-steps-profile")

    # Her mutual match offers a conversation with the supplier, named for screen readers.
    page.goto("/matches/mutual")
    card = page.locator(".proposal-card.is-mutual")
    check_a11y(page, "mutual-actions-buyer")
    card.get_by_role("link", name="Start a conversation with Voltbus", exact=True).click()
    page.get_by_label("Your message").fill("Your buses charge in ten minutes? Tell us more.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("main")).to_contain_text("charge in ten minutes", use_inner_text=True)

    # The supplier's home says a message waits, and leads to it.
    log_in(page, SUPPLIER, "/")
    steps = page.get_by_role("list", name="What to do next")
    assert "1 unread message" in steps.inner_text()
    assert "Nothing waits for you right now." not in page.locator("main").inner_text()
    check_a11y(page, "next-steps-unread")
    steps.get_by_role("link", name="Read the messages").click()
    page.wait_for_url("**/messages/")

    # His mutual match opens that thread rather than starting a second one.
    page.goto("/matches/mutual")
    card = page.locator(".proposal-card.is-mutual")
    assert card.get_by_role("link", name="Start a conversation", exact=False).count() == 0
    check_a11y(page, "mutual-actions-supplier-talking")
    card.get_by_role("link", name=f"Open the conversation with {AGENCY}", exact=True).click()
    expect(page.locator("main")).to_contain_text("Tell us more.", use_inner_text=True)
    check_a11y(page, "mutual-thread-supplier")
