"""Matching in the app: proposals for buyers and suppliers, interest, mutual matches, the organizers'
overview, and recommendations of participants for events.

The engine (`matchmaker.matching`) is pure; this module turns the catalogue into its `Document`s, keeps one
index per process, and turns the engine's `Explanation`s into `MatchExplanation`s that the partial
`templates/matches/_explanation.html` renders in the reader's language.

What is proposed
----------------
Only published offerings and open needs are ever indexed, so drafts, closed and archived items never appear
in anyone's proposals (nor in explanations, which quote the texts). A need marked `registered_only` is
proposed only to logged-in viewers. Nobody is proposed their own organisation's items.

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

from __future__ import annotations

import csv
import io
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.markdown import markdown_to_text
from matchmaker.matching import Document, Explanation, MatchingEngine, MatchingError
from matchmaker.models import (
    Match,
    Membership,
    Need,
    NeedStatus,
    Offering,
    OfferingStatus,
    Organisation,
    Role,
    Theme,
    User,
    utcnow,
)
from matchmaker.reference import cpv as cpv_reference
from matchmaker.services import ServiceError, notifications

log = logging.getLogger(__name__)

BUYER = "buyer"
SUPPLIER = "supplier"
DEFAULT_MIN_SCORE = 0.02  # below this a pair shares next to nothing: not worth proposing
PROPOSALS_PER_ITEM = 5
MAX_PROPOSALS_PER_ITEM = 50
OVERVIEW_LIMIT = 100
CSV_LIMIT = 500
EXTENSION_KEY = "matching_snapshot"


# --------------------------------------------------------------------------------------------------
# Documents for the engine


def _need_key(need_id: int) -> str:
    return f"need:{need_id:010d}"


def _offering_key(offering_id: int) -> str:
    return f"offering:{offering_id:010d}"


def _theme_label(theme_id: int) -> str:
    return f"theme-{theme_id}"


def _theme_id(label: str) -> int | None:
    prefix, _sep, number = str(label).partition("-")
    return int(number) if prefix == "theme" and number.isdigit() else None


def need_document(need: Need) -> Document:
    description = "\n\n".join(
        text for text in (markdown_to_text(need.challenge), markdown_to_text(need.expected_outcome)) if text
    )
    return Document(
        id=_need_key(need.id),
        title=need.title or "",
        summary=need.summary or "",
        description=description,
        keywords=tuple(need.keyword_list),
        language=need.language,
        cpv=tuple(need.cpv_codes),
        themes=tuple(_theme_label(theme.id) for theme in need.themes),
    )


def offering_document(offering: Offering) -> Document:
    return Document(
        id=_offering_key(offering.id),
        title=offering.title or "",
        summary=offering.summary or "",
        description=markdown_to_text(offering.description),
        keywords=tuple(offering.keyword_list),
        language=offering.language,
        cpv=tuple(offering.cpv_codes),
        themes=tuple(_theme_label(theme.id) for theme in offering.themes),
    )


def is_proposable(item: Need | Offering) -> bool:
    """Only open needs and published offerings are proposed."""
    if isinstance(item, Need):
        return item.status == NeedStatus.OPEN
    return item.status == OfferingStatus.PUBLISHED


# --------------------------------------------------------------------------------------------------
# Explanations: language-neutral data (cached, stored in Match.explanation) and the localized view


@dataclass(frozen=True)
class SharedWords:
    need: str
    offering: str

    @property
    def same(self) -> bool:
        return self.need.casefold() == self.offering.casefold()

    def __str__(self) -> str:
        return self.need if self.same else f"{self.need} / {self.offering}"


@dataclass(frozen=True)
class CpvLink:
    code: str
    label: str
    relation: str  # "shared", "same group", "same division", "inferred" (see matching.CpvReason)


@dataclass(frozen=True)
class ThemeLink:
    id: int
    name: str


@dataclass
class MatchExplanation:
    """Why a need and an offering match, in one reader's language: what `matches/_explanation.html` renders.

    Shared words are shown as written in each text; CPV labels and theme names are in `language`.
    """

    need_id: int
    offering_id: int
    score: float
    components: dict[str, float]
    shared_terms: list[SharedWords]
    cpv: list[CpvLink]
    themes: list[ThemeLink]
    language: str

    @property
    def percent(self) -> int:
        return percent(self.score)

    @property
    def is_empty(self) -> bool:
        return not (self.shared_terms or self.cpv or self.themes)

    def component_percent(self, name: str) -> int:
        """The share of the score that comes from one signal (text, cpv, theme), in percent of the score."""
        if self.score <= 0:
            return 0
        return round(100 * self.components.get(name, 0.0) / self.score)


def percent(score: float) -> int:
    return max(0, min(100, round(100 * float(score))))


# A word next to the percentage: readers do not know that 25% is a good score here (a pair rarely passes 75%).
STRONG_SCORE = 0.40
FAIR_SCORE = 0.20


def score_strength(score: float) -> str:
    """"strong", "fair" or "weak": how a score compares with the pairs this platform usually finds."""
    score = float(score)
    if score >= STRONG_SCORE:
        return "strong"
    if score >= FAIR_SCORE:
        return "fair"
    return "weak"


def _explanation_data(need_id: int, offering_id: int, explanation: Explanation) -> dict[str, Any]:
    """The engine's explanation as plain JSON (no labels: they are looked up in the reader's language)."""
    themes = []
    for label in explanation.themes:
        theme_id = _theme_id(label)
        if theme_id is not None:
            themes.append(theme_id)
    return {
        "need_id": need_id,
        "offering_id": offering_id,
        "score": round(float(explanation.score), 6),
        "components": {name: round(float(value), 6) for name, value in explanation.components.items()},
        # SharedTerm is a named tuple (as written in the first text, the need; as written in the second).
        "terms": [[str(term[0]), str(term[1])] for term in explanation.shared_terms],
        "cpv": [[reason.code, reason.relation] for reason in explanation.cpv],
        "themes": themes,
    }


def _theme_names(theme_ids: Iterable[int], language: str) -> dict[int, str]:
    ids = set(theme_ids)
    if not ids:
        return {}
    return {
        theme.id: theme.name(language)
        for theme in db.session.scalars(sa.select(Theme).where(Theme.id.in_(ids)))
    }


def displayed_terms(pairs: Iterable[Sequence[str]]) -> list[SharedWords]:
    """The shared words worth showing a reader, in the engine's order.

    The engine also scores the parts of compound words, so "geluidsschermen" comes with "geluid" and
    "schermen", and "snelwegen" with "snel" and "wegen": a word is left out when another shown word holds it
    on both sides (need and offering), and a word repeated in another case is shown once. Display only: the
    stored explanation and the score keep every term.
    """
    words = []
    seen = set()
    for need, offering in pairs:
        key = (str(need).casefold(), str(offering).casefold())
        if key in seen or not key[0] or not key[1]:
            continue
        seen.add(key)
        words.append((SharedWords(str(need), str(offering)), key))

    def part_of(small: str, big: str) -> bool:
        # A compound's first or last part, or a longer middle part ("licht" in "verkeerslichten"); a short
        # word such as "AI" is not hidden because some longer word happens to contain its letters.
        return big.startswith(small) or big.endswith(small) or (len(small) >= 4 and small in big)

    def inside(small: tuple[str, str], big: tuple[str, str]) -> bool:
        return small != big and part_of(small[0], big[0]) and part_of(small[1], big[1])

    return [word for word, key in words if not any(inside(key, other) for _, other in words)]


def localize(
    data: dict[str, Any], language: str, theme_names: dict[int, str] | None = None
) -> MatchExplanation:
    """A stored or cached explanation in the reader's language (CPV labels and theme names)."""
    language = language if language in cpv_reference.LANGUAGES else "en"
    vocabulary = cpv_reference.vocabulary()
    theme_ids = [int(t) for t in data.get("themes", [])]
    if theme_names is None:
        theme_names = _theme_names(theme_ids, language)
    cpv = []
    for code, relation in data.get("cpv", []):
        entry = vocabulary.get(code)
        cpv.append(CpvLink(code, entry.label(language) if entry else code, relation))
    return MatchExplanation(
        need_id=int(data.get("need_id", 0)),
        offering_id=int(data.get("offering_id", 0)),
        score=float(data.get("score", 0.0)),
        components={k: float(v) for k, v in (data.get("components") or {}).items()},
        shared_terms=displayed_terms(data.get("terms", [])),
        cpv=cpv,
        themes=[ThemeLink(t, theme_names[t]) for t in theme_ids if t in theme_names],
        language=language,
    )


