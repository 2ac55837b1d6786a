"""Demo events: an upcoming meet & greet with registrations and meeting requests, and a past one. Idempotent.

Runs after the accounts and catalogue steps (see matchmaker.demo.STEPS): it registers the demo buyers whose
organisation has open needs and the demo suppliers whose organisation has published offerings. Events are
found by title; an event that exists is left as it is. Rows are written directly (no mails go out while
seeding), with a few in-app notifications so the demo accounts have something to read.
"""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from matchmaker import links
from matchmaker.demo.materials import seed_materials
from matchmaker.extensions import db
from matchmaker.models import (
    Admission,
    Event,
    EventDay,
    EventStatus,
    EventTable,
    MeetingRequest,
    Need,
    NeedStatus,
    Notification,
    Offering,
    OfferingStatus,
    ProgrammeBlock,
    Registration,
    RegistrationStatus,
    RequestStatus,
    Role,
    Theme,
    User,
    UserRole,
    utcnow,
)
from matchmaker.services.event_rules import local_now
from matchmaker.services.events import regenerate_slots

ORGANIZER_EMAIL = "organizer@example.org"
UPCOMING_TITLE = "Meet & greet Slimme mobiliteit en digitale overheid"
PAST_TITLE = "Meet & greet Water en klimaatadaptatie"


def _participants(role: str, limit: int, prefer: str) -> list[tuple[User, list]]:
    """Up to `limit` users with this role whose organisation has something to bring (the `prefer` email
    first), each with their organisation's open needs or published offerings."""
    users = db.session.scalars(
        sa.select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == role, User.active.is_(True))
        .order_by(User.id)
    ).all()
    users = sorted(users, key=lambda u: (u.email != prefer, u.id))
    chosen, organisations = [], set()
    for user in users:
        organisation = user.organisation
        if organisation is None or organisation.id in organisations:
            continue
        if role == Role.BUYER:
            items = db.session.scalars(
                sa.select(Need).where(Need.organisation_id == organisation.id, Need.status == NeedStatus.OPEN)
            ).all()
        else:
            items = db.session.scalars(
                sa.select(Offering).where(
                    Offering.organisation_id == organisation.id, Offering.status == OfferingStatus.PUBLISHED
                )
            ).all()
        if items:
            chosen.append((user, list(items)[:3]))
            organisations.add(organisation.id)
        if len(chosen) >= limit:
            break
    return chosen


def _event(organizer: User, title: str, description: str, day: date, themes: list[str], **values) -> Event:
    event = Event(
        title=title,
        description=description,
        organizer_id=organizer.id,
        venue_address=values.pop("venue_address", "Havenlaan 88, 1000 Brussel"),
        room_plan_note=values.pop("room_plan_note", ""),
        admission=values.pop("admission", Admission.AUTOMATIC),
        max_open_requests=values.pop("max_open_requests", 8),
        **values,
    )
    event.themes = list(db.session.scalars(sa.select(Theme).where(Theme.slug.in_(themes))).all())
    db.session.add(event)
    event_day = EventDay(day=day, start_time=time(9, 0), end_time=time(13, 0), slot_minutes=20)
    event_day.blocks = [
        ProgrammeBlock(
            kind="plenary",
            title="Welkom en pitches van de aankopers",
            start_time=time(9, 0),
            end_time=time(9, 40),
        ),
        ProgrammeBlock(kind="break", title="Koffiepauze", start_time=time(11, 0), end_time=time(11, 20)),
    ]
    event.days = [event_day]
    event.tables = [EventTable(number=n, name=f"Tafel {n}") for n in range(1, 11)]
    db.session.flush()
    regenerate_slots(event)
    db.session.flush()
    return event


def _register(event: Event, user: User, role: str, items: list, organizer: User) -> Registration:
    registration = Registration(
        event_id=event.id,
        user_id=user.id,
        organisation_id=user.organisation.id,
        role=role,
        status=RegistrationStatus.APPROVED,
        max_meetings=6,
        registered_by_id=organizer.id,
        decided_at=utcnow(),
    )
    if role == Role.BUYER:
        registration.needs = items
    else:
        registration.offerings = items
    registration.available_slots = list(event.meeting_slots)
    db.session.add(registration)
    db.session.flush()
    return registration


def _request(event, sender, recipient, status, message, notify: bool = False) -> None:
    responded = utcnow() if status != RequestStatus.PENDING else None
    db.session.add(
        MeetingRequest(
            event_id=event.id,
            from_registration_id=sender.id,
            to_registration_id=recipient.id,
            message=message,
            status=status,
            responded_at=responded,
        )
    )
    if notify:
        db.session.add(
            Notification(
                user_id=recipient.user_id,
                kind="request_received",
                url=links.path("events.requests", event_id=event.id),
                params={
                    "name": sender.user.display_name,
                    "organisation": sender.organisation_name,
                    "event": event.title,
                },
                emailed_at=utcnow(),
            )
        )


