"""The engine: ranking, explanations, changes, persistence and odd inputs."""

import gc
import random

import numpy as np
import pytest

from matchmaker.matching import (
    Document,
    EmptyIndex,
    Index,
    InvalidDocument,
    MatchingConfig,
    MatchingEngine,
    UnknownDocument,
)
from matchmaker.matching.engine import _id_key, _ProductPlan
from matchmaker.reference.cpv import vocabulary

OFFERINGS = [
    Document(
        "bus",
        "Electric buses for public transport",
        description="Battery electric city buses with fast charging at the depot.",
        language="en",
    ),
    Document(
        "chairs",
        "Ergonomic office chairs",
        description="Adjustable office furniture for civil servants.",
        language="en",
    ),
    Document(
        "lamps",
        "Slimme straatverlichting",
        description="LED-straatverlichting die dimt wanneer niemand op straat is.",
        language="nl",
    ),
    Document(
        "meals",
        "Repas pour les écoles",
        description="Livraison de repas sains et locaux aux cantines scolaires.",
        language="fr",
    ),
]


@pytest.fixture(scope="module")
def index():
    return MatchingEngine().fit(OFFERINGS)


def test_a_dutch_need_finds_the_english_offering_through_cpv_labels(index):
    need = Document("n1", "Levering van elektrische bussen", language="nl")
    matches = index.top_k(need, k=4)
    assert matches[0].id == "bus"
    explanation = index.explain(need, "bus", "nl")
    assert not explanation.shared_terms  # no word in common (the text meets only through the bridge) ...
    assert explanation.components["cpv"] > 0.0  # ... but the same CPV code, inferred on both sides
    assert ("34144910", "Elektrische bussen", "inferred") in explanation.cpv


def test_explanation_shows_words_as_written_and_labels_in_the_readers_language(index):
    need = Document("n2", "Wij zoeken slimme verlichting voor onze straten", language="nl")
    explanation = index.explain(need, "lamps", "fr")
    written = {term.term for term in explanation.shared_terms} | {
        term.other for term in explanation.shared_terms
    }
    assert "slimme" in written and "verlichting" in written
    assert "slimm" not in written and "verlicht" not in written  # stems stay inside
    for code, label, _relation in explanation.cpv:
        assert label == vocabulary()[code].label("fr")
    assert explanation.language == "fr"


def test_explanation_adds_up_to_the_ranking_score(index):
    need = Document("n3", "Electric city buses", language="en", themes=("Mobiliteit",))
    score = index.top_k(need, k=1)[0].score
    explanation = index.explain(need, "bus", "en")
    assert explanation.score == pytest.approx(score, abs=1e-5)
    assert sum(explanation.components.values()) == pytest.approx(score, abs=1e-5)
    assert explanation.reasons()[0].startswith("terms: ")


def test_declared_codes_explain_their_relation():
    engine = MatchingEngine(MatchingConfig(infer_when_declared=False))
    offerings = [
        Document("same", "x", cpv=("34144910",)),
        Document("group", "y", cpv=("34121000",)),
        Document("division", "z", cpv=("34510000",)),
    ]
    index = engine.fit(offerings)
    need = Document("n", "q", cpv=("34144910-0",))
    assert [m.id for m in index.top_k(need, 3)] == ["same", "group", "division"]
    assert index.explain(need, "same", "en").cpv[0].relation == "shared"
    assert index.explain(need, "group", "en").cpv[0][::2] == ("34100000", "same group")
    assert index.explain(need, "division", "en").cpv[0][::2] == ("34000000", "same division")


def test_shared_themes_count_and_are_explained():
    index = MatchingEngine().fit([Document("a", "alpha", themes=("Energie",)), Document("b", "beta")])
    need = Document("n", "gamma", themes=("énergie",))
    assert [m.id for m in index.top_k(need, 2)] == ["a"]
    assert index.explain(need, "a", "nl").themes == ["energie"]


def random_corpus(seed, n):
    rng = random.Random(seed)
    words = [
        "bus",
        "elektrisch",
        "verlichting",
        "school",
        "maaltijd",
        "energie",
        "zon",
        "water",
        "afval",
        "data",
        "platform",
        "sensor",
        "fiets",
        "laadpaal",
        "warmte",
        "isolatie",
        "robot",
        "drone",
        "brug",
        "weg",
    ]
    codes = ["34144910", "34121000", "34510000", "09310000", "45310000", "72000000", "90500000", "15000000"]
    docs = []
    for i in range(n):
        docs.append(
            Document(
                id=f"d{rng.randrange(10**6):06d}-{i}",
                title=" ".join(rng.choices(words, k=rng.randint(0, 3))),
                description=" ".join(rng.choices(words, k=rng.randint(0, 12))),
                language=rng.choice(["nl", "en", None]),
                cpv=tuple(rng.sample(codes, rng.randint(0, 2))),
                themes=tuple(rng.sample(["energie", "mobiliteit", "zorg"], rng.randint(0, 2))),
            )
        )
    return docs


