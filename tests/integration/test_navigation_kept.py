"""The main navigation is kept per process for what it shows (matchmaker/navigation.py): the kept bar is what
rendering it gives, and it follows the page (the current item), the language and the reader's account (an
organisation, the organizer and administrator roles) at once. So is the footer, per language."""

import re

import pytest

from matchmaker.extensions import db
from matchmaker.models.user import UserRole
from matchmaker.navigation import Nav, footers, kept, nav_of


@pytest.fixture(autouse=True)
def no_kept_navigation():
    kept.clear()
    footers.clear()
    yield
    kept.clear()
    footers.clear()


def _bar(html: str) -> str:
    start = html.index('<ul class="navbar-nav me-auto">')
    return html[start : html.index("</ul>\n          <ul", start)]


def _current(bar: str) -> list[str]:
    return re.findall(r'aria-current="page" href="([^"]+)"', bar)


def test_a_kept_bar_is_what_rendering_it_gives(app, client, auth, make_buyer):
    buyer = make_buyer()
    auth.login(buyer.user)
    app.debug = True  # renders the bar at every page
    try:
        fresh = _bar(client.get("/catalogue/offerings").get_data(as_text=True))
    finally:
        app.debug = False
    assert not len(kept)
    first = _bar(client.get("/catalogue/offerings").get_data(as_text=True))
    again = _bar(client.get("/catalogue/offerings").get_data(as_text=True))
    assert fresh == first == again
    assert kept.misses == 1 and kept.hits == 1
    assert _current(again) == ["/catalogue/offerings"]


def test_the_bar_follows_the_page_the_language_and_the_account(client, auth, make_buyer):
    buyer = make_buyer()
    auth.login(buyer.user)
    offerings = _bar(client.get("/catalogue/offerings").get_data(as_text=True))
    needs = _bar(client.get("/catalogue/needs").get_data(as_text=True))
    assert _current(offerings) == ["/catalogue/offerings"] and _current(needs) == ["/catalogue/needs"]
    assert "My needs" in needs and "Organize" not in needs

    french = _bar(client.get("/fr/catalogue/needs").get_data(as_text=True))
    assert _current(french) == ["/fr/catalogue/needs"] and "My needs" not in french

    db.session.add(UserRole(user_id=buyer.user.id, role="organizer"))
    db.session.commit()
    organizer = _bar(client.get("/catalogue/needs").get_data(as_text=True))
    assert "Organize" in organizer and "Administration" not in organizer


def test_what_the_bar_is_kept_under():
    class Visitor:
        is_authenticated = False

    assert nav_of(Visitor(), "pages.home") == Nav("pages.home", False, False, False, False, False)


def _footer(html: str) -> str:
    return html[html.index('<footer class="site-footer">') : html.index("</footer>") + len("</footer>")]


def test_a_kept_footer_is_what_rendering_it_gives_in_each_language(app, client, auth, make_buyer):
    def footers_of_events() -> dict[str, str]:
        pages = {prefix: client.get(f"{prefix}/events/").get_data(as_text=True) for prefix in ("", "/fr")}
        return {prefix: _footer(html) for prefix, html in pages.items()}

    app.debug = True  # renders the footer at every page
    try:
        fresh = footers_of_events()
    finally:
        app.debug = False
    assert not len(footers)
    kept_ones = footers_of_events()
    assert kept_ones == fresh
    assert footers.misses == 2
    assert 'href="/catalogue/offerings"' in kept_ones[""] and ">Newsletter<" in kept_ones[""]
    assert 'href="/fr/catalogue/offerings"' in kept_ones["/fr"] and ">Newsletter<" not in kept_ones["/fr"]

    # Another page, another reader: the same footer, from what was kept.
    auth.login(make_buyer().user)
    assert _footer(client.get("/catalogue/needs").get_data(as_text=True)) == fresh[""]
    assert footers.hits == 1 and footers.misses == 2
