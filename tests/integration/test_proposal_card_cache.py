"""The proposals page keeps its cards' HTML (matchmaker/matches/cards.py): a kept card is exactly what
rendering it afresh gives, any change of what a card shows shows at once, each page carries its own reader's
CSRF token, and the number of kept cards is bounded."""

import re

import pytest
from flask import g

from matchmaker.extensions import db
from matchmaker.matches.cards import TOKEN_MARK, kept
from matchmaker.models import Membership, MembershipRole
from matchmaker.services import user_sessions
from tests.factories import BUS_OFFERING

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def no_kept_cards():
    kept.clear()
    yield
    kept.clear()


def _page(client) -> str:
    html = client.get("/matches/").get_data(as_text=True)
    assert html.count("data-proposal") >= 2
    return html


def _cards(html: str) -> str:
    """The page's list of cards, its CSRF tokens blanked (signed anew every second)."""
    cards = html[html.index('<ol class="proposal-list">') : html.rindex("</ol>")]
    return TOKEN.sub('name="csrf_token" value=""', cards)


def test_a_kept_card_is_what_rendering_it_afresh_gives(app, client, auth, catalogue):
    auth.login(catalogue.buyer.user)
    app.config["PROPOSAL_CARD_CACHE"] = 0
    fresh = _page(client)
    assert kept.hits == kept.misses == 0 and not len(kept)
    app.config["PROPOSAL_CARD_CACHE"] = 1024
    first, again = _page(client), _page(client)
    cards = fresh.count("data-proposal")
    assert kept.misses == cards and kept.hits == cards and len(kept) == cards
    assert _cards(fresh) == _cards(first) == _cards(again)
    assert str(TOKEN_MARK) not in again


def test_what_a_card_shows_changes_at_once(client, auth, catalogue):
    auth.login(catalogue.buyer.user)
    before = _page(client)
    assert BUS_OFFERING["title"] in before and "You have not answered yet." in before
    answered = client.post(
        f"/matches/{catalogue.bus_need.id}/{catalogue.bus_offering.id}/interest",
        data={"decision": "interested"},
    )
    assert answered.status_code == 302
    card = f'id="proposal-{catalogue.bus_need.id}-{catalogue.bus_offering.id}"'
    after = _page(client)
    bus_card = after[after.index(card) : after.index("</li>", after.index(card))]
    assert "You marked this as interesting." in bus_card
    assert 'aria-pressed="true"' in bus_card

    catalogue.bus_offering.title = "Elektrische pendelbus, nieuwe versie"
    catalogue.bus_supplier.organisation.name = "Bus & Zonen"
    db.session.commit()
    renamed = _page(client)
    assert "Elektrische pendelbus, nieuwe versie" in renamed and BUS_OFFERING["title"] not in renamed
    assert "Bus &amp; Zonen" in renamed


def test_each_reader_gets_their_own_csrf_token_in_kept_cards(app, make_user, catalogue):
    """Two colleagues see the same cards: the second one's page is made of the first one's kept cards, with
    the second one's token in every form, and answering with it works."""
    app.config["WTF_CSRF_ENABLED"] = True
    colleague = make_user(roles=("buyer",), email="colleague@example.org")
    db.session.add(
        Membership(user=colleague, organisation=catalogue.buyer.organisation, role=MembershipRole.MEMBER)
    )
    db.session.commit()
    pages = {}
    for user in (catalogue.buyer.user, colleague):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user_sessions.start_session(user)
            session["_fresh"] = True
        pages[user.email] = (client, _page(client))
        g.pop(
            "csrf_token", None
        )  # Flask-WTF's signed token of the request: the test's app context outlives it
    assert kept.hits >= 2
    tokens = {email: set(TOKEN.findall(html)) for email, (_client, html) in pages.items()}
    assert all(len(found) == 1 for found in tokens.values()), tokens
    assert tokens[catalogue.buyer.user.email] != tokens[colleague.email]
    client, _html = pages[colleague.email]
    answered = client.post(
        f"/matches/{catalogue.bus_need.id}/{catalogue.bus_offering.id}/interest",
        data={"decision": "interested", "csrf_token": tokens[colleague.email].pop()},
    )
    assert answered.status_code == 302


def test_the_kept_cards_are_bounded(app, client, auth, catalogue):
    app.config["PROPOSAL_CARD_CACHE"] = 1
    auth.login(catalogue.buyer.user)
    html = _page(client)
    assert html.count("data-proposal") >= 2
    assert len(kept) == 1