def _seed_upcoming(organizer: User) -> str:
    today = local_now().date()
    day = today + timedelta(days=21)
    event = _event(
        organizer,
        UPCOMING_TITLE,
        "Aankopers van de Vlaamse overheid zoeken innovatieve oplossingen voor **verkeersveiligheid**, "
        "**slimme verkeerslichten** en **digitale dienstverlening**. Leveranciers stellen hun innovaties "
        "voor in korte een-op-eengesprekken van twintig minuten.\n\n"
        "De voormiddag start met pitches van de aankopers.",
        day,
        ["mobility", "digital-government"],
        room_plan_note="Herman Teirlinckgebouw, zaal 1.05 en 1.06 (eerste verdieping). Rolstoeltoegankelijk.",
        registration_opens_at=datetime.combine(today - timedelta(days=7), time(9, 0)),
        registration_closes_at=datetime.combine(day - timedelta(days=5), time(17, 0)),
        request_deadline=datetime.combine(day - timedelta(days=2), time(17, 0)),
        capacity_buyers=20,
        capacity_suppliers=40,
        status=EventStatus.REGISTRATION_OPEN,
    )
    buyers = [
        _register(event, u, Role.BUYER, items, organizer)
        for u, items in _participants(Role.BUYER, 6, "buyer@example.org")
    ]
    suppliers = [
        _register(event, u, Role.SUPPLIER, items, organizer)
        for u, items in _participants(Role.SUPPLIER, 8, "supplier@example.org")
    ]
    requests = 0
    if buyers and suppliers:
        plan = [
            (
                suppliers[0],
                buyers[0],
                RequestStatus.PENDING,
                "Graag stellen we onze oplossing voor die fietsers detecteert aan verkeerslichten.",
                True,
            ),
            (
                buyers[0],
                suppliers[0],
                RequestStatus.PENDING,
                "Uw aanbod sluit mooi aan bij onze vraag. Zullen we afspreken?",
                True,
            ),
        ]
        for index, supplier in enumerate(suppliers[1:], start=1):
            buyer = buyers[index % len(buyers)]
            status = [RequestStatus.ACCEPTED, RequestStatus.PENDING, RequestStatus.DECLINED][index % 3]
            plan.append(
                (supplier, buyer, status, "Wij kijken uit naar een gesprek over uw uitdaging.", False)
            )
        seen = set()
        for sender, recipient, status, message, notify in plan:
            if sender.id == recipient.id or (sender.id, recipient.id) in seen:
                continue
            seen.add((sender.id, recipient.id))
            _request(event, sender, recipient, status, message, notify)
            requests += 1
    return f"upcoming event with {len(buyers)} buyers, {len(suppliers)} suppliers and {requests} requests"


def _seed_past(organizer: User) -> str:
    day = local_now().date() - timedelta(days=120)
    event = _event(
        organizer,
        PAST_TITLE,
        "Een meet & greet over **waterbeheer**, **overstromingsrisico's** en **droogte**, met aankopers uit "
        "het beleidsdomein Omgeving en innovatieve bedrijven en kenniscentra.",
        day,
        ["water", "climate-environment"],
        venue_address="Dokter De Moorstraat 24, 9300 Aalst",
        status=EventStatus.CLOSED,
    )
    buyers = [
        _register(event, u, Role.BUYER, items, organizer) for u, items in _participants(Role.BUYER, 3, "")
    ]
    suppliers = [
        _register(event, u, Role.SUPPLIER, items, organizer)
        for u, items in _participants(Role.SUPPLIER, 4, "")
    ]
    for index, supplier in enumerate(suppliers):
        if buyers:
            _request(
                event,
                supplier,
                buyers[index % len(buyers)],
                RequestStatus.ACCEPTED,
                "Tot op de meet & greet!",
            )
    db.session.commit()
    materials = seed_materials(event, organizer)  # the programme, a presentation and a photo (issue 19)
    return f"past event with {len(buyers) + len(suppliers)} participants and {materials} documents"


def seed_demo_events(progress: Callable[[str], None] = lambda message: None) -> str:
    organizer = db.session.scalar(sa.select(User).where(User.email == ORGANIZER_EMAIL))
    if organizer is None:
        return "events: skipped (no organizer account)"
    if not _participants(Role.BUYER, 1, "") or not _participants(Role.SUPPLIER, 1, ""):
        return "events: skipped (seed the catalogue first: no open needs or published offerings yet)"
    reports = []
    for title, seed in ((UPCOMING_TITLE, _seed_upcoming), (PAST_TITLE, _seed_past)):
        if db.session.scalar(sa.select(Event.id).where(Event.title == title)) is not None:
            reports.append(f"'{title}' already there")
            continue
        reports.append(seed(organizer))
        db.session.commit()
    return "events: " + "; ".join(reports)
