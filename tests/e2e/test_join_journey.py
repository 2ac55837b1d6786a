"""In the browser: a person without organisation finds one and asks to join it, its administrator accepts
from "My organisation", and the person then sees their organisation. The pages pass axe."""

import re

import pytest
from playwright.sync_api import expect

from matchmaker.extensions import db
from matchmaker.models import Membership, MembershipRole, Organisation
from matchmaker.services import accounts
from tests.e2e.conftest import ARTIFACTS, SCREENSHOTS, log_in
from tests.factories import PASSWORD


def _named(action: str, whom: str) -> re.Pattern:
    """A button's or link's name: the visible action, then (for screen readers) whom it is about."""
    return re.compile(rf"^{re.escape(action)}\s*: {re.escape(whom)}$")


@pytest.fixture
def startup(live_app):
    with live_app.app_context():
        admin = accounts.create_user(
            "stan@example.org", PASSWORD, "Stan Startup", ("supplier",), language="en", confirmed=True
        )
        accounts.create_user("rita@example.org", PASSWORD, "Rita Request", (), language="en", confirmed=True)
        organisation = Organisation(
            name="Lumen Robotics", kind="startup", enterprise_number="0417497106", verification="verified"
        )
        db.session.add(organisation)
        db.session.add(Membership(user=admin, organisation=organisation, role=MembershipRole.ADMIN))
        db.session.commit()
        return organisation.id


def test_a_person_asks_to_join_and_the_administrator_accepts(page, check_a11y, live_server, startup):
    log_in(page, "rita@example.org", "/organisations/mine")
    check_a11y(page, "join-none")
    page.get_by_label("Name or enterprise number of the organisation").fill("0417.497.106")
    page.locator("main").get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("main")).to_contain_text("1 organisation found", use_inner_text=True)
    check_a11y(page, "join-search")
    # (Chromium names the link "Ask to join : Lumen Robotics": the hidden part is a block of its own.)
    page.get_by_role("link", name=_named("Ask to join", "Lumen Robotics")).click()

    # The text area takes 1000 characters at the most (the server refuses more: tests/integration).
    message = page.get_by_label("Message to the administrators (optional)")
    assert message.get_attribute("maxlength") == "1000"
    check_a11y(page, "join-ask")
    page.get_by_label("Message to the administrators (optional)").fill("I lead the drone lab since May.")
    page.get_by_role("button", name="Ask to join").click()
    expect(page.locator(".flash-messages")).to_contain_text(
        "Your request to join Lumen Robotics is sent", use_inner_text=True
    )
    assert "You asked to join Lumen Robotics" in page.locator("main").inner_text()
    check_a11y(page, "join-pending")
    assert [m.to for m in live_server.outbox] == ["stan@example.org"]

    # The administrator accepts from "My organisation".
    log_in(page, "stan@example.org", "/organisations/mine")
    panel = page.locator("#join-requests")
    assert "Rita Request" in panel.inner_text() and "I lead the drone lab since May." in panel.inner_text()
    check_a11y(page, "join-requests")
    if SCREENSHOTS:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        panel.screenshot(path=str(ARTIFACTS / "join-requests-panel.png"))
    panel.get_by_role("button", name=_named("Accept", "Rita Request")).click()
    expect(page.locator(".flash-messages")).to_contain_text(
        "Rita Request is now a member", use_inner_text=True
    )
    assert "Nobody is waiting to join" in page.locator("#join-requests").inner_text()
    members = page.locator("table").filter(has_text="Member since")
    assert "Rita Request" in members.inner_text()
    assert live_server.outbox[-1].to == "rita@example.org"

    # The person sees their organisation.
    log_in(page, "rita@example.org", "/organisations/mine")
    assert page.get_by_role("heading", level=1).inner_text() == "Lumen Robotics"
    assert "Your organisation" in page.locator("main").inner_text()
    check_a11y(page, "join-member")
