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
    assert f'href="/events/{event.id}/requests/new?to={theirs.id}"' in card
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
    assert f'href="/events/{event.id}/requests/new?to={theirs.id}"' in html


def test_organizers_reading_a_pair_get_no_links(client, auth, catalogue, organizer):
    auth.login(organizer)
    html = client.get(f"/matches/{catalogue.bus_need.id}/{catalogue.bus_offering.id}").get_data(as_text=True)
    assert "/messages/new/" not in html