def brute_force(index, query, k):
    """Every score from the public vectors, fully sorted (score desc, then id)."""
    ids = index.ids
    scores = (index.matrix @ index.vectorize([query]).T).toarray().ravel()
    order = sorted(
        (i for i in range(len(ids)) if scores[i] > 1e-9), key=lambda i: (-scores[i], _id_key(ids[i]))
    )
    return [(ids[i], scores[i]) for i in order[:k]]


def assert_same_ranking(fast, slow):
    assert len(fast) == len(slow)
    for match, (doc_id, score) in zip(fast, slow, strict=True):
        assert match.score == pytest.approx(score, abs=1e-5)
        if match.id != doc_id:  # only a float-rounding tie may swap
            assert abs(dict(slow)[match.id] - score) < 1e-5 if match.id in dict(slow) else False


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_top_k_equals_brute_force_on_a_random_corpus(seed):
    docs = random_corpus(seed, 300)
    index = MatchingEngine().fit(docs)
    queries = random_corpus(seed + 100, 25)
    many = index.top_k_many(queries, 7)
    for query, batch in zip(queries, many, strict=True):
        slow = brute_force(index, query, 7)
        assert_same_ranking(index.top_k(query, 7), slow)
        assert_same_ranking(batch, slow)


def test_scores_are_between_zero_and_one():
    docs = random_corpus(5, 200)
    # Its 20 words are all in more than a tenth of the documents: they would guess no codes (infer_max_df).
    index = MatchingEngine(MatchingConfig(infer_max_df=1.0)).fit(docs)
    for query in random_corpus(6, 20) + docs[:5]:
        values = np.array(list(index.scores(query).values()))
        assert values.min() >= 0.0 and values.max() <= 1.0 + 1e-6
    assert index.top_k(docs[0], 1)[0].score == pytest.approx(1.0, abs=1e-5)  # a document matches itself fully


def test_ties_are_broken_by_id():
    index = MatchingEngine().fit(
        [Document(i, "zonnepanelen op daken", language="nl") for i in ("c", "a", "b")]
    )
    assert [m.id for m in index.top_k(Document("n", "zonnepanelen", language="nl"), 3)] == ["a", "b", "c"]


def test_ties_are_broken_by_id_among_documents_added_after_the_fit_too():
    config = MatchingConfig(refit_ratio=10)
    index = MatchingEngine(config).fit([Document("c", "zonnepanelen op daken", language="nl")])
    query = Document("n", "zonnepanelen", language="nl")
    assert [m.id for m in index.top_k(query, 3)] == ["c"]  # the ids' order is known now...
    index.add([Document("a", "zonnepanelen op daken", language="nl")])
    roofs, sheds = Document("b", "zonnepanelen op daken", language="nl"), Document("0", "fietsenstalling")
    index.add([roofs, sheds])
    assert [m.id for m in index.top_k(query, 3)] == ["a", "b", "c"]  # ...and again after each change
    index.remove(["a"])
    assert [m.id for m in index.top_k(query, 3)] == ["b", "c"]


def test_results_are_deterministic():
    docs, queries = random_corpus(7, 150), random_corpus(8, 10)
    first = MatchingEngine().fit(docs).top_k_many(queries, 5)
    second = MatchingEngine().fit(list(reversed(docs))).top_k_many(queries, 5)
    assert [[m.id for m in r] for r in first] == [[m.id for m in r] for r in second]


def test_only_positive_scores_are_returned(index):
    assert index.top_k(Document("n", "qwertyuiop"), 3) == []


def test_exclude_self_leaves_the_query_document_out(index):
    assert "bus" not in [m.id for m in index.top_k(OFFERINGS[0], 4, exclude_self=True)]
    assert index.top_k(OFFERINGS[0], 1)[0].id == "bus"


