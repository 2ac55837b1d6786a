"""Conversations between organisations about a need or an offering (issue 15): who may start, read and reply,
unread counts, blocking, reporting (administrators read reported threads only), the daily limits, the mails,
and a need's public questions."""

import re

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    Conversation,
    EmailMode,
    Membership,
    Message,
    NotificationPreference,
    Organisation,
)
from matchmaker.services import NotAllowed, NotFound
from matchmaker.services import conversations as service
from tests.factories import add_need, add_offering

pytestmark = pytest.mark.usefixtures("english_request_context")


@pytest.fixture
def buyer(make_buyer):
    return make_buyer(display_name="Bea Buyer")


@pytest.fixture
def supplier(make_supplier):
    return make_supplier(display_name="Sam Supplier")


@pytest.fixture
def need(buyer):
    return add_need(buyer.user, status="open", title="Smart traffic lights")


@pytest.fixture
def conversation(supplier, need):
    return service.start_conversation(supplier.user, need, "Could our radar help?")


def _start(client, need, body="Hello, we have a solution."):
    return client.post(f"/messages/new/need/{need.id}", data={"body": body})


# --- starting ------------------------------------------------------------------------------------------


def test_a_supplier_writes_to_the_buyer_behind_an_open_need(client, auth, supplier, need):
    auth.login(supplier.user)
    page = client.get(f"/messages/new/need/{need.id}")
    assert page.status_code == 200
    response = _start(client, need)
    assert response.status_code == 302
    conversation = db.session.scalars(sa.select(Conversation)).one()
    assert conversation.starter_organisation_id == supplier.organisation.id
    assert conversation.recipient_organisation_id == need.organisation_id
    assert [m.body for m in conversation.messages] == ["Hello, we have a solution."]
    thread = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Smart traffic lights" in thread and "Hello, we have a solution." in thread


def test_writing_again_about_the_same_item_continues_the_conversation(supplier, need, conversation):
    again = service.start_conversation(supplier.user, need, "One more thing.")
    assert again.id == conversation.id
    assert db.session.scalar(sa.select(sa.func.count(Conversation.id))) == 1
    assert len(conversation.messages) == 2


@pytest.mark.parametrize("status", ["draft", "archived", "closed"])
def test_no_conversation_about_a_need_that_is_not_open(client, auth, supplier, buyer, status):
    need = add_need(buyer.user, status=status)
    auth.login(supplier.user)
    assert _start(client, need).status_code in (404, 422)
    assert db.session.scalar(sa.select(sa.func.count(Conversation.id))) == 0


def test_no_conversation_about_a_draft_offering(client, auth, buyer, supplier):
    offering = add_offering(supplier.user, status="draft")
    auth.login(buyer.user)
    assert client.post(f"/messages/new/offering/{offering.id}", data={"body": "Hi"}).status_code == 404


def test_a_buyer_writes_about_a_published_offering(client, auth, buyer, supplier):
    offering = add_offering(supplier.user, status="published", title="Radar box")
    auth.login(buyer.user)
    page = client.get(f"/catalogue/offerings/{offering.id}").get_data(as_text=True)
    assert "Start a conversation" in page
    assert client.post(f"/messages/new/offering/{offering.id}", data={"body": "Price?"}).status_code == 302


def test_no_conversation_about_an_item_of_a_suspended_organisation(client, auth, supplier, buyer, need):
    buyer.organisation.verification = "suspended"
    db.session.commit()
    auth.login(supplier.user)
    assert _start(client, need).status_code == 404  # the need is no longer public
    assert db.session.scalar(sa.select(sa.func.count(Conversation.id))) == 0


def test_no_conversation_about_an_own_item(buyer, need, make_user):
    colleague = make_user(roles=("buyer",))
    db.session.add(Membership(user=colleague, organisation=buyer.organisation))
    db.session.commit()
    with pytest.raises(NotAllowed):
        service.start_conversation(colleague, need, "Hello colleague")


