"""Proposals: the best counterparts of one need or offering, as a viewer may see them, and one pair's view.

They are read from the shared index's stored pairs (services.matching.index) with a fixed number of queries;
explanations are computed from the items' stored profiles, for the few pairs shown.

A need marked `registered_only` is proposed only to logged-in viewers. Nobody is proposed their own
organisation's items.
"""

import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, lazyload, load_only

import matchmaker.services.matching.index as index
from matchmaker.extensions import db
from matchmaker.models import (
    Match,
    MatchItem,
    MatchPair,
    Need,
    NeedStatus,
    Offering,
    OfferingStatus,
)
from matchmaker.pagination import ListPage, paginate_list
from matchmaker.services.kernel import dialect_name, generic_plans, one_of_param, with_constants_inline
from matchmaker.services.matching.documents import is_proposable
from matchmaker.services.matching.explanations import (
    FAIR_SCORE,
    MatchExplanation,
    _theme_names,
    explanation_datas,
    localize,
    localized_snapshot,
    percent,
)
from matchmaker.services.matching.permissions import (
    BUYER,
    SUPPLIER,
    NotFound,
    _load_pair,
    organisation_of,
)

PROPOSALS_PER_ITEM = 5


MAX_PROPOSALS_PER_ITEM = 50

# Decided by score, not only by rank: after an item's first `limit` proposals, the next ones are shown too
# while they come CLOSE_TO_BEST of its best score and are at least fair (a cross-language pair at 20% under
# a same-language pair at 30% is not hidden by the count), at most EXTRA_PROPOSALS of them. The fair ones
# left out after that are counted (ItemProposals.more), so the page can offer them.
CLOSE_TO_BEST = 0.6
EXTRA_PROPOSALS = 5


@dataclass
class Proposal:
    need: Need
    offering: Offering
    score: float
    explanation: MatchExplanation | None  # None where the page loads it on demand (my_proposals)
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
    more: int = 0  # further proposals at least fair that are not shown (see CLOSE_TO_BEST)


def _matches_for(
    need_ids: Iterable[int] = (), offering_ids: Iterable[int] = ()
) -> dict[tuple[int, int], Match]:
    need_ids, offering_ids = set(need_ids), set(offering_ids)
    if not need_ids and not offering_ids:
        return {}
    query = _matches_query(bool(need_ids), bool(offering_ids), dialect_name())
    found = db.session.scalars(query, {"need_ids": list(need_ids), "offering_ids": list(offering_ids)})
    return {(m.need_id, m.offering_id): m for m in found}


@functools.cache
def _matches_query(needs: bool, offerings: bool, dialect: str) -> sa.Select:
    """The matches of the needs `need_ids` and of the offerings `offering_ids` (built once: see
    _lateral_ranked)."""
    condition = sa.or_(
        one_of_param(Match.need_id, "need_ids", dialect) if needs else sa.false(),
        one_of_param(Match.offering_id, "offering_ids", dialect) if offerings else sa.false(),
    )
    # Without the pair's items: the callers have them (a match's need and offering are otherwise joined in).
    return sa.select(Match).where(condition).options(lazyload(Match.need), lazyload(Match.offering))


def _ranked(
    kind: str, item_ids: Sequence[int], logged_in: bool, per_item: int | None = None
) -> dict[int, list[tuple[int, float]]]:
    """Each item's stored top-K counterparts that may be proposed: see _ranked_counted."""
    return _ranked_counted(kind, item_ids, logged_in, per_item)[0]


