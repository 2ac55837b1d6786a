"""Layout in the browser: the main navigation holds on one line at desktop width in French (the longest
labels) for the role with the most menu items, collapses behind the toggler on a phone, and the home page
passes axe at phone width without scrolling sideways."""

import pytest
from playwright.sync_api import expect

from matchmaker.extensions import db
from matchmaker.models import Membership, MembershipRole, Organisation
from matchmaker.services import accounts
from matchmaker.services import notifications as notifications_service
from tests.crawl import seeded_once
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD

PHONE = {"width": 390, "height": 844}
NAV_ITEMS = "#main-nav-items > ul > li"


@pytest.fixture
def busy_admin(live_app):
    """An administrator who also organizes and belongs to an agency, with a long name and unread
    notifications: every menu of the bar is shown. Five tests here and in test_site_search read it: the first
    of a worker makes it (120 notifications through the service), the next get its rows back."""

    def build() -> str:
        with live_app.app_context():
            user = accounts.create_user(
                "marie@example.org",
                PASSWORD,
                "Marie-Christine Vandenbroucke-Delhaize",
                ("admin", "organizer", "buyer"),
                language="fr",
                confirmed=True,
            )
            organisation = Organisation(
                name="Agentschap Innoveren en Ondernemen", kind="government", policy_domain="ewi"
            )
            db.session.add(organisation)
            db.session.add(Membership(user=user, organisation=organisation, role=MembershipRole.ADMIN))
            db.session.commit()
            for _ in range(120):  # shown as 99+
                notifications_service.notify(user, "registration_approved", event="Journée de l'eau")
            return user.email

    return seeded_once("busy administrator", live_app, build)


def _boxes(page) -> list[dict]:
    items = page.locator(NAV_ITEMS)
    return [items.nth(i).bounding_box() for i in range(items.count())]


def _scrolls_sideways(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth > document.documentElement.clientWidth")


@pytest.mark.parametrize("width", [1280, 1200])
def test_the_main_navigation_holds_on_one_line_at_desktop_width_in_french(
    page, busy_admin, check_a11y, width
):
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, busy_admin)
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "fr"
    navigation = page.get_by_role("navigation", name="Navigation principale")
    assert navigation.get_by_role("button", name="Organiser").is_visible()
    assert navigation.get_by_role("button", name="Marie-Christine Vandenbroucke-Delhaize").is_visible()
    boxes = _boxes(page)
    assert len(boxes) >= 10, "every item of the busiest role is on the bar"
    assert all(box is not None for box in boxes), "no item is hidden behind the toggler at 1280 px"
    tops = {round(box["y"]) for box in boxes}
    assert max(tops) - min(tops) <= 2, f"the items sit on more than one line: {sorted(tops)}"
    heights = {round(box["height"]) for box in boxes}
    assert max(heights) < 50, f"an item wraps inside itself: {sorted(heights)}"
    container = page.locator(".main-nav .container").bounding_box()
    assert max(box["x"] + box["width"] for box in boxes) <= container["x"] + container["width"] + 1
    assert not page.locator(".navbar-toggler").is_visible()
    assert not _scrolls_sideways(page)
    # The menus open and their items are reachable.
    navigation.get_by_role("button", name="Organiser").click()
    expect(navigation.get_by_role("link", name="Administration")).to_be_visible()
    check_a11y(page, f"layout-nav-admin-fr-{width}")


def test_the_focus_is_visible_on_the_header_controls(page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("e => e === document.activeElement")
    assert skip.is_visible(), "the skip link shows when it has the focus"
    # The language buttons, the brand and the navigation links and menus: each shows a solid outline.
    for _ in range(8):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement, s = getComputedStyle(e);"
            " return {name: e.innerText.trim(), style: s.outlineStyle, width: parseFloat(s.outlineWidth)}; }"
        )
        assert focused["style"] == "solid" and focused["width"] >= 2, f"no visible focus on {focused}"


def test_on_a_phone_the_menu_collapses_behind_the_toggler_and_opens_with_it(page, busy_admin, check_a11y):
    page.set_viewport_size(PHONE)
    log_in(page, busy_admin)
    page.goto("/")
    toggler = page.locator(".navbar-toggler")
    assert toggler.is_visible()
    assert toggler.get_attribute("aria-expanded") == "false"
    navigation = page.get_by_role("navigation", name="Navigation principale")
    offerings = navigation.get_by_role("link", name="Offres", exact=True)
    assert not offerings.is_visible()
    toggler.click()
    offerings.wait_for(state="visible")
    assert toggler.get_attribute("aria-expanded") == "true"
    # Stacked, one item a line, all inside the screen.
    page.wait_for_function(
        "() => !document.querySelector('#main-nav-items').classList.contains('collapsing')"
    )
    boxes = _boxes(page)
    tops = [round(box["y"]) for box in boxes]
    assert tops == sorted(tops) and len(set(tops)) == len(tops), f"items are not stacked: {tops}"
    assert all(box["x"] + box["width"] <= PHONE["width"] for box in boxes)
    assert not _scrolls_sideways(page)
    check_a11y(page, "layout-menu-open-fr-390")
    toggler.click()
    offerings.wait_for(state="hidden")
    assert toggler.get_attribute("aria-expanded") == "false"


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_home_page_passes_axe_on_a_phone(page, check_a11y, language):
    page.set_viewport_size(PHONE)
    page.goto("/")
    page.locator(f"form.language-switch button[value={language}]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("main h1").count() == 1
    # A visitor is offered a way in as a buyer and as a supplier.
    assert page.locator("#buyers-heading").is_visible() and page.locator("#suppliers-heading").is_visible()
    assert page.locator(".audience-card a.btn-primary").count() == 2
    assert not _scrolls_sideways(page)
    check_a11y(page, f"layout-home-{language}-390")
