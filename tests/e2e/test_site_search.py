"""The header's search box in the browser: at desktop width and on a phone (visible without opening the menu),
it leads to the grouped results, and the pages pass axe; the logged-in home passes axe too."""

import pytest

from matchmaker.extensions import db
from matchmaker.models import Organisation
from tests.e2e.conftest import log_in
from tests.e2e.test_layout import PHONE, _scrolls_sideways, busy_admin  # noqa: F401 (a fixture)


@pytest.fixture
def zeppelins(live_app):
    with live_app.app_context():
        db.session.add(Organisation(name="Zeppelin Robotics", kind="startup", verification="verified"))
        db.session.commit()


@pytest.mark.parametrize("viewport", [{"width": 1200, "height": 900}, PHONE], ids=["desktop", "phone"])
def test_the_header_search_finds_an_organisation_and_passes_axe(page, check_a11y, zeppelins, viewport):
    page.set_viewport_size(viewport)
    page.goto("/")
    search = page.get_by_role("search", name="Site search")
    box = search.get_by_role("searchbox", name="Search the site")
    assert box.is_visible(), "the search box is shown without opening the menu"
    assert not _scrolls_sideways(page)
    check_a11y(page, f"site-search-home-{viewport['width']}")
    box.fill("zeppelin")
    box.press("Enter")
    page.wait_for_url("**/search?q=zeppelin")
    assert page.get_by_role("link", name="Zeppelin Robotics").is_visible()
    assert page.locator("main h1").count() == 1
    assert not _scrolls_sideways(page)
    check_a11y(page, f"site-search-results-{viewport['width']}")


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, PHONE], ids=["desktop", "phone"])
def test_the_logged_in_home_passes_axe(page, check_a11y, busy_admin, viewport):  # noqa: F811
    page.set_viewport_size(viewport)
    log_in(page, busy_admin)
    page.goto("/")
    assert page.locator(".next-steps").is_visible()
    assert not _scrolls_sideways(page)
    check_a11y(page, f"home-next-steps-{viewport['width']}")
