"""What every request of a page pays, however large the platform: objects a request loaded are not loaded
again (issue 12's latency targets)."""

import gc

import pytest

from matchmaker.extensions import db
from matchmaker.models import Event, User
from matchmaker.services import registrations as registrations_service
from tests.helpers import counting

pytestmark = pytest.mark.usefixtures("request_context")


def _registration_alone(user_id: int, event_id: int):
    """The registration, with nothing else of the request kept (the agenda page's _own_registration)."""
    user = db.session.get(User, user_id)
    return registrations_service.registration_of(user, db.session.get(Event, event_id))


def test_a_registration_found_for_an_event_reads_that_event_without_a_query(event, supplier, register):
    register(supplier, event)
    user_id, event_id = supplier.id, event.id
    db.session.expunge_all()  # only what the test keeps below is referenced
    registration = _registration_alone(user_id, event_id)
    gc.collect()  # the session's identity map holds objects weakly
    with counting() as statements:
        assert registration.event.id == event_id
    assert statements == []


def test_finding_a_users_registration_reads_no_roles_and_keeps_that_user(event, supplier, register):
    """The user asked about is loaded already (a request's logged-in user, with its roles): joining it again
    made SQLAlchemy read its roles a second time on every agenda request, a query whose rows it dropped."""
    register(supplier, event)
    user_id, event_id = supplier.id, event.id
    db.session.expunge_all()
    user = db.session.get(User, user_id)
    found_in = db.session.get(Event, event_id)
    with counting() as statements:
        registration = registrations_service.registration_of(user, found_in)
    assert len(statements) == 1
    del user
    gc.collect()  # the registration holds on to its user, as it did when the user was joined
    with counting() as statements:
        assert registration.user.id == user_id and registration.user.role_names is not None
    assert statements == []
