"""Every factory of the suite, loaded for all tests by `pytest_plugins` in tests/conftest.py.

Two kinds live here:
- fixtures named `make_*` (and `register`) that return a function creating objects; they need the app;
- plain functions named `add_*` that create one object (call them inside a test, under the app fixture).

Catalogue items come in two flavours on purpose: `add_offering`/`add_need` go through the catalogue services,
as a user would; `make_offering`/`make_need` write the rows directly (with CPV codes and themes) for the
matches tests, which need exact texts and statuses.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    EventStatus,
    InnovationProject,
    Meeting,
    MeetingAttendee,
    MeetingRequest,
    MeetingSource,
    Membership,
    MembershipRole,
    Need,
    NeedCpvCode,
    NeedStatus,
    Offering,
    OfferingCpvCode,
    OfferingStatus,
    Organisation,
    ProcurementYear,
    Registration,
    RequestStatus,
    Slot,
    Theme,
    User,
    utcnow,
)
from matchmaker.services import accounts, catalogue
from matchmaker.services import events as events_service
from matchmaker.services import registrations as registrations_service
from matchmaker.services.events import EventInput

PASSWORD = "correct-horse-battery"

# --------------------------------------------------------------------------------------------------
# Users and organisations


class Numbers:
    """The numbers a factory gives its rows (user1@example.org, Organisation 1, ...). A fixture that puts back
    rows an earlier test made with the same factory moves its numbers on past them (`last`), so that the
    test's next row gets the number it would have had after building them."""

    def __init__(self) -> None:
        self.last = 0

    def __iter__(self) -> "Numbers":
        return self

    def __next__(self) -> int:
        self.last += 1
        return self.last


@pytest.fixture
def make_user(app) -> Callable[..., User]:
    counter = Numbers()

    def factory(**overrides) -> User:
        n = next(counter)
        values = {
            "email": f"user{n}@example.org",
            "password": PASSWORD,
            "display_name": f"User {n}",
            "roles": ("supplier",),
            "language": "en",
            "confirmed": True,
        }
        values.update(overrides)
        user = accounts.create_user(**values)
        db.session.commit()
        return user

    factory.numbers = counter
    return factory


@pytest.fixture
def make_organisation(app) -> Callable[..., Organisation]:
    counter = Numbers()

    def factory(members: tuple[User, ...] = (), admins: tuple[User, ...] = (), **overrides) -> Organisation:
        n = next(counter)
        # Verified unless a test says otherwise: most tests are about what happens on a checked platform.
        values = {"name": f"Organisation {n}", "kind": "startup", "description": ""}
        values["verification"] = "verified"
        values.update(overrides)
        organisation = Organisation(**values)
        db.session.add(organisation)
        for user in admins:
            db.session.add(Membership(user=user, organisation=organisation, role=MembershipRole.ADMIN))
        for user in members:
            db.session.add(Membership(user=user, organisation=organisation, role=MembershipRole.MEMBER))
        db.session.commit()
        return organisation

    factory.numbers = counter
    return factory


@dataclass
class Party:
    user: object
    organisation: object


@pytest.fixture
def make_buyer(make_user, make_organisation):
    def factory(**user_overrides) -> Party:
        user = make_user(roles=("buyer",), **{"language": "en", **user_overrides})
        organisation = make_organisation(admins=(user,), kind="government")
        return Party(user, organisation)

    return factory


@pytest.fixture
def make_supplier(make_user, make_organisation):
    def factory(**user_overrides) -> Party:
        user = make_user(roles=("supplier",), **{"language": "en", **user_overrides})
        organisation = make_organisation(admins=(user,), kind="startup")
        return Party(user, organisation)

    return factory


# --------------------------------------------------------------------------------------------------
# Catalogue: themes, needs and offerings written as rows (the matches tests)

