"""Needs: registering, the open/closed life cycle, budgets and deadlines, registered-only visibility."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Need, utcnow
from matchmaker.services import catalogue
from tests.factories import add_need
from tests.helpers import need_form


@pytest.fixture
def buyer(auth):
    return auth.login_as("buyer", language="en")


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Need))


def _only_need() -> Need:
    return db.session.scalars(sa.select(Need)).one()


def test_new_need_form_renders(client, buyer):
    response = client.get("/catalogue/needs/new")
    assert response.status_code == 200
    assert b'name="budget_min"' in response.data
    assert b'name="registered_only"' in response.data


def test_buyer_registers_a_draft_need(client, buyer):
    response = client.post("/catalogue/needs/new", data=need_form(registered_only="y", cpv_codes="34996000"))
    need = _only_need()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/catalogue/needs/{need.id}")
    assert need.status == "draft"
    assert need.organisation_id == buyer.organisation.id
    assert (need.budget_min, need.budget_max) == (50_000, 150_000)
    assert need.procurement_route == "pre_commercial_procurement"
    assert need.registered_only is True
    assert need.cpv_codes == ["34996000"]


@pytest.mark.parametrize(("typed", "stored"), [("150.000", 150_000), ("€ 150 000", 150_000), ("2500", 2_500)])
def test_budget_accepts_common_ways_of_writing_amounts(client, buyer, typed, stored):
    client.post("/catalogue/needs/new", data=need_form(budget_min="", budget_max=typed))
    assert _only_need().budget_max == stored


def test_budget_and_deadline_may_be_left_empty(client, buyer):
    client.post("/catalogue/needs/new", data=need_form(budget_min="", budget_max="", deadline=""))
    need = _only_need()
    assert (need.budget_min, need.budget_max, need.deadline) == (None, None, None)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"budget_min": "200000", "budget_max": "100000"},
            "The maximum budget must be at least the minimum budget.",
        ),
        ({"budget_min": "-5"}, "Number must be between 0 and"),
        ({"budget_max": "veel"}, "Not a valid integer value."),
        (
            {"deadline": (utcnow().date() - timedelta(days=1)).isoformat()},
            "The deadline cannot be in the past.",
        ),
        ({"deadline": "31/02/2027"}, "Not a valid date value."),
        ({"title": ""}, "This field is required."),
        ({"title": "t" * 201}, "Field cannot be longer than 200 characters."),
        ({"procurement_route": "handshake"}, "Not a valid choice."),
        ({"cpv_codes": "12345678"}, "Unknown CPV code(s): 12345678."),
    ],
)
def test_bad_need_input_is_refused_with_a_message_and_kept(client, buyer, overrides, message):
    data = need_form(**overrides)
    data["summary"] = "kept-summary-77"
    response = client.post("/catalogue/needs/new", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert b"kept-summary-77" in response.data
    assert _count() == 0


def test_supplier_cannot_register_needs(client, auth):
    auth.login_as("supplier")
    assert client.get("/catalogue/needs/new").status_code == 403
    assert client.post("/catalogue/needs/new", data=need_form()).status_code == 403
    assert _count() == 0


def test_my_needs_lists_own_needs(client, buyer):
    add_need(buyer, title="Onze uitdaging")
    assert "Onze uitdaging" in client.get("/catalogue/needs/mine").get_data(as_text=True)


def test_preview_renders_the_challenge_without_saving(client, buyer):
    response = client.post(
        "/catalogue/needs/new", data=need_form(challenge="Een *lastige* vraag", action="preview")
    )
    assert b"<em>lastige</em>" in response.data
    assert _count() == 0


# -- life cycle ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "action", "end"),
    [
        ("draft", "open", "open"),
        ("open", "close", "closed"),
        ("closed", "open", "open"),
        ("open", "unpublish", "draft"),
        ("open", "archive", "archived"),
        ("closed", "archive", "archived"),
        ("draft", "archive", "archived"),
        ("archived", "restore", "draft"),
    ],
)
def test_need_transitions(client, buyer, start, action, end):
    need = add_need(buyer, status=start)
    client.post(f"/catalogue/needs/{need.id}/{action}")
    db.session.refresh(need)
    assert need.status == end


@pytest.mark.parametrize(
    ("start", "action"),
    [
        ("draft", "close"),
        ("draft", "unpublish"),
        ("open", "open"),
        ("closed", "close"),
        ("archived", "open"),
        ("archived", "close"),
        ("open", "restore"),
    ],
)
def test_impossible_need_transitions_are_refused(client, buyer, start, action):
    need = add_need(buyer, status=start)
    response = client.post(f"/catalogue/needs/{need.id}/{action}", follow_redirects=True)
    assert "This is not possible in the item&#39;s current status." in response.get_data(as_text=True)
    db.session.refresh(need)
    assert need.status == start


def test_opening_sets_published_at_and_closing_sets_closed_at(client, buyer):
    need = add_need(buyer)
    client.post(f"/catalogue/needs/{need.id}/open")
    client.post(f"/catalogue/needs/{need.id}/close")
    db.session.refresh(need)
    assert need.published_at is not None
    assert need.closed_at is not None


def test_a_need_whose_deadline_passed_cannot_be_reopened(client, buyer):
    need = add_need(buyer, status="closed")
    need.deadline = utcnow().date() - timedelta(days=3)
    db.session.commit()
    response = client.post(f"/catalogue/needs/{need.id}/open", follow_redirects=True)
    assert "The deadline has passed" in response.get_data(as_text=True)
    db.session.refresh(need)
    assert need.status == "closed"


def test_an_unchanged_past_deadline_does_not_block_other_edits(client, buyer):
    need = add_need(buyer, status="closed")
    past = utcnow().date() - timedelta(days=3)
    need.deadline = past
    db.session.commit()
    response = client.post(
        f"/catalogue/needs/{need.id}/edit",
        data=need_form(title="Bijgewerkt", deadline=past.isoformat(), version=str(need.version)),
    )
    assert response.status_code == 302
    db.session.refresh(need)
    assert need.title == "Bijgewerkt"


def test_opening_needs_a_challenge(client, buyer):
    need = add_need(buyer, challenge="")
    response = client.post(f"/catalogue/needs/{need.id}/open", follow_redirects=True)
    assert "Complete these fields before publishing: Challenge." in response.get_data(as_text=True)


# -- optimistic locking ----------------------------------------------------------------------------


def test_later_save_of_a_need_on_an_old_version_is_refused_and_keeps_the_typed_text(client, buyer):
    need = add_need(buyer)
    with client.application.test_request_context():
        catalogue.update_need(buyer, need, catalogue.NeedInput(title="Eerst opgeslagen"), expected_version=1)
    response = client.post(
        f"/catalogue/needs/{need.id}/edit", data=need_form(challenge="Mijn lange uitleg", version="1")
    )
    assert response.status_code == 409
    assert "Mijn lange uitleg" in response.get_data(as_text=True)
    db.session.refresh(need)
    assert need.title == "Eerst opgeslagen"


# -- visibility and permissions --------------------------------------------------------------------


def test_open_need_is_public(client, buyer, auth):
    need = add_need(buyer, status="open")
    auth.logout()
    response = client.get(f"/catalogue/needs/{need.id}")
    assert response.status_code == 200
    assert b"Minder files rond schoolpoorten" in response.data


def test_closed_need_leaves_public_view_and_its_organisation_still_sees_it(client, buyer, auth):
    """Issue 13: no public page shows anything of a closed item. Its organisation keeps it, marked closed."""
    need = add_need(buyer, status="closed")
    auth.login_as("supplier", language="en")
    assert client.get(f"/catalogue/needs/{need.id}").status_code == 404
    assert b"Minder files rond schoolpoorten" not in client.get("/catalogue/needs?status=closed").data
    auth.logout()
    assert client.get(f"/catalogue/needs/{need.id}").status_code == 404
    auth.login(buyer)
    response = client.get(f"/catalogue/needs/{need.id}")
    assert response.status_code == 200
    assert b"This need is closed" in response.data


def test_registered_only_need_asks_anonymous_visitors_to_log_in(client, buyer, auth):
    need = add_need(buyer, status="open", registered_only=True)
    auth.logout()
    response = client.get(f"/catalogue/needs/{need.id}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_registered_only_need_is_shown_to_logged_in_users(client, buyer, auth):
    need = add_need(buyer, status="open", registered_only=True)
    auth.login_as("supplier")
    assert client.get(f"/catalogue/needs/{need.id}").status_code == 200


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_unpublished_need_is_hidden_from_others(client, buyer, auth, status):
    need = add_need(buyer, status=status)
    auth.login_as("buyer")
    assert client.get(f"/catalogue/needs/{need.id}").status_code == 404
    auth.logout()
    assert client.get(f"/catalogue/needs/{need.id}").status_code == 404


WRITE_ROUTES = [
    ("get", "/catalogue/needs/{id}/edit"),
    ("post", "/catalogue/needs/{id}/edit"),
    ("post", "/catalogue/needs/{id}/open"),
    ("post", "/catalogue/needs/{id}/close"),
    ("post", "/catalogue/needs/{id}/unpublish"),
    ("post", "/catalogue/needs/{id}/archive"),
    ("post", "/catalogue/needs/{id}/restore"),
]


@pytest.mark.parametrize(("method", "url"), WRITE_ROUTES)
def test_other_government_organisation_gets_403_on_an_open_need(client, buyer, auth, method, url):
    need = add_need(buyer, status="open")
    auth.login_as("buyer")
    response = getattr(client, method)(url.format(id=need.id), data=need_form(title="Gekaapt", version="2"))
    assert response.status_code == 403
    db.session.refresh(need)
    assert (need.title, need.status) == ("Minder files rond schoolpoorten", "open")


@pytest.mark.parametrize(("method", "url"), WRITE_ROUTES)
def test_other_organisation_gets_404_on_a_draft_need(client, buyer, auth, method, url):
    need = add_need(buyer)
    auth.login_as("supplier")
    response = getattr(client, method)(url.format(id=need.id), data=need_form(title="Gekaapt", version="1"))
    assert response.status_code == 404


@pytest.mark.parametrize(("method", "url"), [r for r in WRITE_ROUTES if r[0] == "post"])
def test_anonymous_writes_on_needs_are_refused(client, buyer, auth, method, url):
    need = add_need(buyer, status="open")
    auth.logout()
    response = client.post(url.format(id=need.id), data=need_form(title="Gekaapt", version="2"))
    assert response.status_code == 403
    db.session.refresh(need)
    assert need.status == "open"


def test_detail_page_shows_budget_and_route(client, buyer):
    need = add_need(buyer, status="open")
    page = client.get(f"/catalogue/needs/{need.id}").get_data(as_text=True)
    assert "50,000" in page and "150,000" in page
    assert "Pre-commercial procurement" in page