def test_both_directions_work_the_same_way():
    needs = [
        Document("n-bus", "Wij zoeken elektrische bussen", language="nl"),
        Document("n-food", "Gezonde schoolmaaltijden", language="nl"),
    ]
    needs_index = MatchingEngine().fit(needs)
    assert needs_index.top_k(OFFERINGS[0], 1)[0].id == "n-bus"


def test_add_remove_and_replace_are_reflected_at_once(index):
    index = MatchingEngine(MatchingConfig(refit_ratio=10)).fit(OFFERINGS)
    need = Document("n", "Electric buses", language="en")
    index.add([Document("bus2", "Electric buses and trolleybuses", language="en")])
    assert "bus2" in [m.id for m in index.top_k(need, 4)]
    index.remove(["bus"])
    assert "bus" not in [m.id for m in index.top_k(need, 4)]
    index.add([Document("bus2", "Office chairs", language="en")])  # an edit: same id, new text
    assert "bus2" not in [m.id for m in index.top_k(need, 4)]
    assert len(index) == 4 and "bus" not in index


def test_words_new_to_the_index_count_after_a_refit():
    index = MatchingEngine(MatchingConfig(refit_ratio=10)).fit(OFFERINGS)
    index.add([Document("hydrogen", "Waterstoftankstation", language="nl")])
    need = Document("n", "waterstoftankstation", language="nl")
    before = index.scores(need)["hydrogen"]
    index.refit()
    assert index.scores(need)["hydrogen"] > before
    assert index.top_k(need, 1)[0].id == "hydrogen"


def test_many_changes_refit_by_themselves():
    index = MatchingEngine(MatchingConfig(refit_ratio=0.25)).fit(OFFERINGS)
    index.add(
        [
            Document("hydrogen", "Waterstoftankstation", language="nl"),
            Document("heat", "Warmtenet voor een wijk", language="nl"),
        ]
    )
    assert "waterstoftankstation" in index.vocabulary


def test_refit_after_removals_gives_the_same_ranking_as_a_fresh_fit():
    docs = random_corpus(9, 120)
    index = MatchingEngine(MatchingConfig(refit_ratio=10)).fit(docs)
    index.remove([d.id for d in docs[:40]])
    index.refit()
    fresh = MatchingEngine().fit(docs[40:])
    for query in random_corpus(10, 10):
        assert [m.id for m in index.top_k(query, 5)] == [m.id for m in fresh.top_k(query, 5)]


def test_save_and_load_keep_the_rankings(tmp_path, index):
    path = tmp_path / "offerings.index"
    index.save(path)
    loaded = Index.load(path)
    need = Document("n", "Gezonde maaltijden voor scholen", language="nl")
    assert loaded.top_k(need, 4) == index.top_k(need, 4)


def test_empty_index_raises():
    index = MatchingEngine().fit([])
    with pytest.raises(EmptyIndex):
        index.top_k(Document("n", "bus"), 3)
    full = MatchingEngine().fit(OFFERINGS[:1])
    full.remove(["bus"])
    with pytest.raises(EmptyIndex):
        full.top_k_many([Document("n", "bus")], 3)


def test_bad_arguments_raise_the_engines_errors(index):
    with pytest.raises(InvalidDocument):
        MatchingEngine().fit([Document("a", "x"), Document("a", "y")])
    with pytest.raises(UnknownDocument):
        index.remove(["nope"])
    with pytest.raises(UnknownDocument):
        index.explain(Document("n", "bus"), "nope")
    with pytest.raises(ValueError, match="k must be"):
        index.top_k(Document("n", "bus"), 0)
    with pytest.raises(ValueError, match="sum to 1"):
        MatchingConfig(text_weight=0.9, cpv_weight=0.9)


@pytest.mark.parametrize(
    "document",
    [
        Document("empty"),
        Document("title-only", "Zonnepanelen"),
        Document("no-title", description="Installation de panneaux solaires"),
        Document("odd-language", "Solar panels", language="xx-YY"),
        Document("numbers", "2024 2025 12345", cpv=("not-a-code", "")),
        Document(42, "ÆØÅ ﬁ ß ẞ 東京 Москва ♥ 🚌", language="ja"),
        Document("spaces", "   ", description="\n\t"),
    ],
)
def test_odd_documents_never_crash(document, index):
    assert isinstance(index.top_k(document, 3), list)
    index.explain(document, "bus", "de")
    MatchingEngine().fit([document, *OFFERINGS]).top_k_many([document], 2)