# A small catalogue with clear pairs: every need has one offering that answers it best.
BUS_NEED = {
    "title": "Elektrische bussen voor het stadsvervoer",
    "summary": "Wij zoeken elektrische bussen met snelle laadpalen voor onze stadslijnen.",
    "challenge": "De stad wil haar dieselbussen vervangen door elektrische bussen en laadinfrastructuur.",
    "keywords": "elektrische bus, laadpaal, openbaar vervoer",
    "language": "nl",
    "cpv": ("34144910",),
}
BUS_OFFERING = {
    "title": "Elektrische stadsbus met snellader",
    "summary": "Een elektrische bus voor stadslijnen, met een snelle laadpaal aan de eindhalte.",
    "description": "Onze elektrische bussen rijden 300 km per lading; de laadpalen laden in tien minuten.",
    "keywords": "elektrische bus, laadpaal, batterij",
    "language": "nl",
    "cpv": ("34144910",),
}
SENSOR_NEED = {
    "title": "Luchtkwaliteit meten in scholen",
    "summary": "Sensoren die fijnstof en CO2 meten in klaslokalen en de data tonen.",
    "challenge": "Scholen willen weten wanneer ze moeten verluchten: meet CO2 en fijnstof in elke klas.",
    "keywords": "sensor, luchtkwaliteit, CO2, fijnstof",
    "language": "nl",
    "cpv": ("38432000",),
}
SENSOR_OFFERING = {
    "title": "Draadloze sensor voor luchtkwaliteit",
    "summary": "Meet CO2, fijnstof en temperatuur in klaslokalen; een dashboard toont wanneer te verluchten.",
    "description": "De sensor meet luchtkwaliteit en stuurt de data draadloos naar een dashboard.",
    "keywords": "sensor, luchtkwaliteit, CO2",
    "language": "nl",
    "cpv": ("38432000",),
}
FRENCH_OFFERING = {
    "title": "Capteurs de qualité de l'air pour écoles",
    "summary": "Capteurs sans fil qui mesurent le CO2 et les particules fines dans les classes.",
    "description": "Un tableau de bord montre quand aérer la classe.",
    "keywords": "capteur, qualité de l'air, CO2",
    "language": "fr",
    "cpv": ("38432000",),
}


@pytest.fixture
def make_theme(app):
    counter = Numbers()

    def factory(slug=None, nl="Mobiliteit", fr="Mobilité", en="Mobility") -> Theme:
        n = next(counter)
        theme = Theme(slug=slug or f"theme-{n}", name_nl=nl, name_fr=fr, name_en=en, position=n)
        db.session.add(theme)
        db.session.commit()
        return theme

    factory.numbers = counter
    return factory


def _apply(item, fields: dict, themes) -> None:
    for name, value in fields.items():
        if name != "cpv":
            setattr(item, name, value)
    item.themes = list(themes)


def index_item(kind: str, item_id: int) -> None:
    """What the catalogue's services have the workers do after a change: bring the shared matching index
    up to date with the item (and refit once the vocabulary drifted)."""
    from flask import current_app

    from matchmaker.services import matching

    matching.refresh_item(kind, item_id)
    if matching.needs_refit(current_app.config["MATCHES_REFIT_MIN_CHANGES"]):
        matching.refit()


@pytest.fixture
def make_need(app):
    def factory(party: Party, fields: dict = SENSOR_NEED, status="open", themes=(), **overrides) -> Need:
        values = {**fields, **overrides}
        need = Need(organisation_id=party.organisation.id, created_by_id=party.user.id, status=status)
        _apply(need, values, themes)
        need.cpv_links = [NeedCpvCode(code=code) for code in values.get("cpv", ())]
        if status == "open":
            need.published_at = utcnow()
        db.session.add(need)
        db.session.commit()
        index_item("need", need.id)
        return need

    return factory


