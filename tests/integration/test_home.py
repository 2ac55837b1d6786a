"""The home page: what the platform does for buyers and for suppliers, and what is on it right now."""

import re

from matchmaker.extensions import db
from matchmaker.models import Need, Offering


def _figures(html: str) -> dict[str, int]:
    """The hero's figures as {label: value}."""
    pairs = re.findall(
        r'<span class="figure-value">(\d+)</span>\s*<span class="figure-label">([^<]+)</span>', html
    )
    return {label.strip(): int(value) for value, label in pairs}


def _add_catalogue(make_organisation):
    supplier = make_organisation(kind="startup")
    buyer = make_organisation(kind="government")
    db.session.add_all(
        [
            Offering(organisation_id=supplier.id, title="Drone inspection", status="published"),
            Offering(organisation_id=supplier.id, title="Road radar", status="published"),
            Offering(organisation_id=supplier.id, title="Unfinished idea", status="draft"),
            Need(organisation_id=buyer.id, title="Bridge inspection", status="open"),
            Need(organisation_id=buyer.id, title="Internal need", status="open", registered_only=True),
            Need(organisation_id=buyer.id, title="Old need", status="closed"),
        ]
    )
    db.session.commit()


def test_a_visitor_sees_a_way_in_for_buyers_and_for_suppliers(client):
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "For public buyers" in html and "For innovative companies" in html
    assert 'href="/auth/register?role=buyer"' in html and 'href="/auth/register?role=supplier"' in html
    assert 'href="/catalogue/offerings"' in html and 'href="/catalogue/needs"' in html


def test_the_figures_count_published_offerings_and_open_needs_a_visitor_may_see(client, make_organisation):
    _add_catalogue(make_organisation)
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    figures = _figures(html)
    assert figures["innovative offerings"] == 2
    # The need for registered users only is not counted for a visitor.
    assert figures["open need of a public buyer"] == 1
    assert figures["upcoming meet & greets"] == 0
    assert "No upcoming events for now." in html


def test_a_logged_in_reader_gets_what_to_do_next_instead_of_the_marketing_page(
    client, auth, make_organisation
):
    """The logged-in home is tests/integration/test_home_next_steps.py's: no audience cards, no figures."""
    _add_catalogue(make_organisation)
    auth.login_as("buyer")
    html = client.get("/").get_data(as_text=True)
    assert "For public buyers" not in html and _figures(html) == {}
    assert "What to do next" in html
    assert 'class="btn btn-primary" href="/catalogue/needs/mine"' in html


def test_each_process_keeps_the_counts_for_home_figures_seconds(app, client, make_organisation, monkeypatch):
    """Counting the catalogue on every visit cost the database more than the rest of the page: the counts are
    kept for HOME_FIGURES_SECONDS, apart for visitors and logged-in readers, then counted again."""
    import matchmaker.services.home as home

    app.config["HOME_FIGURES_SECONDS"] = 60
    clock = [1000.0]
    monkeypatch.setattr(home.time, "monotonic", lambda: clock[0])
    assert _figures(client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)) == {
        "innovative offerings": 0,
        "open needs of public buyers": 0,
        "upcoming meet & greets": 0,
    }
    _add_catalogue(make_organisation)
    clock[0] += 59
    kept = _figures(client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True))
    assert kept["innovative offerings"] == 0  # still the counts of a minute ago
    clock[0] += 2
    fresh = _figures(client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True))
    assert fresh["innovative offerings"] == 2 and fresh["open need of a public buyer"] == 1
