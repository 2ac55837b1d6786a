"""The bridge between Dutch, French and English (matchmaker.matching.bridge)."""

import json
from pathlib import Path

import pytest

from matchmaker.matching import (
    BridgedTerm,
    Document,
    MatchingConfig,
    MatchingEngine,
    Profile,
    explain_profiles,
)
from matchmaker.matching.bridge import build_bridge, load_bridge, read_table


@pytest.fixture(scope="module")
def bridge():
    return load_bridge()


def test_load_bridge_is_built_once_per_process(bridge):
    assert load_bridge() is bridge


def test_the_shipped_table_is_what_the_vendored_data_teach():
    shipped = read_table()
    assert shipped is not None, "inputs changed: run python -m matchmaker.matching.bridge"
    assert shipped == build_bridge()


@pytest.mark.parametrize(
    ("word", "lang", "expected"),
    [
        ("fietsers", "nl", ("cyclist", "en")),  # from the glossary
        ("Kruispunten", "nl", ("carrefours", "fr")),  # case and plural do not matter
        ("zaden", "nl", ("seeds", "en")),  # from the CPV labels alone ("Zaden" / "Seeds" / "Graines")
        ("bussen", "nl", ("autobus", "fr")),
        ("électriques", "fr", ("elektrische", "nl")),
    ],
)
def test_equivalents_find_the_translation(bridge, word, lang, expected):
    found = bridge.equivalents(word, lang)
    assert expected in [(w, other) for w, other, _ in found]


def test_equivalents_are_other_languages_only_best_first_and_weighted(bridge):
    found = bridge.equivalents("ziekenhuis", "nl")
    assert found and all(other in ("fr", "en") for _, other, _ in found)
    weights = [w for _, _, w in found]
    assert weights == sorted(weights, reverse=True)
    assert all(0 < w <= 1 for w in weights)


@pytest.mark.parametrize(("word", "lang"), [("fietsers", "de"), ("", "nl"), ("qwxzzy", "en"), ("de", "nl")])
def test_unknown_words_and_languages_have_no_equivalents(bridge, word, lang):
    assert bridge.equivalents(word, lang) == []


def test_a_bridged_term_reads_as_a_pair():
    assert str(BridgedTerm("fietsers", "nl", "cyclists", "en", 0.01)) == "fietsers ↔ cyclists"


# Needs of the demo catalogue and the offering in another language that answers each (a Dutch need about
# near-misses between cyclists and lorries at junctions finds the English traffic cameras, ...).
DEMO_PAIRS = [
    (
        "Bijna-ongevallen tussen fietsers en vrachtwagens op kruispunten",
        "Smart traffic cameras for intersection safety",
    ),
    ("Sécurité des cyclistes aux carrefours", "Smart traffic cameras for intersection safety"),
    ("Inspectie van bruggen zonder rijstrookafsluiting", "Drones pour l'inspection des digues et des berges"),
    ("Luchtkwaliteit meten op straatniveau", "City-wide air-quality sensor network"),
    ("Digitale toegankelijkheid van overheidswebsites", "Formulaires publics intelligents et pré-remplis"),
    ("Restauration durable dans les bâtiments publics", "Duurzame catering met lokale producten"),
    ("Adaptive learning for basic mathematics", "Adaptief oefenplatform wiskunde voor de eerste graad"),
]


@pytest.fixture(scope="module")
def demo():
    """The demo catalogue as the web app hands it to the engine (texts, keywords, CPV codes, themes)."""
    demo_file = Path(__file__).resolve().parents[3] / "matchmaker" / "demo" / "catalogue.json"
    content = json.loads(demo_file.read_text(encoding="utf-8"))

    def document(key, number, item, body):
        return Document(
            id=f"{key}-{number}",
            title=item["title"],
            summary=item.get("summary", ""),
            description="\n\n".join(text for text in body if text),
            keywords=tuple(k.strip() for k in item.get("keywords", "").split(",") if k.strip()),
            language=item["language"],
            cpv=tuple(item["cpv"]),
            themes=tuple(item["themes"]),
        )

    needs = {
        n["title"]: document("need", i, n, (n.get("challenge", ""), n.get("expected_outcome", "")))
        for i, n in enumerate(content["needs"])
    }
    offerings = {
        o["title"]: document("offering", i, o, (o.get("description", ""),))
        for i, o in enumerate(content["offerings"])
    }
    return needs, offerings, MatchingEngine().fit(offerings.values())


