"""The shared matching index: stored pairs keep their invariant through publishes, edits, unpublishes and
deletions; incremental updates equal a full refit while the vocabulary stays; the proposals page runs a
fixed number of queries whatever the catalogue's size."""

import threading
import time

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import MatchItem, MatchPair, Need, NeedStatus, OfferingStatus
from matchmaker.services import matching
from matchmaker.services.matching import index as stored
from tests.factories import BUS_NEED, BUS_OFFERING, FRENCH_OFFERING, SENSOR_NEED, SENSOR_OFFERING
from tests.helpers import counting

K = 2

MORE_OFFERINGS = [
    {"title": "Laadpalen voor bussen",
     "summary": "Snelle laadpalen voor elektrische bussen aan de stelplaats.",
     "description": "Laadinfrastructuur voor elektrische stadsbussen.", "language": "nl",
     "cpv": ("31681500",)},
    {"title": "Fijnstofmeter", "summary": "Een sensor die fijnstof meet in klaslokalen.",
     "description": "Meet fijnstof en CO2 met een draadloze sensor.", "language": "nl"},
    {"title": "Batterijen voor bussen", "summary": "Batterijen die elektrische bussen 300 km laten rijden.",
     "description": "Lading in tien minuten aan de laadpaal.", "language": "nl"},
]  # fmt: skip


@pytest.fixture
def app_overrides():
    # A small K makes lists overflow and members leave them; no refit by itself (the tests decide).
    return {"MATCHES_INDEX_K": K, "MATCHES_REFIT_CHANGED": 1e9, "MATCHES_REFIT_UNKNOWN": 1e9}


@pytest.fixture
def shop(make_buyer, make_supplier, make_need, make_offering):
    buyer, other_buyer = make_buyer(), make_buyer()
    suppliers = [make_supplier() for _ in range(3)]
    needs = [make_need(buyer, BUS_NEED), make_need(buyer, SENSOR_NEED), make_need(other_buyer, BUS_NEED)]
    offerings = [
        make_offering(suppliers[0], BUS_OFFERING),
        make_offering(suppliers[1], SENSOR_OFFERING),
        make_offering(suppliers[2], FRENCH_OFFERING),
    ] + [make_offering(suppliers[i % 3], fields) for i, fields in enumerate(MORE_OFFERINGS)]
    matching.refit()  # one fit over every item: the vocabulary the changes below stay within
    return needs, offerings


def _model():
    generation = matching.served_generation()
    return stored._model(generation).index


def _stored(generation):
    rows = db.session.execute(
        sa.select(MatchPair.need_id, MatchPair.offering_id, MatchPair.score).where(
            MatchPair.generation == generation
        )
    ).all()
    return {(n, o): s for n, o, s in rows}


def check_invariant(k: int = K):
    """Every stored row holds the model's score; each live item's list (its rows at or above its kth) is an
    exact prefix of its ranking, of at least the low-water mark's length (or every positive counterpart),
    at most the high-water mark's (ties aside), and `listed` counts it."""
    db.session.expire_all()
    generation = matching.served_generation()
    model = _model()
    pairs = _stored(generation)
    items = db.session.scalars(
        sa.select(MatchItem).where(MatchItem.generation == generation, MatchItem.live.is_(True))
    ).all()
    for item in items:
        kind = item.kind
        ids, scores = model.side_scores(stored._key(kind, item.item_id), stored.other(kind))
        truth = {stored._item_id(i): float(s) for i, s in zip(ids, scores.tolist(), strict=True)}
        ranking = sorted(truth.items(), key=lambda p: (-p[1], p[0]))
        mine = {
            (o if kind == "need" else n): s
            for (n, o), s in pairs.items()
            if (n if kind == "need" else o) == item.item_id
        }
        for other_id, score in mine.items():  # 1. every stored row is true
            assert score == pytest.approx(truth.get(other_id, 0.0), abs=1e-6), (kind, item.item_id, other_id)
        listed = {o for o, s in mine.items() if s >= item.kth_score - stored.EPS and s > 0}
        above = {o for o, s in ranking if s >= item.kth_score + stored.EPS}
        assert listed >= above, (kind, item.item_id)  # 2. an exact prefix
        if item.kth_score == 0:
            assert listed == set(truth), (kind, item.item_id)
        else:
            assert len(listed) >= stored.low_water(k), (kind, item.item_id)  # 3. long enough
        ties = sum(1 for _o, s in ranking if abs(s - item.kth_score) <= stored.EPS)
        assert len(listed) <= stored.high_water(k) + ties, (kind, item.item_id)  # 3. not too long
        assert abs(item.listed - len(listed)) <= ties, (kind, item.item_id, item.listed)  # 4. counted
    live = {(i.kind, i.item_id) for i in items}
    assert all(("need", n) in live and ("offering", o) in live for n, o in pairs)


def _refresh(item):
    matching.refresh_item("need" if isinstance(item, Need) else "offering", item.id)


