"""How market players may ask about a need (issue 15): the buyer chooses private conversations only, public
questions only (a prior market consultation must treat everyone equally), or both; the need's page and the
conversation form offer what the buyer allows and say why when something is not offered. Answers published
earlier stay on the page when the buyer goes back to private questions."""

import re

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Conversation, Need, NeedQuestion
from matchmaker.services import NotAllowed
from matchmaker.services import conversations as service
from tests.factories import add_need
from tests.helpers import need_form

pytestmark = pytest.mark.usefixtures("english_request_context")

EQUAL = "a prior market consultation must treat everyone equally"


@pytest.fixture
def buyer(make_buyer):
    return make_buyer(display_name="Bea Buyer")


@pytest.fixture
def supplier(make_supplier):
    return make_supplier(display_name="Sam Supplier")


@pytest.fixture
def need(buyer):
    return add_need(buyer.user, status="open", title="Smart traffic lights")


def _choose(client, auth, buyer, need, mode: str):
    auth.login(buyer.user)
    response = client.post(f"/messages/needs/{need.id}/questions/mode", data={"mode": mode})
    assert response.status_code == 302
    db.session.expire_all()


def _page(client, need) -> str:
    response = client.get(f"/catalogue/needs/{need.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _start(client, need):
    return client.post(f"/messages/new/need/{need.id}", data={"body": "Could our radar help?"})


def _ask(client, need, body="What budget?"):
    return client.post(f"/messages/needs/{need.id}/questions", data={"body": body})


START_LINK = 'href="/messages/new/need/{id}"'
ASK_FORM = 'action="/messages/needs/{id}/questions"'


def test_public_questions_only(client, auth, buyer, supplier, need):
    _choose(client, auth, buyer, need, "public")
    assert (need.public_questions, need.private_conversations) == (True, False)
    auth.login(supplier.user)
    page = _page(client, need)
    assert EQUAL in page and "Ask a public question" in page and ASK_FORM.format(id=need.id) in page
    assert START_LINK.format(id=need.id) not in page
    form = client.get(f"/messages/new/need/{need.id}").get_data(as_text=True)
    assert EQUAL in form and f'href="/catalogue/needs/{need.id}#questions"' in form
    assert _start(client, need).status_code == 422
    assert _ask(client, need).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Conversation.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(NeedQuestion.id))) == 1


def test_public_questions_and_private_conversations(client, auth, buyer, supplier, need):
    _choose(client, auth, buyer, need, "both")
    assert (need.public_questions, need.private_conversations) == (True, True)
    auth.login(supplier.user)
    page = _page(client, need)
    assert START_LINK.format(id=need.id) in page and ASK_FORM.format(id=need.id) in page
    assert "You may also write to them privately." in page and EQUAL in page
    form = client.get(f"/messages/new/need/{need.id}").get_data(as_text=True)
    assert "also answers questions about this need publicly" in form and EQUAL in form
    assert _start(client, need).status_code == 302
    assert _ask(client, need).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Conversation.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(NeedQuestion.id))) == 1


def test_private_conversations_only(client, auth, buyer, supplier, need):
    assert service.question_mode(need) == "private"  # the default
    auth.login(supplier.user)
    page = _page(client, need)
    assert START_LINK.format(id=need.id) in page
    assert "Ask a public question" not in page and 'id="questions"' not in page
    assert "also answers questions about this need publicly" not in client.get(
        f"/messages/new/need/{need.id}"
    ).get_data(as_text=True)
    refused = _ask(client, need)  # from a page loaded before the buyer changed their choice
    assert refused.status_code == 302 and refused.headers["Location"].endswith("#questions")
    assert "This need takes no public questions." in _page(client, need)
    assert db.session.scalar(sa.select(sa.func.count(NeedQuestion.id))) == 0
    assert _start(client, need).status_code == 302


@pytest.mark.parametrize(("mode", "may_write"), [("private", True), ("public", False), ("both", True)])
def test_proposal_and_search_cards_offer_a_conversation_as_the_buyer_allows(
    buyer, supplier, need, mode, may_write
):
    service.set_question_mode(buyer.user, need, mode)
    assert (service.why_not_start(supplier.user, need) is None) is may_write


