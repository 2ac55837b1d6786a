"""The home page's figures: what a visitor can find on the platform right now."""

import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from matchmaker.extensions import db
from matchmaker.models import Need, Offering
from matchmaker.models.catalogue import NeedStatus
from matchmaker.models.organisation import not_suspended
from matchmaker.services import events as events_service


@dataclass(frozen=True)
class HomeFigures:
    offerings: int
    needs: int
    upcoming_count: int
    upcoming_events: list


def home_figures(logged_in: bool, event_limit: int = 3) -> HomeFigures:
    """Published offerings, open needs and the next public events (two counts and one listing).

    Needs shown to registered users only are counted for logged-in readers only, as the browse page does.
    Each process keeps the two counts for HOME_FIGURES_SECONDS: counting 50,000 items took 40 ms of the
    database on every visit of the home page, for figures nobody needs to the second."""
    offerings, needs = _counts(logged_in)
    upcoming = events_service.list_public_events().upcoming
    return HomeFigures(
        offerings=offerings,
        needs=needs,
        upcoming_count=len(upcoming),
        upcoming_events=list(upcoming[:event_limit]),
    )


def _counts(logged_in: bool) -> tuple[int, int]:
    seconds = float(current_app.config["HOME_FIGURES_SECONDS"])
    cache = current_app.extensions.setdefault("home_figures", {})
    kept = cache.get(logged_in)
    now = time.monotonic()
    if seconds > 0 and kept is not None and now < kept[0]:
        return kept[1]
    offerings = db.session.scalar(
        sa.select(sa.func.count(Offering.id)).where(Offering.public_condition())
    )
    need_query = sa.select(sa.func.count(Need.id)).where(
        Need.status == NeedStatus.OPEN, not_suspended(Need.organisation_id)
    )
    if not logged_in:
        need_query = need_query.where(Need.registered_only.is_(False))
    counts = (offerings or 0, db.session.scalar(need_query) or 0)
    cache[logged_in] = (now + seconds, counts)
    return counts
