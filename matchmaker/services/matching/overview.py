"""Organizers: the best pairs across the catalogue."""

from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    Match,
    Need,
    Offering,
)
from matchmaker.services.matching.cache import _min_score, snapshot
from matchmaker.services.matching.explanations import MatchExplanation, _theme_names, localize, percent
from matchmaker.services.matching.proposals import _matches_for

OVERVIEW_LIMIT = 100


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