@pytest.fixture
def make_offering(app):
    def factory(
        party: Party, fields: dict = SENSOR_OFFERING, status="published", themes=(), **overrides
    ) -> Offering:
        values = {**fields, **overrides}
        offering = Offering(organisation_id=party.organisation.id, created_by_id=party.user.id, status=status)
        _apply(offering, values, themes)
        offering.cpv_links = [OfferingCpvCode(code=code) for code in values.get("cpv", ())]
        if status == "published":
            offering.published_at = utcnow()
        db.session.add(offering)
        db.session.commit()
        index_item("offering", offering.id)
        return offering

    return factory


# --------------------------------------------------------------------------------------------------
# Catalogue: items created through the services, as the app does (the catalogue tests)

OFFERING_DEFAULTS = {
    "title": "Slimme verkeerslichten",
    "summary": "Verkeerslichten die zich aanpassen aan fietsers en voetgangers.",
    "description": "Our **sensors** count cyclists and adapt the cycle.",
    "innovation_type": "technological",
    "trl": 7,
    "keywords": "mobiliteit, sensoren",
    "language": "nl",
    "cpv_codes": "34996000",
}

NEED_DEFAULTS = {
    "title": "Minder files rond schoolpoorten",
    "summary": "We zoeken manieren om het verkeer aan scholen veiliger te maken.",
    "challenge": "Ouders brengen hun kinderen met de auto; dat maakt het **onveilig**.",
    "expected_outcome": "Veiliger schoolomgevingen.",
    "budget_min": 50_000,
    "budget_max": 150_000,
    "procurement_route": "pre_commercial_procurement",
    "language": "nl",
}


def add_offering(user, status: str = "draft", **overrides) -> Offering:
    values = {**OFFERING_DEFAULTS, **overrides}
    offering = catalogue.create_offering(user, catalogue.OfferingInput(**values))
    if status in ("published", "archived"):
        catalogue.publish_offering(user, offering)
    if status == "archived":
        catalogue.archive_offering(user, offering)
    return offering


def add_need(user, status: str = "draft", **overrides) -> Need:
    values = {**NEED_DEFAULTS, "deadline": utcnow().date() + timedelta(days=60), **overrides}
    need = catalogue.create_need(user, catalogue.NeedInput(**values))
    if status in ("open", "closed", "archived"):
        catalogue.open_need(user, need)
    if status == "closed":
        catalogue.close_need(user, need)
    if status == "archived":
        catalogue.archive_need(user, need)
    return need


# --------------------------------------------------------------------------------------------------
# Events, participants and registrations

EVENT_DAY = date.today() + timedelta(days=30)


@pytest.fixture
def make_event(organizer):
    def factory(open_registration: bool = True, by=None, **overrides):
        values = {
            "title": "Smart mobility meet & greet",
            "venue_address": "Havenlaan 88, 1000 Brussel",
            "table_count": 4,
        }
        values.update(overrides)
        user = by or organizer
        event = events_service.create_event(user, EventInput(**values))
        events_service.add_day(user, event, EVENT_DAY, time(9, 0), time(12, 0), 20)
        events_service.add_block(user, event.days[0], "break", "Coffee", time(10, 0), time(10, 20))
        if open_registration:
            events_service.change_status(user, event, EventStatus.REGISTRATION_OPEN)
        return event

    return factory


def add_day(event: Event, day: date) -> None:
    """A second morning of the same shape (9:00 to 12:00, slots of 20 minutes)."""
    events_service.add_day(event.organizer, event, day, time(9, 0), time(12, 0), 20)


@pytest.fixture
def make_participant(make_user, make_organisation):
    def factory(role: str, name: str | None = None, title: str | None = None, **user_overrides):
        user = make_user(roles=(role,), display_name=name or f"{role.title()} person", **user_overrides)
        if role == "buyer":
            organisation = make_organisation(
                admins=(user,), kind="government", name=f"Agency of {user.display_name}"
            )
            item = Need(
                organisation=organisation,
                title=title or "Smart traffic lights for cyclists",
                challenge=title or "Cyclists wait too long at traffic lights",
                status=NeedStatus.OPEN,
            )
        else:
            organisation = make_organisation(
                admins=(user,), kind="startup", name=f"Start-up of {user.display_name}"
            )
            item = Offering(
                organisation=organisation,
                title=title or "Cyclist detection with radar",
                summary=title or "Radar sensors detect approaching cyclists",
                status=OfferingStatus.PUBLISHED,
            )
        db.session.add(item)
        db.session.commit()
        index_item("need" if role == "buyer" else "offering", item.id)
        return user

    return factory


