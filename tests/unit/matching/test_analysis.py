"""Text analysis: folding, stop words, stemming, compound splitting, language detection."""

import pytest

from matchmaker.matching.analysis import Analyzer, base_language, detect_language, fold


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Élaboración", "elaboracion"),
        ("Straße", "strasse"),
        ("ÉCOLE", "ecole"),
        ("Łódź", "lodz"),
        ("plain", "plain"),
    ],
)
def test_fold_lowers_and_strips_accents(text, folded):
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("code", "base"), [("nl-BE", "nl"), ("FR", "fr"), ("en_GB", "en"), ("", None), (None, None)]
)
def test_base_language_takes_the_primary_subtag(code, base):
    assert base_language(code) == base


@pytest.mark.parametrize(
    ("language", "text", "stop", "content"),
    [
        ("nl", "de levering van het materiaal", {"de", "van", "het"}, "materiaal"),
        ("fr", "la livraison des véhicules", {"la", "des"}, "livraison"),
        ("en", "the delivery of the vehicles", {"the", "of"}, "delivery"),
        ("es", "el suministro de los vehículos", {"el", "de", "los"}, "suministro"),
        # Longer function words too: they would be "shared words" between unrelated needs and offerings.
        ("nl", "bruggen inspecteren zonder stremming, langs de snelweg", {"zonder", "langs"}, "bruggen"),
        ("fr", "des capteurs pendant les travaux, entre les voies", {"pendant", "entre"}, "capteurs"),
        ("en", "sensors between the lanes during the works", {"between", "during"}, "sensors"),
    ],
)
def test_stop_words_are_dropped_per_language(language, text, stop, content):
    analysis = Analyzer().analyse(text, language)
    written = set(analysis.surface.values())
    assert not written & stop
    assert content in written


@pytest.mark.parametrize(
    ("language", "forms"),
    [
        ("nl", ["bussen", "bus"]),
        ("fr", ["électriques", "électrique", "electrique"]),
        ("en", ["vehicles", "vehicle"]),
        ("es", ["suministros", "suministro"]),
        ("de", ["Fahrzeuge", "Fahrzeug"]),
    ],
)
def test_inflected_forms_share_one_stem(language, forms):
    analyzer = Analyzer()
    stems = {next(iter(analyzer.analyse(form, language).counts)) for form in forms}
    assert len(stems) == 1


def test_surface_form_is_the_word_as_written():
    analysis = Analyzer().analyse("Elektrische Bussen", "nl")
    assert set(analysis.surface.values()) == {"Elektrische", "Bussen"}
    assert "elektrisch" in analysis.counts  # the stem is the term, the written word is for people


def test_dutch_compound_is_split_into_known_parts_and_kept_whole():
    analyzer = Analyzer()
    counts = analyzer.analyse("aanbestedingsinstrumentarium", "nl").counts
    whole = analyzer.stem("aanbestedingsinstrumentarium", "nl")
    assert whole in counts
    assert analyzer.stem("aanbesteding", "nl") in counts
    assert analyzer.stem("instrumentarium", "nl") in counts


def test_compound_parts_come_from_the_lexicon_learnt():
    analyzer = Analyzer()
    assert analyzer.split("laadpaalbeheerder", "nl") == ()
    analyzer.learn_words("nl", ["laadpaal", "beheerder"])
    assert analyzer.split("laadpaalbeheerder", "nl") == ("laadpaal", "beheerder")


def test_compounds_are_not_split_in_languages_that_do_not_glue_words():
    analyzer = Analyzer()
    analyzer.learn_words("en", ["super", "market"])
    assert len(analyzer.analyse("supermarketchains", "en").counts) == 1


def test_words_of_a_matching_query_split_the_same_way_as_the_index():
    analyzer = Analyzer()
    need = analyzer.analyse("innovatieve aanbestedingen", "nl").counts
    offer = analyzer.analyse("ons aanbestedingsplatform", "nl").counts
    assert set(need) & set(offer)  # "aanbesteding" links the compound to the plain word


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("De stad zoekt een oplossing voor het beheer van de openbare verlichting", "nl"),
        ("La ville cherche une solution pour la gestion de l'éclairage public", "fr"),
        ("The city is looking for a solution for the management of public lighting", "en"),
        ("El ayuntamiento busca una solución para la gestión del alumbrado público", "es"),
        ("Die Stadt sucht eine Lösung für die Verwaltung der öffentlichen Beleuchtung", "de"),
    ],
)
def test_detect_language_from_stop_words(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["", "xyzzy qwerty", "12345 678", "!!!"])
def test_detect_language_gives_none_without_evidence(text):
    assert detect_language(text) is None


def test_unknown_declared_language_falls_back_to_detection():
    analyzer = Analyzer()
    assert analyzer.resolve_language("de levering van de bussen voor het openbaar vervoer", "xx") == "nl"
    assert analyzer.resolve_language("qwerty", "xx") == "xx"  # kept as is: analysed without stemming
    assert Analyzer(default_language="fr").resolve_language("qwerty", None) == "fr"


def test_text_in_an_unknown_language_is_analysed_without_failing():
    counts = Analyzer().analyse("Ṱḧïṡ ïṡ ñöẗ à łàñġüàġë 42 x", None).counts
    assert "this" in counts and "42" not in counts and "x" not in counts


def test_counting_all_fields_at_once_equals_counting_them_one_by_one():
    analyzer = Analyzer()
    fields = [
        ("Elektrische bussen", 3),
        ("Levering van elektrische bussen en laadpalen", 2),
        ("De bussen en de laadpalen van de stad; onderhoud van laadpalen", 1),
    ]
    separately: dict[str, float] = {}
    for text, weight in fields:
        analyzer.count_terms(text, "nl", weight, separately)
    together: dict[str, float] = {}
    analyzer.count_fields(fields, "nl", together)
    assert together == separately and list(together) == list(separately)  # same counts, same order
    assert together["bus"] == 3 + 2 + 1 and together["laadpaal"] == 2 + 2
