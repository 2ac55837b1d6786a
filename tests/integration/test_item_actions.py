"""Acting where you see an item (issue 15): proposal cards and a proposal's page offer "Start a conversation"
where writing is allowed and "Request a meeting" when both sides are approved participants of an event whose
requests are open; the pages decide for all their cards in a fixed number of queries."""

from datetime import datetime

import pytest

from matchmaker.extensions import db
from matchmaker.models import ConversationBlock

pytestmark = pytest.mark.usefixtures("request_context")


def _card(html: str, title: str) -> str:
    """The proposal card whose title is `title`."""
    start = html.rindex('<li class="proposal-card', 0, html.index(title))
    return html[start : html.index("</li>", html.index("proposal-why", start))]


def _start_link(offering) -> str:
    return f'href="/messages/new/offering/{offering.id}"'


def test_a_proposal_card_offers_a_conversation_with_the_counterpart(client, auth, catalogue):
    auth.login(catalogue.buyer.user)
    html = client.get("/matches/").get_data(as_text=True)
    card = _card(html, catalogue.bus_offering.title)
    assert _start_link(catalogue.bus_offering) in card
    assert "Start a conversation" in card
    assert "Request a meeting" not in card  # no common event


def test_the_supplier_side_gets_a_link_to_the_need(client, auth, catalogue):
    auth.login(catalogue.bus_supplier.user)
    html = client.get("/matches/").get_data(as_text=True)
    assert f'href="/messages/new/need/{catalogue.bus_need.id}"' in _card(html, catalogue.bus_need.title)


def test_no_conversation_link_to_an_organisation_that_blocked_the_viewer(client, auth, catalogue):
    db.session.add(
        ConversationBlock(
            organisation_id=catalogue.bus_supplier.organisation.id,
            blocked_user_id=catalogue.buyer.user.id,
            blocked_by_id=catalogue.bus_supplier.user.id,
        )
    )
    db.session.commit()
    auth.login(catalogue.buyer.user)
    html = client.get("/matches/").get_data(as_text=True)
    assert _start_link(catalogue.bus_offering) not in _card(html, catalogue.bus_offering.title)
    assert _start_link(catalogue.sensor_offering) in _card(html, catalogue.sensor_offering.title)


def test_a_suspended_viewer_gets_no_conversation_link(client, auth, catalogue):
    catalogue.buyer.organisation.verification = "suspended"
    db.session.commit()
    auth.login(catalogue.buyer.user)
    html = client.get("/matches/").get_data(as_text=True)
    assert "/messages/new/" not in html


def test_a_suspended_counterpart_is_neither_proposed_nor_offered(client, auth, catalogue):
    catalogue.bus_supplier.organisation.verification = "suspended"
    db.session.commit()
    auth.login(catalogue.buyer.user)
    html = client.get("/matches/").get_data(as_text=True)
    assert _start_link(catalogue.bus_offering) not in html


def test_a_common_event_offers_a_meeting_request(client, auth, catalogue, event, register):
    mine = register(catalogue.buyer.user, event)
    theirs = register(catalogue.bus_supplier.user, event)
    assert mine.status == theirs.status == "approved"
    auth.login(catalogue.buyer.user)
    html = client.get("/matches/").get_data(as_text=True)
    card = _card(html, catalogue.bus_offering.title)
    pair = f"need={catalogue.bus_need.id}&amp;offering={catalogue.bus_offering.id}"
    assert f'href="/events/{event.id}/requests/new?to={theirs.id}&amp;{pair}"' in card  # the pair is recorded
    assert "Request a meeting" in card
    assert "Request a meeting" not in _card(html, catalogue.sensor_offering.title)  # not registered
    assert client.get(f"/events/{event.id}/requests/new?to={theirs.id}").status_code == 200


def test_no_meeting_request_when_only_the_other_side_takes_part(client, auth, catalogue, event, register):
    register(catalogue.bus_supplier.user, event)
    auth.login(catalogue.buyer.user)
    assert "Request a meeting" not in client.get("/matches/").get_data(as_text=True)


def test_no_meeting_request_once_requests_are_closed(client, auth, catalogue, event, register):
    register(catalogue.buyer.user, event)
    register(catalogue.bus_supplier.user, event)
    event.request_deadline = datetime(2000, 1, 1)
    db.session.commit()
    auth.login(catalogue.buyer.user)
    assert "Request a meeting" not in client.get("/matches/").get_data(as_text=True)


