"""The header's search box and /search: offerings, needs, organisations, events and pages, grouped by kind,
each kind under its own visibility rules, for visitors and for another organisation's users alike."""

import re
from datetime import timedelta

import pytest

from matchmaker.extensions import db
from matchmaker.models import Event, Page
from matchmaker.services import events as events_service
from tests.factories import add_need, add_offering

pytestmark = pytest.mark.usefixtures("english_request_context")


def _search(client, q: str) -> str:
    response = client.get("/search", query_string={"q": q}, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _group_total(html: str, kind: str) -> int:
    found = re.search(rf'<a href="#results-{kind}">[^<]*<span class="badge[^"]*">(\d+)</span>', html)
    return int(found.group(1)) if found else 0


@pytest.fixture
def world(make_user, make_organisation, make_event, organizer):
    """Zeppelin everywhere: a published and a draft offering, an open, a registered-only and a draft need, an
    organisation, a suspended one with a published offering, a public and a draft event, a published and an
    unpublished page."""
    supplier = make_user(roles=("supplier",))
    make_organisation(admins=(supplier,), name="Zeppelin Robotics")
    buyer = make_user(roles=("buyer",))
    make_organisation(admins=(buyer,), kind="government", name="Agency for Airships")
    add_offering(supplier, "published", title="Zeppelin inspection of bridges")
    add_offering(supplier, "draft", title="Zeppelin secret prototype")
    add_need(buyer, "open", title="Zeppelin for coastal watch")
    add_need(buyer, "open", title="Zeppelin for members only", registered_only=True)
    add_need(buyer, "draft", title="Zeppelin draft need")
    banned = make_user(roles=("supplier",))
    make_organisation(admins=(banned,), name="Zeppelin Banned")
    add_offering(banned, "published", title="Zeppelin from a suspended supplier")
    banned.organisation.verification = "suspended"
    public = make_event(title="Zeppelin meet & greet")
    make_event(open_registration=False, title="Zeppelin draft event")
    db.session.add_all(
        [
            Page(
                slug="zeppelins",
                title_nl="Zeppelins",
                title_en="About zeppelins",
                body_nl="Over zeppelins.",
                body_en="All about zeppelins.",
                published=True,
            ),
            Page(slug="hidden", title_nl="Zeppelin geheim", body_nl="Zeppelin", published=False),
        ]
    )
    db.session.commit()
    return {"supplier": supplier, "buyer": buyer, "event": public}


def test_each_kind_is_found_and_counted(client, world):
    html = _search(client, "zeppelin")
    assert "Zeppelin inspection of bridges" in html and _group_total(html, "offering") == 1
    assert "Zeppelin for coastal watch" in html and _group_total(html, "need") == 1
    assert "Zeppelin Robotics" in html and _group_total(html, "organisation") == 1
    assert f'href="/events/{world["event"].id}"' in html and _group_total(html, "event") == 1
    assert "About zeppelins" in html and _group_total(html, "page") == 1  # in the reader's language
    assert 'href="/catalogue/offerings?q=zeppelin"' in html and 'href="/catalogue/needs?q=zeppelin"' in html


HIDDEN = (
    "Zeppelin secret prototype",
    "Zeppelin draft need",
    "Zeppelin from a suspended supplier",
    "Zeppelin Banned",
    "Zeppelin draft event",
    "Zeppelin geheim",
)


def test_a_visitor_never_sees_drafts_suspended_registered_only_unpublished_or_non_public(client, world):
    html = _search(client, "zeppelin")
    for text in (*HIDDEN, "Zeppelin for members only"):
        assert text not in html, text


def test_a_logged_in_user_of_another_organisation_sees_registered_only_needs_but_no_drafts(
    client, auth, world
):
    auth.login_as("supplier")
    html = _search(client, "zeppelin")
    assert "Zeppelin for members only" in html and _group_total(html, "need") == 2
    for text in HIDDEN:
        assert text not in html, text


def test_words_are_all_required_and_ranked_by_kind(client, world):
    html = _search(client, "zeppelin bridges")
    assert "Zeppelin inspection of bridges" in html
    assert "Zeppelin for coastal watch" not in html and "Zeppelin Robotics" not in html


def test_an_empty_query_asks_for_words(client, world):
    html = _search(client, "")
    assert "Type what you are looking for" in html and 'id="results-' not in html


def test_a_very_long_query_is_cut_not_refused(client, world):
    html = _search(client, "zeppelin " + "x" * 5000)
    assert "Nothing found" in html or "result" in html
    shown = re.search(r'id="site-search-page-q" name="q" value="([^"]*)"', html).group(1)
    assert shown.startswith("zeppelin xx") and len(shown) <= 200


def test_markup_in_the_query_is_escaped(client, world):
    html = _search(client, '<script>alert("zeppelin")</script>')
    assert '<script>alert("zeppelin")' not in html
    assert "&lt;script&gt;" in html


def test_the_header_has_an_accessible_search_form_that_works_without_script(client):
    html = _search(client, "")
    form = re.search(r'<form class="site-search"[^>]*>.*?</form>', html, re.S).group(0)
    assert 'role="search"' in form and 'action="/search"' in form and 'method="get"' in form
    assert '<label class="visually-hidden" for="site-search-q">' in form and 'name="q"' in form


def test_events_found_are_the_public_ones_only(client, world, organizer):
    draft = db.session.scalar(db.select(Event).where(Event.title == "Zeppelin draft event"))
    events_service.change_status(organizer, draft, "registration_open")
    assert _group_total(_search(client, "zeppelin"), "event") == 2


# --------------------------------------------------------------------------------------------------
# Ranking: the kinds in their designed order, and within a kind, title hits above body-only hits


def _order(html: str, titles: list[str]) -> list[str]:
    """`titles` in the order the page shows them (each must be shown)."""
    for title in titles:
        assert title in html, title
    return sorted(titles, key=html.index)


def test_the_kinds_come_in_their_designed_order(client, world):
    """Offerings and needs first (what the platform is for), then who publishes them, then events, guides
    and pages: services.site_search.KINDS, in the summary of counts and in the sections alike."""
    html = _search(client, "zeppelin")
    sections = re.findall(r'<section class="search-group[^"]*" id="results-(\w+)"', html)
    assert sections == ["offering", "need", "organisation", "event", "page"]
    summary = re.findall(r'<a href="#results-(\w+)">', html)
    assert summary == sections


def test_organisations_whose_name_holds_the_words_rank_above_description_only_hits(
    client, world, make_organisation
):
    """Names starting with the first word, then names holding it, then descriptions holding it."""
    make_organisation(name="Airship Works", description="We build hangars for zeppelins and blimps.")
    make_organisation(name="Flying Zeppelin Club")
    make_organisation(name="Quiet Blimps", description="Nothing about that here.")
    html = _search(client, "zeppelin")
    section = html.split('id="results-organisation"', 1)[1].split("</section>", 1)[0]
    names = ["Zeppelin Robotics", "Flying Zeppelin Club", "Airship Works"]
    assert _order(section, names) == names
    assert "Quiet Blimps" not in section and _group_total(html, "organisation") == 3


def test_an_organisation_is_found_by_words_split_over_its_name_and_description(
    client, world, make_organisation
):
    make_organisation(name="Airship Works", description="Zeppelin hangars.")
    html = _search(client, "airship hangars")
    assert "Airship Works" in html and _group_total(html, "organisation") == 1


def test_an_organisation_is_found_whatever_the_accents_and_case_of_its_name_or_description(
    client, world, make_organisation
):
    make_organisation(name="Écoles Économes", description="Sobriété: moins d’énergie.")
    make_organisation(name="Brouwerij Zon", description="Bière SANS ÉNERGIE fossile.")
    make_organisation(name="Plain Plastics", description="Nothing about that here.")
    for query in ("ecoles", "ÉCOLES", "econome"):
        html = _search(client, query)
        assert "Écoles Économes" in html and _group_total(html, "organisation") == 1, query
    html = _search(client, "energie")  # in both descriptions, written with accents and in capitals
    section = html.split('id="results-organisation"', 1)[1].split("</section>", 1)[0]
    assert _order(section, ["Brouwerij Zon", "Écoles Économes"]) == ["Brouwerij Zon", "Écoles Économes"]
    assert _group_total(html, "organisation") == 2


def test_the_folded_description_follows_a_change_of_the_description(app, make_organisation):
    organisation = make_organisation(name="Kust", description="Dijken")
    organisation.description = "Zeeën en STRÂNDEN"
    assert organisation.description_folded == "zeeen en stranden"


def test_a_suspended_organisation_is_not_found_by_its_description(client, world, make_organisation):
    make_organisation(name="Hidden Hangars", description="Zeppelin repairs.", verification="suspended")
    assert "Hidden Hangars" not in _search(client, "zeppelin")


def test_events_whose_title_holds_the_words_rank_above_description_only_hits_even_when_later(
    client, world, make_event
):
    """The title hit is two weeks after the description-only hit, which would come first by date."""
    from tests.factories import EVENT_DAY
    from tests.helpers import move_event_to

    make_event(title="Airships day", description="Zeppelins, blimps and their makers.")
    move_event_to(world["event"], EVENT_DAY + timedelta(days=14))
    html = _search(client, "zeppelin")
    section = html.split('id="results-event"', 1)[1].split("</section>", 1)[0]
    assert _order(section, ["Zeppelin meet", "Airships day"]) == ["Zeppelin meet", "Airships day"]
    assert _group_total(html, "event") == 2


def test_pages_whose_title_holds_the_words_rank_above_body_only_hits_whatever_their_position(client, world):
    db.session.add(
        Page(
            slug="aaa-hangars",  # before "zeppelins" in the pages' order
            position=-1,
            title_nl="Hangars",
            title_en="Hangars",
            body_nl="Waar zeppelins overnachten.",
            body_en="Where zeppelins spend the night.",
            published=True,
        )
    )
    db.session.commit()
    html = _search(client, "zeppelin")
    section = html.split('id="results-page"', 1)[1].split("</section>", 1)[0]
    assert _order(section, ["About zeppelins", "Hangars"]) == ["About zeppelins", "Hangars"]
    assert _group_total(html, "page") == 2
