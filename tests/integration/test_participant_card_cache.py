"""The participant list keeps its cards' HTML (matchmaker/events/cards.py): a kept card is exactly what
rendering it afresh gives, for an organizer and for a participant; what a card shows (a name, an
organisation, a meeting request) shows at once; a recommended participant's card is never kept; the number
of kept cards is bounded."""

import pytest

from matchmaker.events.cards import kept
from matchmaker.extensions import db
from matchmaker.services import meeting_requests as requests_service


@pytest.fixture(autouse=True)
def no_kept_cards():
    kept.clear()
    yield
    kept.clear()


@pytest.fixture
def crowd(event, pair, make_participant, register):
    """The event's approved buyer and supplier (`pair`) and three more suppliers."""
    for name in ("Ann", "Ben", "Cas"):
        register(make_participant("supplier", name=f"{name} Supplier", title=f"Offering of {name}"), event)
    return event


def _cards(client, event) -> str:
    """The page's cards, of everyone (a participant sees the other side's by default)."""
    html = client.get(f"/events/{event.id}/participants?role=").get_data(as_text=True)
    assert html.count('class="participant-card') >= 3, html
    return html[html.index('<ul class="list-unstyled participant-list">') : html.rindex("</ul>")]


@pytest.mark.parametrize("reader", ["organizer", "supplier"])
def test_a_kept_card_is_what_rendering_it_afresh_gives(app, client, auth, crowd, organizer, supplier, reader):
    auth.login(organizer if reader == "organizer" else supplier)
    app.config["PARTICIPANT_CARD_CACHE"] = 0
    fresh = _cards(client, crowd)
    assert kept.hits == kept.misses == 0 and not len(kept)
    app.config["PARTICIPANT_CARD_CACHE"] = 2048
    first, again = _cards(client, crowd), _cards(client, crowd)
    assert fresh == first == again
    assert kept.misses == len(kept) > 0 and kept.hits == kept.misses


def test_what_a_card_shows_changes_at_once(client, auth, crowd, pair, buyer, supplier):
    buyer_registration, _supplier_registration = pair
    auth.login(supplier)
    before = _cards(client, crowd)
    card = f'id="p-{buyer_registration.id}"'
    assert "Bart Buyer" in before and "Request a meeting" in _card(before, card)

    requests_service.send_request(supplier, crowd, buyer_registration.id, "")
    sent = _card(_cards(client, crowd), card)
    assert "Your request:" in sent and "Request a meeting" not in sent

    buyer.display_name = "Bart De Koper"
    buyer_registration.organisation.name = "Agentschap & Co"
    db.session.commit()
    renamed = _cards(client, crowd)
    assert "Bart De Koper" in renamed and "Bart Buyer" not in renamed
    assert "Agentschap &amp; Co" in renamed


def _card(html: str, marker: str) -> str:
    start = html.rindex("<article", 0, html.index(marker))
    return html[start : html.index("</article>", start)]


def test_a_recommended_participants_card_is_not_kept(client, auth, crowd, buyer):
    """The buyer is recommended the suppliers whose offerings answer its need: those cards carry the
    engine's explanation and are rendered each time; only the others are kept."""
    auth.login(buyer)
    html = client.get(f"/events/{crowd.id}/participants").get_data(as_text=True)
    recommended = html.count("participant-recommended")
    shown = html.count('class="participant-card')
    assert recommended > 0
    assert len(kept) == shown - recommended


def test_the_kept_cards_are_bounded(app, client, auth, crowd, organizer):
    app.config["PARTICIPANT_CARD_CACHE"] = 1
    auth.login(organizer)
    _cards(client, crowd)
    assert len(kept) == 1
