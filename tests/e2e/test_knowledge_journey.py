"""In the browser (issue 19): a procurer reads the guide of their need's procurement route from its page,
downloads its template, asks the knowledge network for guidance, and an editor answers on the platform. Every
page passes axe."""

import pytest
from playwright.sync_api import expect

from matchmaker.extensions import db
from matchmaker.models import Membership, MembershipRole, Need, Organisation, utcnow
from matchmaker.services import accounts
from matchmaker.services.knowledge import seed_knowledge_base
from tests.e2e.conftest import log_in, screenshot
from tests.factories import PASSWORD


@pytest.fixture
def need_id(live_app):
    with live_app.app_context():
        seed_knowledge_base()
        buyer = accounts.create_user(
            "bea@example.org", PASSWORD, "Bea Buyer", ("buyer",), language="en", confirmed=True
        )
        accounts.create_user(
            "eddy@example.org", PASSWORD, "Eddy Editor", ("knowledge_editor",), language="en", confirmed=True
        )
        agency = Organisation(
            name="Agentschap Wegen en Verkeer", kind="government", enterprise_number="0974638776",
            policy_domain="mow", verification="verified",
        )  # fmt: skip
        db.session.add(agency)
        db.session.add(Membership(user=buyer, organisation=agency, role=MembershipRole.ADMIN))
        need = Need(
            organisation=agency,
            created_by=buyer,
            title="Fewer wrong-way drivers on ramps",
            summary="Detect and warn wrong-way drivers on motorway ramps.",
            procurement_route="market_consultation",
            status="open",
            published_at=utcnow(),
        )
        db.session.add(need)
        db.session.commit()
        return need.id


def test_a_procurer_reads_a_guide_downloads_a_template_asks_and_an_editor_answers(page, check_a11y, need_id):
    log_in(page, "bea@example.org", f"/catalogue/needs/{need_id}")
    screenshot(page, "knowledge-need-panel")
    page.get_by_role("link", name="How do I run a market consultation?").click()
    page.wait_for_url("**/knowledge/market-consultation")
    assert "Market consultation: ask the market before you buy" in page.locator("h1").inner_text()
    check_a11y(page, "knowledge-article")
    screenshot(page, "knowledge-article")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Questionnaire for a prior market consultation").click()
    download = download_info.value
    assert download.suggested_filename == "Questionnaire for a prior market consultation.odt"
    with open(download.path(), "rb") as saved:
        assert saved.read(2) == b"PK"

    page.goto(f"/catalogue/needs/{need_id}")
    page.get_by_role("link", name="Ask the knowledge network").click()
    check_a11y(page, "knowledge-ask")
    page.get_by_label("Your question").fill("We want to consult the market on detection. Where do we start?")
    page.get_by_role("button", name="Send the question").click()
    expect(page.locator("main")).to_contain_text("Where do we start?", use_inner_text=True)
    check_a11y(page, "knowledge-support-thread")

    log_in(page, "eddy@example.org", "/knowledge/support")
    check_a11y(page, "knowledge-support-list")
    page.get_by_role("link", name="How do I run a market consultation?").click()
    page.get_by_label("Your message").fill(
        "Announce it publicly first, then ask everyone the same questions."
    )
    page.get_by_role("button", name="Send").click()
    expect(page.locator("main")).to_contain_text("Answered", use_inner_text=True)
    screenshot(page, "knowledge-support-answered")
    page.goto("/knowledge/manage")
    page.locator("main").get_by_role("link", name="Edit").nth(
        1
    ).click()  # the second guide: market consultation
    screenshot(page, "knowledge-edit")
    page.goto("/fr/knowledge/")
    check_a11y(page, "knowledge-index")
    screenshot(page, "knowledge-index")

    log_in(page, "bea@example.org", f"/catalogue/needs/{need_id}")
    page.locator("main").get_by_role("link", name="How do I run a market consultation?").last.click()
    expect(page.locator("main")).to_contain_text("Announce it publicly first", use_inner_text=True)
