"""From a mutual match to a conversation (issue 15): the mutual-matches page, where the mutual-match
notification leads, offers what the proposal cards offer (start or open a conversation about the pair,
request a meeting at an event both attend), not only an address to mail; decided for the whole page in a
fixed number of queries. A third organisation can neither see nor act on the pair."""

import re
from html import unescape

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Conversation
from matchmaker.services import conversations, matching
from tests.factories import BUS_OFFERING
from tests.helpers import counting

pytestmark = pytest.mark.usefixtures("request_context")


def _mutual(catalogue, need=None, offering=None, supplier=None) -> None:
    need, offering = need or catalogue.bus_need, offering or catalogue.bus_offering
    matching.set_interest(catalogue.buyer.user, need.id, offering.id, "interested")
    matching.set_interest((supplier or catalogue.bus_supplier).user, need.id, offering.id, "interested")


def _page(client) -> str:
    response = client.get("/matches/mutual")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _card(html: str, match_id: int) -> str:
    """The card of the mutual match, up to the next card or the end of the page's content."""
    start = html.index(f'id="match-{match_id}"')
    ends = [html.find(mark, start + 1) for mark in ('<li class="proposal-card', "</main>")]
    return html[start : min(end for end in ends if end > 0)]


def _match_id(catalogue) -> int:
    return matching.mutual_matches(catalogue.buyer.user)[0].id


def test_the_buyer_can_start_a_conversation_about_the_offering_from_the_mutual_match(client, auth, catalogue):
    _mutual(catalogue)
    auth.login(catalogue.buyer.user)
    card = _card(_page(client), _match_id(catalogue))
    link = f'href="/messages/new/offering/{catalogue.bus_offering.id}"'
    assert link in card
    # Its accessible name says with whom: the organisation's name in visually hidden text.
    name = catalogue.bus_supplier.organisation.name
    assert f'Start a conversation<span class="visually-hidden"> with {name}</span>' in card
    assert "Request a meeting" not in card  # no common event

    response = client.post(
        f"/messages/new/offering/{catalogue.bus_offering.id}", data={"body": "Shall we talk about buses?"}
    )
    assert response.status_code == 302
    conversation = db.session.scalars(sa.select(Conversation)).one()
    assert conversation.offering_id == catalogue.bus_offering.id
    assert conversation.starter_organisation_id == catalogue.buyer.organisation.id


def test_the_supplier_writes_about_the_need(client, auth, catalogue):
    _mutual(catalogue)
    auth.login(catalogue.bus_supplier.user)
    card = _card(_page(client), _match_id(catalogue))
    assert f'href="/messages/new/need/{catalogue.bus_need.id}"' in card


@pytest.mark.parametrize("started_by", ["buyer", "supplier"])
def test_once_the_pair_talks_both_sides_open_that_conversation(client, auth, catalogue, started_by):
    """The conversation about either item of the pair, started by either side, is the pair's: both sides
    get "Open the conversation" instead of a link that would start a second one."""
    _mutual(catalogue)
    if started_by == "buyer":
        conversation = conversations.start_conversation(catalogue.buyer.user, catalogue.bus_offering, "Hello")
    else:
        conversation = conversations.start_conversation(catalogue.bus_supplier.user, catalogue.bus_need, "Hi")
    match_id = _match_id(catalogue)
    for party, other in (
        (catalogue.buyer, catalogue.bus_supplier),
        (catalogue.bus_supplier, catalogue.buyer),
    ):
        auth.login(party.user)
        card = _card(_page(client), match_id)
        assert f'href="/messages/{conversation.id}"' in card
        assert (
            f'Open the conversation<span class="visually-hidden"> with {other.organisation.name}</span>'
            in card
        )
        assert "/messages/new/" not in card and "Start a conversation" not in card
        assert client.get(f"/messages/{conversation.id}").status_code == 200


def test_a_conversation_of_a_third_organisation_about_the_same_item_is_not_the_pairs(client, auth, catalogue):
    _mutual(catalogue)
    other = conversations.start_conversation(catalogue.sensor_supplier.user, catalogue.bus_need, "Me too")
    auth.login(catalogue.buyer.user)
    card = _card(_page(client), _match_id(catalogue))
    assert f'href="/messages/{other.id}"' not in card
    assert f'href="/messages/new/offering/{catalogue.bus_offering.id}"' in card


