"""The jobs that keep the shared matching index: queued by the catalogue in the transaction of the change,
run after its commit (at once in tests), a refit when the index drifted, the periodic upkeep."""

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Job, MatchItem, Offering
from matchmaker.services import ServiceError, catalogue, matching
from matchmaker.services.kernel import commit
from matchmaker.tasks import enqueue
from tests.factories import BUS_NEED, BUS_OFFERING, SENSOR_OFFERING


def _jobs(kind: str) -> list[Job]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Job).where(Job.kind == kind).order_by(Job.id)))


@pytest.fixture
def app_overrides():
    return {"MATCHES_REFIT_CHANGED": 1e9, "MATCHES_REFIT_UNKNOWN": 1e9}


@pytest.fixture
def pair(make_buyer, make_supplier, make_need, make_offering):
    buyer, supplier = make_buyer(), make_supplier()
    need = make_need(buyer, BUS_NEED)
    draft = make_offering(supplier, BUS_OFFERING, status="draft")
    make_offering(supplier, SENSOR_OFFERING)
    return buyer, supplier, need, draft


def test_publishing_queues_the_refresh_and_its_result_is_proposed(pair):
    buyer, supplier, need, draft = pair
    assert draft.id not in {p.offering.id for p in matching.proposals_for(need, buyer.user).proposals}

    catalogue.publish_offering(supplier.user, draft)

    jobs = _jobs("matching.refresh_item")
    assert [(j.payload, j.status) for j in jobs] == [({"item_kind": "offering", "item_id": draft.id}, "done")]
    proposals = matching.proposals_for(need, buyer.user).proposals
    assert proposals[0].offering.id == draft.id


def test_changes_made_in_bulk_are_indexed_by_one_refit_at_the_end(pair):
    """one_refit_after(): no refresh a change, one refit when the outer block ends, and proposals after it."""
    from matchmaker.services.matching.jobs import one_refit_after

    buyer, supplier, need, draft = pair
    refits = len(_jobs("matching.refit"))
    with one_refit_after():
        with one_refit_after():
            catalogue.publish_offering(supplier.user, draft)
        assert _jobs("matching.refit")[refits:] == []  # the inner block leaves it to the outer one
    assert _jobs("matching.refresh_item") == []
    assert [j.status for j in _jobs("matching.refit")[refits:]] == ["done"]
    assert matching.proposals_for(need, buyer.user).proposals[0].offering.id == draft.id
    with one_refit_after():
        pass  # nothing changed: nothing to refit
    assert len(_jobs("matching.refit")) == refits + 1


def test_the_demo_catalogue_is_indexed_by_one_refit(app):
    from matchmaker.demo.catalogue import seed_demo_catalogue

    seed_demo_catalogue()
    assert _jobs("matching.refresh_item") == []
    assert [j.status for j in _jobs("matching.refit")] == ["done"]
    assert db.session.scalar(sa.select(sa.func.count(MatchItem.item_id)).where(MatchItem.live.is_(True))) > 50


def test_a_refused_change_queues_nothing(pair):
    _buyer, supplier, _need, draft = pair
    draft.summary = ""
    db.session.commit()
    with pytest.raises(ServiceError):
        catalogue.publish_offering(supplier.user, draft)
    assert _jobs("matching.refresh_item") == []


def test_unpublishing_takes_the_offering_out_of_the_stored_pairs(pair):
    buyer, supplier, need, draft = pair
    catalogue.publish_offering(supplier.user, draft)
    catalogue.unpublish_offering(supplier.user, draft)

    generation = matching.served_generation()
    assert not db.session.get(MatchItem, (generation, "offering", draft.id)).live
    assert draft.id not in {p.offering.id for p in matching.proposals_for(need, buyer.user).proposals}


def test_drift_past_the_limit_queues_a_refit(app, pair):
    _buyer, supplier, _need, draft = pair
    app.config["MATCHES_REFIT_CHANGED"] = 0.1
    generation = matching.served_generation()

    # One more change is not enough, however large its share: two more are.
    app.config["MATCHES_REFIT_MIN_CHANGES"] = matching.index.drift().changes + 2
    catalogue.publish_offering(supplier.user, draft)
    assert _jobs("matching.refit") == []
    catalogue.unpublish_offering(supplier.user, draft)

    assert [j.status for j in _jobs("matching.refit")] == ["done"]
    assert matching.served_generation() == generation + 1
    assert matching.index.drift().changes == 0


def test_upkeep_refreshes_what_changed_behind_the_index(pair):
    buyer, _supplier, need, draft = pair
    draft.status = "published"  # no service, no job: as a cascade or a lost job would leave it
    db.session.commit()
    assert matching.out_of_date() == [("offering", draft.id)]

    enqueue("matching.upkeep")
    commit()

    assert matching.out_of_date() == []
    assert draft.id in {p.offering.id for p in matching.proposals_for(need, buyer.user).proposals}


def test_a_refresh_job_for_a_deleted_item_removes_it(pair):
    _buyer, supplier, _need, draft = pair
    catalogue.publish_offering(supplier.user, draft)
    offering_id = draft.id
    db.session.delete(db.session.get(Offering, offering_id))
    enqueue("matching.refresh_item", item_kind="offering", item_id=offering_id)
    commit()

    assert [j.status for j in _jobs("matching.refresh_item")] == ["done", "done"]
    assert not db.session.get(MatchItem, (matching.served_generation(), "offering", offering_id)).live
