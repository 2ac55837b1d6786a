"""Proposals: the best counterparts of one need or offering, as a viewer may see them, and one pair's view.

A need marked `registered_only` is proposed only to logged-in viewers. Nobody is proposed their own
organisation's items.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    Match,
    Need,
    NeedStatus,
    Offering,
    OfferingStatus,
)
from matchmaker.services.matching.cache import CatalogueSnapshot, _min_score, snapshot
from matchmaker.services.matching.documents import is_proposable
from matchmaker.services.matching.explanations import (
    MatchExplanation,
    _theme_names,
    localize,
    localized_snapshot,
    percent,
)
from matchmaker.services.matching.permissions import (
    BUYER,
    SUPPLIER,
    NotFound,
    _authenticated,
    _load_pair,
    organisation_of,
)

PROPOSALS_PER_ITEM = 5


MAX_PROPOSALS_PER_ITEM = 50


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
