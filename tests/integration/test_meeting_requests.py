"""Meeting requests: sending, answering, cancelling, limits, the deadline, mutual pairs, and races."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from matchmaker.extensions import db
from matchmaker.models import Job, MeetingRequest, Notification, RequestStatus, User, utcnow
from matchmaker.services import ServiceError
from matchmaker.services import meeting_requests as requests_service
from matchmaker.services.event_rules import local_now
from matchmaker.tasks.periodic import enqueue_periodic
from tests.helpers import race, require_postgres

pytestmark = pytest.mark.usefixtures("request_context")


def _status(request_id: int) -> str:
    db.session.expire_all()
    return db.session.get(MeetingRequest, request_id).status


# --- sending -------------------------------------------------------------------------------------------


def test_a_supplier_sends_a_request_and_the_buyer_is_notified(
    client, auth, event, pair, buyer, supplier, outbox
):
    rb, rs = pair
    outbox.clear()  # the confirmations of both registrations
    auth.login(supplier)
    response = client.post(
        f"/events/{event.id}/requests/new", data={"to": rb.id, "message": "Shall we talk radar?"}
    )
    assert response.status_code == 302
    request = db.session.scalars(sa.select(MeetingRequest)).one()
    assert (request.from_registration_id, request.to_registration_id) == (rs.id, rb.id)
    assert request.status == RequestStatus.PENDING and request.message == "Shall we talk radar?"
    assert [m.to for m in outbox] == [buyer.email]
    assert "Sofie Supplier" in outbox[0].body and event.title in outbox[0].body
    assert f"/events/{event.id}/requests" in outbox[0].body
    received = sa.select(Notification).where(
        Notification.user_id == buyer.id, Notification.kind == "request_received_about"  # names the items
    )
    assert len(db.session.scalars(received).all()) == 1


def test_a_request_to_oneself_is_refused(event, pair, supplier):
    _rb, rs = pair
    with pytest.raises(ServiceError, match="cannot send a meeting request to yourself"):
        requests_service.send_request(supplier, event, rs.id, "")


def test_a_request_to_someone_not_registered_is_refused(
    client, auth, make_event, event, pair, supplier, make_participant, register
):
    other_event = make_event(title="Another event")
    stranger = register(make_participant("buyer", name="Elsewhere"), other_event)
    with pytest.raises(ServiceError, match="not a registered participant of this event"):
        requests_service.send_request(supplier, event, stranger.id, "")
    with pytest.raises(ServiceError, match="not a registered participant of this event"):
        requests_service.send_request(supplier, event, 999999, "")
    auth.login(supplier)  # the page does not even offer it
    assert client.get(f"/events/{event.id}/requests/new?to={stranger.id}").status_code == 404


def test_a_request_to_a_pending_registration_is_refused(
    client, auth, make_event, supplier, make_participant, register
):
    event = make_event(admission="approval")
    target = register(make_participant("buyer", name="Waiting"), event)
    organizer_user = event.organizer
    mine = register(supplier, event)
    from matchmaker.services.registrations import decide_registration

    decide_registration(organizer_user, mine, True)
    with pytest.raises(ServiceError, match="not a registered participant"):
        requests_service.send_request(supplier, event, target.id, "")
    # A page opened earlier still links to them: a message, not a bare "not found".
    auth.login(supplier)
    for send in (client.get, client.post):
        response = send(f"/events/{event.id}/requests/new?to={target.id}", follow_redirects=True)
        assert response.request.path == f"/events/{event.id}/participants"
        assert "This person is not a registered participant of this event." in response.text
    assert db.session.scalars(sa.select(MeetingRequest)).all() == []


def test_sending_the_same_request_twice_is_refused_with_a_message(client, auth, event, pair, supplier):
    rb, _rs = pair
    requests_service.send_request(supplier, event, rb.id, "First")
    auth.login(supplier)
    response = client.post(f"/events/{event.id}/requests/new", data={"to": rb.id, "message": "Second"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "You already sent a meeting request to Bart Buyer." in page
    assert "Second" in page  # the message is kept
    assert db.session.scalar(sa.select(sa.func.count(MeetingRequest.id))) == 1


def test_the_database_keeps_one_open_request_per_ordered_pair(event, pair):
    rb, rs = pair
    db.session.add(MeetingRequest(event_id=event.id, from_registration_id=rs.id, to_registration_id=rb.id))
    db.session.commit()
    db.session.add(MeetingRequest(event_id=event.id, from_registration_id=rs.id, to_registration_id=rb.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    # a closed request does not count: a new one may follow a cancelled one
    first = db.session.scalars(sa.select(MeetingRequest)).one()
    first.status = RequestStatus.CANCELLED
    db.session.add(MeetingRequest(event_id=event.id, from_registration_id=rs.id, to_registration_id=rb.id))
    db.session.commit()


def test_asking_again_after_a_decline_is_refused(event, pair, buyer, supplier):
    rb, _rs = pair
    request = requests_service.send_request(supplier, event, rb.id, "")
    requests_service.decline_request(buyer, request)
    with pytest.raises(ServiceError, match="declined your earlier request"):
        requests_service.send_request(supplier, event, rb.id, "")


def test_a_new_request_may_follow_a_cancelled_one(event, pair, supplier):
    rb, _rs = pair
    request = requests_service.send_request(supplier, event, rb.id, "")
    requests_service.cancel_request(supplier, request)
    again = requests_service.send_request(supplier, event, rb.id, "Sorry, I do want to meet")
    assert again.status == RequestStatus.PENDING


def test_requests_after_the_deadline_are_refused(client, auth, make_event, supplier, buyer, register):
    event = make_event(request_deadline=local_now() - timedelta(minutes=5))
    rb = register(buyer, event)
    register(supplier, event)
    auth.login(supplier)
    response = client.post(f"/events/{event.id}/requests/new", data={"to": rb.id, "message": "Too late?"})
    page = response.get_data(as_text=True)
    assert "The deadline for meeting requests" in page and "has passed" in page
    assert db.session.scalar(sa.select(sa.func.count(MeetingRequest.id))) == 0


def test_the_number_of_open_requests_is_limited(make_event, supplier, make_participant, register):
    event = make_event(max_open_requests=2)
    register(supplier, event)
    buyers = [register(make_participant("buyer", name=f"Buyer {i}"), event) for i in range(3)]
    requests_service.send_request(supplier, event, buyers[0].id, "")
    second = requests_service.send_request(supplier, event, buyers[1].id, "")
    with pytest.raises(ServiceError, match="2 unanswered requests"):
        requests_service.send_request(supplier, event, buyers[2].id, "")
    requests_service.cancel_request(supplier, second)  # an answered or cancelled one frees a place
    requests_service.send_request(supplier, event, buyers[2].id, "")


def test_only_approved_participants_send_requests(client, auth, event, pair):
    rb, _rs = pair
    auth.login_as("supplier")
    response = client.post(f"/events/{event.id}/requests/new", data={"to": rb.id, "message": "Hi"})
    assert response.status_code == 403
    assert client.get(f"/events/{event.id}/requests").status_code == 403


def test_a_long_message_is_refused_and_kept(client, auth, event, pair, supplier):
    rb, _rs = pair
    auth.login(supplier)
    response = client.post(f"/events/{event.id}/requests/new", data={"to": rb.id, "message": "x" * 1001})
    assert response.status_code == 422
    assert "Keep your message under 1000 characters." in response.get_data(as_text=True)


# --- answering and cancelling ---------------------------------------------------------------------------


def test_the_buyer_accepts_and_the_supplier_is_notified(client, auth, event, pair, buyer, supplier, outbox):
    rb, _rs = pair
    request = requests_service.send_request(supplier, event, rb.id, "")
    outbox.clear()
    auth.login(buyer)
    response = client.post(f"/events/{event.id}/requests/{request.id}/accept", follow_redirects=True)
    assert "You accepted the request." in response.get_data(as_text=True)
    assert _status(request.id) == RequestStatus.ACCEPTED
    assert db.session.get(MeetingRequest, request.id).responded_at is not None
    assert [m.to for m in outbox] == [supplier.email]
    assert "Bart Buyer" in outbox[0].body


def test_the_buyer_declines(client, auth, event, pair, buyer, supplier, outbox):
    rb, _rs = pair
    request = requests_service.send_request(supplier, event, rb.id, "")
    auth.login(buyer)
    client.post(f"/events/{event.id}/requests/{request.id}/decline")
    assert _status(request.id) == RequestStatus.DECLINED
    assert outbox[-1].to == supplier.email


def test_the_sender_cannot_accept_their_own_request(client, auth, event, pair, supplier):
    rb, _rs = pair
    request = requests_service.send_request(supplier, event, rb.id, "")
    auth.login(supplier)
    response = client.post(f"/events/{event.id}/requests/{request.id}/accept", follow_redirects=True)
    assert "Only the person who received this request can answer it." in response.get_data(as_text=True)
    assert _status(request.id) == RequestStatus.PENDING


def test_the_recipient_cannot_cancel_and_a_third_person_sees_nothing(
    client, auth, event, pair, buyer, supplier, make_participant, register
):
    rb, _rs = pair
    request = requests_service.send_request(supplier, event, rb.id, "")
    auth.login(buyer)
    client.post(f"/events/{event.id}/requests/{request.id}/cancel")
    assert _status(request.id) == RequestStatus.PENDING
    third = make_participant("buyer", name="Third")
    register(third, event)
    auth.login(third)
    for action in ("accept", "decline", "cancel"):
        assert client.post(f"/events/{event.id}/requests/{request.id}/{action}").status_code == 404
    assert _status(request.id) == RequestStatus.PENDING


def test_the_sender_cancels_a_pending_request(client, auth, event, pair, supplier):
    rb, _rs = pair
    request = requests_service.send_request(supplier, event, rb.id, "")
    auth.login(supplier)
    client.post(f"/events/{event.id}/requests/{request.id}/cancel")
    assert _status(request.id) == RequestStatus.CANCELLED


def test_an_answered_request_cannot_be_answered_or_cancelled_again(event, pair, buyer, supplier):
    rb, _rs = pair
    request = requests_service.send_request(supplier, event, rb.id, "")
    requests_service.accept_request(buyer, request)
    with pytest.raises(ServiceError, match="already accepted"):
        requests_service.decline_request(buyer, request)
    with pytest.raises(ServiceError, match="already accepted"):
        requests_service.cancel_request(supplier, request)


def test_answering_after_the_deadline_expires_the_request(event, pair, buyer, supplier):
    rb, _rs = pair
    request = requests_service.send_request(supplier, event, rb.id, "")
    event.request_deadline = local_now() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(ServiceError, match="expired"):
        requests_service.accept_request(buyer, request)
    assert _status(request.id) == RequestStatus.EXPIRED


def test_past_the_deadline_a_pending_request_reads_expired_before_the_command_runs(
    client, auth, event, pair, buyer, supplier
):
    rb, _rs = pair
    request = requests_service.send_request(supplier, event, rb.id, "")
    auth.login(buyer)
    assert "Awaiting an answer" in client.get(f"/events/{event.id}/requests").text
    event.request_deadline = local_now() - timedelta(minutes=1)
    db.session.commit()
    page = client.get(f"/events/{event.id}/requests").text
    assert "request-status-expired" in page and "Awaiting an answer" not in page
    assert "Accept" not in page
    assert _status(request.id) == RequestStatus.PENDING  # the page only reads; the command marks it


# --- mutual pairs and lists -----------------------------------------------------------------------------


def test_asking_each_other_makes_a_mutual_pair_that_ranks_first(
    client, auth, event, pair, buyer, supplier, make_participant, register
):
    rb, rs = pair
    other = register(make_participant("supplier", name="Another supplier"), event)
    requests_service.send_request(other.user, event, rb.id, "")
    forward = requests_service.send_request(supplier, event, rb.id, "")
    backward = requests_service.send_request(buyer, event, rs.id, "")
    assert requests_service.mutual_request_ids(event) == {forward.id, backward.id}
    assert requests_service.count_mutual_pairs(event) == 1
    received, _sent = requests_service.requests_of(rb)
    assert received[0].request.id == forward.id and received[0].mutual
    assert not received[1].mutual
    auth.login(buyer)
    page = client.get(f"/events/{event.id}/requests").get_data(as_text=True)
    assert "Mutual" in page
    requests_service.decline_request(buyer, forward)
    assert requests_service.mutual_request_ids(event) == set()


# --- deadline commands ----------------------------------------------------------------------------------


def test_expire_requests_command_expires_and_reminds_once(runner, event, pair, buyer, supplier, outbox):
    rb, _rs = pair
    request = requests_service.send_request(supplier, event, rb.id, "")
    event.request_deadline = local_now() + timedelta(hours=3)
    db.session.commit()
    outbox.clear()
    result = runner.invoke(args=["events", "expire-requests"])
    assert result.exit_code == 0, result.output
    assert "0 request(s) expired, 1 reminder(s) sent." in result.output
    assert [m.to for m in outbox] == [buyer.email] and "expires" in outbox[0].body
    assert (
        runner.invoke(args=["events", "expire-requests"]).output.strip()
        == "0 request(s) expired, 0 reminder(s) sent."
    )
    assert len(outbox) == 1
    event.request_deadline = local_now() - timedelta(minutes=1)
    db.session.commit()
    assert "1 request(s) expired" in runner.invoke(args=["events", "expire-requests"]).output
    assert _status(request.id) == RequestStatus.EXPIRED
    assert "0 request(s) expired" in runner.invoke(args=["events", "expire-requests"]).output


# --- races (PostgreSQL) ---------------------------------------------------------------------------------


@pytest.mark.postgres
def test_accepting_and_cancelling_at_the_same_moment_leaves_one_outcome(app, event, pair, buyer, supplier):
    require_postgres()
    rb, _rs = pair
    for _round in range(8):
        request_id = requests_service.send_request(supplier, event, rb.id, "").id
        db.session.commit()

        def accept(request_id=request_id):
            requests_service.accept_request(
                db.session.get(User, buyer.id), db.session.get(MeetingRequest, request_id)
            )

        def cancel(request_id=request_id):
            requests_service.cancel_request(
                db.session.get(User, supplier.id), db.session.get(MeetingRequest, request_id)
            )

        accepted, cancelled = race(app, accept, cancel)
        assert [accepted, cancelled].count("ok") == 1, (accepted, cancelled)
        final = _status(request_id)
        assert final == (RequestStatus.ACCEPTED if accepted == "ok" else RequestStatus.CANCELLED)
        if final == RequestStatus.ACCEPTED:
            assert "already accepted" in cancelled.message
            return_request = db.session.get(MeetingRequest, request_id)
            return_request.status = RequestStatus.CANCELLED  # make room for the next round
        else:
            assert "cancelled" in accepted.message
        db.session.commit()


@pytest.mark.postgres
def test_accepting_and_declining_at_the_same_moment_leaves_one_outcome(app, event, pair, buyer, supplier):
    require_postgres()
    rb, _rs = pair
    request_id = requests_service.send_request(supplier, event, rb.id, "").id
    results = race(
        app,
        lambda: requests_service.accept_request(
            db.session.get(User, buyer.id), db.session.get(MeetingRequest, request_id)
        ),
        lambda: requests_service.decline_request(
            db.session.get(User, buyer.id), db.session.get(MeetingRequest, request_id)
        ),
    )
    assert results.count("ok") == 1
    assert _status(request_id) in (RequestStatus.ACCEPTED, RequestStatus.DECLINED)


@pytest.mark.postgres
def test_sending_the_same_request_twice_at_once_creates_one(app, event, pair, supplier):
    require_postgres()
    rb, _rs = pair

    def send():
        requests_service.send_request(
            db.session.get(User, supplier.id), db.session.get(type(event), event.id), rb.id, ""
        )

    results = race(app, send, send)
    assert results.count("ok") == 1
    assert "already sent" in next(r for r in results if r != "ok").message
    assert db.session.scalar(sa.select(sa.func.count(MeetingRequest.id))) == 1


@pytest.mark.postgres
def test_the_open_request_limit_holds_when_requests_arrive_at_once(
    app, make_event, supplier, make_participant, register
):
    require_postgres()
    event = make_event(max_open_requests=1)
    register(supplier, event)
    targets = [register(make_participant("buyer", name=f"Buyer {i}"), event).id for i in range(3)]
    event_id = event.id

    def sender(target):
        return lambda: requests_service.send_request(
            db.session.get(User, supplier.id), db.session.get(type(event), event_id), target, ""
        )

    results = race(app, *(sender(t) for t in targets))
    assert results.count("ok") == 1
    assert db.session.scalar(sa.select(sa.func.count(MeetingRequest.id))) == 1


def test_meetings_are_between_a_buyer_and_a_supplier(event, pair, supplier, make_participant, register):
    competitor = register(make_participant("supplier", name="Competitor"), event)
    with pytest.raises(ServiceError, match="between a buyer and a supplier"):
        requests_service.send_request(supplier, event, competitor.id, "")


def test_the_hourly_job_expires_and_reminds_once_per_hour(event, pair, buyer, supplier, outbox):
    rb, _rs = pair
    request = requests_service.send_request(supplier, event, rb.id, "")
    event.request_deadline = local_now() + timedelta(hours=3)
    db.session.commit()
    outbox.clear()
    now = utcnow()
    job_id = enqueue_periodic("events.expire_requests", now=now)
    assert db.session.get(Job, job_id).result == {"expired": 0, "reminded": 1}
    assert [m.to for m in outbox] == [buyer.email]
    event.request_deadline = local_now() - timedelta(minutes=1)
    db.session.commit()
    assert enqueue_periodic("events.expire_requests", now=now) is None  # this hour's job ran already
    assert _status(request.id) == RequestStatus.PENDING
    job_id = enqueue_periodic("events.expire_requests", now=now + timedelta(hours=1))
    assert db.session.get(Job, job_id).result == {"expired": 1, "reminded": 0}
    assert _status(request.id) == RequestStatus.EXPIRED


# --- what a request is about (issue 15) -------------------------------------------------------------


def test_the_request_mail_has_the_message_the_items_the_score_and_the_links(
    client, auth, event, pair, buyer, supplier, outbox
):
    rb, _rs = pair
    buyer.language = "en"
    db.session.commit()
    outbox.clear()
    auth.login(supplier)
    client.post(f"/events/{event.id}/requests/new", data={"to": rb.id, "message": "Shall we talk radar?"})
    request = db.session.scalars(sa.select(MeetingRequest)).one()
    [sent] = outbox
    assert "Their message:\nShall we talk radar?" in sent.body
    assert "Need: Smart traffic lights for cyclists" in sent.body
    assert "Offering: Cyclist detection with radar" in sent.body
    assert "Match score: a fair match (" in sent.body and "- Shared words: cyclists" in sent.body
    assert f"/events/{event.id}/requests#request-{request.id}" in sent.body
    assert "Accept or decline the request on the platform" in sent.body
    assert sent.headers["Auto-Submitted"] == "auto-generated"


def test_the_request_context_gives_the_score_in_words_and_its_reasons(event, pair, supplier, monkeypatch):
    from matchmaker.services import matching

    rb, rs = pair
    request = requests_service.send_request(supplier, event, rb.id, "")
    need, offering = rb.shown_items[0], rs.shown_items[0]
    data = {
        "need_id": need.id,
        "offering_id": offering.id,
        "score": 0.47,
        "terms": [["cyclists", "cyclist"], ["traffic", "traffic"]],
        "cpv": [],
        "themes": [],
    }
    monkeypatch.setattr(matching, "explanation_datas", lambda pairs: {(need.id, offering.id): data})
    context = requests_service.request_context(request, "en")
    assert (context.need, context.offering) == (need, offering)
    assert context.strength_words == "a strong match" and context.percent == 47
    assert context.reasons == ["Shared words: cyclists / cyclist, traffic"]


def test_the_received_request_shows_what_it_is_about_next_to_accept_and_decline(
    client, auth, event, pair, buyer, supplier, monkeypatch
):
    from matchmaker.services import matching

    rb, rs = pair
    requests_service.send_request(supplier, event, rb.id, "Shall we talk radar?")
    need, offering = rb.shown_items[0], rs.shown_items[0]
    data = {"need_id": need.id, "offering_id": offering.id, "score": 0.25, "terms": [["radar", "radar"]]}
    monkeypatch.setattr(matching, "explanation_datas", lambda pairs: {(need.id, offering.id): data})
    auth.login(buyer)
    page = client.get(f"/events/{event.id}/requests", headers={"Accept-Language": "en"}).text
    assert "Shall we talk radar?" in page
    assert "Smart traffic lights for cyclists" in page and "Cyclist detection with radar" in page
    assert "a fair match (25%)" in page and "Shared words: radar" in page
    assert ">Accept<" in page.replace("\n", "") or "Accept" in page
    assert "Decline" in page


def test_without_a_score_for_the_pair_the_mail_says_so(event, pair, buyer, supplier, outbox, monkeypatch):
    from matchmaker.services import matching

    monkeypatch.setattr(matching, "explanation_datas", lambda pairs: {})
    buyer.language = "en"
    db.session.commit()
    outbox.clear()
    requests_service.send_request(supplier, event, pair[0].id, "")
    [sent] = outbox
    assert "The matching has no score for this pair yet." in sent.body
    assert "They did not add a message." in sent.body
    assert "Need: Smart traffic lights for cyclists" in sent.body


@pytest.mark.parametrize("accept", [True, False])
def test_the_answer_mail_carries_the_requests_context(event, pair, buyer, supplier, outbox, accept):
    rb, _rs = pair
    supplier.language = "en"
    db.session.commit()
    request = requests_service.send_request(supplier, event, rb.id, "Shall we talk radar?")
    outbox.clear()
    requests_service.respond(buyer, request, accept=accept)
    [sent] = outbox
    assert sent.to == supplier.email
    assert ("accepted" if accept else "declined") in sent.subject
    assert f"With: Bart Buyer ({rb.organisation_name})" in sent.body
    assert "Your message:\nShall we talk radar?" in sent.body
    assert "Need: Smart traffic lights for cyclists" in sent.body
    assert "Offering: Cyclist detection with radar" in sent.body
    assert f"/events/{event.id}/requests#request-{request.id}" in sent.body
    assert "Your meeting requests:" in sent.body and "Accept or decline" not in sent.body


def test_the_expiry_reminder_carries_the_requests_context(event, pair, buyer, supplier, outbox):
    rb, rs = pair
    buyer.language = "en"
    request = requests_service.send_request(supplier, event, rb.id, "")
    event.request_deadline = local_now() + timedelta(hours=3)
    db.session.commit()
    outbox.clear()
    assert requests_service.send_expiry_reminders() == 1
    [sent] = outbox
    assert sent.to == buyer.email and "expires" in sent.body
    assert f"With: Sofie Supplier ({rs.organisation_name})" in sent.body
    assert "They did not add a message." in sent.body
    assert "Need: Smart traffic lights for cyclists" in sent.body
    assert "Offering: Cyclist detection with radar" in sent.body
    assert "Accept or decline the request on the platform: " in sent.body
    assert f"/events/{event.id}/requests#request-{request.id}" in sent.body