# --------------------------------------------------------------------------------------------------
# The per-process snapshot of the catalogue


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


# --------------------------------------------------------------------------------------------------
# Who is who


def _authenticated(user) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))


def organisation_of(user) -> Organisation | None:
    return user.organisation if _authenticated(user) else None


def side_of(user, item: Need | Offering) -> str | None:
    """ "buyer" if the user's organisation owns the need, "supplier" if it owns the offering, else None."""
    organisation = organisation_of(user)
    if organisation is None or organisation.id != item.organisation_id:
        return None
    return BUYER if isinstance(item, Need) else SUPPLIER


def can_see_overview(user) -> bool:
    return _authenticated(user) and user.has_role(Role.ORGANIZER, Role.ADMIN)


def _visible_to(user, item: Need | Offering) -> bool:
    """May this user see the item as a proposal or counterpart? Public items only (and registered-only needs
    only when logged in); one's own organisation's items always."""
    organisation = organisation_of(user)
    if organisation is not None and organisation.id == item.organisation_id:
        return True
    if isinstance(item, Need):
        if item.status not in (NeedStatus.OPEN, NeedStatus.CLOSED):
            return False
        return not item.registered_only or _authenticated(user)
    return item.status == OfferingStatus.PUBLISHED


# --------------------------------------------------------------------------------------------------
# Proposals