def test_the_proposals_page_links_to_act_on_the_counterpart(client, auth, catalogue, event, register):
    theirs = register(catalogue.bus_supplier.user, event)
    register(catalogue.buyer.user, event)
    auth.login(catalogue.buyer.user)
    html = client.get(f"/matches/{catalogue.bus_need.id}/{catalogue.bus_offering.id}").get_data(as_text=True)
    assert _start_link(catalogue.bus_offering) in html
    pair = f"need={catalogue.bus_need.id}&amp;offering={catalogue.bus_offering.id}"
    assert f'href="/events/{event.id}/requests/new?to={theirs.id}&amp;{pair}"' in html


def test_organizers_reading_a_pair_get_no_links(client, auth, catalogue, organizer):
    auth.login(organizer)
    html = client.get(f"/matches/{catalogue.bus_need.id}/{catalogue.bus_offering.id}").get_data(as_text=True)
    assert "/messages/new/" not in html


# --------------------------------------------------------------------------------------------------
# A need's or an offering's page


def _offering_page(client, offering) -> str:
    response = client.get(f"/catalogue/offerings/{offering.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_an_offering_page_offers_the_answer_to_the_viewers_proposal(client, auth, catalogue):
    auth.login(catalogue.buyer.user)
    html = _offering_page(client, catalogue.bus_offering)
    action = f'action="/matches/{catalogue.bus_need.id}/{catalogue.bus_offering.id}/interest"'
    assert action in html and 'value="not_interested"' in html
    assert f"/matches/{catalogue.sensor_need.id}/{catalogue.bus_offering.id}/interest" not in html  # no pair
    response = client.post(
        f"/matches/{catalogue.bus_need.id}/{catalogue.bus_offering.id}/interest",
        data={"decision": "interested", "next": f"/catalogue/offerings/{catalogue.bus_offering.id}"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/catalogue/offerings/{catalogue.bus_offering.id}")
    assert 'aria-pressed="true">Interested' in _offering_page(client, catalogue.bus_offering)


def test_a_need_page_offers_the_answer_to_the_suppliers_proposal(client, auth, catalogue):
    auth.login(catalogue.bus_supplier.user)
    html = client.get(f"/catalogue/needs/{catalogue.bus_need.id}").get_data(as_text=True)
    assert f'action="/matches/{catalogue.bus_need.id}/{catalogue.bus_offering.id}/interest"' in html


@pytest.mark.parametrize("viewer", ["visitor", "owner", "same side"])
def test_no_answer_or_meeting_for_visitors_own_items_or_the_same_side(
    client, auth, catalogue, event, register, viewer
):
    register(catalogue.buyer.user, event)
    register(catalogue.bus_supplier.user, event)
    register(catalogue.sensor_supplier.user, event)
    if viewer == "owner":
        auth.login(catalogue.bus_supplier.user)
    elif viewer == "same side":
        auth.login(catalogue.sensor_supplier.user)
    html = _offering_page(client, catalogue.bus_offering)
    assert "/interest" not in html
    assert "Request a meeting" not in html


def test_an_offering_page_offers_a_meeting_at_a_common_event(client, auth, catalogue, event, register):
    register(catalogue.buyer.user, event)
    theirs = register(catalogue.bus_supplier.user, event)
    auth.login(catalogue.buyer.user)
    html = _offering_page(client, catalogue.bus_offering)
    about = f"offering={catalogue.bus_offering.id}"  # the request records the page's offering
    assert f'href="/events/{event.id}/requests/new?to={theirs.id}&amp;{about}"' in html
    assert "Request a meeting" not in _offering_page(client, catalogue.sensor_offering)  # not registered


def test_an_item_of_a_suspended_organisation_offers_nothing(client, auth, catalogue, event, register):
    register(catalogue.buyer.user, event)
    register(catalogue.bus_supplier.user, event)
    catalogue.bus_supplier.organisation.verification = "suspended"
    db.session.commit()
    auth.login(catalogue.buyer.user)
    response = client.get(f"/catalogue/offerings/{catalogue.bus_offering.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 404 or ("Request a meeting" not in html and "/interest" not in html)


def test_an_offering_page_adds_one_query_for_proposals_and_one_for_events(
    client, auth, catalogue, event, register
):
    from tests.helpers import counting

    register(catalogue.buyer.user, event)
    register(catalogue.bus_supplier.user, event)

    def statements(user) -> list[str]:
        db.session.commit()
        db.session.expire_all()
        auth.login(user)
        _offering_page(client, catalogue.bus_offering)
        with counting() as seen:
            html = _offering_page(client, catalogue.bus_offering)
        return seen, html

    as_buyer, html = statements(catalogue.buyer.user)
    assert "Request a meeting" in html and "/interest" in html
    as_owner, _html = statements(catalogue.bus_supplier.user)
    # The conversation panel's checks were there before; the proposals and the events add one query each.
    assert len(as_buyer) <= len(as_owner) + 4
    assert sum("match_pair" in s for s in as_buyer) == 1
    assert sum("FROM registration" in s for s in as_buyer) == 1
