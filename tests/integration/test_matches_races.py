"""Both sides answer at the same moment (PostgreSQL): one match row, mutual, notified exactly once."""

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Match, Notification, User
from matchmaker.services import matching
from tests.factories import BUS_NEED, BUS_OFFERING
from tests.helpers import race, require_postgres


@pytest.mark.postgres
def test_simultaneous_interest_makes_one_mutual_match_notified_once(
    app, make_buyer, make_supplier, make_need, make_offering
):
    require_postgres()
    buyer, supplier = make_buyer(), make_supplier()
    need_id, offering_id = make_need(buyer, BUS_NEED).id, make_offering(supplier, BUS_OFFERING).id
    buyer_id, supplier_id = buyer.user.id, supplier.user.id
    assert matching.served_generation() is not None  # indexed by the factories, before the race

    def answer(user_id):
        return lambda: matching.set_interest(
            db.session.get(User, user_id), need_id, offering_id, "interested"
        )

    for _round in range(5):
        results = race(app, answer(buyer_id), answer(supplier_id), catch=Exception, timeout=60)
        assert results == ["ok", "ok"], results
        db.session.expire_all()
        matches = db.session.scalars(sa.select(Match)).all()
        assert len(matches) == 1 and matches[0].is_mutual
        notified = db.session.scalars(sa.select(Notification.user_id)).all()
        assert sorted(notified) == sorted([buyer_id, supplier_id])
        db.session.execute(sa.delete(Notification))
        db.session.execute(sa.delete(Match))
        db.session.commit()