@pytest.fixture
def register(app):
    def do(user, event, role: str | None = None, **overrides):
        role = role or ("buyer" if user.has_role("buyer") else "supplier")
        items = registrations_service.eligible_items(user, role)
        data = registrations_service.RegistrationInput(role=role, item_ids=[i.id for i in items], **overrides)
        return registrations_service.register(user, event, data)

    return do


# --------------------------------------------------------------------------------------------------
# Meeting requests and meetings. Meetings are made directly as rows, as the scheduler keeps them: a meeting
# and its two attendee rows.


@dataclass
class Setup:
    """What the scheduling tests' `setup` fixture made: an event with registered buyers and suppliers."""

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


def add_meeting(
    a: Registration,
    b: Registration,
    slot: Slot,
    table_number: int = 1,
    published: bool = True,
    **overrides,
) -> Meeting:
    """A meeting between two registrations at a table in a slot, with its attendee rows."""
    first, second = sorted((a, b), key=lambda r: r.id)
    event = slot.event
    table = next(t for t in event.tables if t.number == table_number)
    values = {
        "event_id": event.id,
        "slot_id": slot.id,
        "table_id": table.id,
        "first_registration_id": first.id,
        "second_registration_id": second.id,
        "source": "mutual",
        "weight": 3,
        "published": published,
        "locked": published,
        "uid": f"meeting-{uuid.uuid4()}@matchmaker.test",
    }
    values.update(overrides)
    meeting = Meeting(**values)
    db.session.add(meeting)
    db.session.flush()
    for registration in (first, second):
        db.session.add(
            MeetingAttendee(meeting_id=meeting.id, slot_id=slot.id, registration_id=registration.id)
        )
    db.session.commit()
    return meeting


@pytest.fixture
def make_meeting(app):
    """A meeting by position: the event's n-th meeting slot and n-th table, from an accepted request (the
    model's default source and weight)."""

    def factory(
        event: Event,
        a: Registration,
        b: Registration,
        slot_index: int = 0,
        table_index: int = 0,
        published: bool = True,
    ) -> Meeting:
        return add_meeting(
            a,
            b,
            event.meeting_slots[slot_index],
            table_number=event.tables[table_index].number,
            published=published,
            source=MeetingSource.ACCEPTED,
            weight=2,
        )

    return factory


# --------------------------------------------------------------------------------------------------
# The 3%-norm tracker: amounts are in cents

M = 100 * 1_000_000  # one million euro in cents
K = 100 * 1_000  # a thousand euro in cents


def add_year(organisation, year, budget_cents, *amounts, route="public_procurement_of_innovation"):
    """An organisation's procurement year with its budget and a project per amount."""
    row = ProcurementYear(organisation_id=organisation.id, year=year, budget_cents=budget_cents)
    db.session.add(row)
    db.session.flush()
    for index, amount in enumerate(amounts):
        db.session.add(
            InnovationProject(
                procurement_year_id=row.id,
                title=f"Project {index}",
                procurement_route=route,
                amount_cents=amount,
            )
        )
    db.session.commit()
    return row


# --------------------------------------------------------------------------------------------------
# A crowd: hundreds of participants written in bulk (a few INSERT statements, not one per row), for the tests
# that count queries and measure pages at the size of a real event.

CROWD_WORDS = [
    *("radar", "cyclists", "traffic", "lights", "sensors", "detection", "mobility", "buses", "charging"),
    *("parking", "air", "quality", "schools", "energy", "buildings", "heating", "lighting", "water"),
    *("drones", "bridges", "maintenance", "waste", "recycling", "data", "platform"),
]


