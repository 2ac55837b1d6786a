"""A meeting request records the offering and need it was made about (issue 15): asked from offering X's
page, it shows X to the recipient (requests page, notification, mail) even when another pair of the two
sides scores higher; the form refuses an item of another organisation or one the sender may not see, with a
message; deleting the item leaves the request readable."""

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import MeetingRequest, Need, NeedStatus, Offering, OfferingStatus
from matchmaker.services import meeting_requests as requests_service
from tests.factories import index_item

pytestmark = pytest.mark.usefixtures("request_context")

NEED = "Smart traffic lights for cyclists"
BEST = "Cyclist detection with radar"  # the supplier's offering that matches the need best
CHOSEN = "Parking counters for cargo bikes"  # the one the buyer asks about


def _item(model, organisation, title: str, status: str):
    item = model(organisation=organisation, title=title, status=status)
    db.session.add(item)
    db.session.commit()
    index_item(model.kind, item.id)
    return item


@pytest.fixture
def chosen(supplier):
    """A second published offering of the supplier, brought to the event with the first."""
    return _item(Offering, supplier.organisation, CHOSEN, OfferingStatus.PUBLISHED)


@pytest.fixture
def setting(event, buyer, supplier, chosen, register, monkeypatch):
    """Both registered; the need scores 0.6 with the supplier's radar offering, 0.25 with `chosen`."""
    from matchmaker.services import matching

    rb, rs = register(buyer, event), register(supplier, event)
    need = next(i for i in rb.shown_items if isinstance(i, Need))
    best = next(i for i in rs.shown_items if i.title == BEST)
    assert chosen in rs.shown_items
    datas = {
        (need.id, best.id): {
            "need_id": need.id,
            "offering_id": best.id,
            "score": 0.6,
            "terms": [["radar", "radar"]],
        },
        (need.id, chosen.id): {
            "need_id": need.id,
            "offering_id": chosen.id,
            "score": 0.25,
            "terms": [["cargo", "cargo"]],
        },
    }
    monkeypatch.setattr(
        matching,
        "explanation_datas",
        lambda pairs: {(n, o): datas[(n, o)] for n, o, _s in pairs if (n, o) in datas},
    )
    return rb, rs, need, best


def _get(client, url: str):
    return client.get(url, headers={"Accept-Language": "en"})


def _received_row(client, event, request: MeetingRequest) -> str:
    page = _get(client, f"/events/{event.id}/requests").text
    return page[page.index(f'id="request-{request.id}"') : page.index('id="sent-heading"')]


def test_a_request_from_an_offerings_page_is_about_that_offering(
    client, auth, event, buyer, supplier, chosen, setting, outbox
):
    _rb, rs, need, _best = setting
    supplier.language = "en"
    db.session.commit()
    auth.login(buyer)
    page = _get(client, f"/catalogue/offerings/{chosen.id}").text
    link = f"/events/{event.id}/requests/new?to={rs.id}&amp;offering={chosen.id}"
    assert f'href="{link}"' in page
    form = _get(client, link.replace("&amp;", "&")).text
    about = form[form.index('id="about-heading"') :]
    assert CHOSEN in about and BEST not in about and "a fair match (25%)" in about
    assert f'name="offering" type="hidden" value="{chosen.id}"' in form

    outbox.clear()
    response = client.post(
        f"/events/{event.id}/requests/new",
        data={"to": rs.id, "offering": chosen.id, "message": "About the cargo bikes"},
    )
    assert response.status_code == 302
    request = db.session.scalar(sa.select(MeetingRequest))
    assert (request.offering_id, request.need_id) == (chosen.id, need.id)  # the buyer's need for it

    auth.login(supplier)
    row = _received_row(client, event, request)
    assert CHOSEN in row and BEST not in row
    assert "a fair match (25%)" in row and "Shared words: cargo" in row
    notifications = _get(client, "/notifications/").text
    assert f"about “{CHOSEN}” and “{NEED}”." in notifications and BEST not in notifications
    [mail] = outbox
    assert f"about “{CHOSEN}” and “{NEED}”." in mail.body and BEST not in mail.body
    assert "Match score: a fair match (25%)." in mail.body


def test_a_request_about_nothing_in_particular_shows_the_best_pair(
    client, auth, event, buyer, supplier, setting
):
    """The control of the test above: without a recorded item, the context is the best-scoring pair."""
    _rb, rs, _need, _best = setting
    request = requests_service.send_request(buyer, event, rs.id, "")
    assert request.offering_id is None and request.need_id is None
    auth.login(supplier)
    row = _received_row(client, event, request)
    assert BEST in row and CHOSEN not in row and "a strong match" in row


