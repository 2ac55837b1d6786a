"""Organizers: the best pairs across the catalogue."""

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

import matchmaker.services.matching.index as index
from matchmaker.extensions import db
from matchmaker.models import (
    Match,
    MatchPair,
    Need,
    Offering,
    Theme,
)
from matchmaker.pagination import ListPage, paginate_list
from matchmaker.services.matching.explanations import (
    MatchExplanation,
    _theme_names,
    explanation_datas,
    localize,
    percent,
)
from matchmaker.services.matching.proposals import _matches_for

OVERVIEW_LIMIT = 100
# The page shows the best OVERVIEW_LIMIT pairs in pages of this many: each row carries its explanation (a
# hundred made the page 7,000 elements and computed a hundred explanations for the few an organizer opens).
OVERVIEW_PER_PAGE = 25


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
    """The best need x offering pairs of the whole catalogue, best first (ties by need, then offering id),
    each with its explanation (see `best_pair_scores` for which pairs)."""
    return _rows(best_pair_scores(theme_id, limit, min_score), language)


def best_pairs_page(theme_id: int | None = None, page: int | None = None, language: str = "en") -> ListPage:
    """One page (OVERVIEW_PER_PAGE rows) of the best OVERVIEW_LIMIT pairs: only its rows are explained."""
    scored = paginate_list(best_pair_scores(theme_id), page, OVERVIEW_PER_PAGE)
    return ListPage(_rows(scored.items, language), scored.page, scored.per_page, scored.total)


def best_pair_scores(
    theme_id: int | None = None, limit: int = OVERVIEW_LIMIT, min_score: float | None = None
) -> list[tuple[int, int, float]]:
    """(need id, offering id, score) of the best pairs of the whole catalogue, best first.

    With a theme: only pairs where the need or the offering is filed under that theme. Pairs within one
    organisation are left out. One query on the stored pairs (index (generation, score)): every pair of the
    whole catalogue's top `limit` is in both items' top K when K >= limit; with filters, a pair whose items
    have K better pairs that the filters hide is missed."""
    min_score = index._min_score() if min_score is None else min_score
    query = (
        sa.select(MatchPair.need_id, MatchPair.offering_id, MatchPair.score)
        .join(Need, Need.id == MatchPair.need_id)
        .join(Offering, Offering.id == MatchPair.offering_id)
        .where(
            MatchPair.generation == index.generation_subquery(),
            MatchPair.score >= max(min_score, 1e-9),
            index._proposable(index.NEED)[1],
            index._proposable(index.OFFERING)[1],
            Need.organisation_id != Offering.organisation_id,
        )
        .order_by(MatchPair.score.desc(), MatchPair.need_id, MatchPair.offering_id)
        .limit(max(1, int(limit)))
    )
    if theme_id is not None:
        query = query.where(
            sa.or_(Need.themes.any(Theme.id == theme_id), Offering.themes.any(Theme.id == theme_id))
        )
    return [(n, o, float(s)) for n, o, s in db.session.execute(query)]


def _rows(pairs: list[tuple[int, int, float]], language: str) -> list[PairRow]:
    """The pairs with their items, their answers and their explanations in `language`."""
    needs = _by_id(Need, {p[0] for p in pairs})
    offerings = _by_id(Offering, {p[1] for p in pairs})
    matches = _matches_for(need_ids={p[0] for p in pairs})
    explained = explanation_datas(pairs)
    datas = [
        (n, o, s, explained[(n, o)])
        for n, o, s in pairs
        if n in needs and o in offerings and (n, o) in explained
    ]
    names = _theme_names([t for *_rest, data in datas for t in data["themes"]], language)
    return [
        PairRow(needs[n], offerings[o], s, localize(data, language, names), matches.get((n, o)))
        for n, o, s, data in datas
    ]


def _by_id(model, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    query = sa.select(model).where(model.id.in_(ids)).options(selectinload(model.organisation))
    return {obj.id: obj for obj in db.session.scalars(query)}
