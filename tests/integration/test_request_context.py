"""A meeting request carries its context wherever it is shown (issue 15): the new-request form shows the
sender what the recipient will see (the need and the offering, the match score in words and its reasons),
the requests page shows it with sent requests too and links the items, the in-app notification names the
items; only the two sides may answer or see it."""

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import MeetingRequest, RequestStatus
from matchmaker.services import meeting_requests as requests_service

pytestmark = pytest.mark.usefixtures("request_context")

NEED = "Smart traffic lights for cyclists"
OFFERING = "Cyclist detection with radar"


@pytest.fixture
def scored(pair, monkeypatch):
    """The pair's need and offering scored 0.25 with the shared word "radar" (a fair match)."""
    from matchmaker.services import matching

    rb, rs = pair
    need, offering = rb.shown_items[0], rs.shown_items[0]
    data = {"need_id": need.id, "offering_id": offering.id, "score": 0.25, "terms": [["radar", "radar"]]}
    monkeypatch.setattr(matching, "explanation_datas", lambda pairs: {(need.id, offering.id): data})
    return need, offering


def _get(client, url: str):
    return client.get(url, headers={"Accept-Language": "en"})


def test_the_new_request_form_shows_what_the_request_is_about(client, auth, event, pair, supplier, scored):
    need, offering = scored
    rb, _rs = pair
    auth.login(supplier)
    page = _get(client, f"/events/{event.id}/requests/new?to={rb.id}").text
    assert "What your request is about" in page
    assert f'<a href="/catalogue/needs/{need.id}"' in page and NEED in page
    assert f'<a href="/catalogue/offerings/{offering.id}"' in page and OFFERING in page
    assert "a fair match (25%)" in page and "Shared words: radar" in page
    assert "Bart Buyer sees this with your request and your message." in page
    assert 'name="csrf_token"' in page


def test_the_form_for_someone_of_the_same_side_shows_no_context(
    client, auth, event, pair, supplier, make_participant, register
):
    other = register(make_participant("supplier", name="Otto Other"), event)
    auth.login(supplier)
    page = _get(client, f"/events/{event.id}/requests/new?to={other.id}").text
    assert "What your request is about" not in page


def test_the_sender_sees_the_context_of_a_sent_request(client, auth, event, pair, supplier, scored):
    need, offering = scored
    requests_service.send_request(supplier, event, pair[0].id, "Shall we talk radar?")
    auth.login(supplier)
    page = _get(client, f"/events/{event.id}/requests").text
    sent = page[page.index('id="sent-heading"') :]
    assert "Shall we talk radar?" in sent
    assert f'href="/catalogue/needs/{need.id}"' in sent
    assert f'href="/catalogue/offerings/{offering.id}"' in sent
    assert "a fair match (25%)" in sent and "Shared words: radar" in sent
    assert "Cancel the request" in sent


def test_the_recipient_accepts_from_the_request_with_its_context_in_view(
    client, auth, event, pair, buyer, supplier, scored
):
    request = requests_service.send_request(supplier, event, pair[0].id, "Shall we talk radar?")
    auth.login(buyer)
    page = _get(client, f"/events/{event.id}/requests").text
    row = page[page.index(f'id="request-{request.id}"') : page.index('id="sent-heading"')]
    for text in ("Shall we talk radar?", NEED, OFFERING, "a fair match (25%)", "Shared words: radar"):
        assert text in row
    accept = f'action="/events/{event.id}/requests/{request.id}/accept"'
    assert accept in row and f'action="/events/{event.id}/requests/{request.id}/decline"' in row
    response = client.post(f"/events/{event.id}/requests/{request.id}/accept")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(MeetingRequest, request.id).status == RequestStatus.ACCEPTED


def test_the_notification_names_the_offering_and_the_need(client, auth, event, pair, buyer, supplier):
    requests_service.send_request(supplier, event, pair[0].id, "")
    auth.login(buyer)
    page = _get(client, "/notifications/").text
    title = event.title.replace("&", "&amp;")
    assert f"asks you for a meeting at {title} about “{OFFERING}” and “{NEED}”." in page


def test_the_request_mail_subject_and_body_name_the_items(event, pair, buyer, supplier, outbox, scored):
    buyer.language = "en"
    db.session.commit()
    outbox.clear()
    requests_service.send_request(supplier, event, pair[0].id, "Shall we talk radar?")
    [sent] = outbox
    assert sent.subject.startswith("Sofie Supplier (Start-up of Sofie Supplier) asks you for a meeting")
    assert f"about “{OFFERING}” and “{NEED}”." in sent.body  # the whole sentence, where a long subject is cut
    assert "Their message:\nShall we talk radar?" in sent.body
    assert "Match score: a fair match (25%)." in sent.body and "- Shared words: radar" in sent.body


def test_only_the_recipient_answers_and_others_get_a_404(
    client, auth, event, pair, supplier, make_participant, register
):
    request = requests_service.send_request(supplier, event, pair[0].id, "")
    outsider = make_participant("buyer", name="Olga Outsider")
    register(outsider, event)
    auth.login(outsider)
    for action in ("accept", "decline", "cancel"):
        assert client.post(f"/events/{event.id}/requests/{request.id}/{action}").status_code == 404
    page = _get(client, f"/events/{event.id}/requests").text
    assert "Sofie Supplier" not in page
    auth.login(supplier)  # the sender cannot accept their own request
    client.post(f"/events/{event.id}/requests/{request.id}/accept")
    assert db.session.scalar(sa.select(MeetingRequest.status)) == RequestStatus.PENDING


def test_a_bad_recipient_on_the_form_is_a_404_not_a_500(client, auth, event, pair, supplier):
    auth.login(supplier)
    for to in ("abc", "999999", "-1", ""):
        assert _get(client, f"/events/{event.id}/requests/new?to={to}").status_code == 404