def test_a_proposal_card_records_both_items(client, auth, event, buyer, supplier, chosen, setting):
    _rb, rs, need, _best = setting
    auth.login(buyer)
    response = client.post(
        f"/events/{event.id}/requests/new", data={"to": rs.id, "need": need.id, "offering": chosen.id}
    )
    assert response.status_code == 302
    request = db.session.scalar(sa.select(MeetingRequest))
    assert (request.offering_id, request.need_id) == (chosen.id, need.id)


@pytest.mark.parametrize(
    "case", ["other organisation", "draft", "unknown", "not a number", "other buyer's need"]
)
def test_an_item_the_request_cannot_be_about_is_refused_with_a_message(
    client, auth, event, buyer, supplier, setting, make_participant, case
):
    _rb, rs, _need, _best = setting
    stranger = make_participant("supplier", name="Stan Stranger")
    other_buyer = make_participant("buyer", name="Olga Other")
    field, value = {
        "other organisation": (
            "offering",
            lambda: db.session.scalar(
                sa.select(Offering.id).where(Offering.organisation_id == stranger.organisation.id)
            ),
        ),
        "draft": (
            "offering",
            lambda: _item(Offering, supplier.organisation, "Secret", OfferingStatus.DRAFT).id,
        ),
        "unknown": ("offering", lambda: 999999),
        "not a number": ("offering", lambda: "12abc"),
        "other buyer's need": (
            "need",
            lambda: db.session.scalar(
                sa.select(Need.id).where(Need.organisation_id == other_buyer.organisation.id)
            ),
        ),
    }[case]
    value = value()
    auth.login(buyer)
    side = (
        "an offering of Start-up of Sofie Supplier"
        if field == "offering"
        else "a need of Agency of Bart Buyer"
    )
    message = f"A meeting request can be about {side} only, one you may see."

    shown = _get(client, f"/events/{event.id}/requests/new?to={rs.id}&{field}={value}")
    assert shown.status_code == 422 and message in shown.text
    assert "Secret" not in shown.text
    sent = client.post(f"/events/{event.id}/requests/new", data={"to": rs.id, field: value, "message": "Hi"})
    assert sent.status_code == 422 and message in sent.text
    assert db.session.scalar(sa.select(sa.func.count(MeetingRequest.id))) == 0


def test_deleting_the_item_leaves_the_request_readable(client, auth, event, buyer, supplier, chosen, setting):
    _rb, rs, need, _best = setting
    request = requests_service.send_request(buyer, event, rs.id, "Cargo?", offering_id=chosen.id)
    db.session.execute(sa.delete(Offering).where(Offering.id == chosen.id))
    db.session.commit()
    db.session.expire_all()
    request = db.session.get(MeetingRequest, request.id)
    assert request.offering_id is None and request.need_id == need.id
    auth.login(supplier)
    row = _received_row(client, event, request)
    assert "Cargo?" in row and NEED in row and CHOSEN not in row
    auth.login(buyer)
    assert _get(client, f"/events/{event.id}/requests").status_code == 200


def test_a_closed_need_is_not_among_what_the_sender_may_see(client, auth, event, buyer, supplier, setting):
    """A supplier asks about a need that went back to draft after the buyer registered: refused."""
    rb, _rs, need, _best = setting
    need.status = NeedStatus.DRAFT
    db.session.commit()
    auth.login(supplier)
    response = client.post(f"/events/{event.id}/requests/new", data={"to": rb.id, "need": need.id})
    assert response.status_code == 422
    assert (
        "A meeting request can be about a need of Agency of Bart Buyer only, one you may see."
        in response.text
    )


def test_a_conversation_offers_a_meeting_about_its_subject(
    client, auth, event, buyer, supplier, chosen, setting
):
    from matchmaker.services import conversations

    _rb, rs, need, _best = setting
    conversation = conversations.start_conversation(buyer, chosen, "Do the counters work in the rain?")
    auth.login(buyer)
    page = _get(client, f"/messages/{conversation.id}").text
    link = f"/events/{event.id}/requests/new?to={rs.id}&amp;offering={chosen.id}"
    assert f'href="{link}"' in page
    assert f"with Sofie Supplier about {CHOSEN}" in page
    response = client.post(f"/events/{event.id}/requests/new", data={"to": rs.id, "offering": chosen.id})
    assert response.status_code == 302
    request = db.session.scalar(sa.select(MeetingRequest))
    assert (request.offering_id, request.need_id) == (chosen.id, need.id)


def test_a_conversation_offers_no_meeting_without_a_common_event(client, auth, buyer, supplier, chosen):
    from matchmaker.services import conversations

    conversation = conversations.start_conversation(buyer, chosen, "Hello")
    auth.login(supplier)
    page = _get(client, f"/messages/{conversation.id}").text
    assert "Hello" in page and "Request a meeting" not in page
