"""Fixtures shared by the integration tests: an event with its organizer, a buyer and a supplier, their
registrations and a meeting; a scheduling set-up; the matches tests' small catalogue; a request context.

The factories these use live in tests/factories.py. A module may define a fixture of the same name for its
own needs (pytest prefers the module's).
"""

from types import SimpleNamespace

import pytest

from matchmaker.extensions import db
from matchmaker.models import Meeting, RequestStatus, Theme
from tests.factories import (
    BUS_NEED,
    BUS_OFFERING,
    EVENT_DAY,
    SENSOR_NEED,
    SENSOR_OFFERING,
    Setup,
    add_meeting,
    add_request,
)
from tests.helpers import slot_at

# --------------------------------------------------------------------------------------------------
# A request context: services translate their refusals, and outside a request the locale selector has no
# session to read. Neither is autouse: a module that wants one says so with
# `pytestmark = pytest.mark.usefixtures("request_context")` (or "english_request_context").


@pytest.fixture
def request_context(app):
    """Services translate their refusals; outside a request the locale selector has no session to read."""
    with app.test_request_context():
        yield


@pytest.fixture
def english_request_context(app):
    """Services translate their refusals: in English here, whatever the translations say."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


# --------------------------------------------------------------------------------------------------
# An event, its people and a meeting


@pytest.fixture
def organizer(make_user):
    return make_user(roles=("organizer",), display_name="Olivia Organizer")


@pytest.fixture
def theme(app):
    theme = Theme(slug="mobility", name_nl="Mobiliteit", name_fr="Mobilité", name_en="Mobility")
    db.session.add(theme)
    db.session.commit()
    return theme


@pytest.fixture
def event(make_event):
    return make_event()


@pytest.fixture
def buyer(make_participant):
    return make_participant("buyer", name="Bart Buyer")


@pytest.fixture
def supplier(make_participant):
    return make_participant("supplier", name="Sofie Supplier")


@pytest.fixture
def pair(event, buyer, supplier, register):
    """(buyer's registration, supplier's registration) in `event`, both approved."""
    return register(buyer, event), register(supplier, event)


@pytest.fixture
def meeting(event, pair) -> Meeting:
    """A published meeting at 9:20 at table 2 of the default event."""
    rb, rs = pair
    return add_meeting(rb, rs, slot_at(event, EVENT_DAY, 9, 20), table_number=2)


# --------------------------------------------------------------------------------------------------
# Scheduling


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


# --------------------------------------------------------------------------------------------------
# Matches


@pytest.fixture
def catalogue(make_buyer, make_supplier, make_need, make_offering, make_theme):
    """A buyer with a bus need and a sensor need; a supplier with a bus, another with a sensor offering."""
    mobility = make_theme(slug="mobility", nl="Mobiliteit", fr="Mobilité", en="Mobility")
    education = make_theme(slug="education", nl="Onderwijs", fr="Enseignement", en="Education")
    buyer = make_buyer(display_name="Bea Buyer")
    bus_supplier = make_supplier(display_name="Bart Bus")
    sensor_supplier = make_supplier(display_name="Sara Sensor")
    return SimpleNamespace(
        mobility=mobility,
        education=education,
        buyer=buyer,
        bus_supplier=bus_supplier,
        sensor_supplier=sensor_supplier,
        bus_need=make_need(buyer, BUS_NEED, themes=[mobility]),
        sensor_need=make_need(buyer, SENSOR_NEED, themes=[education]),
        bus_offering=make_offering(bus_supplier, BUS_OFFERING, themes=[mobility]),
        sensor_offering=make_offering(sensor_supplier, SENSOR_OFFERING, themes=[education]),
    )
