"""Acting where you find an item in search (issue 15): the catalogue's result cards and the header search's
results offer a logged-in user of another organisation the answer to their side's proposal ("interested /
not interested"), "start a conversation" and, at an event both attend with requests open, "request a
meeting"; decided for the whole page in a fixed number of queries; nothing for visitors, the item's own
organisation, or items that are not live (drafts, closed needs)."""

import re
from html.parser import HTMLParser

import pytest
from markupsafe import escape

from matchmaker.extensions import db
from matchmaker.services import item_actions
from tests.helpers import counting

pytestmark = pytest.mark.usefixtures("request_context")


def _page(client, url: str) -> str:
    response = client.get(url, headers={"Accept-Language": "en"})
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _card(html: str, item) -> str:
    """The actions block of `item`'s card ('' when it has none)."""
    marker = f'id="actions-{item.kind}-{item.id}"'
    if marker not in html:
        return ""
    start = html.index(marker)
    return html[start : html.index("</article>" if "</article>" in html[start:] else "</li>", start)]


class _Controls(HTMLParser):
    """The accessible names (text content) of the links and buttons inside the cards' action blocks."""

    def __init__(self):
        super().__init__()
        self.depth = 0  # inside a div.card-actions: the nesting depth of divs
        self.current: list[str] | None = None
        self.names: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and (self.depth or "card-actions" in (attrs.get("class") or "").split()):
            self.depth += 1
        if self.depth and tag in ("a", "button"):
            self.current = []

    def handle_endtag(self, tag):
        if tag == "div" and self.depth:
            self.depth -= 1
        if tag in ("a", "button") and self.current is not None:
            self.names.append(" ".join("".join(self.current).split()))
            self.current = None

    def handle_data(self, data):
        if self.current is not None:
            self.current.append(data)


def _control_names(html: str) -> list[str]:
    parser = _Controls()
    parser.feed(html)
    return parser.names


def test_a_buyer_can_answer_write_about_an_offering_from_its_result_card(client, auth, catalogue):
    auth.login(catalogue.buyer.user)
    html = _page(client, "/catalogue/offerings")
    card = _card(html, catalogue.bus_offering)
    need, offering = catalogue.bus_need, catalogue.bus_offering
    form_id = f"answer-{need.id}-{offering.id}"
    assert f'form="{form_id}" name="decision" value="interested"' in card
    assert 'value="not_interested"' in card
    assert "Proposed for your need" in card and need.title in card
    assert f'href="/messages/new/offering/{offering.id}"' in card
    assert "Request a meeting" not in card  # no event in common
    # The answer's form, outside the GET search form, with its CSRF token and the way back to the card.
    [form] = re.findall(rf'<form method="post" id="{form_id}".*?</form>', html, re.S)
    assert f'action="/matches/{need.id}/{offering.id}/interest"' in form
    assert 'name="csrf_token"' in form
    assert f'name="next" value="/catalogue/offerings?#actions-offering-{offering.id}"' in form
    search_form_end = html.index("</form>", html.index('class="browse-form"'))
    assert html.index(form) > search_form_end  # not nested in the GET search form