@dataclass
class Proposal:
    need: Need
    offering: Offering
    score: float
    explanation: MatchExplanation
    match: Match | None
    side: str  # the viewer's side: "buyer" or "supplier"

    @property
    def percent(self) -> int:
        return percent(self.score)

    @property
    def counterpart(self) -> Need | Offering:
        return self.offering if self.side == BUYER else self.need

    @property
    def own_item(self) -> Need | Offering:
        return self.need if self.side == BUYER else self.offering

    @property
    def my_interest(self) -> bool | None:
        return self.match.interest_of(self.side) if self.match else None

    @property
    def their_interest(self) -> bool | None:
        if self.match is None:
            return None
        return self.match.interest_of(SUPPLIER if self.side == BUYER else BUYER)

    @property
    def is_mutual(self) -> bool:
        return bool(self.match and self.match.is_mutual)


@dataclass
class ItemProposals:
    item: Need | Offering
    proposable: bool
    proposals: list[Proposal]
    declined: int = 0  # proposals the organisation marked "not interested", left out of `proposals`


def _min_score() -> float:
    return float(current_app.config.get("MATCHES_MIN_SCORE", DEFAULT_MIN_SCORE))


def _ranked(row: np.ndarray, ids: Sequence[int], min_score: float) -> list[int]:
    """Positions with a score of at least `min_score`, best first, ties by id."""
    candidates = np.flatnonzero(row >= max(min_score, 1e-9))
    if not len(candidates):
        return []
    id_array = np.asarray([ids[c] for c in candidates])
    order = np.lexsort((id_array, -row[candidates]))
    return [int(candidates[k]) for k in order]


def _matches_for(
    need_ids: Iterable[int] = (), offering_ids: Iterable[int] = ()
) -> dict[tuple[int, int], Match]:
    need_ids, offering_ids = set(need_ids), set(offering_ids)
    if not need_ids and not offering_ids:
        return {}
    condition = sa.or_(
        Match.need_id.in_(need_ids) if need_ids else sa.false(),
        Match.offering_id.in_(offering_ids) if offering_ids else sa.false(),
    )
    return {(m.need_id, m.offering_id): m for m in db.session.scalars(sa.select(Match).where(condition))}


