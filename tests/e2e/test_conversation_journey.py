"""In the browser: a supplier opens a buyer's public need, writes to the agency, and the buyer answers from
the inbox; the unread count follows. Every page passes axe (issue 15)."""

import pytest
from playwright.sync_api import expect

from matchmaker.extensions import db
from matchmaker.models import Membership, MembershipRole, Need, Organisation, utcnow
from matchmaker.services import accounts
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD


@pytest.fixture
def need_id(live_app):
    with live_app.app_context():
        buyer = accounts.create_user(
            "bea@example.org", PASSWORD, "Bea Buyer", ("buyer",), language="en", confirmed=True
        )
        supplier = accounts.create_user(
            "sam@example.org", PASSWORD, "Sam Supplier", ("supplier",), language="en", confirmed=True
        )
        agency = Organisation(
            name="Agentschap Wegen en Verkeer", kind="government", enterprise_number="0974638776",
            policy_domain="mow", verification="verified",
        )  # fmt: skip
        startup = Organisation(
            name="Lumen Robotics", kind="startup", enterprise_number="0417497106", verification="verified"
        )
        db.session.add_all([agency, startup])
        db.session.add(Membership(user=buyer, organisation=agency, role=MembershipRole.ADMIN))
        db.session.add(Membership(user=supplier, organisation=startup, role=MembershipRole.ADMIN))
        need = Need(
            organisation=agency,
            created_by=buyer,
            title="Counting cyclists at crossings",
            summary="Reliable counts of cyclists at busy crossings, day and night.",
            status="open",
            published_at=utcnow(),
        )
        db.session.add(need)
        db.session.commit()
        return need.id


def test_a_supplier_writes_about_a_need_and_the_buyer_answers(page, check_a11y, need_id):
    log_in(page, "sam@example.org", f"/catalogue/needs/{need_id}")
    page.get_by_role("link", name="Start a conversation").click()
    check_a11y(page, "conversation-start")
    page.get_by_label("Your message").fill("We count cyclists with radar. Could we show you a pilot?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("main")).to_contain_text("We count cyclists with radar", use_inner_text=True)
    check_a11y(page, "conversation-thread")

    log_in(page, "bea@example.org", "/")
    messages = page.get_by_role("link", name="Messages")
    assert "1" in messages.first.inner_text()  # one unread, shown in the menu
    messages.first.click()
    check_a11y(page, "conversation-inbox")
    page.locator("main").get_by_role("link", name="Lumen Robotics").click()  # the thread, by the other side
    expect(page.locator("main")).to_contain_text("Lumen Robotics", use_inner_text=True)
    page.get_by_label("Your message").fill("Yes: next Tuesday at ten, at our office in Brussels?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("main")).to_contain_text("next Tuesday at ten", use_inner_text=True)

    log_in(page, "sam@example.org", "/messages/")
    assert "Counting cyclists at crossings" in page.locator("main").inner_text()


def test_a_buyer_takes_public_questions_and_private_conversations(page, check_a11y, need_id):
    log_in(page, "bea@example.org", f"/catalogue/needs/{need_id}")
    choice = page.locator("section[aria-labelledby=questions-mode-heading]")
    assert "treat every market player equally" in choice.inner_text()
    choice.get_by_label("Publicly, and privately too for those who prefer a conversation").check()
    choice.get_by_role("button", name="Save").click()
    expect(page.locator(".flash-messages")).to_contain_text(
        "may also write to you privately", use_inner_text=True
    )
    check_a11y(page, "need-question-modes-owner")

    log_in(page, "sam@example.org", f"/catalogue/needs/{need_id}")
    assert "You may also write to them privately." in page.locator("main").inner_text()
    check_a11y(page, "need-questions-and-conversations")
    page.get_by_label("Ask a question").fill("Which crossings do you count today?")
    page.get_by_role("button", name="Ask", exact=True).click()
    expect(page.locator(".flash-messages")).to_contain_text("Your question is sent.", use_inner_text=True)
    page.get_by_role("link", name="Start a conversation").click()
    expect(page.locator("main")).to_contain_text(
        "also answers questions about this need publicly", use_inner_text=True
    )
    check_a11y(page, "conversation-start-beside-public-questions")
