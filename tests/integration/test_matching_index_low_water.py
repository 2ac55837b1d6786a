"""Removals from a list re-rank its item only below the low-water mark (K - K // 3): an item leaving thousands
of lists must not re-rank each of them at once. With K = 3 the mark is 2: the first removal from a full list
only shortens it (still an exact prefix of the ranking), the second re-ranks the item."""

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import MatchItem, MatchPair, OfferingStatus
from matchmaker.services import matching
from matchmaker.services.matching import index as stored
from tests.factories import BUS_OFFERING
from tests.integration.test_matching_index import check_invariant, shop  # noqa: F401 - a fixture

K = 3


@pytest.fixture
def app_overrides():
    return {"MATCHES_INDEX_K": K, "MATCHES_REFIT_CHANGED": 1e9, "MATCHES_REFIT_UNKNOWN": 1e9}


def _list_of(need_id: int) -> list[int]:
    generation = matching.served_generation()
    kth = db.session.scalar(
        sa.select(MatchItem.kth_score).where(
            MatchItem.generation == generation, MatchItem.kind == "need", MatchItem.item_id == need_id
        )
    )
    rows = db.session.execute(
        sa.select(MatchPair.offering_id)
        .where(
            MatchPair.generation == generation,
            MatchPair.need_id == need_id,
            MatchPair.score > 0,
            MatchPair.score >= kth - stored.EPS,
        )
        .order_by(MatchPair.score.desc(), MatchPair.offering_id)
    )
    return list(rows.scalars())


def test_a_list_is_re_ranked_only_below_the_low_water_mark(shop):  # noqa: F811 - the fixture
    needs, offerings = shop
    assert stored.low_water(K) == 2
    check_invariant(K)
    need = needs[0]
    first = _list_of(need.id)
    assert len(first) == K
    by_id = {o.id: o for o in offerings}

    gone = by_id[first[0]]
    gone.status = OfferingStatus.DRAFT.value
    db.session.commit()
    report = matching.refresh_item("offering", gone.id)
    db.session.expire_all()
    assert _list_of(need.id) == first[1:]  # one shorter, nothing re-ranked for it
    assert report.repaired == 0
    check_invariant(K)

    again = by_id[first[1]]
    again.status = OfferingStatus.DRAFT.value
    db.session.commit()
    report = matching.refresh_item("offering", again.id)
    db.session.expire_all()
    assert report.repaired >= 1
    after = _list_of(need.id)
    assert after[0] == first[2] and not {first[0], first[1]} & set(after)
    check_invariant(K)


def _item(need_id: int) -> MatchItem:
    db.session.expire_all()
    return db.session.get(MatchItem, (matching.served_generation(), "need", need_id))


def test_a_list_grows_to_the_high_water_mark_before_it_is_counted_and_cut_back(
    shop, make_supplier, make_offering  # noqa: F811 - the fixture
):
    needs, _offerings = shop
    need = needs[0]
    assert stored.high_water(K) == 4
    kth = _item(need.id).kth_score  # (values: _item() refreshes the one MatchItem object)
    assert (_item(need.id).listed, len(_list_of(need.id))) == (K, K)

    # Offerings as good as the best one enter the list: it is only counted one longer...
    first = make_offering(make_supplier(), {**BUS_OFFERING, "title": "Elektrische stadsbus A"})
    grown = _item(need.id)
    assert first.id in _list_of(need.id)
    assert (grown.listed, grown.kth_score) == (K + 1, kth)
    assert len(_list_of(need.id)) == K + 1
    check_invariant(K)

    # ... until it passes the high-water mark: then it is counted and cut back to its K best.
    make_offering(make_supplier(), {**BUS_OFFERING, "title": "Elektrische stadsbus B"})
    cut = _item(need.id)
    assert cut.kth_score > kth
    assert cut.listed == K == len(_list_of(need.id))
    check_invariant(K)
