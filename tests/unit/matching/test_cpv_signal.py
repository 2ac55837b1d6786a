"""CPV codes: cleaning declared codes, inferring codes from text with the nl/fr/en labels, hierarchy
vectors."""

import pytest

from matchmaker.matching import Document, MatchingConfig, MatchingEngine
from matchmaker.matching.cpvsignal import (
    CpvWeights,
    clean_codes,
    code_row,
    code_vectors,
    label_index,
    native_label_languages,
    native_labels,
)
from matchmaker.reference.cpv import vocabulary


def inferred(document):
    return [code for code, _ in MatchingEngine().analyse([document])[0].inferred]


@pytest.mark.parametrize(
    ("title", "language"),
    [
        ("Levering van elektrische bussen", "nl"),
        ("Supply of electric buses", "en"),
        ("Fourniture d'autobus électriques", "fr"),
        ("Electric buses", None),
        ("elektrische bussen", None),
    ],
)
def test_electric_buses_are_recognised_in_each_language(title, language):
    codes = inferred(Document("x", title, language=language))
    assert codes[0] == "34144910"  # Electric buses


def test_inference_prefers_labels_wholly_in_the_text():
    codes = inferred(
        Document("x", "Onderhoud van de openbare verlichting en straatverlichting", language="nl")
    )
    assert codes and all(code.startswith(("5", "3", "45", "71")) for code in codes[:3])
    assert any(
        code.startswith("34928500") or code.startswith("5023") for code in codes
    )  # lighting kit/repair


def test_no_codes_are_inferred_from_text_that_names_nothing():
    assert inferred(Document("x", "Wij zijn er klaar voor", language="nl")) == []
    assert inferred(Document("x", "", language="nl")) == []


def test_texts_in_languages_without_labels_get_guesses_only_as_a_minority_of_the_corpus():
    # Catalan: a Snowball stemmer, no CPV labels; its stems often agree with French or Spanish ones
    catalan = Document("x", "Subministrament d'autobusos elèctrics i estacions de càrrega", language="ca")
    mostly_catalan = MatchingEngine()
    office = "Subministrament de material d'oficina"
    mostly_catalan.fit([Document(i, office, language="ca") for i in range(3)])
    assert mostly_catalan.analyse([catalan])[0].inferred == []  # their words say more than the guesses
    mostly_dutch = MatchingEngine()
    mostly_dutch.fit([Document(i, "Levering van kantoormateriaal", language="nl") for i in range(3)])
    # codes are what it has in common with the others
    assert mostly_dutch.analyse([catalan])[0].inferred[0] == ("34144910", 1.0)
    unknown = Document("y", "autobusos elèctrics")  # no language found: no guesses
    assert mostly_dutch.analyse([unknown])[0].inferred == []
    assert MatchingEngine(MatchingConfig(foreign_inference=0.0)).analyse([catalan])[0].inferred == []


def test_texts_in_a_language_with_vendored_labels_guess_from_their_own_labels_whatever_its_share():
    spanish = Document("x", "Suministro de autobuses eléctricos para el transporte urbano", language="es")
    mostly_spanish = MatchingEngine()
    mostly_spanish.fit([Document(i, "Suministro de material de oficina", language="es") for i in range(3)])
    codes = [code for code, _ in mostly_spanish.analyse([spanish])[0].inferred]
    assert codes[0] == "34144910"  # "Autobuses eléctricos"
    assert "34100000" in codes  # the group its label words vote for: motor vehicles
    off = MatchingEngine(MatchingConfig(native_labels=False, foreign_inference=0.0))
    assert off.analyse([spanish])[0].inferred == []


def test_native_labels_are_vendored_for_the_eu_languages():
    languages = native_label_languages()
    assert {"es", "de", "it", "pl", "pt"} <= languages and not languages & {"nl", "fr", "en"}
    spanish = native_labels("es")
    assert len(spanish) == len(vocabulary())  # every code has a Spanish label
    assert spanish["34144910"] == "Autobuses eléctricos"
    assert native_labels("de")["90911200"] == "Gebäudereinigung"
    assert all(len(native_labels(lang)) > 9400 for lang in languages)


def test_group_votes_go_to_the_groups_the_words_point_to():
    labels = label_index(MatchingConfig().analyzer_key(), ("es",))
    engine = MatchingEngine(MatchingConfig(infer_max_df=1.0))
    terms = engine.analyse([Document("x", "Autobuses eléctricos y trolebuses", language="es")])[0].terms
    votes = labels.groups([terms, {}], ["es", "es"], top=5, relative=0.2)
    assert votes[1] == []
    assert votes[0][0][1] == 1.0 and all(0.2 <= share <= 1.0 for _, share in votes[0])
    assert {code[:2] for code, _ in votes[0]} == {"34"}  # transport equipment
    assert "34100000" in dict(votes[0])  # motor vehicles
    fewer = labels.groups([terms], ["es"], top=1)[0]
    assert fewer == votes[0][:1]


