"""Interest and mutual matches: an organisation's answer to a proposal, and the matches both sides want."""

import functools
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from matchmaker import links
from matchmaker.extensions import db
from matchmaker.models import (
    Conversation,
    Match,
    Need,
    Offering,
    Organisation,
    User,
    utcnow,
)
from matchmaker.services import ServiceError, conversations, discard, notifications
from matchmaker.services.accounts import active_members
from matchmaker.services.kernel import generic_plans, with_constants_inline
from matchmaker.services.matching.documents import is_proposable
from matchmaker.services.matching.explanations import MatchExplanation, explanation_datas, localized_snapshot
from matchmaker.services.matching.permissions import (
    BUYER,
    check_pair,
    organisation_of,
    visible_condition,
)

DECISIONS = {"interested": True, "not_interested": False, "undecided": None}


@dataclass
class InterestResult:
    match: Match
    side: str
    became_mutual: bool


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
    # Score and explanation first (from the stored profiles), before the row is locked.
    data = explanation_datas([(need.id, offering.id, None)]).get((need.id, offering.id), {})
    score = data.get("score")
    for attempt in range(2):
        try:
            result = _record_interest(user, need, offering, side, interest, score or 0.0, data)
            db.session.commit()
            break
        except IntegrityError:  # the other side created the row at the same moment: read it and try again
            discard()
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
    return InterestResult(match, side, became_mutual)


# A kind of notification of the notifications area (services.notifications), registered with this module.
notifications.register_kind(
    "mutual_match",
    _l("%(organisation)s is interested too: “%(need)s” × “%(offering)s” is a mutual match."),
)


def _notify_mutual(match: Match) -> int:
    """Tell every member of both organisations. Returns the number of people notified."""
    need, offering = match.need, match.offering
    url = links.path("matches.mutual", _anchor=f"match-{match.id}")
    count = 0
    sides = ((need.organisation_id, offering.organisation), (offering.organisation_id, need.organisation))
    for organisation_id, other in sides:
        for member in active_members(organisation_id):
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


def _mutual(user, *columns):
    """A query of the organisation's mutual matches whose other side is still visible to the user."""
    return _mutual_of(organisation_of(user).id, *columns)


def _mutual_of(organisation_id, *columns):
    """_mutual for a user of the organisation `organisation_id` (a value or a bound parameter)."""
    return (
        sa.select(*columns)
        .join(Need, Need.id == Match.need_id)
        .join(Offering, Offering.id == Match.offering_id)
        .where(
            Match.buyer_interest.is_(True),
            Match.supplier_interest.is_(True),
            sa.or_(Need.organisation_id == organisation_id, Offering.organisation_id == organisation_id),
            visible_condition(Need, organisation_id),
            visible_condition(Offering, organisation_id),
        )
    )


def mutual_matches(user) -> list[Match]:
    """The organisation's mutual matches whose other side is still public, newest first."""
    if organisation_of(user) is None:
        return []
    query = (
        _mutual(user, Match)
        .order_by(Match.mutual_since.desc(), Match.id.desc())
        # Who answered for each side is each card's contact: with the match, not a query per card.
        .options(joinedload(Match.buyer_decided_by), joinedload(Match.supplier_decided_by))
    )
    return list(db.session.scalars(query))


def mutual_count(user) -> int:
    """len(mutual_matches(user)), counted by the database."""
    organisation = organisation_of(user)
    if organisation is None:
        return 0
    with generic_plans():  # planned anew at each page for 0.3-0.7 ms; its generic plan runs in 0.05
        return db.session.scalar(_mutual_count_query(), {"organisation_id": organisation.id})


@functools.cache
def _mutual_count_query() -> sa.Select:
    """_mutual's count for a user of the organisation `organisation_id`, built once (the proposals page and
    the home page count them at every request)."""
    query = _mutual_of(sa.bindparam("organisation_id", type_=sa.Integer), sa.func.count(Match.id))
    return with_constants_inline(query, ("organisation_id",))


@dataclass
class MutualRow:
    match: Match
    own_item: Need | Offering
    counterpart: Need | Offering
    other_organisation: Organisation
    contact: User | None  # who answered "interested" for the other side
    explanation: MatchExplanation | None
    conversation: Conversation | None = None  # the pair's conversation, if they already talk (mutual_rows)


def mutual_view(match: Match, organisation: Organisation | None, language: str) -> MutualRow:
    buyer_side = organisation is not None and match.need.organisation_id == organisation.id
    if buyer_side:
        own, other, contact = match.need, match.offering, match.supplier_decided_by
    else:
        own, other, contact = match.offering, match.need, match.buyer_decided_by
    return MutualRow(match, own, other, other.organisation, contact, localized_snapshot(match, language))


def mutual_rows(user, language: str) -> list[MutualRow]:
    """The mutual-matches page: a `mutual_view` of each mutual match with the conversation the pair already
    has, in two queries whatever the number of matches."""
    organisation = organisation_of(user)
    matches = mutual_matches(user)
    if not matches:
        return []
    talks = conversations.pair_conversations(
        organisation.id, [(match.need, match.offering) for match in matches]
    )
    rows = []
    for match in matches:
        row = mutual_view(match, organisation, language)
        row.conversation = talks.get((match.need_id, match.offering_id))
        rows.append(row)
    return rows
