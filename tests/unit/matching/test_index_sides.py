"""The engine's additions for a shared, incrementally kept index: sides, one document's scores, drift,
bytes, and explanations from stored profiles."""

import zlib

import numpy as np
import pytest

from matchmaker.matching import Document, MatchingEngine, UnknownDocument
from matchmaker.matching.engine import Index, Profile, explain_profiles

NEEDS = [
    Document(
        "n1",
        "Elektrische bussen",
        description="Levering van elektrische stadsbussen met laadpalen.",
        language="nl",
        themes=("mobility",),
        side="need",
    ),
    Document(
        "n2",
        "School meals",
        description="Healthy local meals delivered to school canteens.",
        language="en",
        cpv=("15894200",),
        side="need",
    ),
    Document(
        "n3",
        "Street lighting",
        description="Smart LED street lighting that dims at night.",
        language="en",
        themes=("energy", "mobility"),
        side="need",
    ),
]
OFFERINGS = [
    Document("o1", "Electric buses", description="Battery electric city buses with fast charging.",
             language="en", themes=("mobility",), side="offering"),
    Document("o2", "Repas scolaires", description="Livraison de repas sains aux cantines scolaires.",
             language="fr", cpv=("15894200",), side="offering"),
    Document("o3", "Slimme straatverlichting",
             description="LED-straatverlichting die dimt als niemand op straat is.",
             language="nl", themes=("energy",), side="offering"),
    Document("o4", "Bus charging stations", description="Fast chargers for electric buses at the depot.",
             language="en", side="offering"),
]  # fmt: skip


@pytest.fixture
def index() -> Index:
    return MatchingEngine().fit(NEEDS + OFFERINGS)


def brute(index: Index, query_id: str, side: str) -> dict[str, float]:
    rows = index.rows([query_id])
    ids = [doc.id for doc in NEEDS + OFFERINGS if doc.side == side and doc.id in index]
    scores = (index.rows(ids) @ rows.T).toarray()[:, 0]
    return {doc_id: float(s) for doc_id, s in zip(ids, scores, strict=True) if s > 0}


def test_top_k_vectors_with_a_side_ranks_only_that_side(index):
    ranked = index.top_k_vectors(index.rows(["n1", "n2", "n3"]), k=10, side="offering")
    for need, matches in zip(["n1", "n2", "n3"], ranked, strict=True):
        expected = brute(index, need, "offering")
        assert {m.id for m in matches} == set(expected)
        for m in matches:
            assert m.score == pytest.approx(expected[m.id], abs=1e-6)
        assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    assert ranked[0][0].id in ("o1", "o4")


def test_side_scores_are_the_dot_products_of_the_rows(index):
    ids, scores = index.side_scores("o1", "need")
    expected = brute(index, "o1", "need")
    assert dict(zip(ids, scores.tolist(), strict=True)) == pytest.approx(expected, abs=1e-6)
    assert all(doc_id.startswith("n") for doc_id in ids)


def test_side_scores_leave_out_removed_documents(index):
    index.remove(["o4"], refit=False)
    ids, _scores = index.side_scores("n1", "offering")
    assert "o4" not in ids and "o1" in ids
    with pytest.raises(UnknownDocument):
        index.side_scores("o4", "need")


def test_add_without_refit_keeps_the_fit_and_reports_drift(index):
    idf = index.tfidf.idf_.copy()
    assert index.drift().changes == 0
    new = Document("o5", "Quantum annealing", description="Quantum annealing for timetables.",
                   language="en", side="offering")  # fmt: skip
    index.add([new], refit=False)
    drift = index.drift()
    assert np.array_equal(index.tfidf.idf_, idf)  # no refit, whatever the share of changes
    assert drift.changes == 1 and drift.documents == 8
    assert drift.changed_share == pytest.approx(1 / 8)
    assert drift.unknown_share > 0  # "quantum", "annealing" and "timetables" are new words
    index.refit()
    assert index.drift().changes == 0 and index.drift().unknown_share == 0


def test_an_added_document_scores_as_after_a_fit_when_its_words_are_known(index):
    doc = Document("o6", "Electric city buses", description="Buses with fast charging.", language="en",
                   side="offering")  # fmt: skip
    index.add([doc], refit=False)
    ids, scores = index.side_scores("o6", "need")
    assert "n1" in ids
    # Scores of an added document use the fitted IDF: equal to the row made by vectorize().
    expected = (index.vectorize([doc]) @ index.rows(["n1"]).T).toarray()[0, 0]
    assert scores[ids.index("n1")] == pytest.approx(expected, abs=1e-6)


def test_bytes_round_trip_keeps_scores(index):
    again = Index.loads(index.dumps())
    assert again.side_scores("n1", "offering")[0] == index.side_scores("n1", "offering")[0]
    with pytest.raises(zlib.error):
        Index.loads(b"not an index")


