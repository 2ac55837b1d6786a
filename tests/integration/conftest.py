"""Fixtures shared by the integration tests: an event with its organizer, a buyer and a supplier, their
registrations and a meeting; a scheduling set-up; the matches tests' small catalogue; a request context.

The factories these use live in tests/factories.py. A module may define a fixture of the same name for its
own needs (pytest prefers the module's).
"""

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Event, Meeting, Registration, RequestStatus, Theme, User
from tests.conftest import _app_key
from tests.crawl import seeded_once
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
from tests.helpers import _tables_with_rows_query, slot_at

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
def setup(
    request, app, app_overrides, organizer, make_event, make_participant, register, make_user,
    make_organisation,
) -> Setup:  # fmt: skip
    """3 buyers and 4 suppliers; every supplier asked two buyers (accepted), buyer 0 and supplier 0 both
    asked each other (mutual).

    Made once per worker and set of app overrides, then put back (see _setup_once): making it took about a
    second a test (seven accounts, organisations and items indexed for matching, seven registrations), and
    some 70 scheduling tests ask for it."""

    def build() -> Setup:
        event = make_event()
        buyers = [register(make_participant("buyer", name=f"Buyer {n}"), event) for n in range(3)]
        suppliers = [register(make_participant("supplier", name=f"Supplier {n}"), event) for n in range(4)]
        for i, supplier in enumerate(suppliers):
            for buyer in (buyers[i % 3], buyers[(i + 1) % 3]):
                add_request(event, supplier, buyer)
        add_request(event, buyers[0], suppliers[0], RequestStatus.PENDING)
        return Setup(event, buyers, suppliers)

    if request.node.get_closest_marker("fresh_app") is not None:
        return build()
    key = ("scheduling setup", _app_key(app_overrides), organizer.email, organizer.display_name)
    return _setup_once(key, app, organizer, build, (make_user.numbers, make_organisation.numbers))


def _tables_holding() -> frozenset[str]:
    tables = db.metadata.sorted_tables
    query = sa.text(_tables_with_rows_query(tuple(tables)))
    return frozenset(tables[row[0]].name for row in db.session.execute(query))


_SETUPS: dict[tuple, dict] = {}  # this worker's: what the first build started from and left besides rows


def _setup_once(key: tuple, app, organizer, build, numbers: tuple) -> Setup:
    """`build()` the first time for `key`, its rows then kept (tests.crawl.seeded_once); the next times its
    rows are put back in place of the test's, and the test's objects made to match a fresh build: the
    organizer (made by its fixture before, its row replaced by the build's) is the build's row, the
    factories' numbers and the outbox continue from where the build left them. Only when the tables hold
    nothing but the organizer, as they did for the first build; otherwise the test builds its own."""
    holding = _tables_holding()
    users = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    start = tuple(counter.last for counter in numbers)
    outbox = app.extensions["mail_outbox"]
    known = _SETUPS.get(key)
    if known is None:
        if users != 1:
            return build()
        sent = len(outbox)
        result = seeded_once(key, app, build)
        _SETUPS[key] = {
            "holding": holding,
            "start": start,
            "end": tuple(counter.last for counter in numbers),
            "mails": list(outbox[sent:]),
            "organizer": organizer.id,
            "event": result.event.id,
            "buyers": [registration.id for registration in result.buyers],
            "suppliers": [registration.id for registration in result.suppliers],
        }
        return result
    if users != 1 or holding != known["holding"] or start != known["start"]:
        return build()
    db.session.rollback()  # putting the rows back writes through a session of its own
    seeded_once(key, app, build)
    db.session.expunge_all()
    # The organizer object the test holds now stands for the build's organizer row.
    sa.orm.make_transient(organizer)
    organizer.id = known["organizer"]
    sa.orm.make_transient_to_detached(organizer)
    db.session.add(organizer)
    db.session.expire(organizer)
    for counter, last in zip(numbers, known["end"], strict=True):
        counter.last = last
    outbox.extend(known["mails"])
    return Setup(
        db.session.get(Event, known["event"]),
        [db.session.get(Registration, number) for number in known["buyers"]],
        [db.session.get(Registration, number) for number in known["suppliers"]],
    )


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
