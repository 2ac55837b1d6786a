"""The platform's one matching index, kept by the task-queue workers; web requests only read what it stores.

Generations
-----------
A full fit (`refit`) makes a new *generation*: the fitted engine index (one vocabulary and IDF for needs and
offerings) stored as a blob in `match_model`, every indexed item in `match_item` (with what explaining it
needs, so that no web process loads a model), and the stored pairs in `match_pair`. Readers use the
generation named by the single `match_index_state` row; a refit builds the next one beside it and switches
the row in one transaction once it is complete, so the old results serve until then.

Stored pairs and their invariant
--------------------------------
For each indexed item X (need or offering), let top(X) be its K best counterparts on the other side by score
(positive scores only; K = MATCHES_INDEX_K) and kth(X) the K-th best score, or 0 when X has fewer than K
positive counterparts (then top(X) is all of them). `match_item.kth_score` holds kth(X).

1. Every stored row holds the true current score of its pair (in the generation's fitted space).
2. Every pair (X, Y) with Y in top(X) is stored; every other counterpart Y of X scores below kth(X).

So the rows of X with score >= kth(X) are exactly top(X) (ties at the boundary aside): "best offerings for
need N" is one indexed query (generation, need_id, score), and the union of both directions' lists holds
every item's own top K. Rows in neither list may remain; they are true (1.) and readers ignore them.

An incremental change of X (`refresh_item`, one at a time under the state row's lock): X's rows are deleted
and its new top(X) written; for each counterpart Y, the pair is written if X now scores >= kth(Y) (X enters
Y's list) and kth(Y) is recomputed from Y's stored rows. When X leaves Y's list (removal, unpublishing, or a
lower score), Y's list may hold fewer than K rows above its old kth: Y is then re-ranked against the whole
index (one sparse product) and its missing rows written. That is how removals are repaired.

Added items are vectorised with the fitted vocabulary and IDF: their scores equal a fresh fit's only while
the vocabulary and IDF stay what they were; words the fit never saw count for nothing. `drift` says how far
the index moved (share of items changed since the fit, share of unknown term occurrences); past
MATCHES_REFIT_CHANGED or MATCHES_REFIT_UNKNOWN a refit is queued, and one runs periodically anyway.

Workers on any host load a generation's model from the database once (cached per process, keyed by
generation) and replay the items changed after the model's `seq` from `match_item`, so each sees every
change applied by the others.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

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
    Need,
    NeedStatus,
    Offering,
    OfferingStatus,
    utcnow,
)
from matchmaker.services.kernel import commit, discard
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


def _item_id(key: str) -> int:
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
    if kind == NEED:
        return Need, Need.status == NeedStatus.OPEN.value
    return Offering, Offering.status == OfferingStatus.PUBLISHED.value


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
        row = db.session.get(MatchModel, generation)
        from matchmaker.matching.engine import Index  # workers only: web processes never load a model

        loaded = _Loaded(Index.loads(row.data), row.seq, token)
        models.clear()  # one generation at a time: the others are superseded
        models[generation] = loaded
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


def refit(progress: Progress | None = None) -> RefitReport:
    """Fit a new generation from every open need and published offering, store it, catch up with the
    changes made meanwhile and switch readers to it in one transaction. The old generation serves until
    then and is deleted afterwards."""
    started = time.perf_counter()
    k = top_k()
    with _lock:
        state = _state(lock=True)
        since = state.seq
        highest = db.session.scalar(sa.select(sa.func.max(MatchModel.generation))) or 0
        generation = max(highest, state.generation or 0, state.building or 0) + 1
        state.building = generation
        commit()
    step = progress or (lambda stage, done, total: None)
    needs, offerings = _load(NEED), _load(OFFERING)
    docs = [_document(NEED, n) for n in needs] + [_document(OFFERING, o) for o in offerings]
    versions = {(NEED, n.id): n.version for n in needs} | {(OFFERING, o.id): o.version for o in offerings}
    discard()  # end the read transaction (nothing was changed): the rest is computation
    index = None
    pairs: dict[tuple[int, int], float] = {}
    kth: dict[tuple[str, int], float] = {}
    if docs:
        from matchmaker.matching.engine import MatchingEngine  # workers only (scikit-learn)

        index = MatchingEngine().fit(docs, progress=lambda done, total: step("fit", done, total))
        for kind in KINDS:
            keys = [d.id for d in docs if d.side == kind]
            if not keys:
                continue
            if not any(d.side == other(kind) for d in docs):
                for key in keys:
                    kth[(kind, _item_id(key))] = 0.0
                continue
            ranked = index.top_k_vectors(
                index.rows(keys), k, side=other(kind),
                progress=lambda done, total, kind=kind: step(f"rank {kind}s", done, total),
            )  # fmt: skip
            for key, matches in zip(keys, ranked, strict=True):
                own = _item_id(key)
                kth[(kind, own)] = float(matches[-1].score) if len(matches) >= k else 0.0
                for m in matches:
                    pair = (own, _item_id(m.id)) if kind == NEED else (_item_id(m.id), own)
                    pairs[pair] = float(m.score)
    total = len(kth)
    rows = []
    for done, ((kind, item_id), kth_score) in enumerate(sorted(kth.items()), 1):
        profile = index.profile(_key(kind, item_id)).as_dict()
        rows.append(
            {
                "generation": generation, "kind": kind, "item_id": item_id, "live": True,
                "version": versions[(kind, item_id)], "seq": since, "kth_score": kth_score,
                "profile": profile,
            }
        )  # fmt: skip
        if len(rows) >= 1000 or done == total:
            db.session.execute(sa.insert(MatchItem.__table__), rows)  # Core: no ORM bookkeeping per row
            rows = []
            step("store items", done, total)
    pair_rows = [
        {"generation": generation, "need_id": n, "offering_id": o, "score": s} for (n, o), s in pairs.items()
    ]
    for start in range(0, len(pair_rows), 5000):
        db.session.execute(sa.insert(MatchPair.__table__), pair_rows[start : start + 5000])
        step("store pairs", min(start + 5000, len(pair_rows)), len(pair_rows))
    token = uuid.uuid4().hex
    if index is not None:
        db.session.add(
            MatchModel(generation=generation, token=token, seq=since, items=len(docs), data=index.dumps())
        )
    commit()
    with _lock:
        state = _state(lock=True)
        if state.building != generation:  # a later refit took over: leave it the field
            _purge(keep={state.generation, state.building})
            commit()
            return RefitReport(None, len(needs), len(offerings), len(pairs), time.perf_counter() - started)
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
    seconds = time.perf_counter() - started
    log.info(
        "Matching index generation %d: %d items, %d pairs in %.1f s", generation, total, len(pairs), seconds
    )
    return RefitReport(generation, len(needs), len(offerings), len(pairs), seconds, caught_up)


def _purge(keep: set[int | None]) -> None:
    """Delete the rows of generations no longer served or built."""
    keep_ids = [g for g in keep if g is not None] or [-1]
    for model in (MatchPair, MatchItem, MatchModel):
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


def refresh_item(kind: str, item_id: int) -> RefreshReport:
    """Bring the served generation up to date with one need or offering as the catalogue holds it now
    (published, edited, unpublished, closed, archived or deleted). Idempotent."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    item_id = int(item_id)
    k = top_k()
    with _lock:
        state = _state(lock=True)
        loaded = _model(state.generation) if state.generation is not None else None
        if loaded is None:
            commit()  # release the lock: a first fit indexes this item with the rest
            report = refit()
            return RefreshReport(kind, item_id, True, report.generation, report.pairs, refit=True)
        state.seq += 1
        state.changed_at = utcnow()
        report = _apply(loaded, state.generation, kind, item_id, state.seq, k)
        commit()
    return report


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
    new: dict[int, float] = {}
    if item is not None:
        ids, scores = index.side_scores(key, other(kind))
        new = {_item_id(i): float(s) for i, s in zip(ids, scores.tolist(), strict=True)}
    old = dict(
        db.session.execute(
            sa.select(other_col, MatchPair.score).where(
                MatchPair.generation == generation, own_col == item_id
            )
        ).all()
    )
    db.session.execute(sa.delete(MatchPair).where(MatchPair.generation == generation, own_col == item_id))
    mine = sorted(new.items(), key=lambda pair: (-pair[1], pair[0]))[:k]
    kth_own = mine[-1][1] if len(mine) >= k else 0.0
    write = dict(mine)
    # Counterparts whose list X enters, stays in or leaves.
    kths = dict(
        db.session.execute(
            sa.select(MatchItem.item_id, MatchItem.kth_score).where(
                MatchItem.generation == generation, MatchItem.kind == other(kind), MatchItem.live.is_(True)
            )
        ).all()
    )
    touched = []
    for other_id, their_kth in kths.items():
        score = new.get(other_id, 0.0)
        was = old.get(other_id)
        enters = score > 0 and score >= their_kth - EPS
        left = was is not None and was > 0 and was >= their_kth - EPS and not enters
        if enters:
            write[other_id] = score
        if enters or (left and their_kth > 0):
            touched.append(other_id)
    _write_pairs(generation, kind, item_id, write)
    _upsert_item(generation, kind, item_id, item, seq, kth_own, index.profile(key) if item else None)
    db.session.flush()
    repaired = _recount(loaded, generation, other(kind), touched, seq, k)
    return RefreshReport(kind, item_id, item is not None, generation, len(write), repaired)