def proposals_for(
    item: Need | Offering,
    viewer=None,
    limit: int = PROPOSALS_PER_ITEM,
    language: str = "en",
    include_declined: bool = False,
    snap: CatalogueSnapshot | None = None,
) -> ItemProposals:
    """The best counterparts for one need (offerings) or offering (needs), as `viewer` may see them.

    A viewer who is not logged in is never proposed registered-only needs. Items of the item's own
    organisation are never proposed to it. When the item's side marked a counterpart "not interested", it is
    left out (and counted) unless `include_declined`."""
    limit = max(1, min(int(limit), MAX_PROPOSALS_PER_ITEM))
    if not is_proposable(item):
        return ItemProposals(item, False, [])
    snap = snap or snapshot()
    is_need = isinstance(item, Need)
    side = BUYER if is_need else SUPPLIER
    position = (snap.need_position if is_need else snap.offering_position).get(item.id)
    if position is None:  # committed after the snapshot's fingerprint was read: next request sees it
        return ItemProposals(item, True, [])
    others = snap.offerings if is_need else snap.needs
    row = snap.scores[position, :] if is_need else snap.scores[:, position]
    ranked = _ranked(row, [info.id for info in others], _min_score())
    matches = _matches_for(need_ids=[item.id]) if is_need else _matches_for(offering_ids=[item.id])
    logged_in = _authenticated(viewer)
    chosen: list[tuple[int, float]] = []
    declined = 0
    for k in ranked:
        info = others[k]
        if info.organisation_id == item.organisation_id:
            continue
        if info.registered_only and not logged_in:
            continue
        pair = (item.id, info.id) if is_need else (info.id, item.id)
        match = matches.get(pair)
        if match is not None and match.interest_of(side) is False and not include_declined:
            declined += 1
            continue
        if len(chosen) < limit:
            chosen.append((info.id, float(row[k])))
    return ItemProposals(item, True, _proposals(snap, item, chosen, matches, side, language), declined)


def _proposals(
    snap: CatalogueSnapshot,
    item: Need | Offering,
    chosen: list[tuple[int, float]],
    matches: dict[tuple[int, int], Match],
    side: str,
    language: str,
) -> list[Proposal]:
    ids = [other_id for other_id, _score in chosen]
    model = Offering if side == BUYER else Need
    loaded = (
        {obj.id: obj for obj in db.session.scalars(sa.select(model).where(model.id.in_(ids)))} if ids else {}
    )
    datas = []
    for other_id, score in chosen:
        if other_id not in loaded:  # deleted since the snapshot
            continue
        need_id, offering_id = (item.id, other_id) if side == BUYER else (other_id, item.id)
        datas.append((need_id, offering_id, score, snap.explanation_data(need_id, offering_id)))
    names = _theme_names([t for *_rest, data in datas for t in data["themes"]], language)
    out = []
    for need_id, offering_id, score, data in datas:
        other = loaded[offering_id if side == BUYER else need_id]
        need, offering = (item, other) if side == BUYER else (other, item)
        out.append(
            Proposal(
                need,
                offering,
                score,
                localize(data, language, names),
                matches.get((need_id, offering_id)),
                side,
            )
        )
    return out


def my_items(user) -> list[Need | Offering]:
    """The items of the user's organisation that proposals are about: needs of a government organisation,
    offerings of any other; proposable ones first."""
    organisation = organisation_of(user)
    if organisation is None:
        return []
    model = Need if organisation.is_government else Offering
    live = NeedStatus.OPEN.value if model is Need else OfferingStatus.PUBLISHED.value
    hidden = [NeedStatus.ARCHIVED.value] if model is Need else [OfferingStatus.ARCHIVED.value]
    return list(
        db.session.scalars(
            sa.select(model)
            .where(model.organisation_id == organisation.id, model.status.not_in(hidden))
            .order_by(sa.case((model.status == live, 0), else_=1), model.title, model.id)
        )
    )


def my_proposals(
    user, language: str, limit: int = PROPOSALS_PER_ITEM, include_declined: bool = False
) -> list[ItemProposals]:
    items = my_items(user)
    snap = snapshot() if any(is_proposable(item) for item in items) else None
    return [
        proposals_for(
            item, user, limit=limit, language=language, include_declined=include_declined, snap=snap
        )
        for item in items
    ]


def similar_for_public(item: Need | Offering, viewer, language: str, limit: int = 3) -> list[Proposal]:
    """A few counterparts for a public item page (for catalogue pages that want them)."""
    return proposals_for(item, viewer, limit=limit, language=language).proposals


# --------------------------------------------------------------------------------------------------
# Interest and mutual matches


DECISIONS = {"interested": True, "not_interested": False, "undecided": None}


@dataclass
class InterestResult:
    match: Match
    side: str
    became_mutual: bool


