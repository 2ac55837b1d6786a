"""In the browser: a visitor shares an event's page (the link to copy, plain mail, LinkedIn and X links),
answers "no" to "Did you find what you were looking for?" with a comment, without leaving the page, and an
administrator reads the comment in the overview of the worst pages.
Every page passes axe's WCAG 2.1 AA rules."""

from datetime import date, time, timedelta

import pytest

from matchmaker.services import accounts
from matchmaker.services import events as events_service
from matchmaker.services.events import EventInput
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD


@pytest.fixture
def event_page(live_app):
    with live_app.app_context(), live_app.test_request_context():
        organizer = accounts.create_user(
            "olivia@example.org", PASSWORD, "Olivia Organizer", ("organizer",), confirmed=True
        )
        accounts.create_user(
            "ada@example.org", PASSWORD, "Ada Admin", ("admin",), language="en", confirmed=True
        )
        event = events_service.create_event(
            organizer,
            EventInput(title="Smart mobility meet & greet", venue_address="Havenlaan 88, 1000 Brussel"),
        )
        events_service.add_day(organizer, event, date.today() + timedelta(days=30), time(9), time(12), 20)
        events_service.change_status(organizer, event, "registration_open")
        return f"/en/events/{event.id}"


def test_a_visitor_shares_a_page_and_says_what_was_missing(
    page, live_server, event_page, check_a11y, monkeypatch
):
    monkeypatch.setitem(live_server.app.config, "FORM_MIN_SECONDS", 0)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(event_page)

    share = page.locator(".share-page")
    url = f"{live_server.url}{event_page}"
    assert share.locator("#share-url").input_value() == url
    assert (
        share.get_by_role("link", name="LinkedIn")
        .get_attribute("href")
        .startswith("https://www.linkedin.com/sharing/share-offsite/?url=")
    )
    assert (
        share.get_by_role("link", name="By mail")
        .get_attribute("href")
        .startswith("mailto:?subject=Smart%20mobility%20meet%20%26%20greet")
    )
    share.get_by_role("button", name="Copy the link").click()
    page.locator("#share-status", has_text="The link is copied.").wait_for(state="attached")
    assert page.evaluate("navigator.clipboard.readText()") == url

    feedback = page.locator("#page-feedback")
    feedback.get_by_text("Add a comment (optional)").click()
    feedback.get_by_label("Your comment").fill("The programme of the day is missing.")
    check_a11y(page, "page-feedback-open")
    feedback.get_by_role("button", name="No").click()
    status = feedback.get_by_role("status")
    status.get_by_text("Thank you for your answer.").wait_for()
    assert page.url.endswith(event_page)  # the page did not change
    assert feedback.locator("form").is_hidden()
    assert page.evaluate("document.activeElement.getAttribute('role')") == "status"
    check_a11y(page, "page-feedback-thanked")

    log_in(page, "ada@example.org", "/admin/feedback")
    row = page.locator("tbody tr").filter(has_text=event_page.removeprefix("/en"))
    assert row.locator("td").first.text_content() == "1"  # one "no"
    check_a11y(page, "page-feedback-overview")
    row.get_by_role("link").click()
    page.get_by_text("The programme of the day is missing.").wait_for()
    check_a11y(page, "page-feedback-page")