def test_going_back_to_private_keeps_the_published_answers(client, auth, buyer, supplier, need):
    _choose(client, auth, buyer, need, "public")
    question = service.ask_question(supplier.user, need, "What budget?")
    service.answer_question(buyer.user, question, "Up to 100k.")
    waiting = service.ask_question(supplier.user, need, "Which deadline?")
    _choose(client, auth, buyer, need, "private")
    assert (need.public_questions, need.private_conversations) == (False, True)

    owner = _page(client, need)
    assert "Which deadline?" in owner and f'action="/messages/questions/{waiting.id}/answer"' in owner
    auth.logout()
    public = _page(client, need)
    assert "What budget?" in public and "Up to 100k." in public
    assert "The answers given earlier stay here" in public
    assert "Sam Supplier" not in public and "Which deadline?" not in public
    auth.login(supplier.user)
    page = _page(client, need)
    assert START_LINK.format(id=need.id) in page and ASK_FORM.format(id=need.id) not in page


def test_the_need_page_explains_the_choices_to_the_buyer(client, auth, buyer, need):
    _choose(client, auth, buyer, need, "both")
    page = _page(client, need)
    assert "How may market players ask their questions?" in page
    assert "you must treat every market player equally" in page
    assert "what you tell one market player there, the others do not learn" in page
    [both] = re.findall(r'<input[^>]*value="both"[^>]*>', page)
    assert "checked" in both and len(re.findall(r"<input[^>]*checked[^>]*>", page)) == 1
    for label in ("Privately only", "Publicly only", "Publicly, and privately too"):
        assert label in page


@pytest.mark.parametrize("value", ["", "everyone", "PUBLIC"])
def test_a_bad_choice_is_refused_with_a_message(client, auth, buyer, need, value):
    auth.login(buyer.user)
    response = client.post(
        f"/messages/needs/{need.id}/questions/mode", data={"mode": value}, follow_redirects=True
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert service.question_mode(need) == "private"
    text = response.get_data(as_text=True)
    assert "Choose how market players may ask their questions." in text or "Not a valid choice" in text


def test_another_organisation_cannot_change_the_choice(client, auth, buyer, supplier, need, make_buyer):
    other = make_buyer(display_name="Olga Other")
    for user in (other.user, supplier.user):
        auth.login(user)
        response = client.post(f"/messages/needs/{need.id}/questions/mode", data={"mode": "public"})
        assert response.status_code == 404
        assert "How may market players ask their questions?" not in _page(client, need)
    auth.logout()
    assert client.post(f"/messages/needs/{need.id}/questions/mode", data={"mode": "public"}).status_code in (
        302,
        401,
    )
    db.session.expire_all()
    assert service.question_mode(need) == "private"
    with pytest.raises(NotAllowed):
        service.set_question_mode(other.user, need, "public")


# --- the need form ---------------------------------------------------------------------------------------


def test_the_need_form_explains_and_sets_the_choice(client, auth, buyer):
    auth.login(buyer.user)
    page = client.get("/catalogue/needs/new").get_data(as_text=True)
    assert "How may market players ask their questions?" in page
    assert "you must treat every market player equally" in page
    [private] = re.findall(r'<input[^>]*value="private"[^>]*>', page)
    assert "checked" in private  # a new need takes private conversations, as before
    response = client.post("/catalogue/needs/new", data=need_form(question_mode="both"))
    assert response.status_code == 302
    need = db.session.scalars(sa.select(Need)).one()
    assert service.question_mode(need) == "both"

    edit = client.get(f"/catalogue/needs/{need.id}/edit").get_data(as_text=True)
    [both] = re.findall(r'<input[^>]*value="both"[^>]*>', edit)
    assert "checked" in both
    data = need_form(question_mode="public", version=str(need.version))
    assert client.post(f"/catalogue/needs/{need.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    assert service.question_mode(need) == "public"


def test_a_need_form_without_the_choice_keeps_it(client, auth, buyer, need):
    """A page loaded before the choice was on the form posts without it: the choice made stays."""
    service.set_question_mode(buyer.user, need, "public")
    auth.login(buyer.user)
    data = need_form(version=str(need.version))
    data.pop("question_mode", None)
    assert client.post(f"/catalogue/needs/{need.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    assert service.question_mode(need) == "public"


def test_a_bad_choice_on_the_need_form_is_a_message(client, auth, buyer):
    auth.login(buyer.user)
    response = client.post("/catalogue/needs/new", data=need_form(question_mode="nobody"))
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Need.id))) == 0