def _load_pair(need_id: int, offering_id: int) -> tuple[Need | None, Offering | None]:
    return db.session.get(Need, need_id), db.session.get(Offering, offering_id)


class NotFound(ServiceError):
    """The object does not exist, or the user may not know it does (routes answer 404)."""


class Forbidden(ServiceError):
    """The user may see the object but not act on it (routes answer 403)."""


def check_pair(user, need_id: int, offering_id: int) -> tuple[Need, Offering, str]:
    """The pair and the user's side, or NotFound / Forbidden / ServiceError."""
    need, offering = _load_pair(need_id, offering_id)
    if need is None or offering is None:
        raise NotFound(_("This proposal does not exist."))
    need_side, offering_side = side_of(user, need), side_of(user, offering)
    if not _visible_to(user, need) or not _visible_to(user, offering):
        raise NotFound(_("This proposal does not exist."))
    if need_side is None and offering_side is None:
        raise Forbidden(_("Only the organisations of the need and of the offering can answer this proposal."))
    if need_side and offering_side:
        raise ServiceError(_("Your organisation owns both items: there is nobody to match with."))
    side = need_side or offering_side
    return need, offering, side


def set_interest(user, need_id: int, offering_id: int, decision: str) -> InterestResult:
    """Record the user's organisation's answer to a proposal; a mutual match notifies both sides (once).

    `decision` is "interested", "not_interested" or "undecided". Both items must be proposable (an open need
    and a published offering). Safe under concurrency: the pair is unique in the database, and the row is
    locked while one side's answer is combined with the other's, so two answers at the same time both see
    each other.
    """
    if decision not in DECISIONS:
        raise ServiceError(_("Choose whether you are interested or not."))
    need, offering, side = check_pair(user, need_id, offering_id)
    if not is_proposable(need) or not is_proposable(offering):
        raise ServiceError(
            _("You can answer proposals only while the need is open and the offering is published.")
        )
    interest = DECISIONS[decision]
    # Score and explanation first: a rebuild of the index must not happen while the row is locked.
    snap = snapshot()
    score = snap.score(need.id, offering.id)
    data = snap.explanation_data(need.id, offering.id) if score is not None else {}
    for attempt in range(2):
        try:
            result = _record_interest(user, need, offering, side, interest, score or 0.0, data)
            break
        except IntegrityError:  # the other side created the row at the same moment: read it and try again
            db.session.rollback()
            if attempt:
                raise
    if result.became_mutual:
        _notify_mutual(result.match)
    return result


def _record_interest(
    user, need: Need, offering: Offering, side: str, interest: bool | None, score: float, data: dict
) -> InterestResult:
    query = (
        sa.select(Match)
        .where(Match.need_id == need.id, Match.offering_id == offering.id)
        .with_for_update(of=Match.__table__)
        .execution_options(populate_existing=True)
    )
    match = db.session.scalar(query)
    if match is None:
        match = Match(
            need_id=need.id, offering_id=offering.id, score=min(max(score, 0.0), 1.0), explanation=data
        )
        db.session.add(match)
        db.session.flush()  # IntegrityError here when the other side was quicker
    now = utcnow()
    was_mutual = match.is_mutual
    if side == BUYER:
        match.buyer_interest, match.buyer_decided_at, match.buyer_decided_by_id = interest, now, user.id
    else:
        match.supplier_interest, match.supplier_decided_at, match.supplier_decided_by_id = (
            interest,
            now,
            user.id,
        )
    became_mutual = False
    if match.is_mutual and not was_mutual:
        match.mutual_since = now
        if match.notified_at is None:
            match.notified_at = now
            became_mutual = True
    elif not match.is_mutual:
        match.mutual_since = None
    db.session.commit()
    return InterestResult(match, side, became_mutual)


def _members(organisation_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == organisation_id, User.active.is_(True))
            .order_by(User.id)
        )
    )


# A kind of notification of the notifications area (services.notifications), registered with this module.
notifications.register_kind(
    "mutual_match",
    _l("%(organisation)s is interested too: “%(need)s” × “%(offering)s” is a mutual match."),
)