def _ranked_counted(
    kind: str,
    item_ids: Sequence[int],
    logged_in: bool,
    per_item: int | None = None,
    skip_declined: bool = True,
) -> tuple[dict[int, list[tuple[int, float]]], dict[int, int]]:
    """(ranked, fair): each item's stored top-K counterparts that may be proposed (published or open, of
    another organisation, registered-only needs only when logged in), best first, ties by id: ONE indexed
    query (see services.matching.index for why the rows at or above an item's kth are its true top K).

    With `per_item`, only each item's first `per_item` of them. On PostgreSQL each item then reads its
    index backwards and stops there (a lateral subquery): the whole top K is 100 rows an item, each joined
    to its counterpart, for the five a page shows (3.6 ms against 0.7 for ten items).

    `fair` counts each item's counterparts of at least FAIR_SCORE in the whole list, without those its side
    marked "not interested" when `skip_declined`: in the same query (a second lateral subquery on
    PostgreSQL, which reads only the fair end of the item's index)."""
    ranked: dict[int, list[tuple[int, float]]] = {item_id: [] for item_id in item_ids}
    fair: dict[int, int] = dict.fromkeys(item_ids, 0)
    postgresql_counted = per_item is not None and dialect_name() == "postgresql"
    if postgresql_counted:
        query = _lateral_ranked(kind, logged_in, skip_declined, max(index._min_score(), 1e-9))
        with generic_plans():
            rows = db.session.execute(query, {"own_ids": list(item_ids), "per_item": per_item}).all()
    else:
        rows = db.session.execute(_listed_ranked(kind, item_ids, logged_in, skip_declined))
    for own, theirs, score, extra in rows:
        rows_of = ranked[own]
        if per_item is None or len(rows_of) < per_item:
            rows_of.append((theirs, float(score)))
        if postgresql_counted:
            fair[own] = int(extra)
        elif score >= FAIR_SCORE and not extra:  # extra: the pair was declined
            fair[own] += 1
    return ranked, fair


def _ranked_conditions(kind: str, logged_in: bool, min_score: float) -> list:
    """What a stored pair of an item of `kind` needs to be proposed (see _ranked_counted)."""
    own_model, other_model = (Need, Offering) if kind == index.NEED else (Offering, Need)
    conditions = [
        MatchPair.generation == index.generation_subquery(),
        MatchPair.score >= MatchItem.kth_score - index.EPS,
        MatchPair.score >= min_score,
        index._proposable(index.other(kind))[1],
        other_model.organisation_id != own_model.organisation_id,
    ]
    if kind == index.OFFERING and not logged_in:
        conditions.append(Need.registered_only.is_(False))
    return conditions


@functools.cache
def _lateral_ranked(kind: str, logged_in: bool, skip_declined: bool, min_score: float) -> sa.Select:
    """The PostgreSQL form of _ranked_counted's query, built once per process and shape: the items come as
    one array (`own_ids`) and the count a list as `per_item`. Building it anew at every request (three
    subqueries, some two hundred clauses coerced) cost about 1.5 ms of the proposals page's CPU; a built
    statement is only looked up in SQLAlchemy's compiled cache."""
    own_col, other_col = index._pair_columns(kind)
    own_model, other_model = (Need, Offering) if kind == index.NEED else (Offering, Need)
    conditions = _ranked_conditions(kind, logged_in, min_score)
    interest = Match.buyer_interest if kind == index.NEED else Match.supplier_interest
    fair_rows = (
        sa.select(sa.func.count().label("fair"))
        .select_from(MatchPair)
        .join(MatchItem, index.item_of_pair(kind))
        .join(other_model, other_model.id == other_col)
        .where(own_col == own_model.id, MatchPair.score >= FAIR_SCORE, *conditions)
    )
    if skip_declined:
        fair_rows = fair_rows.where(
            ~sa.exists().where(
                Match.need_id == MatchPair.need_id,
                Match.offering_id == MatchPair.offering_id,
                interest.is_(False),
            )
        )
    fair_count = fair_rows.lateral()
    best = (
        sa.select(other_col.label("other_id"), MatchPair.score.label("score"))
        .join(MatchItem, index.item_of_pair(kind))
        .join(other_model, other_model.id == other_col)
        .where(own_col == own_model.id, *conditions)
        .order_by(MatchPair.score.desc(), other_col)
        .limit(sa.bindparam("per_item", type_=sa.Integer))
        .lateral()
    )
    query = (
        sa.select(own_model.id, best.c.other_id, best.c.score, fair_count.c.fair)
        .select_from(own_model)
        .join(fair_count, sa.true())
        .join(best, sa.true())
        .where(one_of_param(own_model.id, "own_ids", "postgresql"))
        .order_by(own_model.id, best.c.score.desc(), best.c.other_id)
    )
    # Run with its generic plan (see _ranked_counted): with the statuses, kinds and scores written in, that
    # plan is the one PostgreSQL made for each execution (2-3 ms of its CPU a page, half of it planning).
    return with_constants_inline(query, ("own_ids", "per_item"))


