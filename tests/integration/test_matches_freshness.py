"""Every publish, edit or archive shows up in the proposals without a restart, also when it was made by
another process: here two more app instances on the same database, each with its own engine and session, as
two web workers (or hosts) would have. The change's job updates the shared index's stored rows, which every
process reads; a worker that caches a model replays the changes other workers applied."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask, g
from flask_babel import refresh as refresh_babel

from matchmaker.extensions import db
from matchmaker.models import Offering, User
from matchmaker.services import matching, user_sessions
from tests.factories import BUS_NEED, BUS_OFFERING, SENSOR_NEED, SENSOR_OFFERING
from tests.helpers import make_test_app


@pytest.fixture
def worker(database, app) -> Iterator:
    """Build more app instances on the test database ("workers"); each is torn down after the test."""
    made: list[Flask] = []

    def factory() -> Flask:
        other = make_test_app(database)

        @other.teardown_request
        def forget(exc):
            g.pop("_login_user", None)
            refresh_babel()

        made.append(other)
        return other

    yield factory
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def ids(*objects) -> list:
    """Plain values to carry into another instance: the test's own objects belong to the test app's session
    (using them under another instance would load their expired attributes through that instance's engine)."""
    return [obj.id for obj in objects]


def logins(*users: User) -> list[str]:
    """What a session cookie holds for these users: the secrets of new sessions (see Auth.login)."""
    return [user_sessions.start_session(user) for user in users]


@contextmanager
def logged_in(app: Flask, login: str):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = login
        session["_fresh"] = True
    with app.app_context():
        yield client


def test_an_offering_published_through_one_worker_is_proposed_through_another(
    worker, make_buyer, make_supplier, make_need, make_offering
):
    buyer, supplier = make_buyer(), make_supplier()
    need = make_need(buyer, BUS_NEED)
    offering = make_offering(supplier, BUS_OFFERING, status="draft")
    buyer_login, supplier_login = logins(buyer.user, supplier.user)
    need_id, offering_id = ids(need, offering)
    first, second = worker(), worker()

    with logged_in(second, buyer_login) as buyer_client:
        before = buyer_client.get("/matches/").get_data(as_text=True)
    with logged_in(first, supplier_login) as supplier_client:
        published = supplier_client.post(f"/catalogue/offerings/{offering_id}/publish")
    with logged_in(second, buyer_login) as buyer_client:
        after = buyer_client.get("/matches/").get_data(as_text=True)

    assert published.status_code == 302
    assert BUS_OFFERING["title"] not in before
    assert BUS_OFFERING["title"] in after
    assert f'id="proposal-{need_id}-{offering_id}"' in after


def test_an_edit_through_one_worker_changes_the_explanation_in_another(
    worker, make_buyer, make_supplier, make_need, make_offering
):
    buyer, supplier = make_buyer(), make_supplier()
    need = make_need(buyer, SENSOR_NEED)
    offering = make_offering(supplier, SENSOR_OFFERING)
    need_id, offering_id = ids(need, offering)
    first, second = worker(), worker()

    def explained():
        data = matching.explanation_datas([(need_id, offering_id, None)])[(need_id, offering_id)]
        return {t.offering.lower() for t in matching.localize(data, "en").shared_terms}

    with second.app_context():
        terms_before = explained()
    with first.app_context():
        item = db.session.get(Offering, offering_id)
        item.keywords = item.keywords + ", scholen"
        item.description = "Voor scholen: de sensor toont in elk klaslokaal wanneer verluchten nodig is."
        db.session.commit()
        matching.refresh_item("offering", offering_id)  # the job the catalogue's services queue
    with second.app_context():
        terms_after = explained()

    assert "scholen" not in terms_before
    assert "scholen" in terms_after


def test_an_offering_archived_through_one_worker_disappears_from_another(
    worker, make_buyer, make_supplier, make_need, make_offering
):
    buyer, supplier = make_buyer(), make_supplier()
    make_need(buyer, BUS_NEED)
    offering = make_offering(supplier, BUS_OFFERING)
    buyer_login, supplier_login = logins(buyer.user, supplier.user)
    (offering_id,) = ids(offering)
    first, second = worker(), worker()

    with logged_in(second, buyer_login) as buyer_client:
        before = buyer_client.get("/matches/").get_data(as_text=True)
    with logged_in(first, supplier_login) as supplier_client:
        archived = supplier_client.post(f"/catalogue/offerings/{offering_id}/archive")
    with logged_in(second, buyer_login) as buyer_client:
        after = buyer_client.get("/matches/").get_data(as_text=True)

    assert archived.status_code == 302
    assert BUS_OFFERING["title"] in before
    assert BUS_OFFERING["title"] not in after


def test_a_need_opened_through_one_worker_is_proposed_to_suppliers_of_another(
    worker, make_buyer, make_supplier, make_need, make_offering
):
    buyer, supplier = make_buyer(), make_supplier()
    need = make_need(buyer, SENSOR_NEED, status="draft")
    offering = make_offering(supplier, SENSOR_OFFERING)
    (buyer_login,) = logins(buyer.user)
    need_id, offering_id, supplier_id = ids(need, offering, supplier.user)
    first, second = worker(), worker()

    def proposed_needs() -> list[int]:
        item, viewer = db.session.get(Offering, offering_id), db.session.get(User, supplier_id)
        return [p.need.id for p in matching.proposals_for(item, viewer).proposals]

    with second.app_context():
        before = proposed_needs()
    with logged_in(first, buyer_login) as buyer_client:
        opened = buyer_client.post(f"/catalogue/needs/{need_id}/open")
    with second.app_context():
        after = proposed_needs()

    assert opened.status_code == 302
    assert before == []
    assert after == [need_id]


def test_a_worker_replays_the_changes_another_worker_applied(
    worker, make_buyer, make_supplier, make_need, make_offering
):
    """Each worker process caches the generation's model; changes applied by another worker reach it
    through match_item (replayed before its next change), so its scores include them."""
    buyer, supplier = make_buyer(), make_supplier()
    need = make_need(buyer, BUS_NEED)
    make_offering(supplier, SENSOR_OFFERING)
    offering = make_offering(supplier, BUS_OFFERING, status="draft")
    need_id, offering_id = ids(need, offering)
    first, second = worker(), worker()

    with second.app_context():
        before = matching.index._model(matching.served_generation()).index
        assert f"offering:{offering_id:010d}" not in before
    with first.app_context():
        item = db.session.get(Offering, offering_id)
        item.status = "published"
        db.session.commit()
        matching.refresh_item("offering", offering_id)
    with second.app_context():
        after = matching.index._model(matching.served_generation()).index
        ids_, _scores = after.side_scores(f"need:{need_id:010d}", "offering")

    assert after is before  # the same cached model, brought up to date
    assert f"offering:{offering_id:010d}" in ids_


def test_a_web_request_loads_no_model(client, auth, make_buyer, make_supplier, make_need, make_offering):
    buyer, supplier = make_buyer(), make_supplier()
    make_need(buyer, BUS_NEED)
    make_offering(supplier, BUS_OFFERING)
    matching.index.forget_models()
    auth.login(buyer.user)

    html = client.get("/matches/").get_data(as_text=True)

    assert BUS_OFFERING["title"] in html and "Why this proposal?" in html
    assert matching.index._models() == {}