def _write_pairs(generation: int, kind: str, item_id: int, scores: dict[int, float]) -> None:
    rows = [
        {
            "generation": generation,
            "need_id": item_id if kind == NEED else other_id,
            "offering_id": other_id if kind == NEED else item_id,
            "score": score,
        }
        for other_id, score in scores.items()
    ]
    if rows:
        db.session.execute(sa.insert(MatchPair.__table__), rows)


def _upsert_item(
    generation: int, kind: str, item_id: int, item, seq: int, kth_score: float, profile: Profile | None
) -> None:
    row = db.session.get(MatchItem, (generation, kind, item_id))
    if row is None:
        row = MatchItem(generation=generation, kind=kind, item_id=item_id)
        db.session.add(row)
    row.live = item is not None
    row.version = item.version if item is not None else None
    row.seq = seq
    row.kth_score = kth_score
    row.profile = profile.as_dict() if profile is not None else None


def _recount(loaded: _Loaded, generation: int, kind: str, ids: list[int], seq: int, k: int) -> int:
    """Recompute kth of these items of `kind` from their stored rows; re-rank those whose list lost a member
    and holds fewer than K rows at or above their kth. Returns how many were re-ranked."""
    if not ids:
        return 0
    own_col, other_col = _pair_columns(kind)
    items = {
        row.item_id: row
        for start in range(0, len(ids), 500)
        for row in db.session.scalars(
            sa.select(MatchItem).where(
                MatchItem.generation == generation,
                MatchItem.kind == kind,
                MatchItem.item_id.in_(ids[start : start + 500]),
            )
        )
    }
    stored: dict[int, list[tuple[int, float]]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        for own, theirs, score in db.session.execute(
            sa.select(own_col, other_col, MatchPair.score).where(
                MatchPair.generation == generation, own_col.in_(ids[start : start + 500])
            )
        ):
            stored[own].append((theirs, score))
    repaired = 0
    for item_id in ids:
        row = items[item_id]
        listed = sorted(
            ((o, s) for o, s in stored[item_id] if s > 0 and s >= row.kth_score - EPS),
            key=lambda p: (-p[1], p[0]),
        )
        if len(listed) >= k:
            row.kth_score = listed[k - 1][1]
        elif row.kth_score > 0:  # the list lost a member that only a full ranking can replace
            _rerank(loaded, generation, kind, item_id, row, dict(stored[item_id]), k)
            repaired += 1
    return repaired


def _rerank(
    loaded: _Loaded, generation: int, kind: str, item_id: int, row: MatchItem, have: dict[int, float], k: int
) -> None:
    """Rank one item against the whole index again; write the pairs of its top K not stored yet (the
    stored ones keep their value, equal up to rounding) and its kth."""
    ids, scores = loaded.index.side_scores(_key(kind, item_id), other(kind))
    ranked = sorted(
        ((_item_id(i), float(s)) for i, s in zip(ids, scores.tolist(), strict=True)),
        key=lambda p: (-p[1], p[0]),
    )[:k]
    _write_pairs(generation, kind, item_id, {o: s for o, s in ranked if o not in have})
    ranked = [(o, have.get(o, s)) for o, s in ranked]
    row.kth_score = min(s for _o, s in ranked) if len(ranked) >= k else 0.0


# --------------------------------------------------------------------------------------------------
# Drift and reconciliation


def drift():
    """The served generation's drift as this process's model sees it (None without a model)."""
    generation = served_generation()
    loaded = _model(generation) if generation is not None else None
    return loaded.index.drift() if loaded is not None else None


def needs_refit(min_changes: int = 0) -> bool:
    """Has the vocabulary drifted past the configured limits since the last fit? With `min_changes`, only
    once at least that many items changed (a refresh asks so: on a small catalogue every few changes would
    refit; the periodic upkeep asks without, so a small platform is refitted within its period)."""
    measured = drift()
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
        sa.select(MatchItem.item_id, MatchItem.profile).where(
            MatchItem.generation == generation,
            MatchItem.kind == kind,
            MatchItem.live.is_(True),
            MatchItem.item_id.in_(ids),
        )
    )
    return {item_id: Profile.from_dict(profile) for item_id, profile in rows if profile is not None}