def _notify_mutual(match: Match) -> int:
    """Tell every member of both organisations. Returns the number of people notified."""
    need, offering = match.need, match.offering
    url = url_for("matches.mutual", _anchor=f"match-{match.id}")
    count = 0
    sides = ((need.organisation_id, offering.organisation), (offering.organisation_id, need.organisation))
    for organisation_id, other in sides:
        for member in _members(organisation_id):
            notifications.notify(
                member,
                "mutual_match",
                url=url,
                organisation=other.name,
                need=need.title,
                offering=offering.title,
            )
            count += 1
    return count


def mutual_matches(user) -> list[Match]:
    """The organisation's mutual matches whose other side is still public, newest first."""
    organisation = organisation_of(user)
    if organisation is None:
        return []
    rows = db.session.scalars(
        sa.select(Match)
        .join(Need, Need.id == Match.need_id)
        .join(Offering, Offering.id == Match.offering_id)
        .where(
            Match.buyer_interest.is_(True),
            Match.supplier_interest.is_(True),
            sa.or_(Need.organisation_id == organisation.id, Offering.organisation_id == organisation.id),
        )
        .order_by(Match.mutual_since.desc(), Match.id.desc())
    ).all()
    return [m for m in rows if _visible_to(user, m.need) and _visible_to(user, m.offering)]


def mutual_count(user) -> int:
    return len(mutual_matches(user))


def localized_snapshot(match: Match, language: str) -> MatchExplanation | None:
    """The explanation stored when the match was first answered, in the reader's language."""
    if not match.explanation:
        return None
    return localize(match.explanation, language)


@dataclass
class MutualRow:
    match: Match
    own_item: Need | Offering
    counterpart: Need | Offering
    other_organisation: Organisation
    contact: User | None  # who answered "interested" for the other side
    explanation: MatchExplanation | None


def mutual_view(match: Match, organisation: Organisation | None, language: str) -> MutualRow:
    buyer_side = organisation is not None and match.need.organisation_id == organisation.id
    if buyer_side:
        own, other, contact = match.need, match.offering, match.supplier_decided_by
    else:
        own, other, contact = match.offering, match.need, match.buyer_decided_by
    return MutualRow(match, own, other, other.organisation, contact, localized_snapshot(match, language))


@dataclass
class PairView:
    score: float
    explanation: MatchExplanation | None
    match: Match | None
    live: bool  # the explanation is today's (False: the one stored when the match was answered)

    @property
    def percent(self) -> int:
        return percent(self.score)


def load_public_pair(need_id: int, offering_id: int) -> tuple[Need, Offering]:
    """A pair anyone logged in may look at (organizers' overview): public need and offering, else NotFound."""
    need, offering = _load_pair(need_id, offering_id)
    if need is None or offering is None or not need.is_public or not offering.is_public:
        raise NotFound(_("This proposal does not exist."))
    return need, offering


def pair_view(need: Need, offering: Offering, language: str) -> PairView:
    match = db.session.scalar(
        sa.select(Match).where(Match.need_id == need.id, Match.offering_id == offering.id)
    )
    if is_proposable(need) and is_proposable(offering):
        snap = snapshot()
        score = snap.score(need.id, offering.id)
        if score is not None:
            return PairView(
                score, localize(snap.explanation_data(need.id, offering.id), language), match, True
            )
    if match is not None:
        return PairView(match.score, localized_snapshot(match, language), match, False)
    return PairView(0.0, None, None, False)


# --------------------------------------------------------------------------------------------------
# Organizers: best pairs across the catalogue


@dataclass
class PairRow:
    need: Need
    offering: Offering
    score: float
    explanation: MatchExplanation
    match: Match | None

    @property
    def percent(self) -> int:
        return percent(self.score)


