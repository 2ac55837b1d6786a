"""Both sides answer at the same moment (PostgreSQL): one match row, mutual, notified exactly once."""

import threading

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Match, Notification, User
from matchmaker.services import matching
from tests.factories import BUS_NEED, BUS_OFFERING


def _race(app, *actions) -> list:
    """Run the actions at once in threads, each with its own app context, session and connection."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(index, action):
        with app.test_request_context():
            try:
                barrier.wait(timeout=10)
                action()
                results[index] = "ok"
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                db.session.rollback()
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
def test_simultaneous_interest_makes_one_mutual_match_notified_once(
    app, make_buyer, make_supplier, make_need, make_offering
):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("race tests need PostgreSQL: set TEST_DATABASE_URL")
    buyer, supplier = make_buyer(), make_supplier()
    need_id, offering_id = make_need(buyer, BUS_NEED).id, make_offering(supplier, BUS_OFFERING).id
    buyer_id, supplier_id = buyer.user.id, supplier.user.id
    matching.snapshot()  # built once, before the race

    def answer(user_id):
        return lambda: matching.set_interest(
            db.session.get(User, user_id), need_id, offering_id, "interested"
        )

    for _round in range(5):
        results = _race(app, answer(buyer_id), answer(supplier_id))
        assert results == ["ok", "ok"], results
        db.session.expire_all()
        matches = db.session.scalars(sa.select(Match)).all()
        assert len(matches) == 1 and matches[0].is_mutual
        notified = db.session.scalars(sa.select(Notification.user_id)).all()
        assert sorted(notified) == sorted([buyer_id, supplier_id])
        db.session.execute(sa.delete(Notification))
        db.session.execute(sa.delete(Match))
        db.session.commit()