def test_the_bytes_hold_no_derived_state_and_an_index_stored_by_the_earlier_code_still_loads(index):
    state = index.__getstate__()  # what dumps() pickles
    assert not {"_matrix_t", "_side_masks", "_id_keys", "_sides", "_ids", "_id_rank_cache"} & set(state)
    # What the earlier code pickled: the transpose, the side masks and the ids' ranks, no keys, sides or ids.
    old = index.__dict__.copy()
    old.pop("_id_rank_cache")
    old["_id_rank"] = np.arange(len(old["_id_keys"]))
    del old["_id_keys"], old["_sides"], old["_ids"]
    loaded = Index.__new__(Index)
    loaded.__setstate__(old)
    query = Document("q", "electric buses for the city", language="en", side="need")
    assert loaded.top_k(query, 4) == index.top_k(query, 4)
    assert loaded.side_scores("n1", "offering")[0] == index.side_scores("n1", "offering")[0]


@pytest.mark.parametrize(("need", "offering"), [("n1", "o1"), ("n2", "o2"), ("n3", "o3"), ("n1", "o4")])
def test_explaining_profiles_equals_explaining_with_the_index(index, need, offering):
    a = Profile.from_dict(index.profile(need).as_dict())
    b = Profile.from_dict(index.profile(offering).as_dict())
    expected = index.explain(need, offering, "nl")
    got = explain_profiles(a, b, index.config, "nl")
    assert got.score == pytest.approx(expected.score, abs=1e-6)
    for name in ("text", "cpv", "theme"):
        assert got.components[name] == pytest.approx(expected.components[name], abs=1e-6)
    assert [(t.term, t.other) for t in got.shared_terms] == [(t.term, t.other) for t in expected.shared_terms]
    assert got.cpv == expected.cpv and got.themes == expected.themes
    assert got.score == pytest.approx(brute(index, need, "offering").get(offering, 0.0), abs=1e-6)


def test_the_dot_product_of_profile_vectors_is_the_score(index):
    for need in ("n1", "n2", "n3"):
        a = index.profile(need).vector(index.config)
        expected = brute(index, need, "offering")
        for offering in ("o1", "o2", "o3", "o4"):
            b = index.profile(offering).vector(index.config)
            score = sum(v * b.get(key, 0.0) for key, v in a.items())
            assert score == pytest.approx(expected.get(offering, 0.0), abs=1e-6)


def test_profiles_of_many_documents_equal_their_profiles_one_by_one(index):
    ids = ["n1", "n2", "n3", "o1", "o2", "o3", "o4"]
    assert [p.as_dict() for p in index.profiles(ids)] == [index.profile(i).as_dict() for i in ids]


def test_ranked_blocks_hold_the_same_ranking_as_matches(index):
    rows = index.rows(["n1", "n2", "n3"])
    expected = index.top_k_vectors(rows, k=2, side="offering")
    got = []
    for start, ids, selected in index.ranked_blocks(rows, 2, side="offering", block=2):
        assert start == len(got)
        got.extend(
            [(ids[p], s) for p, s in zip(pos.tolist(), val.tolist(), strict=True)] for pos, val in selected
        )
    # The same ranking; scores equal up to float rounding (BLAS may sum a block of 2 in another order).
    assert [[i for i, _ in ms] for ms in got] == [[m.id for m in ms] for ms in expected]
    assert [[s for _, s in ms] for ms in got] == [
        pytest.approx([m.score for m in ms], abs=1e-6) for ms in expected
    ]
    assert all(ms for ms in got)


def test_documents_added_after_the_posting_lists_score_exactly_as_after_a_rebuild(index):
    """Added documents are scored from their own rows until TAIL_ROWS of them (matching.engine._after_add):
    every score, ranking and side score is the same float as an index whose posting lists were all made
    again (loaded from bytes), before and after the lists are rebuilt."""
    index.TAIL_ROWS = 2
    extra = [
        Document(f"o{n}", f"Electric bus {n}", description="Electric city buses and street lighting.",
                 language="en", themes=("mobility",), side="offering")
        for n in range(5, 10)
    ] + [Document("n4", "Laadpalen", description="Laadpalen voor elektrische bussen.", language="nl",
                  side="need")]  # fmt: skip
    for step, doc in enumerate(extra, start=1):
        index.add([doc], refit=False)
        tail = index._rows.shape[0] - index._transposed
        assert tail == (step if step <= 2 else (step - 3) % 3)  # rebuilt past two rows, then anew
        rebuilt = Index.loads(index.dumps())
        assert rebuilt._transposed == rebuilt._rows.shape[0]
        for query in ("n1", "n3", doc.id):
            for side in ("need", "offering"):
                ids, scores = index.side_scores(query, side)
                again_ids, again = rebuilt.side_scores(query, side)
                assert ids == again_ids and scores.tobytes() == again.tobytes()
        probe = Document("q", "Electric buses with chargers", language="en", themes=("mobility",))
        assert index.scores(probe) == rebuilt.scores(probe)
        assert index.top_k(probe, k=4) == rebuilt.top_k(probe, k=4)
    vectors = index.rows(["n1", "n4"])
    ranked = index.top_k_vectors(vectors, 5, side="offering")
    assert index._transposed == index._rows.shape[0]  # a product needs every posting list
    assert ranked == Index.loads(index.dumps()).top_k_vectors(vectors, 5, side="offering")
    assert [m.id for m in ranked[1]][:1] != []