def best_pairs(
    theme_id: int | None = None,
    limit: int = OVERVIEW_LIMIT,
    language: str = "en",
    min_score: float | None = None,
) -> list[PairRow]:
    """The best need x offering pairs of the whole catalogue, best first (ties by need, then offering id).

    With a theme: only pairs where the need or the offering is filed under that theme. Pairs within one
    organisation are left out."""
    snap = snapshot()
    if not snap.needs or not snap.offerings:
        return []
    min_score = _min_score() if min_score is None else min_score
    scores = snap.scores.copy()
    need_orgs = np.asarray([info.organisation_id for info in snap.needs])
    offering_orgs = np.asarray([info.organisation_id for info in snap.offerings])
    scores[need_orgs[:, None] == offering_orgs[None, :]] = 0.0
    if theme_id is not None:
        need_in = np.asarray([theme_id in info.theme_ids for info in snap.needs])
        offering_in = np.asarray([theme_id in info.theme_ids for info in snap.offerings])
        scores[~(need_in[:, None] | offering_in[None, :])] = 0.0
    flat = scores.ravel()
    candidates = np.flatnonzero(flat >= max(min_score, 1e-9))
    if len(candidates) > limit:
        kth = np.partition(flat[candidates], len(candidates) - limit)[len(candidates) - limit]
        candidates = candidates[flat[candidates] >= kth]
    order = np.lexsort((candidates, -flat[candidates]))[:limit]
    cells = [divmod(int(c), scores.shape[1]) for c in candidates[order]]
    pairs = [(snap.needs[i].id, snap.offerings[j].id, float(scores[i, j])) for i, j in cells]
    needs = _by_id(Need, {p[0] for p in pairs})
    offerings = _by_id(Offering, {p[1] for p in pairs})
    matches = _matches_for(need_ids={p[0] for p in pairs})
    datas = [(n, o, s, snap.explanation_data(n, o)) for n, o, s in pairs if n in needs and o in offerings]
    names = _theme_names([t for *_rest, data in datas for t in data["themes"]], language)
    return [
        PairRow(needs[n], offerings[o], s, localize(data, language, names), matches.get((n, o)))
        for n, o, s, data in datas
    ]


