"""In the browser: search the demo catalogue, filter, sort and page, and the organizers' exchange page.
Every page is checked with axe (WCAG 2.1 A/AA)."""

import re

import pytest

from matchmaker.extensions import db
from matchmaker.services import accounts
from tests.factories import PASSWORD


@pytest.fixture
def seeded(demo_catalogue, live_app) -> None:
    """The demo catalogue (seeded once per worker, tests/e2e/conftest.py) and an organizer."""
    with live_app.app_context(), live_app.test_request_context():
        accounts.create_user(
            "org@matchmaker.example", PASSWORD, "Ria Peeters", roles=("organizer",), confirmed=True
        )
        db.session.commit()


def test_a_visitor_searches_filters_and_pages_through_offerings(page, check_a11y, seeded):
    page.goto("/catalogue/offerings")
    check_a11y(page, "browse-offerings")
    page.get_by_label("Search words").fill("capteurs")  # French: finds Dutch items through their CPV labels
    page.locator("main").get_by_role("button", name="Search", exact=True).click()
    status = page.locator("#results-count")
    assert "capteurs" in status.inner_text()
    assert page.get_by_role("link", name="IoT-sensornetwerk voor waterkwaliteit").is_visible()

    page.locator("summary", has_text="Maturity (TRL)").click()
    page.get_by_label("TRL from").select_option("9")
    with page.expect_navigation():  # the filtered results are another page: read that one
        page.get_by_role("button", name="Apply filters").click()
    for text in page.locator(".result-facts").all_inner_texts():
        assert "TRL\n9" in text or "TRL 9" in text
    check_a11y(page, "browse-offerings-filtered")

    page.goto("/catalogue/offerings?per_page=10&sort=title")
    page.get_by_role("link", name="Next").click()
    page.wait_for_url(re.compile(r"page=2"))
    check_a11y(page, "browse-offerings-page-2")


def test_bad_parameters_show_a_message_in_the_page(page, check_a11y, seeded):
    page.goto("/catalogue/needs?sort=trl&page=abc&route=nope")
    assert page.get_by_role("alert").filter(has_text="could not be used").is_visible()
    check_a11y(page, "browse-needs-bad-parameters")


def test_an_organizer_opens_the_exchange_page(page, check_a11y, seeded):
    page.goto("/auth/login?next=/catalogue/exchange")
    page.locator("#email").fill("org@matchmaker.example")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/catalogue/exchange")
    check_a11y(page, "exchange")