def test_a_user_without_organisation_cannot_write(make_user, need):
    loner = make_user()
    assert service.why_not_start(loner, need) is not None
    with pytest.raises(NotAllowed):
        service.start_conversation(loner, need, "Hi")


def test_an_empty_or_too_long_message_is_refused(client, auth, supplier, need):
    auth.login(supplier.user)
    assert _start(client, need, body="   ").status_code == 422
    assert _start(client, need, body="x" * 5001).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 0


# --- reading and replying ------------------------------------------------------------------------------


def test_the_buyer_answers_from_the_inbox(client, auth, buyer, conversation):
    auth.login(buyer.user)
    inbox = client.get("/messages/").get_data(as_text=True)
    assert "Smart traffic lights" in inbox and "1 unread" in inbox
    response = client.post(f"/messages/{conversation.id}/reply", data={"body": "Yes, tell us more."})
    assert response.status_code == 302
    assert [m.body for m in conversation.messages][-1] == "Yes, tell us more."


def test_members_of_an_organisation_share_its_conversations(client, auth, buyer, conversation, make_user):
    colleague = make_user(roles=("buyer",))
    db.session.add(Membership(user=colleague, organisation=buyer.organisation))
    db.session.commit()
    auth.login(colleague)
    assert client.get(f"/messages/{conversation.id}").status_code == 200


def test_another_organisation_cannot_see_or_answer_a_thread(client, auth, make_supplier, conversation):
    intruder = make_supplier()
    auth.login(intruder.user)
    assert client.get(f"/messages/{conversation.id}").status_code == 404
    assert client.post(f"/messages/{conversation.id}/reply", data={"body": "Hi"}).status_code == 404
    assert "Smart traffic lights" not in client.get("/messages/").get_data(as_text=True)


def test_unread_counts_follow_reading(client, auth, buyer, supplier, need, conversation):
    assert service.unread_total(buyer.user) == 1
    assert service.unread_total(supplier.user) == 0  # one's own message is read
    service.start_conversation(supplier.user, need, "And another.")
    assert service.unread_total(buyer.user) == 2
    assert service.threads_of(buyer.user)[0].unread == 2
    auth.login(buyer.user)
    home = client.get("/messages/").get_data(as_text=True)
    assert "2 unread" in home
    client.get(f"/messages/{conversation.id}")
    assert service.unread_total(buyer.user) == 0
    service.reply(buyer.user, conversation, "Answer")
    assert service.unread_total(supplier.user) == 1


def _badges(html: str) -> tuple[str | None, str | None]:
    """The menu's unread counts as shown: (notifications, messages), None where there is no badge."""
    shown = []
    for link in ("notifications-link", "messages-link"):
        anchor = re.search(rf'class="nav-link {link}[^"]*".*?</a>', html, re.S).group(0)
        badge = re.search(r'text-bg-danger">(\d+)<', anchor)
        shown.append(badge.group(1) if badge else None)
    return shown[0], shown[1]


def test_the_menu_badges_are_one_statement_read_after_the_page_changed_things(
    client, auth, buyer, supplier, need, conversation
):
    """The two badges are read together when the menu is drawn, and every page reads them anew: after a
    thread was read (with its notification), after a new message, after marking the notifications read."""
    from matchmaker.services import notifications
    from tests.helpers import counting

    notifications.notify(buyer.user, "registration_approved", event="Water day")
    unread = str(notifications.unread_count(buyer.user))  # the new message's notification too
    assert unread == "2"
    auth.login(buyer.user)
    with counting() as statements:
        inbox = client.get("/messages/").get_data(as_text=True)
    assert _badges(inbox) == (unread, "1")
    counts = [s for s in statements if "count(notification.id)" in s]
    assert len(counts) == 1 and "count(conversation_message.id)" in counts[0]  # both badges, one statement
    # The thread is drawn with what was new before it is marked read.
    assert _badges(client.get(f"/messages/{conversation.id}").get_data(as_text=True)) == (unread, "1")
    assert _badges(client.get("/messages/").get_data(as_text=True)) == ("1", None)
    service.start_conversation(supplier.user, need, "And another.")
    # Logged in again: the service call ran in the application context that the test shares with its client's
    # requests, and the next request found no one logged in there.
    auth.login(buyer.user)
    assert _badges(client.get("/notifications/").get_data(as_text=True)) == ("2", "1")
    assert client.post("/notifications/read-all").status_code == 302
    assert _badges(client.get("/messages/").get_data(as_text=True)) == (None, "1")


