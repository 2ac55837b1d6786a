"""Fixtures shared by the integration tests: an event with its organizer, a buyer and a supplier, their
registrations and a meeting; a scheduling set-up; the matches tests' small catalogue; a request context.

The factories these use live in tests/factories.py. A module may define a fixture of the same name for its
own needs (pytest prefers the module's).
"""

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Event, Meeting, Organisation, Registration, RequestStatus, Theme, User
from tests.conftest import _app_key
from tests.crawl import seeded_once
from tests.factories import (
    BUS_NEED,
    BUS_OFFERING,
    EVENT_DAY,
    SENSOR_NEED,
    SENSOR_OFFERING,
    Party,
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
def event(request, app, app_overrides, organizer, make_event, make_user, make_organisation):
    """The default event of `organizer` (make_event), open for registration. Made once per worker and set of
    app overrides, then put back (see _built_once): some 440 tests ask for it."""
    if not _may_share(request):
        return make_event()
    key = ("event", _app_key(app_overrides), *_organizer_key(organizer))
    return _built_once(
        key, app, organizer, make_event, (make_user.numbers, make_organisation.numbers),
        pack=lambda event: event.id, unpack=lambda number: db.session.get(Event, number),
    )  # fmt: skip


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

    Made once per worker and set of app overrides, then put back (see _built_once): making it took about a
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

    if not _may_share(request):
        return build()
    key = ("scheduling setup", _app_key(app_overrides), *_organizer_key(organizer))
    return _built_once(
        key, app, organizer, build, (make_user.numbers, make_organisation.numbers),
        pack=lambda made: (made.event.id, [r.id for r in made.buyers], [r.id for r in made.suppliers]),
        unpack=lambda ids: Setup(
            db.session.get(Event, ids[0]),
            [db.session.get(Registration, number) for number in ids[1]],
            [db.session.get(Registration, number) for number in ids[2]],
        ),
    )  # fmt: skip


def _may_share(request) -> bool:
    """Whether the test may get rows built by an earlier one: not with an app of its own, nor when it patches
    something (a clock, a service) that its fixtures may run under."""
    return request.node.get_closest_marker("fresh_app") is None and "monkeypatch" not in request.fixturenames


def _organizer_key(organizer: User) -> tuple:
    """What a fixture built on the organizer may depend on: the account as its fixture (or a test) left it."""
    return (
        organizer.email,
        organizer.display_name,
        organizer.language,
        organizer.active,
        organizer.email_confirmed_at is None,
        organizer.last_login_at is None,
        tuple(sorted(role.role for role in organizer.roles)),
    )


def _tables_holding() -> frozenset[str]:
    tables = db.metadata.sorted_tables
    query = sa.text(_tables_with_rows_query(tuple(tables)))
    return frozenset(tables[row[0]].name for row in db.session.execute(query))


# The tables that hold rows after the organizer's fixture alone.
ORGANIZER_ONLY = frozenset({"user_account", "user_role"})
_BUILT: dict[tuple, dict] = {}  # this worker's: what each first build started from and left besides rows


def _built_once(key: tuple, app, organizer, build, numbers: tuple, pack, unpack):
    """`build()` the first time for `key`, its rows then kept (tests.crawl.seeded_once); the next times its
    rows are put back in place of the test's, and the test's objects made to match a fresh build: the
    organizer (made by its fixture before, its row replaced by the build's) is the build's row, what `build`
    returned is loaded again in the test's session (`pack` gives its ids, `unpack` loads them), the
    factories' numbers and the outbox continue from where the build left them. Only when the tables hold
    nothing but the organizer, as they did for the first build; otherwise the test builds its own."""
    if organizer is None:  # empty tables
        alone = not _tables_holding()
    else:  # the organizer's account and roles and nothing else (no session of a log-in, no other user)
        users = db.session.scalar(sa.select(sa.func.count(User.id)))
        alone = _tables_holding() == ORGANIZER_ONLY and users == 1
    start = tuple(counter.last for counter in numbers)
    outbox = app.extensions["mail_outbox"]
    known = _BUILT.get(key)
    if known is None:
        if not alone:
            return build()
        sent = len(outbox)
        result = seeded_once(key, app, build)
        _BUILT[key] = {
            "start": start,
            "end": tuple(counter.last for counter in numbers),
            "mails": list(outbox[sent:]),
            "organizer": organizer.id if organizer is not None else None,
            "ids": pack(result),
        }
        return result
    if not alone or start != known["start"]:
        return build()
    db.session.rollback()  # putting the rows back writes through a session of its own
    seeded_once(key, app, build)
    db.session.expunge_all()
    if organizer is not None:  # the organizer object the test holds now stands for the build's organizer row
        sa.orm.make_transient(organizer)
        organizer.id = known["organizer"]
        sa.orm.make_transient_to_detached(organizer)
        db.session.add(organizer)
        db.session.expire(organizer)
    for counter, last in zip(numbers, known["end"], strict=True):
        counter.last = last
    outbox.extend(known["mails"])
    made = unpack(known["ids"])
    db.session.expire_all()  # as a build leaves its objects: it ends with a commit
    return made


# --------------------------------------------------------------------------------------------------
# Matches


@pytest.fixture
def catalogue(
    request, app, app_overrides, make_buyer, make_supplier, make_need, make_offering, make_theme, make_user,
    make_organisation,
):  # fmt: skip
    """A buyer with a bus need and a sensor need; a supplier with a bus, another with a sensor offering.
    Made once per worker and set of app overrides, then put back (see _built_once): some 160 tests."""

    def build() -> SimpleNamespace:
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

    if not _may_share(request):
        return build()

    def pack(made: SimpleNamespace) -> dict:
        return {
            name: (type(value), value.user.id, value.organisation.id)
            if isinstance(value, Party)
            else (type(value), value.id)
            for name, value in vars(made).items()
        }

    def unpack(ids: dict) -> SimpleNamespace:
        return SimpleNamespace(
            **{
                name: Party(db.session.get(User, row[1]), db.session.get(Organisation, row[2]))
                if row[0] is Party
                else db.session.get(row[0], row[1])
                for name, row in ids.items()
            }
        )

    key = ("catalogue", _app_key(app_overrides))
    numbers = (make_user.numbers, make_organisation.numbers, make_theme.numbers)
    return _built_once(key, app, None, build, numbers, pack=pack, unpack=unpack)
