"""CPV codes: cleaning declared codes, inferring codes from text with the nl/fr/en labels, hierarchy
vectors."""

import pytest

from matchmaker.matching import Document, MatchingConfig, MatchingEngine
from matchmaker.matching.cpvsignal import CpvWeights, clean_codes, code_row, code_vectors, label_index


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


def test_texts_in_languages_without_labels_get_no_guesses_by_default():
    assert inferred(Document("x", "Suministro de autobuses eléctricos", language="es")) == []


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