def test_answering_from_the_card_comes_back_to_the_card_and_shows_the_answer(client, auth, catalogue):
    auth.login(catalogue.buyer.user)
    need, offering = catalogue.bus_need, catalogue.bus_offering
    back = f"/catalogue/offerings?q=bus#actions-offering-{offering.id}"
    response = client.post(
        f"/matches/{need.id}/{offering.id}/interest", data={"decision": "interested", "next": back}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(back)
    card = _card(_page(client, "/catalogue/offerings?q=bus"), offering)
    assert 'value="interested"\n                  class="btn btn-sm btn-success"' in card
    assert 'aria-pressed="true">Interested' in card
    assert 'value="undecided"' in card


def test_the_answer_needs_its_csrf_token(app, client, auth, catalogue):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        auth.login(catalogue.buyer.user)
        need, offering = catalogue.bus_need, catalogue.bus_offering
        response = client.post(f"/matches/{need.id}/{offering.id}/interest", data={"decision": "interested"})
        assert response.status_code in (302, 400)
        from matchmaker.models import Match

        assert db.session.query(Match).filter_by(need_id=need.id, offering_id=offering.id).count() == 0
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_a_supplier_answers_the_proposal_on_a_need_card(client, auth, catalogue):
    auth.login(catalogue.bus_supplier.user)
    html = _page(client, "/catalogue/needs")
    card = _card(html, catalogue.bus_need)
    assert f'form="answer-{catalogue.bus_need.id}-{catalogue.bus_offering.id}"' in card
    assert "Proposed for your offering" in card
    assert f'href="/messages/new/need/{catalogue.bus_need.id}"' in card


def test_a_common_event_puts_a_meeting_request_on_the_card(client, auth, catalogue, event, register):
    register(catalogue.buyer.user, event)
    theirs = register(catalogue.bus_supplier.user, event)
    auth.login(catalogue.buyer.user)
    html = _page(client, "/catalogue/offerings")
    card = _card(html, catalogue.bus_offering)
    about = f"offering={catalogue.bus_offering.id}"  # the request records the card's offering
    assert f'href="/events/{event.id}/requests/new?to={theirs.id}&amp;{about}"' in card
    assert f"with Bart Bus about {catalogue.bus_offering.title}" in card
    assert f"You both take part in {escape(event.title)}." in card
    assert "Request a meeting" not in _card(html, catalogue.sensor_offering)  # not registered


@pytest.mark.parametrize("viewer", ["visitor", "owner"])
def test_visitors_and_the_items_own_organisation_get_no_actions(
    client, auth, catalogue, event, register, viewer
):
    register(catalogue.buyer.user, event)
    register(catalogue.bus_supplier.user, event)
    if viewer == "owner":
        auth.login(catalogue.bus_supplier.user)
    html = _page(client, "/catalogue/offerings")
    assert catalogue.bus_offering.title in html
    assert _card(html, catalogue.bus_offering) == ""
    if viewer == "visitor":
        assert "card-actions" not in html
        assert "/interest" not in html and "/messages/new/" not in html and "/requests/new" not in html


def test_the_same_side_may_write_but_gets_no_answer_or_meeting(client, auth, catalogue, event, register):
    """A supplier reading another supplier's offering has no proposal with it and meets only buyers."""
    register(catalogue.bus_supplier.user, event)
    register(catalogue.sensor_supplier.user, event)
    auth.login(catalogue.sensor_supplier.user)
    card = _card(_page(client, "/catalogue/offerings"), catalogue.bus_offering)
    assert "/interest" not in card and 'form="answer-' not in card
    assert "/requests/new" not in card


def test_drafts_and_closed_needs_never_get_actions(catalogue, make_need, event, register):
    draft = make_need(catalogue.buyer, status="draft", title="Draft need about buses")
    closed = make_need(catalogue.buyer, status="closed", title="Closed need about buses")
    register(catalogue.buyer.user, event)
    register(catalogue.bus_supplier.user, event)
    supplier = catalogue.bus_supplier.user
    actions = item_actions.card_actions(supplier, [catalogue.bus_need, draft, closed])
    assert set(actions) == {("need", catalogue.bus_need.id)}
    acts = actions[("need", catalogue.bus_need.id)]
    assert acts.may_write and acts.meeting is not None and acts.proposals
    # Even an administrator of the platform, who may list them, gets nothing to do on them.
    assert item_actions.card_actions(supplier, [draft, closed]) == {}


def test_an_administrators_status_search_shows_closed_needs_without_actions(
    client, auth, catalogue, make_need, make_user
):
    closed = make_need(catalogue.buyer, status="closed", title="Closed need about buses")
    admin = make_user(roles=("admin",), language="en")
    auth.login(admin)
    html = _page(client, "/catalogue/needs?status=closed&status=open")
    if closed.title in html:  # administrators may list closed needs
        assert _card(html, closed) == ""
    assert "/interest" not in html


def test_the_header_search_offers_the_same_actions(client, auth, catalogue, event, register):
    register(catalogue.buyer.user, event)
    theirs = register(catalogue.bus_supplier.user, event)
    auth.login(catalogue.buyer.user)
    html = _page(client, "/search?q=elektrische")
    card = _card(html, catalogue.bus_offering)
    need, offering = catalogue.bus_need, catalogue.bus_offering
    assert f'form="answer-{need.id}-{offering.id}"' in card
    assert f'href="/messages/new/offering/{offering.id}"' in card
    assert f'href="/events/{event.id}/requests/new?to={theirs.id}&amp;offering={offering.id}"' in card
    assert f'id="answer-{need.id}-{offering.id}"' in html and 'name="csrf_token"' in html
    # The buyer's own need, found by the same word, offers nothing.
    assert _card(html, need) == ""


def test_the_header_search_offers_visitors_nothing(client, catalogue):
    html = _page(client, "/search?q=elektrische")
    assert catalogue.bus_offering.title in html
    assert "card-actions" not in html and "/messages/new/" not in html and "/interest" not in html


def test_every_action_on_a_page_has_its_own_accessible_name(
    client, auth, catalogue, make_offering, event, register
):
    from tests.factories import BUS_OFFERING

    second = make_offering(catalogue.bus_supplier, BUS_OFFERING, title="Elektrische minibus met snellader")
    register(catalogue.buyer.user, event)
    register(catalogue.bus_supplier.user, event)
    auth.login(catalogue.buyer.user)
    for url in ("/catalogue/offerings", "/search?q=elektrische"):
        html = _page(client, url)
        assert _card(html, second) and _card(html, catalogue.bus_offering)
        names = _control_names(html)
        assert len(names) >= 6
        assert len(names) == len(set(names)), names
        assert f"Start a conversation about {second.title}" in names
        assert any(re.fullmatch(rf"Interested in {re.escape(second.title)}, for .+", n) for n in names)


def test_the_cards_actions_cost_a_fixed_number_of_queries(
    client, auth, catalogue, make_supplier, make_offering, event, register
):
    """Three more offerings of three more registered suppliers, each with a proposal and a meeting target,
    run no more statements: the actions are decided for the whole page at once."""
    from tests.factories import BUS_OFFERING

    register(catalogue.buyer.user, event)
    register(catalogue.bus_supplier.user, event)
    auth.login(catalogue.buyer.user)

    def statements() -> tuple[list[str], str]:
        db.session.commit()
        db.session.expire_all()
        _page(client, "/catalogue/offerings?q=elektrische")
        with counting() as seen:
            html = _page(client, "/catalogue/offerings?q=elektrische")
        return seen, html

    few, html = statements()
    assert html.count("Request a meeting<") == 1
    for n in range(3):
        party = make_supplier(display_name=f"Supplier {n}")
        make_offering(party, BUS_OFFERING, title=f"Elektrische bus nummer {n}")
        register(party.user, event)
    many, html = statements()
    assert html.count("Request a meeting<") == 4
    assert html.count('form="answer-') >= 4 * 2
    assert len(many) == len(few), "\n".join(many)


def test_an_organisation_that_blocked_the_viewer_gets_no_conversation_link_on_its_card(
    client, auth, catalogue
):
    from matchmaker.models import ConversationBlock

    db.session.add(
        ConversationBlock(
            organisation_id=catalogue.bus_supplier.organisation.id,
            blocked_user_id=catalogue.buyer.user.id,
            blocked_by_id=catalogue.bus_supplier.user.id,
        )
    )
    db.session.commit()
    auth.login(catalogue.buyer.user)
    html = _page(client, "/catalogue/offerings")
    assert "/messages/new/offering/" not in _card(html, catalogue.bus_offering)
    assert 'value="interested"' in _card(html, catalogue.bus_offering)  # answering stays possible
    sensor = catalogue.sensor_offering
    assert f'href="/messages/new/offering/{sensor.id}"' in _card(html, sensor)


def test_a_suspended_viewer_gets_no_conversation_link_on_any_card(client, auth, catalogue):
    catalogue.buyer.organisation.verification = "suspended"
    db.session.commit()
    auth.login(catalogue.buyer.user)
    assert "/messages/new/" not in _page(client, "/catalogue/offerings")