# --- notifications and mails ---------------------------------------------------------------------------


def test_a_new_message_mails_the_other_side_with_a_link_back(outbox, buyer, supplier, need):
    conversation = service.start_conversation(supplier.user, need, "Our radar counts bikes. " * 30)
    mails = [m for m in outbox if m.to == [buyer.user.email] or buyer.user.email in str(m.to)]
    assert len(mails) == 1
    text = mails[0].body
    assert "Sam Supplier" in text and supplier.organisation.name in text
    assert "Smart traffic lights" in text
    assert f"/catalogue/needs/{need.id}" in text
    assert f"/messages/{conversation.id}" in text
    assert "Our radar counts bikes." in text and "…" in text  # an excerpt, not the whole message
    assert "replies to this email are not read" in text
    assert not [m for m in outbox if supplier.user.email in str(m.to)]


def test_the_mail_follows_the_email_settings(outbox, buyer, supplier, need):
    db.session.add(NotificationPreference(user_id=buyer.user.id, email_mode=EmailMode.NONE))
    db.session.commit()
    service.start_conversation(supplier.user, need, "Hello")
    assert not [m for m in outbox if buyer.user.email in str(m.to)]
    assert service.unread_total(buyer.user) == 1


# --- blocking and reporting ----------------------------------------------------------------------------


def test_a_blocked_sender_can_no_longer_write(client, auth, buyer, supplier, need, conversation):
    auth.login(buyer.user)
    response = client.post(f"/messages/{conversation.id}/block", data={"sender_id": supplier.user.id})
    assert response.status_code == 302
    with pytest.raises(NotAllowed):
        service.reply(supplier.user, conversation, "Let me in")
    with pytest.raises(NotAllowed):
        service.start_conversation(supplier.user, need, "Again")
    service.unblock_sender(buyer.user, conversation, supplier.user.id)
    service.reply(supplier.user, conversation, "Thanks")


def test_the_thread_offers_to_unblock_a_blocked_sender(client, auth, buyer, supplier, conversation):
    service.block_sender(buyer.user, conversation, supplier.user.id)
    auth.login(buyer.user)
    page = client.get(f"/messages/{conversation.id}").get_data(as_text=True)
    assert "Unblock Sam Supplier" in page
    assert (
        client.post(f"/messages/{conversation.id}/unblock", data={"sender_id": supplier.user.id}).status_code
        == 302
    )
    assert not service.is_blocked(buyer.organisation.id, supplier.user.id)


def test_only_senders_of_the_other_side_can_be_blocked(client, auth, buyer, conversation):
    auth.login(buyer.user)
    client.post(f"/messages/{conversation.id}/block", data={"sender_id": buyer.user.id})
    assert not service.is_blocked(buyer.organisation.id, buyer.user.id)


def test_administrators_read_reported_threads_only(client, auth, make_user, buyer, supplier, conversation):
    admin = make_user(roles=("admin",))
    auth.login(admin)
    assert client.get(f"/messages/{conversation.id}").status_code == 404
    service.report_conversation(buyer.user, conversation, "Spam")
    assert client.get("/messages/reported").status_code == 200
    page = client.get(f"/messages/{conversation.id}")
    assert page.status_code == 200 and "Could our radar help?" in page.get_data(as_text=True)
    assert client.post(f"/messages/{conversation.id}/reply", data={"body": "Admin"}).status_code == 404
    client.post(f"/messages/{conversation.id}/handled")
    assert service.reported_conversations(admin)[0][2] is True


