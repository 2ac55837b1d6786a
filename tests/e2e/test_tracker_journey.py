"""In the browser: an organisation's administrator enters a year's figures and a project, with an invalid
amount on the way, and sees the dashboard follow. The public dashboards pass axe."""

import pytest
from playwright.sync_api import expect

from matchmaker.extensions import db
from matchmaker.models import Membership, MembershipRole, Organisation
from matchmaker.services import accounts
from tests.e2e.conftest import forget_intended_status, log_in
from tests.factories import PASSWORD


@pytest.fixture
def agency(live_app):
    with live_app.app_context():
        admin = accounts.create_user(
            "sarah@example.org", PASSWORD, "Sarah Admin", ("buyer",), language="en", confirmed=True
        )
        organisation = Organisation(
            name="Agentschap Wegen en Verkeer",
            kind="government",
            enterprise_number="0974638776",
            policy_domain="mow",
            verification="verified",  # checked by the platform's administrators
        )
        db.session.add(organisation)
        db.session.add(Membership(user=admin, organisation=organisation, role=MembershipRole.ADMIN))
        db.session.commit()
        return organisation.id


def test_an_admin_enters_a_year_and_a_project_and_the_dashboard_follows(page, check_a11y, agency):
    log_in(page, "sarah@example.org")
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="3% norm").click()
    check_a11y(page, "tracker-overall-empty")
    page.get_by_role("link", name="Enter the figures of Agentschap Wegen en Verkeer").click()
    page.get_by_role("link", name="Add the figures of a year").click()
    check_a11y(page, "tracker-year-new")

    # A Belgian amount with a typo: refused with a message, the input kept.
    page.locator("#year").fill("2025")
    page.get_by_label("Procurement budget of the year (EUR)").fill("10.000.000,5,0")
    page.get_by_role("button", name="Save the year").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert page.get_by_label("Procurement budget of the year (EUR)").input_value() == "10.000.000,5,0"
    check_a11y(page, "tracker-year-new-errors")
    forget_intended_status(page, 422)

    page.get_by_label("Procurement budget of the year (EUR)").fill("10.000.000,00")
    page.get_by_role("button", name="Save the year").click()
    expect(page.locator(".flash-messages")).to_contain_text(
        "The figures of 2025 are saved", use_inner_text=True
    )
    check_a11y(page, "tracker-year")

    page.get_by_role("link", name="Add a project").click()
    page.get_by_label("Title of the project").fill("Radar detection of cyclists")
    page.get_by_label("Procurement route").select_option("pre_commercial_procurement")
    page.get_by_label("Amount spent in the year (EUR)").fill("250.000")
    check_a11y(page, "tracker-project-new")
    page.get_by_role("button", name="Save the project").click()
    expect(page.locator(".flash-messages")).to_contain_text(
        "The project is added to 2025", use_inner_text=True
    )
    # 250000 / 10000000 = 2.50%
    assert page.locator(".tracker-summary .share-cell").inner_text() == "2.50%"

    page.get_by_role("link", name="See the dashboard").click()
    figures = page.locator("#figures")
    assert "2.50%" in figures.inner_text() and "not yet" in figures.inner_text()
    chart = page.locator("svg[role=img]")
    assert chart.count() == 1 and "2025: 2.50%" in chart.locator("desc").text_content()
    assert page.locator(".chart-target-line").count() == 1
    check_a11y(page, "tracker-organisation")

    # A second project brings the year to 3.5%: the dashboard says the target is reached.
    page.get_by_role("link", name="Change 2025").click()
    page.get_by_role("link", name="Add a project").click()
    page.get_by_label("Title of the project").fill("Self-healing asphalt")
    page.get_by_label("Amount spent in the year (EUR)").fill("100000.00")
    page.get_by_role("button", name="Save the project").click()
    page.get_by_role("link", name="See the dashboard").click()
    # (250000+100000)/10000000 = 3.50%
    assert "3.50%" in page.locator("#figures").inner_text() and "yes" in page.locator("#figures").inner_text()

    # The public, logged out (a Dutch browser), sees the same with a decimal comma on the overall and domain
    # dashboards.
    page.context.clear_cookies()
    page.goto("/tracker/")
    page.locator("form.language-switch button[value=nl]").click()
    expect(page.locator("#figures")).to_contain_text("3,50%", use_inner_text=True)
    check_a11y(page, "tracker-overall")
    page.locator("a[href$='/tracker/domains/mow']").first.click()  # under the page's language (/nl/...)
    expect(page.locator("#figures")).to_contain_text("3,50%", use_inner_text=True)
    check_a11y(page, "tracker-domain")
    organisations = page.locator("#domain-organisations")
    assert (
        "Agentschap Wegen en Verkeer" in organisations.inner_text() and "3,50%" in organisations.inner_text()
    )

    # The home page shows the Flemish government's latest share, with a link to the tracker.
    page.goto("/")
    assert page.locator("#home-norm-share").inner_text() == "3,50%"
    check_a11y(page, "home-norm")
    page.locator("section[aria-labelledby=norm-heading] a[href='/tracker/']").click()
    page.wait_for_url("**/tracker/")


