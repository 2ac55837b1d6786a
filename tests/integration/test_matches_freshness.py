"""Every publish, edit or archive shows up in the proposals without a restart, also when it was made by
another process: here two more app instances on the same database, each with its own engine, session and
index, as two workers (or two hosts) would have. Nothing tells the second one about the change: it notices."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask, g
from flask_babel import refresh as refresh_babel

from matchmaker.extensions import db
from matchmaker.models import Offering, User
from matchmaker.services import matching
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
    """What a session cookie holds for these users (see Auth.login)."""
    return [user.get_id() for user in users]


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

    with second.app_context():
        terms_before = {
            t.offering.lower()
            for t in matching.localize(
                matching.snapshot().explanation_data(need_id, offering_id), "en"
            ).shared_terms
        }
    with first.app_context():
        item = db.session.get(Offering, offering_id)
        item.keywords = item.keywords + ", scholen"
        item.description = "Voor scholen: de sensor toont in elk klaslokaal wanneer verluchten nodig is."
        db.session.commit()
    with second.app_context():
        explanation = matching.localize(matching.snapshot().explanation_data(need_id, offering_id), "en")
        terms_after = {t.offering.lower() for t in explanation.shared_terms}

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


def test_the_index_is_reused_while_nothing_changes(
    worker, make_buyer, make_supplier, make_need, make_offering
):
    buyer, supplier = make_buyer(), make_supplier()
    make_need(buyer, SENSOR_NEED)
    make_offering(supplier, SENSOR_OFFERING)
    make_offering(supplier, BUS_OFFERING, status="draft")
    one = worker()

    with one.app_context():
        first = matching.snapshot()
        again = matching.snapshot()
    with one.app_context():
        later = matching.snapshot()

    assert first is again is later


def test_the_fingerprint_changes_with_every_change_that_matters(
    app, make_buyer, make_supplier, make_need, make_offering
):
    buyer, supplier = make_buyer(), make_supplier()
    need = make_need(buyer, SENSOR_NEED)
    offering = make_offering(supplier, SENSOR_OFFERING)
    draft = make_offering(supplier, BUS_OFFERING, status="draft")
    seen = [matching.catalogue_fingerprint()]

    def changed() -> bool:
        seen.append(matching.catalogue_fingerprint())
        return seen[-1] != seen[-2]

    offering.summary = "Een andere samenvatting."  # an edit of a published offering
    db.session.commit()
    assert changed()
    need.keywords = "sensor"  # an edit of an open need
    db.session.commit()
    assert changed()
    draft.summary = "Nog een ontwerp."  # a draft is not proposed: no change
    db.session.commit()
    assert not changed()
    draft.status = "published"  # publishing
    db.session.commit()
    assert changed()
    offering.status = "archived"  # and archiving, in the same count as before
    db.session.commit()
    assert changed()
    need.status = "closed"
    db.session.commit()
    assert changed()
