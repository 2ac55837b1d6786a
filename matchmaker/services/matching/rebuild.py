"""The command line: rebuild this process's index now, explain any pair."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.matching import MatchingEngine, MatchingError
from matchmaker.models import (
    Match,
    Need,
    Offering,
)
from matchmaker.services import ServiceError, commit
from matchmaker.services.matching.cache import _min_score, snapshot
from matchmaker.services.matching.documents import need_document, offering_document
from matchmaker.services.matching.explanations import MatchExplanation, _explanation_data, localize
from matchmaker.services.matching.permissions import NotFound, _load_pair


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
        commit()
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
