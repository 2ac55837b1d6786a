"""The command line: the full refit of the shared index, and the explanation of any pair."""

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

import matchmaker.services.matching.index as index
from matchmaker.extensions import db
from matchmaker.matching import MatchingError
from matchmaker.models import (
    Match,
    MatchModel,
    MatchPair,
    Need,
    Offering,
)
from matchmaker.services import ServiceError, commit
from matchmaker.services.matching.documents import need_document, offering_document
from matchmaker.services.matching.explanations import (
    MatchExplanation,
    _explanation_data,
    explanation_datas,
    localize,
)
from matchmaker.services.matching.permissions import NotFound, _load_pair


@dataclass
class RebuildReport:
    needs: int
    offerings: int
    pairs_above_threshold: int
    seconds: float
    matches_refreshed: int
    generation: int | None = None
    pairs_stored: int = 0


def rebuild(
    refresh_matches: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    waiting: Callable[[], None] | None = None,
) -> RebuildReport:
    """The full refit of the shared index, now (what the background refit job runs); optionally refresh
    the stored score and explanation of every match whose need is open and offering published. While
    another refit runs, say so through `waiting` and start once it is done."""
    report = index.refit(progress, wait=False)
    if report.skipped:
        if waiting:
            waiting()
        report = index.refit(progress, wait=True)
    refreshed = 0
    if refresh_matches:
        matches = list(db.session.scalars(sa.select(Match)))
        datas = explanation_datas([(m.need_id, m.offering_id, None) for m in matches])
        for match in matches:
            data = datas.get((match.need_id, match.offering_id))
            if data is None:
                continue
            match.score = min(max(data["score"], 0.0), 1.0)
            match.explanation = data
            refreshed += 1
        commit()
    above = db.session.scalar(
        sa.select(sa.func.count()).where(
            MatchPair.generation == index.generation_subquery(),
            MatchPair.score >= max(index._min_score(), 1e-9),
        )
    )
    return RebuildReport(
        needs=report.needs,
        offerings=report.offerings,
        pairs_above_threshold=int(above or 0),
        seconds=report.seconds,
        matches_refreshed=refreshed,
        generation=report.generation,
        pairs_stored=report.pairs,
    )


def explain_pair(need_id: int, offering_id: int, language: str) -> tuple[Need, Offering, MatchExplanation]:
    """Explain any need and offering, also drafts (for administrators at the command line)."""
    need, offering = _load_pair(need_id, offering_id)
    if need is None:
        raise NotFound(_("There is no need %(id)s.", id=need_id))
    if offering is None:
        raise NotFound(_("There is no offering %(id)s.", id=offering_id))
    data = explanation_datas([(need_id, offering_id, None)]).get((need_id, offering_id))
    if data is None:
        # Not both indexed: explain them in the served model's space (this is a command line, not a web
        # process), or between the two alone when nothing was fitted yet.
        from matchmaker.matching.engine import Index, MatchingEngine  # a command line may load the model

        generation = index.served_generation()
        row = db.session.get(MatchModel, generation) if generation is not None else None
        docs = [need_document(need), offering_document(offering)]
        try:
            fitted = Index.loads(row.data) if row is not None else MatchingEngine().fit(docs)
            explanation = fitted.explain(docs[0], docs[1], "en")
        except MatchingError as error:  # pragma: no cover - the engine refuses only malformed documents
            raise ServiceError(str(error)) from None
        data = _explanation_data(need_id, offering_id, explanation)
    return need, offering, localize(data, language)
