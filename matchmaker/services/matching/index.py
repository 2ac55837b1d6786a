"""The platform's one matching index, kept by the task-queue workers; web requests only read what it stores.

Generations
-----------
A full fit (`refit`) makes a new *generation*: the fitted engine index (one vocabulary and IDF for needs and
offerings) stored as a blob in `match_model`, every indexed item in `match_item` (what explaining a live one
needs in `match_profile`, so that no web process loads a model), and the stored pairs in `match_pair`.
Readers use the generation named by the single `match_index_state` row; a refit builds the next one beside
it and switches the row in one transaction once it is complete, so the old results serve until then.

Stored pairs and their invariant
--------------------------------
For each indexed item X (need or offering), `match_item.kth_score` holds a threshold kth(X) >= 0, and list(X)
is the set of X's stored rows scoring at least kth(X) (positive scores only). K = MATCHES_INDEX_K,
L = K - K // 3 the low-water mark and H = K + K // 3 the high-water mark.

1. Every stored row holds the true current score of its pair (in the generation's fitted space).
2. Every counterpart Y of X scoring at least kth(X) is stored: list(X) is an exact prefix of X's ranking.
3. list(X) holds at least L rows, or all of X's positive counterparts (kth(X) = 0), and at most H.
4. `match_item.listed` is the number of rows in list(X) (ties at kth(X) aside).

So "best offerings for need N" is one indexed query (generation, need_id, score) for the rows at or above kth:
exact, ties at the boundary aside, at least L of them (a refit stores K per item: kth(X) is then the K-th best
score, or 0 when X has fewer than K positive counterparts). Rows below a kth may remain; they are true (1.)
and readers ignore them.

An incremental change of X (`refresh_item`, one at a time under the state row's lock): X's rows are deleted
and its new top K written; for each counterpart Y, the pair is written if X now scores >= kth(Y) (X enters
Y's list, which counts one more). Only when list(Y) grows past H does the database count it and kth(Y) rise
to the K-th best, cutting it back to K. When X leaves list(Y) (removal, unpublishing, or a lower score),
list(Y) is one shorter and still an exact prefix (2. holds: no other score changed). Only when it falls
below L is Y re-ranked against the whole index (one sparse product) and its missing rows written. So an
item that enters or leaves thousands of lists costs one counter update for them, and a count or a re-rank
of each only once in every K // 3 changes of it, not at every one (a published offering entering 3,000
lists of the benchmark's catalogue had them all counted: 0.8 s of the database's time).

Added items are vectorised with the fitted vocabulary and IDF: their scores equal a fresh fit's only while
the vocabulary and IDF stay what they were; words the fit never saw count for nothing. `drift` says how far
the index moved (share of items changed since the fit, share of unknown term occurrences); past
MATCHES_REFIT_CHANGED or MATCHES_REFIT_UNKNOWN a refit is queued, and one runs periodically anyway.

Workers on any host load a generation's model from the database once (cached per process, keyed by
generation) and replay the items changed after the model's `seq` from `match_item`, so each sees every
change applied by the others.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.matching import Document, Profile
from matchmaker.models import (
    MatchIndexState,
    MatchItem,
    MatchModel,
    MatchPair,
    MatchProfile,
    Need,
    NeedStatus,
    Offering,
    OfferingStatus,
    utcnow,
)
from matchmaker.models.organisation import not_suspended
from matchmaker.services.kernel import commit, dialect_name, discard, one_of
from matchmaker.services.matching.documents import (
    _need_key,
    _offering_key,
    need_document,
    offering_document,
)

log = logging.getLogger(__name__)

NEED, OFFERING = "need", "offering"
KINDS = (NEED, OFFERING)
STATE_ID = 1
# Scores of one pair computed along two paths (the refit's block product, one item's posting lists) differ
# in the last float32 digits: comparisons with a kth allow this much, so a list keeps its ties.
EPS = 1e-6
Progress = Callable[[str, int, int], None]


def other(kind: str) -> str:
    return OFFERING if kind == NEED else NEED


def _key(kind: str, item_id: int) -> str:
    return _need_key(item_id) if kind == NEED else _offering_key(item_id)


@functools.lru_cache(maxsize=1 << 18)
def _item_id(key: str) -> int:
    """The item id of an index key ("offering:12" -> 12). Kept: a published offering's refresh reads the
    ids of the 15,000 needs it scores against, and parsing them each time was a tenth of its CPU."""
    return int(str(key).rpartition(":")[2])


def top_k() -> int:
    return max(1, int(current_app.config["MATCHES_INDEX_K"]))


def _min_score() -> float:
    return float(current_app.config["MATCHES_MIN_SCORE"])


def _pair_columns(kind: str):
    """(this item's column, the counterpart's column) of match_pair for an item of `kind`."""
    if kind == NEED:
        return MatchPair.need_id, MatchPair.offering_id
    return MatchPair.offering_id, MatchPair.need_id


# --------------------------------------------------------------------------------------------------
# State


def item_of_pair(kind: str):
    """The join condition of match_pair to the match_item of its `kind` side (which holds that item's kth)."""
    own_col, _other_col = _pair_columns(kind)
    return sa.and_(
        MatchItem.generation == MatchPair.generation,
        MatchItem.kind == kind,
        MatchItem.item_id == own_col,
    )


def served_generation() -> int | None:
    """The generation readers use (None before the first fit)."""
    return db.session.scalar(sa.select(MatchIndexState.generation).where(MatchIndexState.id == STATE_ID))


def generation_subquery():
    """The served generation as a scalar subquery, so that readers need no query of their own for it."""
    return sa.select(MatchIndexState.generation).where(MatchIndexState.id == STATE_ID).scalar_subquery()


def _state(lock: bool = False) -> MatchIndexState:
    query = sa.select(MatchIndexState).where(MatchIndexState.id == STATE_ID)
    if lock:
        query = query.with_for_update()
    state = db.session.scalar(query.execution_options(populate_existing=True))
    if state is None:
        state = MatchIndexState(id=STATE_ID, seq=0)
        db.session.add(state)
        db.session.flush()
        if lock:  # another process may have created it meanwhile: lock the row that exists now
            return _state(lock=True)
    return state


# One change at a time in this process too (SQLite ignores FOR UPDATE; threads share the process's models).
_lock = threading.RLock()


# --------------------------------------------------------------------------------------------------
# Documents


def _proposable(kind: str):
    """(model, condition) of the items of `kind` that are proposed: documents.is_proposable in SQL."""
    if kind == NEED:
        return Need, sa.and_(Need.status == NeedStatus.OPEN.value, not_suspended(Need.organisation_id))
    return Offering, sa.and_(
        Offering.status == OfferingStatus.PUBLISHED.value, not_suspended(Offering.organisation_id)
    )


def _load(kind: str, ids: Iterable[int] | None = None) -> list[Need | Offering]:
    """Proposable items of `kind` (all of them, or those of `ids`), with what their documents need."""
    model, live = _proposable(kind)
    query = (
        sa.select(model)
        .where(live)
        .options(selectinload(model.themes), selectinload(model.cpv_links))
        .order_by(model.id)
    )
    if ids is not None:
        ids = sorted(set(ids))
        if not ids:
            return []
        query = query.where(model.id.in_(ids))
    return list(db.session.scalars(query))


def _document(kind: str, item: Need | Offering) -> Document:
    doc = need_document(item) if kind == NEED else offering_document(item)
    return replace(doc, side=kind)


# --------------------------------------------------------------------------------------------------
# Models: loaded once per process and generation, then kept up to date by replaying match_item


@dataclass
class _Loaded:
    index: Any  # matchmaker.matching.Index
    seq: int  # every change up to this one is applied
    token: str  # MatchModel.token of the blob it came from


def _models() -> dict[int, _Loaded]:
    """This app's cached models by generation (a worker process has one app)."""
    return current_app.extensions.setdefault("matching_models", {})


def _model(generation: int) -> _Loaded | None:
    """This process's index of `generation`, with every change recorded after its seq applied."""
    models = _models()
    token = db.session.scalar(sa.select(MatchModel.token).where(MatchModel.generation == generation))
    if token is None:
        return None
    loaded = models.get(generation)
    if loaded is None or loaded.token != token:
        loaded = _read_model(generation)
        if loaded is None:
            return None
        _install(generation, loaded)
    changed = db.session.execute(
        sa.select(MatchItem.kind, MatchItem.item_id, MatchItem.seq)
        .where(MatchItem.generation == generation, MatchItem.seq > loaded.seq)
        .order_by(MatchItem.seq)
    ).all()
    if changed:
        for kind in KINDS:
            ids = [row.item_id for row in changed if row.kind == kind]
            _sync(loaded.index, kind, ids)
        loaded.seq = max(row.seq for row in changed)
    return loaded


def _sync(index, kind: str, ids: list[int]) -> None:
    """Make the index hold these items as the catalogue has them now (added, replaced or removed)."""
    if not ids:
        return
    items = {item.id: item for item in _load(kind, ids)}
    docs = [_document(kind, items[i]) for i in ids if i in items]
    gone = [_key(kind, i) for i in ids if i not in items and _key(kind, i) in index]
    if docs:
        index.add(docs, refit=False)
    if gone:
        index.remove(gone, refit=False)


def _read_model(generation: int) -> _Loaded | None:
    """The stored model of `generation`, unpacked (seconds at 50,000 items). The blob is read as values, not
    as an object of the session: the caller's session (a job's, or a test's when jobs run eagerly) keeps
    what it holds, and no copy of the blob stays in it."""
    blob = sa.select(MatchModel.data, MatchModel.seq, MatchModel.token)
    row = db.session.execute(blob.where(MatchModel.generation == generation)).one_or_none()
    if row is None:
        return None
    from matchmaker.matching.engine import Index  # workers only: web processes never load a model

    return _Loaded(Index.loads(row.data), row.seq, row.token)


def _install(generation: int, loaded: _Loaded) -> None:
    """Make `loaded` this process's model; one generation at a time: the others are superseded. Said in the
    log whichever way it was loaded (the keeper thread, or a job that needed it first): the benchmark waits
    for every worker process to say it."""
    models = _models()
    models.clear()
    models[generation] = loaded
    log.info("Matching model of generation %s loaded in this process", generation)


def load_served_model() -> int | None:
    """Load the served generation's model into this process if it holds another or none, without holding
    `_lock` while the blob is read and unpacked (seconds at 50,000 items): the process's jobs go on
    meanwhile, and the model is installed only if none was loaded for that generation in the meantime. The
    changes recorded since the blob are replayed by the next refresh. Returns the generation loaded, or None
    when there was nothing to load."""
    generation = served_generation()
    with _lock:
        if generation is None or generation in _models():
            return None
    loaded = _read_model(generation)
    if loaded is None:
        return None
    with _lock:
        if generation in _models():
            return None
        _install(generation, loaded)
    return generation


def keep_served_model(app, every: float, stop: threading.Event | None = None) -> threading.Thread:
    """Start a thread that loads each new served generation's model into this process as soon as it is
    served (checked every `every` seconds): a worker process then loads it beside its jobs, at the worker's
    low priority, instead of inside the first refresh that needs it, which made that change wait seconds
    and took the CPU in one burst while the site was busy. A failure (the database away) is logged and
    tried again at the next check. It runs until `stop` is set (a worker process's: for good)."""
    stop = stop or threading.Event()

    def keep() -> None:
        while not stop.is_set():
            try:
                with app.app_context():
                    load_served_model()
            except Exception:  # the next check tries again; jobs load it themselves anyway
                log.warning("Loading the served matching model failed", exc_info=True)
            stop.wait(every)

    thread = threading.Thread(target=keep, name="matching-model-keeper", daemon=True)
    thread.start()
    return thread


def forget_models() -> None:
    """Drop this process's cached models (tests; a worker that should reload)."""
    _models().clear()


# --------------------------------------------------------------------------------------------------
# Full refit


@dataclass
class RefitReport:
    generation: int | None
    needs: int
    offerings: int
    pairs: int
    seconds: float
    caught_up: int = 0
    skipped: bool = False  # another refit was running (refit(wait=False))


def refit(progress: Progress | None = None, wait: bool = True) -> RefitReport:
    """Fit a new generation from every open need and published offering, store it, catch up with the
    changes made meanwhile and switch readers to it in one transaction. The old generation serves until
    then and is deleted afterwards.

    One refit at a time on the whole platform: two would each hold a fitted index and every pair in memory
    and write the same rows. With `wait`, a refit started while another runs waits for it (the command
    line), else it does nothing and says so (`skipped`): the running one catches up with every change made
    before it switches."""
    with _exclusive_refit(wait) as mine:
        if not mine:
            return RefitReport(None, 0, 0, 0, 0.0, skipped=True)
        return _refit(progress or (lambda stage, done, total: None))


def _refit(step: Progress) -> RefitReport:
    started = time.perf_counter()
    k = top_k()
    with _lock:
        state = _state(lock=True)
        since = state.seq
        highest = db.session.scalar(sa.select(sa.func.max(MatchModel.generation))) or 0
        generation = max(highest, state.generation or 0, state.building or 0) + 1
        state.building = generation
        commit()
    docs, versions = _documents(step)
    discard()  # end the read transaction (nothing was changed): the rest is computation
    counts = {kind: sum(1 for d in docs if d.side == kind) for kind in KINDS}
    index = None
    kth: dict[tuple[str, int], float] = {}
    listed: dict[tuple[str, int], int] = {}
    pairs = _Pairs()
    if docs:
        from matchmaker.matching.engine import MatchingEngine  # workers only (scikit-learn)

        index = MatchingEngine().fit(docs, progress=lambda done, total: step("fit", done, total))
        del docs  # the index holds them
        for kind in KINDS:
            keys = [key for key in index.ids if str(key).partition(":")[0] == kind]
            if not keys:
                continue
            if not counts[other(kind)]:
                kth.update(((kind, _item_id(key)), 0.0) for key in keys)
                continue
            own_ids = np.array([_item_id(key) for key in keys], dtype=np.int64)
            blocks = index.ranked_blocks(
                index.rows(keys), k, side=other(kind),
                progress=lambda done, total, kind=kind: step(f"rank {kind}s", done, total),
            )  # fmt: skip
            their_ids = None  # the same ranked documents for every block
            for start, ids, selected in blocks:
                if their_ids is None:
                    their_ids = np.array([_item_id(i) for i in ids], dtype=np.int64)
                for offset, (positions, scores) in enumerate(selected):
                    own = int(own_ids[start + offset])
                    kth[(kind, own)] = float(scores[-1]) if len(scores) >= k else 0.0
                    listed[(kind, own)] = int(np.count_nonzero(scores > 0))
                    pairs.add(kind, own, their_ids[positions], scores)
    need_ids, offering_ids, scores = pairs.unique()
    _store_items(generation, since, index, kth, listed, versions, step)
    step("store pairs", 0, len(scores))
    _copy_rows(
        MatchPair.__table__,
        ("generation", "need_id", "offering_id", "score"),
        zip(
            itertools.repeat(generation), need_ids.tolist(), offering_ids.tolist(),
            scores.astype(np.float64).tolist(), strict=False,
        ),
    )  # fmt: skip
    step("store pairs", len(scores), len(scores))
    token = uuid.uuid4().hex
    if index is not None:
        db.session.add(
            MatchModel(generation=generation, token=token, seq=since, items=len(kth), data=index.dumps())
        )
    commit()
    with _lock:
        state = _state(lock=True)
        if state.building != generation:  # a later refit took over: leave it the field
            _purge(keep={state.generation, state.building})
            commit()
            return RefitReport(
                None, counts[NEED], counts[OFFERING], len(scores), time.perf_counter() - started
            )
        caught_up = 0
        if index is not None:
            _models()[generation] = _Loaded(index, since, token)
            changed = db.session.execute(
                sa.select(MatchItem.kind, MatchItem.item_id)
                .where(MatchItem.generation == state.generation, MatchItem.seq > since)
                .order_by(MatchItem.seq)
            ).all()
            for row in changed:
                state.seq += 1
                _apply(_models()[generation], generation, row.kind, row.item_id, state.seq, k)
                caught_up += 1
        state.generation, state.building = generation, None
        state.fitted_at = state.changed_at = utcnow()
        commit()
    _purge(keep={generation})
    commit()
    if db.engine.dialect.name == "postgresql":
        # The planner's statistics of the tables a refit replaced: without them the proposals query
        # chose a plan reading every indexed item (850 ms instead of 13 ms at 50,000 items).
        db.session.execute(sa.text("ANALYZE match_pair"))
        db.session.execute(sa.text("ANALYZE match_item"))
        commit()
    seconds = time.perf_counter() - started
    log.info(
        "Matching index generation %d: %d items, %d pairs in %.1f s",
        generation,
        len(kth),
        len(scores),
        seconds,
    )
    return RefitReport(generation, counts[NEED], counts[OFFERING], len(scores), seconds, caught_up)


# A PostgreSQL advisory lock, held on a connection of its own for a whole refit, so a refit in another process
# waits or steps aside; released when the refit ends or its process dies. Its two keys: "matc" in ASCII, and
# the schema's name hashed (platforms, or test runs, in schemas of one database must not lock each other out).
_REFIT_LOCK_KEY = 0x6D617463


def refit_lock_sql(function: str) -> sa.TextClause:
    """SELECT pg_advisory_lock / pg_try_advisory_lock / pg_advisory_unlock of the refit lock."""
    return sa.text(f"SELECT {function}({_REFIT_LOCK_KEY}, hashtext(current_schema()))")


_refit_running = threading.Lock()  # the same within one process (and the only guard on SQLite)


@contextmanager
def _exclusive_refit(wait: bool) -> Iterator[bool]:
    if not _refit_running.acquire(blocking=wait):
        yield False
        return
    try:
        if db.engine.dialect.name != "postgresql":
            yield True
            return
        with db.engine.connect() as connection:
            if wait:
                connection.execute(refit_lock_sql("pg_advisory_lock"))
                got = True
            else:
                got = connection.scalar(refit_lock_sql("pg_try_advisory_lock"))
            connection.commit()
            try:
                yield bool(got)
            finally:
                if got:
                    connection.execute(refit_lock_sql("pg_advisory_unlock"))
                    connection.commit()
    finally:
        _refit_running.release()


def _documents(step: Progress) -> tuple[list[Document], dict[tuple[str, int], int]]:
    """Every proposable item's document and version, read a few thousand items at a time: the session keeps
    only weak references, so each chunk's ORM objects go once its documents are made (the whole catalogue's
    at once would cost more memory than the fitted index)."""
    docs: list[Document] = []
    versions: dict[tuple[str, int], int] = {}
    for kind in KINDS:
        model, live = _proposable(kind)
        ids = list(db.session.scalars(sa.select(model.id).where(live).order_by(model.id)))
        for start in range(0, len(ids), 2000):
            for item in _load(kind, ids[start : start + 2000]):
                docs.append(_document(kind, item))
                versions[(kind, item.id)] = item.version
            step(f"read {kind}s", min(start + 2000, len(ids)), len(ids))
    return docs, versions


class _Pairs:
    """The pairs of a refit as flat arrays (a dict of millions of tuples would cost gigabytes)."""

    def __init__(self):
        self.needs: list[np.ndarray] = []
        self.offerings: list[np.ndarray] = []
        self.scores: list[np.ndarray] = []

    def add(self, kind: str, own: int, theirs: np.ndarray, scores: np.ndarray) -> None:
        mine = np.full(len(theirs), own, dtype=np.int64)
        self.needs.append(mine if kind == NEED else theirs)
        self.offerings.append(theirs if kind == NEED else mine)
        self.scores.append(np.asarray(scores, dtype=np.float32))

    def unique(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each pair once (both directions' lists may hold it, with the same score up to rounding)."""
        if not self.scores:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0, dtype=np.float32)
        needs, offerings = np.concatenate(self.needs), np.concatenate(self.offerings)
        scores = np.concatenate(self.scores)
        self.needs, self.offerings, self.scores = [], [], []
        _keys, first = np.unique((needs << 32) | offerings, return_index=True)
        return needs[first], offerings[first], scores[first]


def _store_items(
    generation: int,
    since: int,
    index,
    kth: dict[tuple[str, int], float],
    listed: dict[tuple[str, int], int],
    versions: dict[tuple[str, int], int],
    step: Progress,
) -> None:
    """The generation's match_item rows, with each item's profile (analysed a thousand at a time)."""
    ordered = sorted(kth.items())
    total = len(ordered)
    for start in range(0, total, 1000):
        chunk = ordered[start : start + 1000]
        profiles = index.profiles([_key(kind, item_id) for (kind, item_id), _kth in chunk])
        rows = [
            {
                "generation": generation, "kind": kind, "item_id": item_id, "live": True,
                "version": versions[(kind, item_id)], "seq": since, "kth_score": kth_score,
                "listed": listed.get((kind, item_id), 0),
            }
            for (kind, item_id), kth_score in chunk
        ]  # fmt: skip
        db.session.execute(sa.insert(MatchItem.__table__), rows)  # Core: no ORM bookkeeping per row
        db.session.execute(
            sa.insert(MatchProfile.__table__),
            [
                {"generation": generation, "kind": kind, "item_id": item_id, "profile": profile.as_dict()}
                for ((kind, item_id), _kth), profile in zip(chunk, profiles, strict=True)
            ],
        )
        step("store items", min(start + 1000, total), total)


def _copy_rows(table: sa.Table, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """Insert many rows in the session's transaction: PostgreSQL's COPY (the fastest way in, a tenth of the
    time of batched INSERTs for millions of pairs), batched INSERTs elsewhere."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.close()
        return
    statement = table.insert()
    batch: list[dict] = []
    for row in rows:
        batch.append(dict(zip(columns, row, strict=True)))
        if len(batch) >= 5000:
            connection.execute(statement, batch)
            batch = []
    if batch:
        connection.execute(statement, batch)


def _purge(keep: set[int | None]) -> None:
    """Delete the rows of generations no longer served or built."""
    keep_ids = [g for g in keep if g is not None] or [-1]
    for model in (MatchPair, MatchItem, MatchProfile, MatchModel):
        db.session.execute(sa.delete(model).where(model.generation.not_in(keep_ids)))
    models = _models()
    for generation in [g for g in models if g not in keep_ids]:
        del models[generation]


# --------------------------------------------------------------------------------------------------
# Incremental change of one item


@dataclass
class RefreshReport:
    kind: str
    item_id: int
    live: bool
    generation: int | None
    pairs: int = 0
    repaired: int = 0
    refit: bool = False  # the index had no model: a full refit ran instead
    drift: Any = None  # the model's Drift after the change (None after a refit)


def refresh_item(kind: str, item_id: int) -> RefreshReport:
    """Bring the served generation up to date with one need or offering as the catalogue holds it now
    (published, edited, unpublished, closed, archived or deleted). Idempotent."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    item_id = int(item_id)
    k = top_k()
    # A process's first change loads the model (seconds at 50,000 items) if its keeper thread has not yet
    # (keep_served_model): before the lock, which every other worker's refresh waits for.
    load_served_model()
    with _lock:
        state = _state(lock=True)
        loaded = _model(state.generation) if state.generation is not None else None
        if loaded is not None:
            state.seq += 1
            state.changed_at = utcnow()
            report = _apply(loaded, state.generation, kind, item_id, state.seq, k)
            commit()
            return replace(report, drift=loaded.index.drift())
        commit()  # release the database lock: a first fit indexes this item with the rest
    # Outside `_lock`: a refit takes `_refit_running` and then `_lock`, so calling it while holding `_lock`
    # took the two in the other order, and a refit running in a job thread meanwhile deadlocked both (it hung
    # the PostgreSQL half of the suite).
    report = refit()
    return RefreshReport(kind, item_id, True, report.generation, report.pairs, refit=True)


def _apply(loaded: _Loaded, generation: int, kind: str, item_id: int, seq: int, k: int) -> RefreshReport:
    """Apply one item's current state to `generation` (see the module docstring); the caller holds the lock
    and commits."""
    index = loaded.index
    key = _key(kind, item_id)
    items = _load(kind, [item_id])
    item = items[0] if items else None
    if item is not None:
        index.add([_document(kind, item)], refit=False)
    elif key in index:
        index.remove([key], refit=False)
    loaded.seq = max(loaded.seq, seq)
    own_col, other_col = _pair_columns(kind)
    # X's scores against every counterpart, and the counterparts' lists, as arrays: a published offering
    # scores above zero against nearly all 15,000 needs of the benchmark's catalogue, and going through them
    # one by one in Python was a third of its refresh.
    new_ids, new_scores = np.zeros(0, dtype=np.int64), np.zeros(0)
    if item is not None:
        ids, scores = index.side_scores(key, other(kind))
        new_ids = np.fromiter(map(_item_id, ids), dtype=np.int64, count=len(ids))
        new_scores = scores.astype(np.float64)
    old = dict(
        db.session.execute(
            sa.select(other_col, MatchPair.score).where(
                MatchPair.generation == generation, own_col == item_id
            )
        ).all()
    )
    db.session.execute(sa.delete(MatchPair).where(MatchPair.generation == generation, own_col == item_id))
    best = np.lexsort((new_ids, -new_scores))[:k]  # best first, ties by id
    kth_own = float(new_scores[best[-1]]) if len(best) >= k else 0.0
    write = dict(zip(new_ids[best].tolist(), new_scores[best].tolist(), strict=True))
    # Counterparts whose list X enters, stays in or leaves.
    # Every list X may enter, or only those it was in when it left (an unpublish: 2,000 of 15,000 rows).
    their_ids, their_kth, their_listed = _lists(generation, other(kind), None if item is not None else old)
    score = _aligned(new_ids, new_scores, their_ids)
    was = _aligned(np.fromiter(old, dtype=np.int64, count=len(old)), np.array(list(old.values())), their_ids)
    was_in = (was > 0) & (was >= their_kth - EPS)
    enters = (score > 0) & (score >= their_kth - EPS)
    write.update(zip(their_ids[enters].tolist(), score[enters].tolist(), strict=True))
    grown_mask, shrunk_mask = enters & ~was_in, was_in & ~enters
    grown, shrunk = their_ids[grown_mask].tolist(), their_ids[shrunk_mask].tolist()
    _write_pairs(generation, kind, item_id, write)
    listed_own = sum(1 for s in write.values() if s > 0 and s >= kth_own - EPS) if item else 0
    _upsert_item(
        generation, kind, item_id, item, seq, kth_own, listed_own, index.profile(key) if item else None
    )
    _add_to_listed(generation, other(kind), grown, 1)
    _add_to_listed(generation, other(kind), shrunk, -1)
    db.session.flush()
    high, low = high_water(k), low_water(k)
    recount = their_ids[grown_mask & (their_listed + 1 > high)].tolist()
    recount += their_ids[shrunk_mask & (their_kth > 0) & (their_listed - 1 < low)].tolist()
    repaired = _recount(loaded, generation, other(kind), recount, seq, k)
    return RefreshReport(kind, item_id, item is not None, generation, len(write), repaired)


def _lists(
    generation: int, kind: str, ids: Iterable[int] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The live items of `kind` (all, or those of `ids`) with their lists' kth scores and counts, as three
    arrays. PostgreSQL sends each column as one array (15,000 rows as row objects made into arrays cost 40
    ms; this, 8)."""
    where = (MatchItem.generation == generation, MatchItem.kind == kind, MatchItem.live.is_(True))
    if ids is not None:
        where = (*where, one_of(MatchItem.item_id, ids))
    if dialect_name() == "postgresql":
        columns = (MatchItem.item_id, MatchItem.kth_score, MatchItem.listed)
        ids, kth, listed = db.session.execute(
            sa.select(*(sa.func.array_agg(column) for column in columns)).where(*where)
        ).one()
        ids, kth, listed = ids or [], kth or [], listed or []
    else:
        rows = db.session.execute(
            sa.select(MatchItem.item_id, MatchItem.kth_score, MatchItem.listed).where(*where)
        ).all()
        ids, kth, listed = zip(*rows, strict=True) if rows else ((), (), ())
    return (
        np.array(ids, dtype=np.int64),
        np.array(kth, dtype=np.float64),
        np.array(listed, dtype=np.int64),
    )


def _aligned(ids: np.ndarray, values: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The value of each of `targets` in (ids, values), 0 where it has none."""
    out = np.zeros(len(targets))
    if not len(ids) or not len(targets):
        return out
    order = np.argsort(ids, kind="stable")
    ids, values = ids[order], values[order]
    at = np.minimum(np.searchsorted(ids, targets), len(ids) - 1)
    found = ids[at] == targets
    out[found] = values[at[found]]
    return out


def _add_to_listed(generation: int, kind: str, ids: list[int], delta: int) -> None:
    """Count one row more (or fewer) in the lists of these items: on PostgreSQL one statement with the ids as
    one array (a thousand placeholders cost more to build and parse than the update itself: 36 ms of a
    publish's 120 ms of CPU), elsewhere one statement a thousand items."""
    table = MatchItem.__table__
    size = len(ids) if dialect_name() == "postgresql" else 1000
    for start in range(0, len(ids), max(size, 1)):
        db.session.execute(
            sa.update(table)
            .where(
                table.c.generation == generation,
                table.c.kind == kind,
                one_of(table.c.item_id, ids[start : start + size]),
            )
            .values(listed=table.c.listed + delta)
        )


def _write_pairs(generation: int, kind: str, item_id: int, scores: dict[int, float]) -> None:
    """Store these pairs of one item: with COPY on PostgreSQL, where a published item entering some 3,000
    lists spent more of its refresh in sending the rows one by one than in anything else."""
    rows = (
        (generation, item_id, other_id, score) if kind == NEED else (generation, other_id, item_id, score)
        for other_id, score in scores.items()
    )
    if scores:
        _copy_rows(MatchPair.__table__, ("generation", "need_id", "offering_id", "score"), rows)


def _upsert_item(
    generation: int,
    kind: str,
    item_id: int,
    item,
    seq: int,
    kth_score: float,
    listed: int,
    profile: Profile | None,
) -> None:
    row = db.session.get(MatchItem, (generation, kind, item_id))
    if row is None:
        row = MatchItem(generation=generation, kind=kind, item_id=item_id)
        db.session.add(row)
    row.live = item is not None
    row.version = item.version if item is not None else None
    row.seq = seq
    row.kth_score = kth_score
    row.listed = listed
    kept = db.session.get(MatchProfile, (generation, kind, item_id))
    if profile is None:
        if kept is not None:
            db.session.delete(kept)
    elif kept is None:
        db.session.add(
            MatchProfile(generation=generation, kind=kind, item_id=item_id, profile=profile.as_dict())
        )
    else:
        kept.profile = profile.as_dict()


def low_water(k: int) -> int:
    """The fewest rows a list keeps before it is re-ranked (see the module docstring)."""
    return max(1, k - k // 3)


def high_water(k: int) -> int:
    """The most rows a list holds before it is counted and cut back to K (see the module docstring)."""
    return k + max(1, k // 3)


def _recount(loaded: _Loaded, generation: int, kind: str, ids: list[int], seq: int, k: int) -> int:
    """Count the lists of these items of `kind` and store the counts; raise kth to the K-th best of a list
    that holds K or more; re-rank those whose list fell below the low-water mark. Counted by the database (a
    window over each item's indexed rows), not by reading every row here. Returns how many were re-ranked."""
    if not ids:
        return 0
    own_col, other_col = _pair_columns(kind)
    low = low_water(k)
    counted: dict[int, int] = {}
    kth_of: dict[int, float] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        listed = (
            sa.select(
                own_col.label("own"),
                MatchPair.score.label("score"),
                sa.func.row_number()
                .over(partition_by=own_col, order_by=(MatchPair.score.desc(), other_col))
                .label("rank"),
                sa.func.count().over(partition_by=own_col).label("listed"),
            )
            .join(MatchItem, item_of_pair(kind))
            .where(
                MatchPair.generation == generation,
                own_col.in_(chunk),
                MatchPair.score > 0,
                MatchPair.score >= MatchItem.kth_score - EPS,
            )
            .subquery()
        )
        for own, rank, score, n in db.session.execute(
            sa.select(listed.c.own, listed.c.rank, listed.c.score, listed.c.listed).where(
                listed.c.rank.in_((1, k))
            )
        ):
            counted[own] = n
            if rank == k:
                kth_of[own] = score
    current = dict(
        db.session.execute(
            sa.select(MatchItem.item_id, MatchItem.kth_score).where(
                MatchItem.generation == generation, MatchItem.kind == kind, MatchItem.item_id.in_(ids)
            )
        ).all()
    )
    counts = []
    for item_id in ids:
        kth = current.get(item_id, 0.0)
        if kth_of.get(item_id, kth) > kth + EPS / 2:  # cut back to its K best (ties aside)
            kth = kth_of[item_id]
            counts.append({"b_id": item_id, "b_kth": kth, "b_listed": k})
        else:
            counts.append({"b_id": item_id, "b_kth": kth, "b_listed": counted.get(item_id, 0)})
    table = MatchItem.__table__
    db.session.execute(
        sa.update(table)
        .where(
            table.c.generation == generation,
            table.c.kind == kind,
            table.c.item_id == sa.bindparam("b_id"),
        )
        .values(kth_score=sa.bindparam("b_kth"), listed=sa.bindparam("b_listed")),
        counts,
    )
    short = [i for i in ids if current.get(i, 0.0) > 0 and counted.get(i, 0) < low]
    for item_id in short:
        _rerank(loaded, generation, kind, item_id, k)
    return len(short)


def _rerank(loaded: _Loaded, generation: int, kind: str, item_id: int, k: int) -> None:
    """Rank one item against the whole index again; write the pairs of its top K not stored yet (the
    stored ones keep their value, equal up to rounding) and its kth."""
    own_col, other_col = _pair_columns(kind)
    have = dict(
        db.session.execute(
            sa.select(other_col, MatchPair.score).where(
                MatchPair.generation == generation, own_col == item_id
            )
        ).all()
    )
    ids, scores = loaded.index.side_scores(_key(kind, item_id), other(kind))
    ranked = sorted(
        ((_item_id(i), float(s)) for i, s in zip(ids, scores.tolist(), strict=True)),
        key=lambda p: (-p[1], p[0]),
    )[:k]
    _write_pairs(generation, kind, item_id, {o: s for o, s in ranked if o not in have})
    ranked = [(o, have.get(o, s)) for o, s in ranked]
    kth = min(s for _o, s in ranked) if len(ranked) >= k else 0.0
    db.session.execute(
        sa.update(MatchItem)
        .where(MatchItem.generation == generation, MatchItem.kind == kind, MatchItem.item_id == item_id)
        .values(kth_score=kth, listed=sum(1 for _o, s in ranked if s > 0))
    )


# --------------------------------------------------------------------------------------------------
# Drift and reconciliation


def drift():
    """The served generation's drift as this process's model sees it (None without a model)."""
    generation = served_generation()
    loaded = _model(generation) if generation is not None else None
    return loaded.index.drift() if loaded is not None else None


def needs_refit(min_changes: int = 0, measured=None) -> bool:
    """Has the vocabulary drifted past the configured limits since the last fit? With `min_changes`, only
    once at least that many items changed (a refresh asks so: on a small catalogue every few changes would
    refit; the periodic upkeep asks without, so a small platform is refitted within its period). `measured`:
    the drift as a refresh just left it (RefreshReport.drift), else this process's model is asked."""
    measured = drift() if measured is None else measured
    if measured is None or measured.changes < min_changes:
        return False
    config = current_app.config
    return measured.changed_share > float(config["MATCHES_REFIT_CHANGED"]) or (
        measured.unknown_share > float(config["MATCHES_REFIT_UNKNOWN"])
    )


def out_of_date() -> list[tuple[str, int]]:
    """Items whose indexed state differs from the catalogue's (a change whose job never ran, a deletion the
    database cascaded): proposable items not indexed at their version, and indexed items no longer
    proposable."""
    generation = served_generation()
    if generation is None:
        return []
    found = []
    for kind in KINDS:
        model, live = _proposable(kind)
        indexed = sa.and_(
            MatchItem.generation == generation, MatchItem.kind == kind, MatchItem.item_id == model.id
        )
        missing = db.session.scalars(
            sa.select(model.id)
            .outerjoin(MatchItem, indexed)
            .where(live, sa.or_(MatchItem.item_id.is_(None), MatchItem.live.is_(False),
                                MatchItem.version != model.version))
        )  # fmt: skip
        found += [(kind, i) for i in missing]
        gone = db.session.scalars(
            sa.select(MatchItem.item_id)
            .outerjoin(model, sa.and_(model.id == MatchItem.item_id, live))
            .where(MatchItem.generation == generation, MatchItem.kind == kind, MatchItem.live.is_(True),
                   model.id.is_(None))
        )  # fmt: skip
        found += [(kind, i) for i in gone]
    return sorted(found)


def profiles(kind: str, ids: Iterable[int], generation=None) -> dict[int, Profile]:
    """The served generation's profiles of these items (one query)."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    generation = generation_subquery() if generation is None else generation
    rows = db.session.execute(
        sa.select(MatchProfile.item_id, MatchProfile.profile)
        .join(
            MatchItem,
            sa.and_(
                MatchItem.generation == MatchProfile.generation,
                MatchItem.kind == MatchProfile.kind,
                MatchItem.item_id == MatchProfile.item_id,
            ),
        )
        .where(
            MatchProfile.generation == generation,
            MatchProfile.kind == kind,
            MatchProfile.item_id.in_(ids),
            MatchItem.live.is_(True),
        )
    )
    return {item_id: Profile.from_dict(profile) for item_id, profile in rows}
