"""In the browser: a supplier describes an offering with the CPV combobox, previews, saves and publishes it;
a buyer describes and opens a need, which a supplier then finds by a word and by its procurement route; the
theme list. Every page is checked with axe."""

import sqlalchemy as sa
from playwright.sync_api import expect

from matchmaker.extensions import db
from matchmaker.models import Membership, MembershipRole, Need, Offering, Organisation
from matchmaker.services import accounts, themes
from tests.e2e.conftest import forget_intended_status, log_in
from tests.factories import PASSWORD


def _member(live_app, email: str, role: str, kind: str) -> None:
    with live_app.app_context():
        user = accounts.create_user(
            email, PASSWORD, "Lien Maes", roles=(role,), confirmed=True, language="en"
        )
        if kind:
            organisation = Organisation(
                name="Verkeerslab" if kind != "government" else "Departement MOW",
                kind=kind,
                verification="verified",  # checked by the platform's administrators
            )
            db.session.add(organisation)
            db.session.add(Membership(user=user, organisation=organisation, role=MembershipRole.ADMIN))
        db.session.commit()
        themes.ensure_default_themes()


def test_supplier_describes_and_publishes_an_offering(page, check_a11y, live_app):
    _member(live_app, "lien@verkeerslab.example", "supplier", "startup")
    log_in(page, "lien@verkeerslab.example", "/catalogue/offerings/mine")
    check_a11y(page, "catalogue-my-offerings-empty")
    page.goto("/catalogue/offerings/new")
    check_a11y(page, "catalogue-offering-new")

    # The CPV combobox: type words, move with the arrow key, choose with Enter.
    combobox = page.get_by_role("combobox", name="CPV codes")
    combobox.fill("solar pan")
    page.locator(".cpv-listbox [role=option]").first.wait_for()
    assert combobox.get_attribute("aria-expanded") == "true"
    check_a11y(page, "catalogue-cpv-combobox-open")
    combobox.press("ArrowDown")
    assert combobox.get_attribute("aria-activedescendant")
    combobox.press("Enter")
    assert combobox.get_attribute("aria-expanded") == "false"
    assert page.locator("input[name=cpv_codes]").input_value() == "09331000"
    assert "Solar panels" in page.locator(".cpv-chips").inner_text()

    page.locator("#title").fill("Zonnedaken voor scholen")
    page.locator("#summary").fill("Zonnepanelen als dienst voor schoolgebouwen.")
    page.locator("#description").fill("Wij **plaatsen en onderhouden** de panelen.")
    page.get_by_label("Energy").check()
    page.get_by_role("button", name="Preview").click()
    assert page.locator("#preview strong").inner_text() == "plaatsen en onderhouden"
    assert "Solar panels" in page.locator(".cpv-chips").inner_text()  # the choice survives the preview
    check_a11y(page, "catalogue-offering-preview")

    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url("**/catalogue/offerings/*")
    check_a11y(page, "catalogue-offering-draft")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_load_state()
    check_a11y(page, "catalogue-offering-published")
    with live_app.app_context():
        offering = db.session.scalars(sa.select(Offering)).one()
        assert (offering.status, offering.cpv_codes) == ("published", ["09331000"])


def test_chosen_cpv_code_can_be_removed_with_its_button(page, live_app):
    _member(live_app, "lien@verkeerslab.example", "supplier", "startup")
    log_in(page, "lien@verkeerslab.example", "/catalogue/offerings/new")
    combobox = page.get_by_role("combobox", name="CPV codes")
    combobox.fill("72000000")
    page.locator(".cpv-listbox [role=option]").first.click()
    assert page.locator("input[name=cpv_codes]").input_value() == "72000000"
    page.get_by_role("button", name="Remove: 72000000 IT services").click()
    assert page.locator("input[name=cpv_codes]").input_value() == ""


def test_need_form_and_theme_list_are_accessible(page, check_a11y, live_app):
    _member(live_app, "an@mow.example", "buyer", "government")
    log_in(page, "an@mow.example", "/catalogue/needs/new")
    check_a11y(page, "catalogue-need-new")
    page.locator("#title").fill("Veilige schoolomgevingen")
    page.locator("#budget_min").fill("200000")
    page.locator("#budget_max").fill("100000")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".error-summary")).to_be_visible()
    check_a11y(page, "catalogue-need-errors")
    forget_intended_status(page)


def test_buyer_describes_and_publishes_a_need(page, check_a11y, live_app):
    _member(live_app, "an@mow.example", "buyer", "government")
    log_in(page, "an@mow.example", "/catalogue/needs/new")
    page.locator("#title").fill("Veilige schoolomgevingen")
    page.locator("#summary").fill("Veiliger oversteken aan schoolpoorten langs gewestwegen.")
    page.locator("#challenge").fill("Kinderen steken drukke gewestwegen over op weg naar school.")
    page.locator("#expected_outcome").fill("Minder conflicten tussen auto's en fietsers aan schoolpoorten.")
    page.locator("#budget_min").fill("100000")
    page.locator("#budget_max").fill("250000")
    page.get_by_label("Procurement route").select_option("pre_commercial_procurement")
    page.get_by_label("Mobility").check()
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url("**/catalogue/needs/*")
    check_a11y(page, "catalogue-need-draft")
    with page.expect_navigation():
        page.get_by_role("button", name="Open for responses").click()
    check_a11y(page, "catalogue-need-open")
    with live_app.app_context():
        need = db.session.scalars(sa.select(Need)).one()
        assert (need.status, need.budget_min, need.budget_max) == ("open", 100000, 250000)
        assert need.procurement_route == "pre_commercial_procurement"
        assert [t.slug for t in need.themes] == ["mobility"]
    # A supplier finds it among the needs, by a word and by its route.
    _member(live_app, "lien@verkeerslab.example", "supplier", "startup")
    log_in(page, "lien@verkeerslab.example", "/catalogue/needs")
    page.get_by_label("Search words").fill("schoolpoort")
    with page.expect_navigation():  # the results are another page: assert on it, not on the one before
        page.locator("main").get_by_role("button", name="Search", exact=True).click()
    assert page.get_by_role("link", name="Veilige schoolomgevingen", exact=True).is_visible()
    page.locator("summary", has_text="Procurement route").click()
    page.get_by_label("Market consultation").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filters").click()
    assert page.get_by_role("link", name="Veilige schoolomgevingen").count() == 0
    page.get_by_label("Pre-commercial procurement").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filters").click()
    assert page.get_by_role("link", name="Veilige schoolomgevingen", exact=True).is_visible()
    check_a11y(page, "browse-needs-filtered-by-route")


def test_theme_list_is_accessible(page, check_a11y, live_app):
    _member(live_app, "org@example.org", "organizer", "")
    log_in(page, "org@example.org", "/catalogue/themes")
    check_a11y(page, "catalogue-themes")
