"""Events: participants worth meeting, recommended for one registration."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import matchmaker.services.matching.index as index
from matchmaker.matching import MatchingConfig
from matchmaker.models import (
    Need,
    Offering,
)
from matchmaker.services.matching.documents import is_proposable
from matchmaker.services.matching.explanations import (
    MatchExplanation,
    _theme_names,
    explanation_datas,
    localize,
    percent,
)
from matchmaker.services.matching.permissions import BUYER, SUPPLIER


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
    positive score are left out. Scores come from the items' stored profiles (the same dot products as the
    index), so a fixed number of queries serves any number of candidates."""
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
    theirs_of = {id(c): _brought(c, "offerings" if role == BUYER else "needs") for c in others}
    need_ids = {n.id for n in (mine if role == BUYER else [i for c in others for i in theirs_of[id(c)]])}
    offering_ids = {o.id for o in ([i for c in others for i in theirs_of[id(c)]] if role == BUYER else mine)}
    vectors = _vectors(need_ids, offering_ids)
    best: list[tuple[float, Any, Need, Offering]] = []
    for candidate in others:
        top: tuple[float, Need, Offering] | None = None
        for own in mine:
            for other in theirs_of[id(candidate)]:
                need, offering = (own, other) if role == BUYER else (other, own)
                score = _pair_score(vectors, need.id, offering.id)
                if score > 0 and (
                    top is None
                    or score > top[0]
                    or (score == top[0] and (need.id, offering.id) < (top[1].id, top[2].id))
                ):
                    top = (score, need, offering)
        if top is not None:
            best.append((top[0], candidate, top[1], top[2]))
    best.sort(key=lambda item: (-item[0], getattr(item[1], "id", 0) or 0))
    explained = explanation_datas([(need.id, offering.id, score) for score, _c, need, offering in best])
    best = [row for row in best if (row[2].id, row[3].id) in explained]
    datas = [explained[(need.id, offering.id)] for _s, _c, need, offering in best]
    names = _theme_names([t for data in datas for t in data["themes"]], reader_language)
    return [
        Recommendation(candidate, score, localize(data, reader_language, names), need, offering)
        for (score, candidate, need, offering), data in zip(best, datas, strict=True)
    ]


def _vectors(need_ids: set[int], offering_ids: set[int]) -> dict[tuple[str, int], dict[str, float]]:
    """The items' vectors from the served generation's stored profiles (two queries)."""
    config = MatchingConfig()
    out = {}
    for kind, ids in ((index.NEED, need_ids), (index.OFFERING, offering_ids)):
        for item_id, profile in index.profiles(kind, ids).items():
            out[(kind, item_id)] = profile.vector(config)
    return out


def _pair_score(vectors: dict[tuple[str, int], dict[str, float]], need_id: int, offering_id: int) -> float:
    """The engine's score of an indexed pair (0 when either item is not in the index)."""
    a, b = vectors.get((index.NEED, need_id)), vectors.get((index.OFFERING, offering_id))
    if a is None or b is None:
        return 0.0
    if len(b) < len(a):
        a, b = b, a
    return min(max(sum(value * b.get(key, 0.0) for key, value in a.items()), 0.0), 1.0)