def _listed_ranked(kind: str, item_ids: Sequence[int], logged_in: bool, skip_declined: bool) -> sa.Select:
    """_ranked_counted's query elsewhere (SQLite) and for whole lists: every stored row of the items, with
    whether its pair was declined."""
    own_col, other_col = index._pair_columns(kind)
    own_model, other_model = (Need, Offering) if kind == index.NEED else (Offering, Need)
    interest = Match.buyer_interest if kind == index.NEED else Match.supplier_interest
    declined = (
        sa.select(Match.id)
        .where(
            Match.need_id == MatchPair.need_id,
            Match.offering_id == MatchPair.offering_id,
            interest.is_(False),
        )
        .exists()
    )
    return (
        sa.select(own_col, other_col, MatchPair.score, declined if skip_declined else sa.false())
        .join(MatchItem, index.item_of_pair(kind))
        .join(own_model, own_model.id == own_col)
        .join(other_model, other_model.id == other_col)
        .where(
            # The same ids on each joined table: PostgreSQL does not carry an IN list across the join
            # conditions, and without them read every indexed item of the kind (15,000 rows: 50 ms).
            own_col.in_(item_ids),
            MatchItem.item_id.in_(item_ids),
            own_model.id.in_(item_ids),
            *_ranked_conditions(kind, logged_in, max(index._min_score(), 1e-9)),
        )
        .order_by(own_col, MatchPair.score.desc(), other_col)
    )


def proposals_for(
    item: Need | Offering,
    viewer=None,
    limit: int = PROPOSALS_PER_ITEM,
    language: str = "en",
    include_declined: bool = False,
) -> ItemProposals:
    """The best counterparts for one need (offerings) or offering (needs), as `viewer` may see them.

    A viewer who is not logged in is never proposed registered-only needs. Items of the item's own
    organisation are never proposed to it. When the item's side marked a counterpart "not interested", it is
    left out (and counted) unless `include_declined`."""
    return _proposals_many([item], viewer, limit, language, include_declined)[0]


def _proposals_many(
    items: Sequence[Need | Offering],
    viewer,
    limit: int,
    language: str,
    include_declined: bool,
    explain: bool = True,
) -> list[ItemProposals]:
    """proposals_for() of several items at once, in a fixed number of queries; without `explain`, the
    proposals carry no explanation."""
    limit = max(1, min(int(limit), MAX_PROPOSALS_PER_ITEM))
    live = [item for item in items if is_proposable(item)]
    ranked: dict[tuple[str, int], list[tuple[int, float]]] = {}
    fair: dict[tuple[str, int], int] = {}
    matches: dict[tuple[int, int], Match] = {}
    for kind in (index.NEED, index.OFFERING):
        ids = [item.id for item in live if _kind(item) == kind]
        if ids:
            found = _matches_for(**{f"{kind}_ids": ids})
            matches |= found
            # Enough of each item's best counterparts to fill `limit` after those its side turned down.
            side = BUYER if kind == index.NEED else SUPPLIER
            declined = Counter(
                pair[0] if kind == index.NEED else pair[1]
                for pair, match in found.items()
                if match.interest_of(side) is False
            )
            # Enough of each item's best counterparts to fill `limit` and the extras close to the best after
            # those its side turned down.
            turned_down = 0 if include_declined else max(declined.values(), default=0)
            per_item = limit + EXTRA_PROPOSALS + turned_down
            rows_of, fair_of = _ranked_counted(kind, ids, viewer is not None, per_item, not include_declined)
            for item_id, rows in rows_of.items():
                ranked[(kind, item_id)] = rows
                fair[(kind, item_id)] = fair_of.get(item_id, 0)
    chosen: dict[int, tuple[list[tuple[int, float]], int]] = {}
    more: dict[int, int] = {}
    for position, item in enumerate(items):
        if not is_proposable(item):
            continue
        side = BUYER if isinstance(item, Need) else SUPPLIER
        picked, declined = [], 0
        for other_id, score in ranked.get((_kind(item), item.id), []):
            pair = (item.id, other_id) if side == BUYER else (other_id, item.id)
            match = matches.get(pair)
            if match is not None and match.interest_of(side) is False and not include_declined:
                declined += 1
                continue
            if shown_by_score(len(picked), score, picked[0][1] if picked else score, limit):
                picked.append((other_id, score))
        chosen[position] = (picked, declined)
        shown_fair = sum(1 for _other, score in picked if score >= FAIR_SCORE)
        more[position] = max(0, fair.get((_kind(item), item.id), 0) - shown_fair)
    built = _proposals(items, chosen, matches, language, explain)
    out = []
    for position, item in enumerate(items):
        if position not in chosen:
            out.append(ItemProposals(item, False, []))
        else:
            out.append(ItemProposals(item, True, built[position], chosen[position][1], more[position]))
    return out