def _by_id(model, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {obj.id: obj for obj in db.session.scalars(sa.select(model).where(model.id.in_(ids)))}


def _interest_text(value: bool | None) -> str:
    return {True: "interested", False: "not interested", None: ""}[value]


def _csv_cell(value: Any) -> str:
    """Text for a spreadsheet cell; formulas are defused (a leading = + - @ would run in Excel)."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        text = "'" + text
    return text


CSV_COLUMNS = (
    "score", "need_id", "need_title", "buyer", "offering_id", "offering_title", "supplier",
    "shared_terms", "cpv", "themes", "buyer_interest", "supplier_interest", "mutual",
)  # fmt: skip


def best_pairs_csv(theme_id: int | None = None, language: str = "en", limit: int = CSV_LIMIT) -> str:
    rows = best_pairs(theme_id=theme_id, limit=limit, language=language)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        match = row.match
        writer.writerow(
            _csv_cell(value)
            for value in (
                f"{row.score:.4f}",
                row.need.id,
                row.need.title,
                row.need.organisation.name,
                row.offering.id,
                row.offering.title,
                row.offering.organisation.name,
                "; ".join(str(t) for t in row.explanation.shared_terms),
                "; ".join(f"{c.code} {c.label} ({c.relation})" for c in row.explanation.cpv),
                "; ".join(t.name for t in row.explanation.themes),
                _interest_text(match.buyer_interest if match else None),
                _interest_text(match.supplier_interest if match else None),
                "yes" if match and match.is_mutual else "",
            )
        )
    return out.getvalue()


# --------------------------------------------------------------------------------------------------
# Events: recommend participants


@dataclass
class Recommendation:
    """A participant worth meeting: `score` in [0, 1] and the explanation of the best need x offering pair."""

    registration: Any
    score: float
    explanation: MatchExplanation
    need: Need
    offering: Offering

    @property
    def percent(self) -> int:
        return percent(self.score)


def _brought(registration, attribute: str) -> list:
    return [item for item in (getattr(registration, attribute, None) or []) if is_proposable(item)]


def recommend_participants(registration, candidates: Iterable, reader_language: str) -> list[Recommendation]:
    """Rank the other side's registrations for one registration, best first (ties by registration id).

    A buyer's registration is offered suppliers and vice versa. The score of two registrations is the best
    score between the buyer's needs and the supplier's offerings; the explanation is that pair's. Only open
    needs and published offerings count (nobody's drafts are compared or quoted). Candidates without any
    positive score are left out."""
    role = str(getattr(registration, "role", ""))
    if role not in (BUYER, SUPPLIER):
        return []
    other_role = SUPPLIER if role == BUYER else BUYER
    others = [c for c in candidates if str(getattr(c, "role", "")) == other_role and c is not registration]
    if not others:
        return []
    mine = _brought(registration, "needs" if role == BUYER else "offerings")
    if not mine:
        return []
    snap = snapshot()
    if snap.index is None:
        return []
    best: list[tuple[float, Any, Need, Offering]] = []
    for candidate in others:
        theirs = _brought(candidate, "offerings" if role == BUYER else "needs")
        top: tuple[float, Need, Offering] | None = None
        for own in mine:
            for other in theirs:
                need, offering = (own, other) if role == BUYER else (other, own)
                score = _pair_score(snap, need, offering)
                if score > 0 and (
                    top is None
                    or score > top[0]
                    or (score == top[0] and (need.id, offering.id) < (top[1].id, top[2].id))
                ):
                    top = (score, need, offering)
        if top is not None:
            best.append((top[0], candidate, top[1], top[2]))
    best.sort(key=lambda item: (-item[0], getattr(item[1], "id", 0) or 0))
    datas = [_pair_explanation(snap, need, offering) for _s, _c, need, offering in best]
    names = _theme_names([t for data in datas for t in data["themes"]], reader_language)
    return [
        Recommendation(candidate, score, localize(data, reader_language, names), need, offering)
        for (score, candidate, need, offering), data in zip(best, datas, strict=True)
    ]


def _pair_score(snap: CatalogueSnapshot, need: Need, offering: Offering) -> float:
    score = snap.score(need.id, offering.id)
    if score is not None:
        return score
    # Proposable, but committed after this snapshot's fingerprint: score it in the index's space.
    rows = snap.index.vectorize([need_document(need), offering_document(offering)])
    return float(np.clip((rows[0] @ rows[1].T).toarray()[0, 0], 0.0, 1.0))


def _pair_explanation(snap: CatalogueSnapshot, need: Need, offering: Offering) -> dict[str, Any]:
    if snap.score(need.id, offering.id) is not None:
        return snap.explanation_data(need.id, offering.id)
    explanation = snap.index.explain(need_document(need), offering_document(offering), "en")
    return _explanation_data(need.id, offering.id, explanation)


# --------------------------------------------------------------------------------------------------
# Command line


@dataclass
class RebuildReport:
    needs: int
    offerings: int
    pairs_above_threshold: int
    seconds: float
    matches_refreshed: int


def rebuild(refresh_matches: bool = False) -> RebuildReport:
    """Rebuild this process's index now; optionally refresh the stored score and explanation of every match
    whose need is open and offering published. (Web processes notice changes by themselves: see the module
    docstring. This command checks that indexing works and how long it takes.)"""
    snap = snapshot(force=True)
    refreshed = 0
    if refresh_matches:
        for match in db.session.scalars(sa.select(Match)):
            score = snap.score(match.need_id, match.offering_id)
            if score is None:
                continue
            match.score = min(max(score, 0.0), 1.0)
            match.explanation = snap.explanation_data(match.need_id, match.offering_id)
            refreshed += 1
        db.session.commit()
    return RebuildReport(
        needs=len(snap.needs),
        offerings=len(snap.offerings),
        pairs_above_threshold=int((snap.scores >= max(_min_score(), 1e-9)).sum()),
        seconds=snap.build_seconds,
        matches_refreshed=refreshed,
    )


def explain_pair(need_id: int, offering_id: int, language: str) -> tuple[Need, Offering, MatchExplanation]:
    """Explain any need and offering, also drafts (for administrators at the command line)."""
    need, offering = _load_pair(need_id, offering_id)
    if need is None:
        raise NotFound(_("There is no need %(id)s.", id=need_id))
    if offering is None:
        raise NotFound(_("There is no offering %(id)s.", id=offering_id))
    snap = snapshot()
    if snap.score(need_id, offering_id) is not None:
        data = snap.explanation_data(need_id, offering_id)
    else:
        if snap.index is None:
            index = MatchingEngine().fit([need_document(need), offering_document(offering)])
        else:
            index = snap.index
        try:
            explanation = index.explain(need_document(need), offering_document(offering), "en")
        except MatchingError as error:  # pragma: no cover - the engine refuses only malformed documents
            raise ServiceError(str(error)) from None
        data = _explanation_data(need_id, offering_id, explanation)
    return need, offering, localize(data, language)