def test_participants_report_through_the_thread(client, auth, supplier, conversation):
    auth.login(supplier.user)
    assert client.post(f"/messages/{conversation.id}/report", data={"reason": ""}).status_code == 422
    assert client.post(f"/messages/{conversation.id}/report", data={"reason": "Rude"}).status_code == 302
    assert service.is_reported(conversation)


def test_non_administrators_do_not_see_the_reported_list(client, auth, buyer):
    auth.login(buyer.user)
    assert client.get("/messages/reported").status_code == 403


# --- limits --------------------------------------------------------------------------------------------


def test_the_daily_number_of_new_conversations_is_limited(monkeypatch, buyer, supplier):
    monkeypatch.setattr(service, "CONVERSATIONS_PER_DAY", 2)
    needs = [add_need(buyer.user, status="open", title=f"Need {n}") for n in range(3)]
    service.start_conversation(supplier.user, needs[0], "1")
    service.start_conversation(supplier.user, needs[1], "2")
    with pytest.raises(service.TooMany, match="last 24 hours"):
        service.start_conversation(supplier.user, needs[2], "3")
    service.start_conversation(supplier.user, needs[0], "a follow-up is not a new conversation")


def test_the_daily_number_of_messages_is_limited(monkeypatch, supplier, need, conversation):
    monkeypatch.setattr(service, "MESSAGES_PER_DAY", 2)
    service.reply(supplier.user, conversation, "2")
    with pytest.raises(service.TooMany):
        service.reply(supplier.user, conversation, "3")


@pytest.mark.parametrize("app_overrides", [{"RATELIMIT_ENABLED": True}], indirect=True)
def test_the_post_routes_are_rate_limited(app, client, auth, supplier, need):
    app.config["CONVERSATION_RATE_LIMIT"] = "2 per minute"
    auth.login(supplier.user)
    codes = [_start(client, need, body=f"m{n}").status_code for n in range(3)]
    assert codes[:2] == [302, 302] and codes[2] == 429


# --- public questions ----------------------------------------------------------------------------------


def test_public_questions_replace_private_conversations(client, auth, buyer, supplier, need, outbox):
    auth.login(buyer.user)
    client.post(f"/messages/needs/{need.id}/questions/mode", data={"mode": "public"})
    assert need.public_questions
    auth.login(supplier.user)
    page = client.get(f"/catalogue/needs/{need.id}").get_data(as_text=True)
    assert "treat everyone equally" in page
    assert _start(client, need).status_code == 422
    assert (
        client.post(f"/messages/needs/{need.id}/questions", data={"body": "What budget?"}).status_code == 302
    )
    question = service.open_questions(buyer.user, need)[0]
    auth.login(buyer.user)
    client.post(f"/messages/questions/{question.id}/answer", data={"body": "Up to 100k."})
    auth.logout()
    public = client.get(f"/catalogue/needs/{need.id}").get_data(as_text=True)
    assert "What budget?" in public and "Up to 100k." in public
    assert "Sam Supplier" not in public and supplier.organisation.name not in public


def test_only_the_buyer_answers_questions(client, auth, buyer, supplier, need, make_supplier):
    service.set_question_mode(buyer.user, need, "public")
    question = service.ask_question(supplier.user, need, "When?")
    other = make_supplier()
    auth.login(other.user)
    assert client.post(f"/messages/questions/{question.id}/answer", data={"body": "Never"}).status_code == 404
    with pytest.raises(NotFound):
        service.answer_question(other.user, question, "Never")
    with pytest.raises(NotAllowed):
        service.set_question_mode(supplier.user, need, "private")


def test_organisation_names_stay_in_the_other_organisation(buyer, supplier, conversation):
    assert conversation.other_organisation(buyer.organisation.id).id == supplier.organisation.id
    assert isinstance(conversation.other_organisation(supplier.organisation.id), Organisation)
