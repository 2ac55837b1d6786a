"""Matching across languages in the web app (issue 17): explanations show the words the engine's bridge
links as pairs ("fietsers ↔ cyclists"), each marked with its language, wherever a pair's reasons are shown;
the catalogue search also finds items written in the other languages, after the matches as typed."""

import re

import pytest
from flask import render_template_string

from matchmaker.services import matching
from matchmaker.services.matching.explanations import localize
from matchmaker.services.search import SearchParams, search_catalogue

# The example: a Dutch need about cyclists and lorries at junctions, an English offering that fits.
CYCLIST_NEED = {
    "title": "Bijna-ongevallen tussen fietsers en vrachtwagens op kruispunten",
    "summary": "Wij willen gevaarlijke situaties tussen fietsers en vrachtwagens op kruispunten opsporen.",
    "challenge": "Op drukke kruispunten raken fietsers bijna aangereden door afslaande vrachtwagens.",
    "keywords": "fietsers, kruispunt, verkeersveiligheid",
    "language": "nl",
}
CAMERA_OFFERING = {
    "title": "Smart traffic cameras for intersection safety",
    "summary": "Cameras detect near misses between cyclists and trucks at intersections.",
    "description": "Our cameras count cyclists and lorries, and warn when a turning truck nears a cyclist.",
    "keywords": "traffic safety, cyclists, intersection",
    "language": "en",
}

DATA = {
    "need_id": 1,
    "offering_id": 2,
    "score": 0.3,
    "components": {"text": 0.3},
    "terms": [],
    "bridged": [
        ["fietsers", "nl", "cyclists", "en"],
        ["Fietsers", "nl", "Cyclists", "en"],
        ["kruispunt", "nl"],
    ],
    "cpv": [],
    "themes": [],
}


@pytest.mark.parametrize(("language", "gloss"), [("nl", ""), ("en", ""), ("fr", "cyclistes")])
def test_linked_words_are_shown_once_with_a_gloss_when_the_reader_reads_neither(app, language, gloss):
    explanation = localize(DATA, language, {})
    assert [(w.need, w.need_language, w.offering, w.offering_language) for w in explanation.bridged] == [
        ("fietsers", "nl", "cyclists", "en")
    ]
    assert explanation.bridged[0].gloss == gloss
    assert not explanation.is_empty


def test_the_explanation_partial_marks_each_linked_word_with_its_language(app):
    with app.test_request_context():
        html = render_template_string(
            '{% include "matches/_explanation.html" %}', explanation=localize(DATA, "fr", {})
        )
    assert "Words linked across languages" in html
    assert '<span lang="nl">fietsers</span>' in html and '<span lang="en">cyclists</span>' in html
    assert '<span class="term-gloss" lang="fr">(cyclistes)</span>' in html
    assert "↔" in html


def test_a_dutch_need_is_explained_with_the_english_words_of_its_offering(
    client, auth, make_buyer, make_supplier, make_need, make_offering
):
    buyer = make_buyer()
    need = make_need(buyer, CYCLIST_NEED)
    supplier = make_supplier()
    offering = make_offering(supplier, CAMERA_OFFERING)
    matching.refit()
    found = matching.proposals_for(need, buyer.user, language="nl")
    proposal = next(p for p in found.proposals if p.offering.id == offering.id)
    linked = {(w.need.lower(), w.offering.lower()) for w in proposal.explanation.bridged}
    assert ("fietsers", "cyclists") in linked
    # The proposal's page and its "Why?" fragment show the pair, each word in its language; so does the
    # supplier's side.
    for user in (buyer.user, supplier.user):
        auth.login(user)
        for url in (f"/matches/{need.id}/{offering.id}", f"/matches/{need.id}/{offering.id}/why"):
            html = client.get(url).get_data(as_text=True)
            assert '<span lang="nl">fietsers</span>' in html.replace("Fietsers", "fietsers"), url
            assert '<span lang="en">cyclists</span>' in html.replace("Cyclists", "cyclists"), url


# --------------------------------------------------------------------------------------------------
# Catalogue search


@pytest.fixture
def crossroads(make_supplier, make_offering):
    """Offerings about cyclists at junctions in three languages, and some that must not be found."""
    dutch = make_offering(make_supplier(), {**CAMERA_OFFERING, "language": "nl",
        "title": "Fietsers veilig over het kruispunt", "summary": "Detectie van fietsers aan kruispunten.",
        "description": "", "keywords": ""})  # fmt: skip
    english = make_offering(make_supplier(), CAMERA_OFFERING)
    french = make_offering(make_supplier(), {"language": "fr", "title": "Caméras pour les carrefours",
        "summary": "Elles protègent les cyclistes aux carrefours dangereux.", "description": "",
        "keywords": ""})  # fmt: skip
    draft = make_offering(
        make_supplier(), {**CAMERA_OFFERING, "title": "Draft cyclist counter"}, status="draft"
    )
    cyclists_only = make_offering(make_supplier(), {"language": "en", "title": "Cyclists on bike paths",
        "summary": "Counting cyclists on bike paths.", "description": "", "keywords": ""})  # fmt: skip
    return dutch, english, french, draft, cyclists_only


def test_a_dutch_query_finds_the_english_and_french_items_after_the_dutch_one(app, crossroads):
    dutch, english, french, draft, cyclists_only = crossroads
    result = search_catalogue(SearchParams(kind="offering", q="fietsers kruispunt"))
    ids = [item.id for item in result.items]
    assert ids[0] == dutch.id and set(ids) == {dutch.id, english.id, french.id}
    assert result.crossed == {english.id, french.id}
    assert draft.id not in ids and cyclists_only.id not in ids  # not public; not every word
    assert {"cyclist", "intersection"} <= set(result.crossed_words(english))
    assert result.crossed_words(dutch) == []
    # Another sort order keeps its order, with the same marks.
    newest = search_catalogue(SearchParams(kind="offering", q="fietsers kruispunt", sort="newest"))
    assert [item.id for item in newest.items] == [french.id, english.id, dutch.id]
    assert newest.crossed == {english.id, french.id}


def test_an_item_matching_the_words_as_typed_stays_before_a_better_one_across_languages(
    app, make_supplier, make_offering
):
    typed = make_offering(make_supplier(), {"language": "nl", "title": "Planning van wegenwerken",
        "summary": "", "description": "", "keywords": "fietsers"})  # fmt: skip
    across = make_offering(make_supplier(), {"language": "fr", "title": "Cyclistes", "summary": "Cyclistes.",
        "description": "", "keywords": "cyclistes"})  # fmt: skip
    result = search_catalogue(SearchParams(kind="offering", q="fietsers"))
    assert [item.id for item in result.items] == [typed.id, across.id]
    assert result.crossed == {across.id}


def test_the_results_page_marks_items_found_in_another_language(client, crossroads):
    page = client.get("/catalogue/offerings?q=fietsers+kruispunt").get_data(as_text=True)
    assert "3 offerings found" in page
    assert "Also searched in other languages:" in page and '<span lang="fr">cyclistes</span>' in page
    assert page.count("Found in another language:") == 2
    assert "Found in another language: English" in page and "Found in another language: French" in page
    assert re.search(r'your words in it: <span lang="en">[^<]*cyclist', page)
    assert "Draft cyclist counter" not in page


def test_the_site_search_marks_items_found_in_another_language(client, crossroads):
    page = client.get("/search?q=fietsers+kruispunt").get_data(as_text=True)
    assert "Smart traffic cameras for intersection safety" in page
    assert page.count("Found in another language:") == 2