def shown_by_score(shown: int, score: float, best: float, limit: int) -> bool:
    """Whether the next proposal of an item (best first; `shown` of them are shown already) is shown too: the
    first `limit` are, and after them up to EXTRA_PROPOSALS more while they are at least fair and come
    CLOSE_TO_BEST of the item's best score."""
    if shown < limit:
        return True
    return (
        shown < limit + EXTRA_PROPOSALS
        and score >= FAIR_SCORE - index.EPS
        and score >= CLOSE_TO_BEST * best - index.EPS
    )


def _kind(item: Need | Offering) -> str:
    return index.NEED if isinstance(item, Need) else index.OFFERING


def _proposals(
    items: Sequence[Need | Offering],
    chosen: dict[int, tuple[list[tuple[int, float]], int]],
    matches: dict[tuple[int, int], Match],
    language: str,
    explain: bool = True,
) -> dict[int, list[Proposal]]:
    """The Proposal objects of the chosen pairs: counterparts loaded with their organisations, explanations
    from the stored profiles (a fixed number of queries whatever the number of items)."""
    wanted: dict[str, set[int]] = {index.NEED: set(), index.OFFERING: set()}
    pairs = []
    for position, (picked, _declined) in chosen.items():
        item = items[position]
        for other_id, score in picked:
            if isinstance(item, Need):
                pairs.append((item.id, other_id, score))
                wanted[index.OFFERING].add(other_id)
            else:
                pairs.append((other_id, item.id, score))
                wanted[index.NEED].add(other_id)
    dialect = dialect_name()
    loaded = {
        kind: {
            obj.id: obj
            for obj in db.session.scalars(_counterparts(kind, explain, dialect), {"ids": list(ids)})
        }
        if ids
        else {}
        for kind, ids in wanted.items()
    }
    datas = explanation_datas(pairs) if explain else {}
    names = _theme_names([t for data in datas.values() for t in data["themes"]], language)
    out: dict[int, list[Proposal]] = {}
    for position, (picked, _declined) in chosen.items():
        item = items[position]
        side = BUYER if isinstance(item, Need) else SUPPLIER
        proposals = []
        for other_id, score in picked:
            need_id, offering_id = (item.id, other_id) if side == BUYER else (other_id, item.id)
            other = loaded[index.OFFERING if side == BUYER else index.NEED].get(other_id)
            data = datas.get((need_id, offering_id))
            if other is None or (explain and data is None):  # deleted, or not indexed any more, since read
                continue
            need, offering = (item, other) if side == BUYER else (other, item)
            proposals.append(
                Proposal(
                    need,
                    offering,
                    score,
                    localize(data, language, names) if explain else None,
                    matches.get((need_id, offering_id)),
                    side,
                )
            )
        out[position] = proposals
    return out


