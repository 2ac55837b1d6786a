"""Events: participants worth meeting, recommended for one registration."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from matchmaker.models import (
    Need,
    Offering,
)
from matchmaker.services.matching.cache import CatalogueSnapshot, snapshot
from matchmaker.services.matching.documents import is_proposable, need_document, offering_document
from matchmaker.services.matching.explanations import (
    MatchExplanation,
    _explanation_data,
    _theme_names,
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
