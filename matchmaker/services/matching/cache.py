"""The per-process snapshot of the catalogue: documents, the fitted engine index and the score matrix.

Freshness across processes and hosts
------------------------------------
Each process keeps a `CatalogueSnapshot` (documents, the fitted engine index and the dense need x offering
score matrix) in `app.extensions`. Before every use, `snapshot()` runs ONE cheap aggregate query on the shared
database, the *fingerprint*: for published offerings and for open needs, the count, max(id), sum(id),
sum(version) and max(updated_at). The snapshot is rebuilt when the fingerprint differs from the one it was
built at.

Why this notices every change made by any process on any host, without their cooperation:
- publishing, unpublishing, archiving, closing, creating or deleting changes which rows are in the set, hence
  the count (or, for a swap of equally many rows, sum(id) and max(id));
- every edit of a proposable item goes through an ORM UPDATE, and `version` is the mapper's version_id_col, so
  SQLAlchemy increments it on every UPDATE of the row, whoever makes it: sum(version) grows. The catalogue
  service touches the row (updated_at, search_text) also when only themes or CPV codes change;
- it reads committed data from the database all processes share, and needs no clock agreement between hosts
  (max(updated_at) is only an extra signal; sum(version) does not depend on clocks);
- the fingerprint is read BEFORE the documents are loaded. A commit landing between the two makes the snapshot
  newer than its fingerprint, so the next use rebuilds once more (harmless); the other order could keep stale
  data forever.
A rebuild costs a full fit (about a second per thousand documents); the check, one aggregate query.
"""

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.matching import Document, MatchingEngine
from matchmaker.models import (
    Need,
    NeedStatus,
    Offering,
    OfferingStatus,
)
from matchmaker.services import ServiceError
from matchmaker.services.matching.documents import _need_key, _offering_key, need_document, offering_document
from matchmaker.services.matching.explanations import _explanation_data

log = logging.getLogger(__name__)

DEFAULT_MIN_SCORE = 0.02  # below this a pair shares next to nothing: not worth proposing


EXTENSION_KEY = "matching_snapshot"


@dataclass(frozen=True)
class ItemInfo:
    """What the snapshot remembers of an item besides its document (for filtering without queries)."""

    id: int
    organisation_id: int
    registered_only: bool
    theme_ids: frozenset[int]