@functools.cache
def _counterparts(kind: str, explain: bool, dialect: str) -> sa.Select:
    """The counterparts of `kind` of the ids `ids`, with their organisations (built once: see
    _lateral_ranked)."""
    model = Need if kind == index.NEED else Offering
    return (
        sa.select(model)
        .where(one_of_param(model.id, "ids", dialect))
        .options(
            # Joined: the organisations in the same query (one more query when loaded "select IN").
            joinedload(model.organisation),
            # The proposals page shows a counterpart's title, summary and organisation; its long texts
            # (the search text is the longest) would be read for 50 cards and never shown.
            *(() if explain else (load_only(*_CARD_COLUMNS[kind]),)),
        )
    )


_CARD_COLUMNS = {
    index.NEED: (
        Need.title,
        Need.summary,
        Need.language,
        Need.organisation_id,
        Need.status,
        Need.public_questions,  # whether the card offers a conversation (services.item_actions)
        Need.private_conversations,
    ),
    index.OFFERING: (
        Offering.title,
        Offering.summary,
        Offering.language,
        Offering.organisation_id,
        Offering.status,
    ),
}


def my_items(user) -> list[Need | Offering]:
    """The items of the user's organisation that proposals are about: needs of a government organisation,
    offerings of any other; proposable ones first."""
    organisation = organisation_of(user)
    if organisation is None:
        return []
    query = _my_items_query(Need if organisation.is_government else Offering)
    return list(db.session.scalars(query, {"organisation_id": organisation.id}))


@functools.cache
def _my_items_query(model) -> sa.Select:
    """my_items' query for the organisation `organisation_id`, built once."""
    live = NeedStatus.OPEN.value if model is Need else OfferingStatus.PUBLISHED.value
    hidden = [NeedStatus.ARCHIVED.value] if model is Need else [OfferingStatus.ARCHIVED.value]
    return (
        sa.select(model)
        .where(
            model.organisation_id == sa.bindparam("organisation_id", type_=sa.Integer),
            model.status.not_in(hidden),
        )
        .order_by(sa.case((model.status == live, 0), else_=1), model.title, model.id)
    )


def unanswered_count(user, per_item: int = PROPOSALS_PER_ITEM) -> int:
    """How many of the proposals the proposals page shows the user's organisation (each proposable item's
    first `per_item` and the extras close to its best (shown_by_score), after those its side turned down) its
    side has not answered yet: ONE counting query over the stored top K (a window per item), for the home
    page."""
    organisation = organisation_of(user)
    if organisation is None:
        return 0
    kind = index.NEED if organisation.is_government else index.OFFERING
    own_col, other_col = index._pair_columns(kind)
    own_model, other_model = (Need, Offering) if kind == index.NEED else (Offering, Need)
    interest = Match.buyer_interest if kind == index.NEED else Match.supplier_interest
    rank = (
        sa.func.row_number()
        .over(partition_by=own_col, order_by=(MatchPair.score.desc(), other_col))
        .label("rank")
    )
    best = sa.func.max(MatchPair.score).over(partition_by=own_col).label("best")
    shown = (
        sa.select(rank, best, MatchPair.score.label("score"), interest.label("interest"))
        .select_from(MatchPair)
        .join(MatchItem, index.item_of_pair(kind))
        .join(own_model, own_model.id == own_col)
        .join(other_model, other_model.id == other_col)
        .outerjoin(
            Match, sa.and_(Match.need_id == MatchPair.need_id, Match.offering_id == MatchPair.offering_id)
        )
        .where(
            MatchPair.generation == index.generation_subquery(),
            MatchPair.score >= MatchItem.kth_score - index.EPS,
            MatchPair.score >= max(index._min_score(), 1e-9),
            own_model.organisation_id == organisation.id,
            index._proposable(kind)[1],
            index._proposable(index.other(kind))[1],
            other_model.organisation_id != organisation.id,
            sa.or_(interest.is_(None), interest.is_(True)),  # the declined ones make room for the next
        )
        .subquery()
    )
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(shown)
            .where(
                sa.or_(
                    shown.c.rank <= per_item,
                    sa.and_(
                        shown.c.rank <= per_item + EXTRA_PROPOSALS,
                        shown.c.score >= FAIR_SCORE - index.EPS,
                        shown.c.score >= CLOSE_TO_BEST * shown.c.best - index.EPS,
                    ),
                ),
                shown.c.interest.is_(None),
            )
        )
        or 0
    )