def test_from_mapping_tolerates_missing_and_odd_fields():
    doc = Document.from_mapping({"id": 7, "title": None, "cpv": "34144910", "language": "", "extra": [1]})
    assert doc == Document(7, cpv=("34144910",))
    with pytest.raises(InvalidDocument):
        Document.from_mapping({"title": "no id"})


def test_ranking_in_two_threads_equals_ranking_in_one():
    docs = random_corpus(11, 200) + [Document(f"tie-{i}", "zon water", language="nl") for i in range(30)]
    index = MatchingEngine().fit(docs)
    queries = [*random_corpus(12, 40), Document("q-tie", "zon water", language="nl")]
    vectors = index.vectorize(queries)
    one = index.top_k_vectors(vectors, 5, block=16)
    two = index.top_k_vectors(vectors, 5, block=16, workers=2)
    assert one == two
    assert [m.id for m in one[-1]] == ["tie-0", "tie-1", "tie-10", "tie-11", "tie-12"]  # ties by id


@pytest.mark.parametrize("dense_share", [0.0, 0.05, 2.0])
def test_the_split_product_gives_every_score_of_the_plain_product(dense_share):
    """All-pairs ranking multiplies widely shared features densely and the rest sparsely: whatever the split
    (everything dense, some, nothing), the scores are those of the plain sparse product."""
    docs = random_corpus(15, 120)
    index = MatchingEngine().fit(docs)
    vectors = index.vectorize(random_corpus(16, 37))
    plan = _ProductPlan(vectors, index._matrix_t, dense_share)
    if dense_share == 0.0:
        # every feature both sides use is dense; what stays sparse (words no document has) adds nothing
        assert len(plan.dense_features) > 0 and (plan.sparse_queries @ plan.sparse_docs).nnz == 0
    elif dense_share == 2.0:
        assert len(plan.dense_features) == 0
    else:
        assert len(plan.dense_features) > 0 and plan.sparse_queries.nnz > 0
    plain = (vectors @ index._matrix_t).toarray()
    for start in (0, 16, 32):
        block = plan.scores(start, start + 16)
        assert block.dtype == np.float32 and block.shape == (min(16, 37 - start), len(docs))
        np.testing.assert_allclose(block, plain[start : start + 16], atol=1e-6)


def test_all_pairs_ranking_equals_brute_force_when_most_pairs_share_features():
    """Common words and CPV divisions put most features on the dense side; the top k stays exact, with the
    query itself left out and removed documents never returned."""
    docs = random_corpus(17, 400)
    index = MatchingEngine().fit(docs)
    index.remove([docs[3].id, docs[7].id])
    queries = docs[:60]
    ranked = index.top_k_many(queries, 6, exclude_self=True, workers=2)
    for query, matches in zip(queries, ranked, strict=True):
        slow = [(i, s) for i, s in brute_force(index, query, 7) if i != query.id][:6]
        assert_same_ranking(matches, slow)
        assert not {docs[3].id, docs[7].id, query.id} & {m.id for m in matches}


def test_fitting_and_ranking_leave_garbage_collection_as_they_found_it():
    docs = random_corpus(18, 60)
    assert gc.isenabled()
    index = MatchingEngine().fit(docs, chunk=20, workers=2)
    index.top_k_many(docs[:10], 3, workers=2)
    assert gc.isenabled()
    with pytest.raises(InvalidDocument):
        MatchingEngine().fit([*docs, "not a document"])
    assert gc.isenabled()
    gc.disable()
    try:
        MatchingEngine().fit(docs)
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


def test_fitting_in_two_processes_gives_the_same_index():
    # A compound in the last chunk whose part only a document of the first chunk uses on its own: the
    # lexicon that the workers gather must reach every chunk.
    docs = [
        Document("parts-1", "zwerk robot", language="nl"),
        *random_corpus(13, 200),
        Document("parts-2", "robotzwerk", language="nl"),
    ]
    queries = random_corpus(14, 20)
    one = MatchingEngine().fit(docs, chunk=50)
    two = MatchingEngine().fit(docs, chunk=50, workers=2)
    assert one.vocabulary == two.vocabulary
    compound = two.matrix[two.ids.index("parts-2")]
    assert {two._terms[j] for j in compound.indices} == {"robotzwerk", "robot", "zwerk"}
    assert (one.matrix != two.matrix).nnz == 0
    assert [(a.language, a.inferred) for a in one._analysed] == [
        (a.language, a.inferred) for a in two._analysed
    ]
    assert one.top_k_many(queries, 5) == two.top_k_many(queries, 5)