@pytest.mark.parametrize(("need", "offering"), DEMO_PAIRS)
def test_demo_cross_language_pairs_are_in_the_top_five(demo, need, offering):
    needs, offerings, index = demo
    assert needs[need].language != offerings[offering].language
    top = [m.id for m in index.top_k(needs[need], 5)]
    assert offerings[offering].id in top


def test_the_explanation_shows_the_bridged_words_as_pairs(demo):
    needs, offerings, index = demo
    need = needs["Bijna-ongevallen tussen fietsers en vrachtwagens op kruispunten"]
    offering = offerings["Smart traffic cameras for intersection safety"]
    explanation = index.explain(need, offering.id, "nl")
    pairs = {
        (t.need_word.lower(), t.need_lang, t.offering_word.lower(), t.offering_lang)
        for t in explanation.bridged
    }
    assert ("fietsers", "nl", "cyclists", "en") in pairs
    assert ("kruispunten", "nl", "intersections", "en") in pairs or (
        "kruispunten",
        "nl",
        "intersection",
        "en",
    ) in pairs
    # The bridged words are part of the text score, and the components still add up to the ranked score.
    assert sum(t.weight for t in explanation.bridged) <= explanation.components["text"] + 1e-6
    assert explanation.score == pytest.approx(index.scores(need)[offering.id], abs=1e-5)
    assert any(reason.startswith("across languages: ") for reason in explanation.reasons())


def test_explanations_from_stored_profiles_show_the_same_pairs(demo):
    needs, offerings, index = demo
    need = needs["Sécurité des cyclistes aux carrefours"]
    offering = offerings["Smart traffic cameras for intersection safety"]
    direct = index.explain(need, offering.id, "fr")
    a, b = (Profile.from_dict(p.as_dict()) for p in index.profiles([need, offering]))
    stored = explain_profiles(a, b, index.config, "fr")
    assert stored.bridged == direct.bridged and stored.bridged
    assert stored.shared_terms == direct.shared_terms
    assert stored.score == pytest.approx(direct.score, abs=1e-6)


def test_the_bridge_leaves_texts_in_other_languages_alone():
    docs = [
        Document("a", "Suministro de autobuses eléctricos", language="es"),
        Document("b", "Autobuses urbanos y mantenimiento", language="es"),
        Document("c", "Levering van elektrische bussen", language="nl"),
    ]
    query = Document("q", "Autobuses eléctricos para la ciudad", language="es")
    plain = MatchingEngine(MatchingConfig(bridge_weight=0.0)).fit(docs).scores(query)
    bridged = MatchingEngine().fit(docs).scores(query)
    # Spanish texts get no equivalents (the Dutch one's French "autobus" may meet them).
    assert [bridged["a"], bridged["b"]] == pytest.approx([plain["a"], plain["b"]], abs=1e-6)


def test_the_text_of_a_translation_matches_only_through_the_bridge():
    text_only = {"text_weight": 1.0, "cpv_weight": 0.0, "theme_weight": 0.0}
    docs = [Document("en", "Bicycle helmets", language="en"), Document("x", "Office chairs", language="en")]
    query = Document("nl", "Fietshelmen", language="nl")
    assert MatchingEngine(MatchingConfig(**text_only, bridge_weight=0.0)).fit(docs).top_k(query, 1) == []
    assert [m.id for m in MatchingEngine(MatchingConfig(**text_only)).fit(docs).top_k(query, 1)] == ["en"]