def test_the_invariant_holds_through_unpublishing_editing_publishing_and_deleting(
    shop, make_offering, make_supplier
):
    needs, offerings = shop
    check_invariant()
    offerings[0].status = OfferingStatus.DRAFT.value  # the best bus offering leaves every list
    db.session.commit()
    _refresh(offerings[0])
    check_invariant()
    needs[1].title = "Elektrische bussen en laadpalen"  # known words: a sensor need turns into a bus need
    db.session.commit()
    _refresh(needs[1])
    check_invariant()
    make_offering(make_supplier(), MORE_OFFERINGS[0], title="Snelle laadpalen voor stadsbussen")
    check_invariant()
    doomed = offerings[3]
    db.session.delete(doomed)
    db.session.commit()
    matching.refresh_item("offering", doomed.id)
    check_invariant()
    needs[2].status = NeedStatus.CLOSED.value
    db.session.commit()
    _refresh(needs[2])
    check_invariant()
    assert not db.session.scalar(
        sa.select(sa.func.count())
        .select_from(MatchPair)
        .where(sa.or_(MatchPair.offering_id == doomed.id, MatchPair.need_id == needs[2].id))
    )


def test_incremental_pairs_equal_a_full_refit_while_the_vocabulary_stays(shop):
    """Unpublish, edit and publish back: the catalogue ends as it was fitted, so the fitted vocabulary and
    IDF are still exact and the incremental results must equal a fresh fit's."""
    needs, offerings = shop
    original = needs[0].title
    offerings[1].status = OfferingStatus.DRAFT.value
    db.session.commit()
    _refresh(offerings[1])
    needs[0].title = "Luchtkwaliteit meten"
    db.session.commit()
    _refresh(needs[0])
    offerings[1].status = OfferingStatus.PUBLISHED.value
    needs[0].title = original
    db.session.commit()
    _refresh(offerings[1])
    _refresh(needs[0])
    check_invariant()

    def lists(generation):
        pairs = _stored(generation)
        items = db.session.scalars(sa.select(MatchItem).where(MatchItem.generation == generation)).all()
        out = {}
        for item in items:
            col = 0 if item.kind == "need" else 1
            rows = [
                (p[1 - col], s)
                for p, s in pairs.items()
                if p[col] == item.item_id and s >= item.kth_score - stored.EPS
            ]
            out[(item.kind, item.item_id)] = sorted(rows, key=lambda r: (-r[1], r[0]))[:K]
        return out

    incremental = lists(matching.served_generation())
    matching.refit()
    fresh = lists(matching.served_generation())
    assert incremental.keys() == fresh.keys()
    for key, rows in fresh.items():
        # The same pairs with the same scores (exact ties, as of two needs with the same text, may swap
        # places: the two paths round the last float32 digit differently).
        assert dict(incremental[key]) == pytest.approx(dict(rows), abs=1e-6), key


def test_added_words_count_only_after_the_refit(shop, make_offering, make_supplier):
    """A new word is unknown to the fitted vocabulary: the drift says so, and the refit makes it count."""
    new = make_offering(make_supplier(), {**MORE_OFFERINGS[1], "title": "Zonnepanelen hybride omvormer"})
    assert matching.index.drift().unknown_share > 0
    generation = matching.served_generation()
    matching.refit()
    assert matching.served_generation() == generation + 1
    assert matching.index.drift().unknown_share == 0
    # The old generation is gone; the new one holds the new offering.
    assert not db.session.scalar(
        sa.select(sa.func.count()).select_from(MatchItem).where(MatchItem.generation == generation)
    )
    assert db.session.get(MatchItem, (generation + 1, "offering", new.id)).live


def test_a_refresh_before_any_fit_fits_everything(make_buyer, make_supplier, make_need, make_offering):
    buyer, supplier = make_buyer(), make_supplier()
    need = make_need(buyer, BUS_NEED)
    offering = make_offering(supplier, BUS_OFFERING)
    proposals = matching.proposals_for(need, buyer.user).proposals
    assert [p.offering.id for p in proposals] == [offering.id]
    assert proposals[0].explanation.cpv  # explained from the stored profiles


def test_the_refit_stores_each_pair_once_with_both_directions_lists(shop):
    """A pair in both the need's and the offering's top K is one row, and every item's top K is stored."""
    check_invariant()
    rows = db.session.execute(
        sa.select(MatchPair.need_id, MatchPair.offering_id).where(
            MatchPair.generation == matching.served_generation()
        )
    ).all()
    assert len(rows) == len(set(rows)) > 0


def test_a_refit_steps_aside_while_another_runs(shop):
    before = matching.served_generation()
    with stored._exclusive_refit(wait=True) as mine:
        assert mine
        report = stored.refit(wait=False)
    assert report.skipped and report.generation is None
    assert matching.served_generation() == before
    assert not stored.refit(wait=False).skipped  # free again
    assert matching.served_generation() > before


