"""How many proposals an item gets (issue 17): decided by score, not only by rank. After the first `limit`,
the pairs close to the item's best that are at least fair are shown too (a strong cross-language pair is
not hidden by the count), up to a cap; the fair ones left out are counted and offered with a link."""

import pytest

from matchmaker.services import matching
from matchmaker.services.matching import proposals
from tests.factories import BUS_NEED, BUS_OFFERING


@pytest.fixture
def close_market(make_buyer, make_supplier, make_need, make_offering):
    """One need and six offerings of six suppliers that all answer it about as well (78% to 77%)."""
    buyer = make_buyer()
    need = make_need(buyer, BUS_NEED)
    offerings = [
        make_offering(make_supplier(), {**BUS_OFFERING, "title": f"{BUS_OFFERING['title']} {n}",
                                        "summary": BUS_OFFERING["summary"] + " laadpaal" * n})
        for n in range(6)
    ]  # fmt: skip
    return buyer, need, offerings


@pytest.mark.parametrize(
    ("shown", "score", "best", "limit", "expected"),
    [
        (4, 0.05, 0.9, 5, True),  # within the count: always
        (5, 0.20, 0.30, 5, True),  # the case: 20% under a best of 30%
        (5, 0.50, 0.90, 5, False),  # fair, but far below the best
        (5, 0.15, 0.20, 5, False),  # close to the best, but weak
        (9, 0.70, 0.75, 5, True),  # the fifth extra
        (10, 0.70, 0.75, 5, False),  # the cap
    ],
)
def test_a_proposal_beyond_the_count_is_shown_when_close_to_the_best(shown, score, best, limit, expected):
    assert proposals.shown_by_score(shown, score, best, limit) is expected


def test_pairs_as_good_as_the_best_are_all_shown_whatever_the_count(close_market):
    buyer, need, offerings = close_market
    shown = matching.proposals_for(need, buyer.user, limit=2)
    assert {p.offering.id for p in shown.proposals} == {o.id for o in offerings}
    assert shown.more == 0


def test_the_fair_pairs_beyond_the_cap_are_counted(close_market, monkeypatch):
    monkeypatch.setattr(proposals, "EXTRA_PROPOSALS", 1)
    buyer, need, _offerings = close_market
    shown = matching.proposals_for(need, buyer.user, limit=2)
    assert len(shown.proposals) == 3 and shown.more == 3
    # The ones the buyer turned down are neither shown nor counted.
    turned_down = shown.proposals[0].offering.id
    matching.set_interest(buyer.user, need.id, turned_down, "not_interested")
    again = matching.proposals_for(need, buyer.user, limit=2)
    assert turned_down not in {p.offering.id for p in again.proposals}
    assert (len(again.proposals), again.more, again.declined) == (3, 2, 1)
    with_declined = matching.proposals_for(need, buyer.user, limit=2, include_declined=True)
    assert (len(with_declined.proposals), with_declined.more) == (3, 3)


def test_the_proposals_page_offers_the_ones_not_shown_and_the_home_page_counts_those_shown(
    client, auth, close_market, monkeypatch
):
    monkeypatch.setattr(proposals, "EXTRA_PROPOSALS", 0)
    buyer, need, _offerings = close_market
    auth.login(buyer.user)
    html = client.get("/matches/").get_data(as_text=True)
    assert html.count("data-proposal") == 5
    assert f'href="/matches/?per_item=10#item-need-{need.id}">1 more fair or strong match' in html
    assert matching.unanswered_count(buyer.user) == 5
    monkeypatch.setattr(proposals, "EXTRA_PROPOSALS", 5)
    html = client.get("/matches/").get_data(as_text=True)
    assert html.count("data-proposal") == 6 and "more fair or strong" not in html
    assert matching.unanswered_count(buyer.user) == 6