# Five items a page: with up to ten proposals an item (CLOSE_TO_BEST), ten items made a page of about a
# hundred cards (315 KB, 40 ms of CPU at 50,000 items), more than anyone reads before answering; the other
# items are a page away.
ITEMS_PER_PAGE = 5


def my_proposals(
    user,
    language: str,
    limit: int = PROPOSALS_PER_ITEM,
    include_declined: bool = False,
    page: int | None = 1,
    per_page: int = ITEMS_PER_PAGE,
) -> ListPage:
    """One page of the user's organisation's items (`per_page` of them) with their proposals: an
    organisation with a hundred offerings gets a page of the usual size, not a hundred lists at once."""
    items = paginate_list(my_items(user), page, per_page)
    # The explanations are loaded when a reader opens one (matches.why): computing every one of a page
    # cost more than the rest of the page.
    groups = _proposals_many(items.items, user, limit, language, include_declined, explain=False)
    return replace(items, items=groups)


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
        data = explanation_datas([(need.id, offering.id, None)]).get((need.id, offering.id))
        if data is not None:
            return PairView(data["score"], localize(data, language), match, True)
    if match is not None:
        return PairView(match.score, localized_snapshot(match, language), match, False)
    return PairView(0.0, None, None, False)


def proposals_about(user, item: Need | Offering) -> list[Proposal]:
    """The proposals of the user's organisation whose counterpart is `item` (a need's or an offering's page
    offers their answer buttons): its open needs or published offerings that have `item` in their stored
    top K, or whose pair with `item` it answered already. ONE query; none for the item's own side."""
    return proposals_about_many(user, [item]).get((_kind(item), item.id), [])


def proposals_about_many(user, items: Iterable[Need | Offering]) -> dict[tuple[str, int], list[Proposal]]:
    """`proposals_about` for each of `items` (a page of search results), by ("need" or "offering", item id),
    in ONE query whatever their number; items of the viewer's own side or organisation, and items that
    cannot be proposed, get nothing (and cost nothing)."""
    organisation = organisation_of(user)
    if organisation is None:
        return {}
    kind = index.NEED if organisation.is_government else index.OFFERING
    wanted = {
        item.id: item
        for item in items
        if is_proposable(item) and _kind(item) != kind and item.organisation_id != organisation.id
    }
    if not wanted:
        return {}
    other_model = Offering if kind == index.NEED else Need
    own_model, own_live = index._proposable(kind)
    own_col, other_col = index._pair_columns(kind)
    in_top = (
        sa.select(MatchPair.score)
        .join(MatchItem, index.item_of_pair(kind))
        .where(
            MatchPair.generation == index.generation_subquery(),
            own_col == own_model.id,
            other_col == other_model.id,
            MatchPair.score >= MatchItem.kth_score - index.EPS,
            MatchPair.score >= max(index._min_score(), 1e-9),
        )
        .exists()
    )
    match_own, match_other = (
        (Match.need_id, Match.offering_id)
        if kind == index.NEED
        else (
            Match.offering_id,
            Match.need_id,
        )
    )
    # The own items crossed with the wanted counterparts: a few own items, at most a page of results.
    query = (
        sa.select(own_model, other_model.id, Match)
        .select_from(own_model)
        .join(other_model, other_model.id.in_(list(wanted)))
        .outerjoin(Match, sa.and_(match_own == own_model.id, match_other == other_model.id))
        .where(own_model.organisation_id == organisation.id, own_live, sa.or_(in_top, Match.id.is_not(None)))
        .options(lazyload(Match.need), lazyload(Match.offering))
        .order_by(own_model.title, own_model.id)
    )
    side = BUYER if kind == index.NEED else SUPPLIER
    out: dict[tuple[str, int], list[Proposal]] = {}
    for own, other_id, match in db.session.execute(query):
        item = wanted[other_id]
        need, offering = (own, item) if side == BUYER else (item, own)
        out.setdefault((_kind(item), other_id), []).append(
            Proposal(need, offering, match.score if match else 0.0, None, match, side)
        )
    return out