def test_on_postgresql_a_refit_steps_aside_while_another_process_refits(app, shop):
    """The guard between processes: another connection holding the refit lock (as a refit in a worker on
    another host does) makes the job's refit step aside."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the lock between processes is PostgreSQL's advisory lock")
    before = matching.served_generation()
    with db.engine.connect() as elsewhere:
        elsewhere.execute(stored.refit_lock_sql("pg_advisory_lock"))
        elsewhere.commit()
        try:
            assert stored.refit(wait=False).skipped
            assert matching.served_generation() == before
            # A platform in another schema of the same database (another connection) is not held up by it.
            key = f"{stored._REFIT_LOCK_KEY}, hashtext('another_schema')"
            with db.engine.connect() as third:
                assert third.scalar(sa.text(f"SELECT pg_try_advisory_lock({key})"))
                third.execute(sa.text(f"SELECT pg_advisory_unlock({key})"))
                third.commit()
        finally:
            elsewhere.execute(stored.refit_lock_sql("pg_advisory_unlock"))
            elsewhere.commit()
    assert not stored.refit(wait=False).skipped


def test_bad_kind_is_refused(app):
    with pytest.raises(ValueError):
        matching.refresh_item("event", 1)


def test_out_of_date_finds_what_no_job_told_the_index(shop):
    needs, offerings = shop
    assert matching.out_of_date() == []
    offerings[2].status = OfferingStatus.ARCHIVED.value
    needs[0].title = "Iets anders"
    db.session.commit()
    assert matching.out_of_date() == [("need", needs[0].id), ("offering", offerings[2].id)]
    # Readers never show an item that is no longer published, even before its refresh.
    shown = matching.proposals_for(needs[1], None)
    assert offerings[2].id not in {p.offering.id for p in shown.proposals}


def test_the_proposals_page_runs_as_many_queries_for_a_larger_catalogue(
    client, auth, make_buyer, make_supplier, make_need, make_offering
):
    buyer = make_buyer()
    make_need(buyer, BUS_NEED)
    make_need(buyer, SENSOR_NEED)
    for fields in (BUS_OFFERING, SENSOR_OFFERING):
        make_offering(make_supplier(), fields)
    matching.refit()
    auth.login(buyer.user)
    client.get("/matches/")  # warm up (session, translations)
    with counting() as small:
        assert client.get("/matches/").status_code == 200
    for i in range(6):
        make_offering(make_supplier(), MORE_OFFERINGS[i % 3])
        make_offering(make_supplier(), FRENCH_OFFERING, title=f"Capteurs {i}")
    make_need(buyer, BUS_NEED, title="Nog meer bussen")
    matching.refit()
    client.get("/matches/")  # the same warm-up as above
    with counting() as large:
        html = client.get("/matches/").get_data(as_text=True)
    assert "Laadpalen voor bussen" in html
    assert len(large) == len(small), "\n".join(q[:150] for q in large)


def test_a_process_loads_its_model_before_it_takes_the_lock_other_workers_wait_for(shop, monkeypatch):
    """Loading the model takes seconds at the platform's size; a worker that did so while holding the index
    state's row lock held up every other worker's refresh for as long (4 s in the benchmark)."""
    _needs, offerings = shop
    stored.forget_models()  # as a worker process's first change finds it
    locked_with_a_model = []
    state = stored._state

    def watched(lock: bool = False):
        if lock:
            locked_with_a_model.append(matching.served_generation() in stored._models())
        return state(lock)

    monkeypatch.setattr(stored, "_state", watched)
    _refresh(offerings[0])
    assert locked_with_a_model == [True]
    check_invariant()


def test_a_process_says_it_loaded_the_model_also_when_a_job_loaded_it(shop, caplog):
    """The benchmark waits until every Celery process has said so; a process whose first job loaded the
    model (before its keeper thread did) said nothing, and the benchmark waited five minutes for it."""
    stored.forget_models()
    with caplog.at_level("INFO", logger=stored.log.name):
        stored._model(matching.served_generation())
    assert f"Matching model of generation {matching.served_generation()} loaded" in caplog.text


def test_a_process_loads_a_newly_served_model_once(shop):
    stored.forget_models()
    generation = matching.served_generation()
    assert stored.load_served_model() == generation
    assert stored.load_served_model() is None  # held already
    matching.refit()  # a new generation is served: the process that fitted it holds it
    assert stored.load_served_model() is None and list(stored._models()) == [generation + 1]
    stored.forget_models()  # as another worker process finds it
    assert stored.load_served_model() == generation + 1
    assert list(stored._models()) == [generation + 1]
    check_invariant()


def test_a_worker_process_loads_the_served_model_in_the_background(app, shop):
    """Celery's pool processes start a keeper thread (matchmaker.worker): the model is there before any
    refresh needs it."""
    stored.forget_models()
    db.session.commit()
    stop = threading.Event()
    keeper = stored.keep_served_model(app, 0.05, stop)
    try:
        deadline = time.monotonic() + 30
        while matching.served_generation() not in stored._models() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert matching.served_generation() in stored._models()
    finally:
        stop.set()
        keeper.join(5)
    assert not keeper.is_alive()
