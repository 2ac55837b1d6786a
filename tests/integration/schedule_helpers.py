"""Fixtures of the schedule tests: an event with buyers, suppliers and meeting requests (no tests here)."""

from dataclasses import dataclass

import pytest

from matchmaker.extensions import db
from matchmaker.models import Event, MeetingRequest, Registration, RequestStatus, utcnow


@dataclass
class Setup:
    event: Event
    buyers: list[Registration]
    suppliers: list[Registration]

    @property
    def everyone(self) -> list[Registration]:
        return self.buyers + self.suppliers


def add_request(
    event: Event, sender: Registration, recipient: Registration, status: str = RequestStatus.ACCEPTED
):
    request = MeetingRequest(
        event_id=event.id,
        from_registration_id=sender.id,
        to_registration_id=recipient.id,
        status=status,
        responded_at=utcnow() if status != RequestStatus.PENDING else None,
    )
    db.session.add(request)
    db.session.commit()
    return request


@pytest.fixture
def organizer(make_user):
    """The organizer reads English, so the pages' texts do not depend on the translations."""
    return make_user(roles=("organizer",), display_name="Olivia Organizer", language="en")


@pytest.fixture(autouse=True)
def request_context(app):
    """Services translate their refusals: in English here, whatever the translations say."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def app_overrides():
    return {"SCHEDULER_INLINE": True, "SCHEDULER_TIME_LIMIT": 5}


@pytest.fixture
def setup(make_event, make_participant, register) -> Setup:
    """3 buyers and 4 suppliers; every supplier asked two buyers (accepted), buyer 0 and supplier 0 both
    asked each other (mutual)."""
    event = make_event()
    buyers = [register(make_participant("buyer", name=f"Buyer {n}"), event) for n in range(3)]
    suppliers = [register(make_participant("supplier", name=f"Supplier {n}"), event) for n in range(4)]
    for i, supplier in enumerate(suppliers):
        for buyer in (buyers[i % 3], buyers[(i + 1) % 3]):
            add_request(event, supplier, buyer)
    add_request(event, buyers[0], suppliers[0], RequestStatus.PENDING)
    return Setup(event, buyers, suppliers)