@dataclass
class CatalogueSnapshot:
    fingerprint: tuple
    built_at: float
    build_seconds: float
    needs: list[ItemInfo]
    offerings: list[ItemInfo]
    need_documents: dict[int, Document]
    offering_documents: dict[int, Document]
    index: Any | None  # matchmaker.matching.Index over needs AND offerings (one vocabulary, one IDF)
    scores: np.ndarray  # float32 [needs x offerings]; the engine's score of every pair
    need_position: dict[int, int] = field(default_factory=dict)
    offering_position: dict[int, int] = field(default_factory=dict)
    _explanations: dict[tuple[int, int], dict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.need_position = {info.id: i for i, info in enumerate(self.needs)}
        self.offering_position = {info.id: j for j, info in enumerate(self.offerings)}

    def score(self, need_id: int, offering_id: int) -> float | None:
        i, j = self.need_position.get(need_id), self.offering_position.get(offering_id)
        if i is None or j is None:
            return None
        return float(self.scores[i, j])

    def explanation_data(self, need_id: int, offering_id: int) -> dict[str, Any]:
        """The explanation of an indexed pair (cached for the snapshot's life)."""
        key = (need_id, offering_id)
        data = self._explanations.get(key)
        if data is None:
            if self.index is None:
                raise ServiceError(_("There is nothing to match yet."))
            explanation = self.index.explain(_need_key(need_id), _offering_key(offering_id), "en")
            data = _explanation_data(need_id, offering_id, explanation)
            # The pair's score as ranked (the same dot product; rounding aside).
            score = self.score(need_id, offering_id)
            if score is not None:
                data["score"] = round(score, 6)
            if len(self._explanations) > 20_000:
                self._explanations.clear()
            self._explanations[key] = data
        return data


_build_lock = threading.Lock()


def catalogue_fingerprint() -> tuple:
    """A cheap summary of everything that can be proposed (see the module docstring for why it suffices)."""

    def aggregates(model, status: str, kind: str):
        return sa.select(
            sa.literal_column(f"'{kind}'"),
            sa.func.count(model.id),
            sa.func.coalesce(sa.func.max(model.id), 0),
            sa.func.coalesce(sa.func.sum(model.id), 0),
            sa.func.coalesce(sa.func.sum(model.version), 0),
            sa.func.max(model.updated_at),
        ).where(model.status == status)

    rows = db.session.execute(
        sa.union_all(
            aggregates(Offering, OfferingStatus.PUBLISHED.value, "o"),
            aggregates(Need, NeedStatus.OPEN.value, "n"),
        )
    ).all()
    return tuple(sorted(tuple(str(value) for value in row) for row in rows))


def _load_items() -> tuple[list[Need], list[Offering]]:
    needs = db.session.scalars(
        sa.select(Need)
        .where(Need.status == NeedStatus.OPEN)
        .options(selectinload(Need.themes), selectinload(Need.cpv_links))
        .order_by(Need.id)
    ).all()
    offerings = db.session.scalars(
        sa.select(Offering)
        .where(Offering.status == OfferingStatus.PUBLISHED)
        .options(selectinload(Offering.themes), selectinload(Offering.cpv_links))
        .order_by(Offering.id)
    ).all()
    return list(needs), list(offerings)


def build_snapshot(fingerprint: tuple | None = None) -> CatalogueSnapshot:
    """Index every open need and published offering. Reads the fingerprint first (see the module
    docstring)."""
    started = time.perf_counter()
    fingerprint = fingerprint if fingerprint is not None else catalogue_fingerprint()
    needs, offerings = _load_items()
    need_docs = {need.id: need_document(need) for need in needs}
    offering_docs = {offering.id: offering_document(offering) for offering in offerings}
    index = None
    scores = np.zeros((len(needs), len(offerings)), dtype=np.float32)
    if needs or offerings:
        engine = MatchingEngine()
        documents = list(need_docs.values()) + list(offering_docs.values())
        index = engine.fit(documents)
        if needs and offerings:
            # The engine's score is one dot product of the two documents' rows in the index's space.
            need_rows, offering_rows = _rows(index, list(need_docs.values()), list(offering_docs.values()))
            product = (need_rows @ offering_rows.T).toarray()
            scores = np.clip(product, 0.0, 1.0).astype(np.float32)
    snapshot = CatalogueSnapshot(
        fingerprint=fingerprint,
        built_at=time.time(),
        build_seconds=0.0,
        needs=[
            ItemInfo(n.id, n.organisation_id, bool(n.registered_only), frozenset(t.id for t in n.themes))
            for n in needs
        ],
        offerings=[
            ItemInfo(o.id, o.organisation_id, False, frozenset(t.id for t in o.themes)) for o in offerings
        ],
        need_documents=need_docs,
        offering_documents=offering_docs,
        index=index,
        scores=scores,
    )
    snapshot.build_seconds = time.perf_counter() - started
    log.info(
        "Matching index built: %d needs, %d offerings in %.2f s",
        len(needs),
        len(offerings),
        snapshot.build_seconds,
    )
    return snapshot


def _rows(index, need_docs: list[Document], offering_docs: list[Document]):
    """The index's own rows of these documents (`Index.matrix`, rows in the order of `Index.ids`), or the
    documents vectorized again in the index's space when the index does not expose its rows."""
    matrix = getattr(index, "matrix", None)
    if matrix is not None:
        position = {doc_id: i for i, doc_id in enumerate(index.ids)}
        return (
            matrix[[position[doc.id] for doc in need_docs]],
            matrix[[position[doc.id] for doc in offering_docs]],
        )
    return index.vectorize(need_docs), index.vectorize(offering_docs)


def snapshot(force: bool = False) -> CatalogueSnapshot:
    """This process's snapshot, rebuilt first if the catalogue changed anywhere (or when `force`)."""
    app = current_app._get_current_object()
    fingerprint = catalogue_fingerprint()
    current = app.extensions.get(EXTENSION_KEY)
    if current is not None and not force and current.fingerprint == fingerprint:
        return current
    with _build_lock:
        current = app.extensions.get(EXTENSION_KEY)
        if current is not None and not force and current.fingerprint == fingerprint:
            return current
        fresh = build_snapshot(fingerprint)
        app.extensions[EXTENSION_KEY] = fresh
        return fresh


def _min_score() -> float:
    return float(current_app.config.get("MATCHES_MIN_SCORE", DEFAULT_MIN_SCORE))
