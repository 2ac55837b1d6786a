"""Phone layouts (issue 18): on a 390×844 screen the catalogue shows the search box and the first results near
the top, with its filters folded behind a "Filters" disclosure that says how many are active and works without
JavaScript; on wide screens the filters stay open beside the results. The organisation's members table becomes
one card per member on a phone: nothing wider than the screen, the role and remove buttons in view."""

import re

import pytest

from matchmaker.extensions import db
from matchmaker.models import Membership, MembershipRole, Organisation
from matchmaker.services import accounts, joining, organisations
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1280, "height": 900}


@pytest.fixture
def catalogue(demo_catalogue) -> None:
    """The demo catalogue, seeded once per worker (tests/e2e/conftest.py)."""


def _top(page, selector: str) -> float:
    """Where an element starts, in CSS pixels from the top of the document."""
    return page.locator(selector).first.evaluate("e => e.getBoundingClientRect().top + window.scrollY")


def _scrolls_sideways(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth")


def _too_wide(page) -> list[str]:
    """The elements of <main> that reach past the right edge of the screen."""
    return page.evaluate(
        """() => [...document.querySelectorAll('main *')].filter(e => {
             const r = e.getBoundingClientRect();
             return r.width > 0 && r.right > window.innerWidth + 0.5;
        }).slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + e.textContent.trim().slice(0, 30))"""
    )


def _chromium_roles(page, table_name: str) -> list[str]:
    """The roles in Chromium's own accessibility tree under the named table: what screen readers get."""
    session = page.context.new_cdp_session(page)
    try:
        nodes = session.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        session.detach()
    by_id = {node["nodeId"]: node for node in nodes}
    table = next(
        n
        for n in nodes
        if n.get("role", {}).get("value") == "table" and n.get("name", {}).get("value") == table_name
    )
    roles, todo = [], list(table.get("childIds", []))
    while todo:
        node = by_id.get(todo.pop())
        if node is None:
            continue
        if not node.get("ignored"):
            roles.append(node.get("role", {}).get("value"))
        todo.extend(node.get("childIds", []))
    return roles


@pytest.mark.parametrize("path", ["/catalogue/offerings", "/catalogue/needs"])
def test_on_a_phone_the_first_result_shows_on_the_first_screen(page, check_a11y, catalogue, path):
    page.set_viewport_size(PHONE)
    page.goto(path)
    toggle = page.locator(".filters-toggle")
    disclosure = page.locator("details.filters-disclosure")
    search = page.get_by_label("Search words")
    assert search.is_visible() and search.bounding_box()["y"] + 40 < PHONE["height"]
    assert toggle.is_visible()
    assert disclosure.get_attribute("open") is None, "the filters are folded on a phone"
    first_card = _top(page, ".result-card")
    # Before issue 18 the filter panel (14 themes, 5 groups) came first: the first card was ~1,200 px down.
    # Its title and organisation show on the first screen, under the search box and the closed filters.
    assert first_card < PHONE["height"] - 120, f"the first result starts at {first_card:.0f} px"
    assert page.locator("#results-count").get_attribute("role") == "status"
    assert not _scrolls_sideways(page)
    themes = page.locator(".filter-group input[name=theme]")
    assert themes.count() >= 10 and not themes.first.is_visible()
    check_a11y(page, f"phone-browse{path.replace('/', '-')}-closed")

    # By keyboard: the toggle shows its focus and opens with Enter.
    toggle.focus()
    outline = toggle.evaluate(
        "e => [getComputedStyle(e).outlineStyle, parseFloat(getComputedStyle(e).outlineWidth)]"
    )
    assert outline[0] == "solid" and outline[1] >= 2, f"no visible focus on the toggle: {outline}"
    page.keyboard.press("Enter")
    assert disclosure.get_attribute("open") is not None
    assert themes.first.is_visible() and themes.nth(themes.count() - 1).is_visible()
    # Open, the panel is where it used to be, above the results (what the phone showed first before).
    assert _top(page, ".result-card") > first_card + 500
    check_a11y(page, f"phone-browse{path.replace('/', '-')}-open")


def test_on_a_phone_the_closed_filters_say_how_many_are_active(page, check_a11y, catalogue):
    page.set_viewport_size(PHONE)
    page.goto("/catalogue/offerings")
    page.locator(".filters-toggle").click()
    page.locator(".filter-group input[name=theme]").first.check()
    page.locator(".filter-group", has_text="Language").locator("summary").click()
    page.locator(".filter-group input[name=language]").first.check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_load_state()
    assert "theme=" in page.url and "language=" in page.url
    toggle = page.locator(".filters-toggle")
    assert page.locator("details.filters-disclosure").get_attribute("open") is None
    assert toggle.locator(".filter-count").inner_text().strip().startswith("2")
    # Read out in words, not as a bare number.
    assert "2 active filters" in toggle.locator(".visually-hidden").inner_text()
    check_a11y(page, "phone-browse-offerings-filtered")


def test_the_filters_work_without_javascript_on_a_phone_and_stay_open_on_wide_screens(
    browser, live_server, catalogue
):
    for viewport in (PHONE, WIDE):
        context = browser.new_context(
            base_url=live_server.url, locale="en-BE", viewport=viewport, java_script_enabled=False
        )
        page = context.new_page()
        try:
            page.goto("/catalogue/offerings")
            theme = page.locator(".filter-group input[name=theme]").first
            if viewport is PHONE:
                assert not theme.is_visible()
                page.locator(".filters-toggle").click()
            else:
                # No script opened it: the stylesheet shows the panel beside the results all the same.
                assert not page.locator(".filters-toggle").is_visible()
            assert theme.is_visible()
            theme.check()
            page.get_by_role("button", name="Apply filters").click()
            page.wait_for_load_state()
            assert "theme=" in page.url
        finally:
            context.close()


def test_on_wide_screens_the_filters_stay_open_beside_the_results(page, check_a11y, catalogue):
    page.set_viewport_size(WIDE)
    page.goto("/catalogue/needs")
    assert page.locator("details.filters-disclosure").get_attribute("open") is not None
    assert not page.locator(".filters-toggle").is_visible()
    assert page.locator("#filters-heading").is_visible()
    assert page.locator(".filter-group input[name=theme]").first.is_visible()
    filters, results = (
        page.locator(".browse-filters").bounding_box(),
        page.locator(".result-card").first.bounding_box(),
    )
    assert filters["x"] + filters["width"] <= results["x"], "the filters sit beside the results"
    # Narrowed to a phone, the panel folds; widened again, it opens.
    page.set_viewport_size(PHONE)
    page.wait_for_function("() => !document.querySelector('details.filters-disclosure').open")
    page.set_viewport_size(WIDE)
    page.wait_for_function("() => document.querySelector('details.filters-disclosure').open")
    check_a11y(page, "wide-browse-needs")


@pytest.fixture
def organisation_admin(live_app) -> str:
    """An administrator of an organisation with long names and addresses, members, a request to join and an
    invitation: every table of the page has rows."""
    with live_app.app_context(), live_app.test_request_context():
        organisation = Organisation(
            name="Agentschap Innoveren en Ondernemen", kind="government", policy_domain="ewi"
        )
        db.session.add(organisation)
        admin = accounts.create_user(
            "marie-christine.vandenbroucke@agentschap-innoveren-ondernemen.example",
            PASSWORD,
            "Marie-Christine Vandenbroucke-Delhaize",
            ("buyer",),
            language="en",
            confirmed=True,
        )
        db.session.add(Membership(user=admin, organisation=organisation, role=MembershipRole.ADMIN))
        for number, name in enumerate(
            ["Jan Peeters", "Anne-Sophie Van den Bossche-Wouters", "Mohamed El Amrani"], start=1
        ):
            member = accounts.create_user(
                f"colleague.{number}.with-a-long-address@agentschap-innoveren-ondernemen.example",
                PASSWORD,
                name,
                ("buyer",),
                confirmed=True,
            )
            role = MembershipRole.ADMIN if number == 1 else MembershipRole.MEMBER
            db.session.add(Membership(user=member, organisation=organisation, role=role))
        db.session.commit()
        organisations.invite_member(
            admin,
            organisation,
            "a.future.colleague.with-a-long-address@agentschap-innoveren-ondernemen.example",
            "member",
        )
        newcomer = accounts.create_user(
            "someone.asking.to.join@a-long-domain-name-for-a-small-company.example",
            PASSWORD,
            "Pieter-Jan Vanderstraeten",
            ("buyer",),
            confirmed=True,
        )
        joining.request_to_join(
            newcomer, organisation, "Ik werk sinds kort bij het agentschap, op de dienst innovatie."
        )
        db.session.commit()
        return admin.email


def test_on_a_phone_the_members_table_fits_the_screen(page, check_a11y, organisation_admin):
    page.set_viewport_size(PHONE)
    log_in(page, organisation_admin, "/organisations/mine")
    table = page.get_by_role("table", name="4 members")
    assert table.is_visible()
    assert not _scrolls_sideways(page), "the page scrolls sideways"
    assert _too_wide(page) == []
    # Every member's buttons are on the screen, not behind a horizontal scroll.
    buttons = table.get_by_role("button")
    assert buttons.count() == 4 + 3  # a role button for everyone, remove for the three others
    for i in range(buttons.count()):
        box = buttons.nth(i).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], buttons.nth(
            i
        ).inner_text()
    assert table.get_by_role(
        "button", name=re.compile(r"^Remove\W+Anne-Sophie Van den Bossche-Wouters$")
    ).is_visible()
    assert table.get_by_role("button", name=re.compile(r"^Make member\W+Jan Peeters$")).is_visible()
    # Still a table for screen readers: rows with a row header, cells under their column headers.
    assert table.get_by_role("row").count() == 1 + 4
    assert table.get_by_role("rowheader", name="Mohamed El Amrani").count() == 1
    assert table.get_by_role("columnheader", name="Email address").count() == 1
    # As Chromium itself exposes it (display: block on the cells must not turn the table into plain text).
    roles = _chromium_roles(page, "4 members")
    assert roles.count("row") == 5 and roles.count("rowheader") == 4 and roles.count("columnheader") >= 4, (
        roles
    )
    assert roles.count("cell") >= 4 * 3
    # The email cell's visible label is for the eyes only.
    assert table.locator(".cell-label").first.get_attribute("aria-hidden") == "true"
    assert table.locator(".cell-label").first.is_visible()
    # The requests to join and the invitations are cards too, with their buttons on the screen.
    for name in ("1 person asks to join the organisation", "Invitations that have not been accepted yet"):
        other = page.get_by_role("table", name=name)
        assert other.get_by_role("row").count() == 2
        for button in other.locator("button, a.btn").all():
            box = button.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], button.inner_text()
    check_a11y(page, "phone-organisation-members")


def test_on_wide_screens_the_members_table_is_a_table(page, organisation_admin):
    page.set_viewport_size(WIDE)
    log_in(page, organisation_admin, "/organisations/mine")
    table = page.get_by_role("table", name="4 members")
    assert table.evaluate("e => getComputedStyle(e).display") == "table"
    assert table.locator("thead").is_visible()
    assert not table.locator(".cell-label").first.is_visible()


def test_on_a_phone_a_filter_that_could_not_be_used_shows_open(page, check_a11y, catalogue):
    page.set_viewport_size(PHONE)
    page.goto("/catalogue/needs?route=nope")
    assert page.get_by_role("alert").filter(has_text="could not be used").is_visible()
    assert page.locator("details.filters-disclosure").get_attribute("open") is not None
    assert page.locator(".filter-group input[name=route]").first.is_visible()
    check_a11y(page, "phone-browse-needs-bad-filter")