def add_crowd(
    event: Event, buyers: int, suppliers: int, theme: Theme | None = None, items: int = 1
) -> list[int]:
    """`buyers` buyers and `suppliers` suppliers, each with an organisation, `items` open needs or published
    offerings (with `theme` when given) and an approved registration in `event`; half the organisations have a
    logo version (without an image: the pages only link to it). Returns the registration ids, buyers first."""
    from matchmaker.models import Role, UserRole, registration_need, registration_offering
    from matchmaker.models.catalogue import need_theme, offering_theme

    tag = uuid.uuid4().hex[:8]
    now = utcnow()
    password_hash = accounts.hash_password(PASSWORD)
    people = [("buyer", n) for n in range(buyers)] + [("supplier", n) for n in range(suppliers)]

    def insert(model, rows):
        statement = sa.insert(model).returning(model.id, sort_by_parameter_order=True)
        return list(db.session.scalars(statement, rows))

    user_ids = insert(
        User,
        [
            {
                "email": f"{role}{n}-{tag}@crowd.example.org",
                "password_hash": password_hash,
                "display_name": f"{role.title()} {n:04d}",
                "language": "en",
                "email_confirmed_at": now,
            }
            for role, n in people
        ],
    )
    db.session.execute(
        sa.insert(UserRole),
        [
            {"user_id": uid, "role": Role.BUYER if role == "buyer" else Role.SUPPLIER}
            for uid, (role, _n) in zip(user_ids, people, strict=True)
        ],
    )
    organisation_ids = insert(
        Organisation,
        [
            {
                "name": f"{'Agency' if role == 'buyer' else 'Start-up'} {n:04d}",
                "kind": "government" if role == "buyer" else "startup",
                # Every other one has a logo, so the lists that show logos are measured with them.
                "logo_version": f"{tag}{n:056d}" if n % 2 == 0 else None,
            }
            for role, n in people
        ],
    )
    db.session.execute(
        sa.insert(Membership),
        [
            {"user_id": uid, "organisation_id": oid, "role": MembershipRole.ADMIN}
            for uid, oid in zip(user_ids, organisation_ids, strict=True)
        ],
    )

    def words(n: int) -> str:
        return " ".join(CROWD_WORDS[(n * 7 + k * 3) % len(CROWD_WORDS)] for k in range(4))

    registration_ids = insert(
        Registration,
        [
            {"event_id": event.id, "user_id": uid, "organisation_id": oid, "role": role, "status": "approved"}
            for uid, oid, (role, _n) in zip(user_ids, organisation_ids, people, strict=True)
        ],
    )
    for role, model, link, theme_link, status in (
        ("buyer", Need, registration_need, need_theme, NeedStatus.OPEN),
        ("supplier", Offering, registration_offering, offering_theme, OfferingStatus.PUBLISHED),
    ):
        owners = [
            (oid, rid, n)
            for oid, rid, (r, n) in zip(organisation_ids, registration_ids, people, strict=True)
            if r == role
        ]
        if not owners:
            continue
        rows = []
        for oid, _rid, n in owners:
            for k in range(items):
                text = words(n + k)
                rows.append(
                    {
                        "organisation_id": oid,
                        "title": f"{text.capitalize()} {n:04d}.{k}",
                        "summary": f"We bring {text} to the {role}s of the event.",
                        "status": status,
                        "published_at": now,
                        "search_text": text,
                    }
                )
        item_ids = insert(model, rows)
        column = "need_id" if model is Need else "offering_id"
        db.session.execute(
            sa.insert(link),
            [
                {"registration_id": rid, column: item_ids[index * items + k]}
                for index, (_oid, rid, _n) in enumerate(owners)
                for k in range(items)
            ],
        )
        if theme is not None:
            db.session.execute(
                sa.insert(theme_link), [{column: item_id, "theme_id": theme.id} for item_id in item_ids]
            )
    db.session.commit()
    return registration_ids