def test_terms_most_fitted_documents_hold_are_left_out_of_inference():
    docs = [Document(i, f"Suministro de mobiliario {i}", language="es") for i in range(30)]
    engine = MatchingEngine()
    engine.fit(docs)
    assert "mobiliari" in engine.common_terms and "suministr" in engine.common_terms
    assert engine.analyse([Document("x", "Suministro de mobiliario", language="es")])[0].inferred == []
    small = MatchingEngine()
    small.fit(docs[:5])  # in a small corpus nothing is common
    assert small.common_terms == frozenset()


@pytest.mark.parametrize(
    ("values", "codes"),
    [
        (["34144910-0", " 34144910 ", "34144910"], ("34144910",)),
        (["99999999", "bus", "", None], ()),
        (["90000000-7", "34144910"], ("90000000", "34144910")),
    ],
)
def test_clean_codes_keeps_known_codes_once(values, codes):
    assert clean_codes(values) == codes


def test_same_group_scores_above_same_division():
    vectors = code_vectors(
        [[("34144910", 1.0)], [("34121000", 1.0)], [("34510000", 1.0)], [("90000000", 1.0)]], CpvWeights()
    )
    similarity = (vectors @ vectors.T).toarray()
    same_group, same_division, unrelated = similarity[0, 1], similarity[0, 2], similarity[0, 3]
    assert 1.0 >= same_group > same_division > unrelated == 0.0


def test_a_division_code_only_claims_its_division():
    vectors = code_vectors([[("34000000", 1.0)], [("34100000", 1.0)]], CpvWeights())
    assert vectors[0].nnz == 1 and vectors[1].nnz == 2


def test_inference_for_many_texts_equals_inference_one_by_one():
    """The batch path (per-language products, texts in other languages against all labels) gives the codes
    and confidences of the one-text path, to the bit."""
    engine = MatchingEngine(MatchingConfig(foreign_inference=0.5))
    texts = [
        ("Levering van elektrische bussen en laadpalen", "nl"),
        ("Fourniture d'autobus électriques et entretien", "fr"),
        ("Supply of electric buses and charging stations", "en"),
        ("Suministro de autobuses eléctricos", "es"),
        ("Onderhoud van de openbare verlichting", "nl"),
        ("Wij zijn er klaar voor", "nl"),
        ("Repas pour les écoles et cantines scolaires", "fr"),
        ("Elektrische Busse und Ladestationen", None),
    ] * 3
    analysed = engine.analyse([Document(i, text, language=lang) for i, (text, lang) in enumerate(texts)])
    labels = label_index(engine.config.analyzer_key())
    term_sets, languages = [a.terms.keys() for a in analysed], [a.language for a in analysed]
    batch = labels.infer(term_sets, languages, top=8, min_score=1.5, relative=0.5)
    single = [labels._infer_one(t, lang, 8, 1.5, 0.5) for t, lang in zip(term_sets, languages, strict=True)]
    assert batch == single
    assert batch[0] and batch[3]  # Dutch and (with foreign_inference) Spanish texts get codes


def test_code_vectors_are_the_rows_of_code_row():
    """The batch (norms of all rows at once) and the one-document path give the same vectors, empty rows and
    rows of zero weight included."""
    code_sets = [
        [("34144910", 1.0), ("34121000", 0.5), ("09310000", 0.25)],
        [],
        [("34144910", 0.0)],
        [("45000000", 0.3), ("45310000", 0.7), ("45311000", 1.0), ("90500000", 0.2), ("72000000", 1.0)],
        [],
    ]
    matrix = code_vectors(code_sets, CpvWeights())
    for i, codes in enumerate(code_sets):
        cols, values = code_row(codes, CpvWeights())
        assert matrix[i].indices.tolist() == cols
        assert matrix[i].data.tolist() == values.astype("float32").tolist()
    assert matrix[1].nnz == 0 and matrix[2].nnz == 0


def test_common_terms_of_a_large_corpus_are_counted_on_a_sample(monkeypatch):
    from matchmaker.matching import engine as engine_module

    words = ["urbano", "escolar", "de oficina", "de cocina", "de laboratorio"]
    docs = [
        Document(i, f"Suministro de mobiliario {words[(i // 5) % 5]} {i}", language="es") for i in range(200)
    ]
    exact = MatchingEngine()
    exact.fit(docs)
    monkeypatch.setattr(engine_module, "COMMON_SAMPLE", 40)
    sampled = MatchingEngine()
    sampled.fit(docs)  # counts every 5th document: 40 of the 200
    assert {"suministr", "mobiliari", "urban", "oficin"} <= exact.common_terms  # 40 of 200 > 10%
    assert sampled.common_terms == {"suministr", "mobiliari"}  # 40 each; the rest are in 8 of the 40 or fewer