def test_a_common_event_offers_a_meeting_request_from_the_mutual_match(
    client, auth, catalogue, event, register
):
    register(catalogue.buyer.user, event)
    theirs = register(catalogue.bus_supplier.user, event)
    _mutual(catalogue)
    auth.login(catalogue.buyer.user)
    card = _card(_page(client), _match_id(catalogue))
    link = re.search(rf'href="(/events/{event.id}/requests/new\?to={theirs.id}[^"]*)"', card)
    assert link, card
    # The request records the pair it is about (services.meeting_requests.request_context).
    about = unescape(link.group(1))
    assert f"need={catalogue.bus_need.id}" in about and f"offering={catalogue.bus_offering.id}" in about
    name = catalogue.bus_supplier.user.display_name
    assert f'Request a meeting<span class="visually-hidden"> with {name}</span>' in card
    assert client.get(unescape(link.group(1))).status_code == 200


def test_the_mutual_match_links_to_the_proposals_page(client, auth, catalogue):
    _mutual(catalogue)
    auth.login(catalogue.buyer.user)
    card = _card(_page(client), _match_id(catalogue))
    assert f'href="/matches/{catalogue.bus_need.id}/{catalogue.bus_offering.id}"' in card


def test_a_third_organisation_can_neither_see_nor_act_on_the_pair(client, auth, catalogue):
    _mutual(catalogue)
    conversation = conversations.start_conversation(catalogue.buyer.user, catalogue.bus_offering, "Hello")
    auth.login(catalogue.sensor_supplier.user)
    html = _page(client)
    assert catalogue.bus_offering.title not in html and "No mutual matches yet" in html
    assert client.get(f"/messages/{conversation.id}").status_code == 404
    reply = client.post(f"/messages/{conversation.id}/reply", data={"body": "Let me in"})
    assert reply.status_code == 404
    withdraw = client.post(
        f"/matches/{catalogue.bus_need.id}/{catalogue.bus_offering.id}/interest",
        data={"decision": "undecided", "next": "/matches/mutual"},
    )
    assert withdraw.status_code == 403  # both items are public, neither is theirs
    assert _mutual_pair(catalogue).is_mutual


def _mutual_pair(catalogue):
    db.session.expire_all()
    return matching.mutual_matches(catalogue.buyer.user)[0]


def test_withdrawing_from_the_mutual_page_comes_back_to_it(client, auth, catalogue):
    _mutual(catalogue)
    auth.login(catalogue.buyer.user)
    html = _page(client)
    assert "Withdraw my interest" in html
    response = client.post(
        f"/matches/{catalogue.bus_need.id}/{catalogue.bus_offering.id}/interest",
        data={"decision": "undecided", "next": "/matches/mutual"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/matches/mutual")
    assert matching.mutual_matches(catalogue.buyer.user) == []


def test_the_mutual_page_decides_its_actions_in_a_fixed_number_of_queries(
    client, auth, catalogue, make_supplier, make_offering, event, register
):
    """Conversations, meeting targets, contacts and organisations for every mutual match at once: the same
    statements for 1 and 4 mutual matches."""
    register(catalogue.buyer.user, event)
    register(catalogue.bus_supplier.user, event)
    _mutual(catalogue)
    conversations.start_conversation(catalogue.buyer.user, catalogue.bus_offering, "Hello")

    def statements() -> tuple[int, str]:
        db.session.commit()
        db.session.expire_all()
        auth.login(catalogue.buyer.user)
        _page(client)
        db.session.expire_all()  # the requests share the test's session: nothing kept from the first
        with counting() as seen:
            html = _page(client)
        return len(seen), html

    before, html = statements()
    assert html.count("Open the conversation") == 1 and html.count("Request a meeting") == 1
    for n in range(3):
        supplier = make_supplier(display_name=f"Other bus {n}")
        offering = make_offering(supplier, {**BUS_OFFERING, "title": f"Bus offering {n}"})
        if n == 0:  # the others' contacts are not loaded with the meeting targets' registrations
            register(supplier.user, event)
        _mutual(catalogue, offering=offering, supplier=supplier)
        conversations.start_conversation(supplier.user, catalogue.bus_need, f"Hello from {n}")
    after, html = statements()
    assert html.count("Open the conversation") == 4 and html.count("Request a meeting") == 2
    assert all(f"Other bus {n}" in html for n in range(3))  # each card's contact
    assert after == before, after
