"""The home page's figures: what a visitor can find on the platform right now."""

from dataclasses import dataclass

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Need, Offering
from matchmaker.models.catalogue import NeedStatus, OfferingStatus
from matchmaker.services import events as events_service


@dataclass(frozen=True)
class HomeFigures:
    offerings: int
    needs: int
    upcoming_count: int
    upcoming_events: list


def home_figures(logged_in: bool, event_limit: int = 3) -> HomeFigures:
    """Published offerings, open needs and the next public events (two counts and one listing).

    Needs shown to registered users only are counted for logged-in readers only, as the browse page does."""
    offerings = db.session.scalar(
        sa.select(sa.func.count(Offering.id)).where(Offering.status == OfferingStatus.PUBLISHED)
    )
    need_query = sa.select(sa.func.count(Need.id)).where(Need.status == NeedStatus.OPEN)
    if not logged_in:
        need_query = need_query.where(Need.registered_only.is_(False))
    needs = db.session.scalar(need_query)
    upcoming = events_service.list_public_events().upcoming
    return HomeFigures(
        offerings=offerings or 0,
        needs=needs or 0,
        upcoming_count=len(upcoming),
        upcoming_events=list(upcoming[:event_limit]),
    )