def test_an_administrator_verifies_a_new_government_organisation_before_its_figures_count(
    page, check_a11y, live_app
):
    with live_app.app_context():
        accounts.create_user(
            "ilse@example.org", PASSWORD, "Ilse Admin", ("admin",), language="en", confirmed=True
        )
        newcomer = accounts.create_user(
            "nick@example.org", PASSWORD, "Nick New", ("buyer",), language="en", confirmed=True
        )
        organisation = Organisation(name="Haven Voorbeeldstad", kind="government", policy_domain="mow")
        db.session.add(organisation)
        db.session.add(Membership(user=newcomer, organisation=organisation, role=MembershipRole.ADMIN))
        db.session.commit()
        organisation_id = organisation.id

    # The new organisation's administrator is told to wait.
    log_in(page, "nick@example.org", "/tracker/")
    assert "once the platform's administrators have verified it" in page.locator(".alert-info").inner_text()
    assert page.get_by_role("link", name="Enter the figures of Haven Voorbeeldstad").count() == 0

    # The platform's administrator finds it in the queue, tries to suspend it without a reason, verifies it.
    log_in(page, "ilse@example.org", "/admin/")
    page.get_by_role("link", name="waiting for verification").click()
    page.get_by_role("link", name="Waiting for verification · Haven Voorbeeldstad").click()
    check_a11y(page, "admin-verification")
    page.get_by_label("Suspended").check()
    page.get_by_role("button", name="Save the decision").click()
    expect(page.locator(".error-summary")).to_contain_text(
        "Say why the organisation is suspended.", use_inner_text=True
    )
    forget_intended_status(page, 422)
    page.get_by_label("Verified").check()
    page.get_by_label("Why (required to suspend; kept with the decision)").fill("Matches the KBO: Haven.")
    page.get_by_role("button", name="Save the decision").click()
    expect(page.locator(".flash-messages")).to_contain_text(
        "Haven Voorbeeldstad: Verified.", use_inner_text=True
    )
    check_a11y(page, "admin-verification-queue")
    page.goto(f"/admin/organisations/{organisation_id}/verification")
    assert "Matches the KBO: Haven." in page.locator("main").inner_text()

    # Now its administrator can enter figures.
    log_in(page, "nick@example.org", "/tracker/")
    assert page.get_by_role("link", name="Enter the figures of Haven Voorbeeldstad").count() == 1


def test_an_administrator_accepts_an_explained_overspend_and_undoes_a_change(
    page, check_a11y, agency, live_app
):
    """Spend above the budget is refused until explained, then waits for review; the administrator accepts it
    from the queue and undoes a later change from the organisation's history."""
    with live_app.app_context():
        accounts.create_user(
            "ilse@example.org", PASSWORD, "Ilse Admin", ("admin",), language="en", confirmed=True
        )
        db.session.commit()

    log_in(page, "sarah@example.org", f"/tracker/organisations/{agency}/years/new")
    page.locator("#year").fill("2025")
    page.get_by_label("Procurement budget of the year (EUR)").fill("1.000.000")
    page.get_by_role("button", name="Save the year").click()
    page.get_by_role("link", name="Add a project").click()
    page.get_by_label("Title of the project").fill("Digital twin of the port")
    page.get_by_label("Amount spent in the year (EUR)").fill("3.000.000")
    page.get_by_role("button", name="Save the project").click()
    expect(page.locator(".error-summary")).to_contain_text(
        "more than the year's procurement budget", use_inner_text=True
    )
    forget_intended_status(page, 422)
    page.get_by_label("Why the innovation spend is more than the budget (only then)").fill(
        "A three-year contract, paid in one go."
    )
    page.get_by_role("button", name="Save the project").click()
    expect(page.locator(".alert-warning").first).to_contain_text("waits for a review", use_inner_text=True)

    log_in(page, "ilse@example.org", "/admin/")
    page.get_by_role("link", name="3% figures waiting for review").click()
    check_a11y(page, "admin-reviews")
    assert "A three-year contract, paid in one go." in page.locator("main").inner_text()
    page.get_by_role("button", name="Accept").click()
    expect(page.locator(".flash-messages")).to_contain_text(
        "count in the public figures", use_inner_text=True
    )

    page.goto(f"/admin/organisations/{agency}/history")
    check_a11y(page, "admin-history")
    rows = page.locator("table.history-table tbody tr")
    assert "Waits for review" in rows.first.inner_text()  # the acceptance, newest first
    page.once("dialog", lambda dialog: dialog.accept())
    rows.first.get_by_role("button", name="Undo").click()
    expect(page.locator(".flash-messages")).to_contain_text("The change is undone", use_inner_text=True)
    assert "undone on" in page.locator("table.history-table").inner_text()
    page.goto("/admin/reviews")
    assert "A three-year contract, paid in one go." in page.locator("main").inner_text()
