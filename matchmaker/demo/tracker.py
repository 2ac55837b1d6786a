"""Demo data for the initiative's tracker: 3%-norm figures of four government organisations for 2022-2025,
and meetings with outcomes at the past demo event. Idempotent: what exists is left as it is.

The figures are chosen so that every share can be checked by hand. Every organisation has the same budget
each year; the projects of a year add up to a round figure:

organisation (domain)              budget/year  2022     2023     2024       2025
Agentschap Wegen en Verkeer (MOW)  10 000 000   200 000  250 000    300 000    350 000 2.00 2.50 3.00 3.50%
De Werkvennootschap (MOW)          20 000 000   400 000  400 000    600 000    800 000 2.00 2.00 3.00 4.00%
Departement Omgeving (OMG)          5 000 000    50 000  100 000    150 000    200 000 1.00 2.00 3.00 4.00%
Digitaal Vlaanderen (KB)            7 000 000    70 000  140 000    210 000    280 000 1.00 2.00 3.00 4.00%
Flemish government                 42 000 000   720 000  890 000  1 260 000  1 630 000 1.71 2.12 3.00 3.88%
"""

from collections.abc import Callable
from uuid import uuid4

import sqlalchemy as sa

from matchmaker.demo.events import PAST_TITLE
from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    FollowUp,
    InnovationProject,
    Meeting,
    MeetingAttendee,
    MeetingOutcome,
    MeetingRequest,
    MeetingSource,
    Need,
    Organisation,
    ParticipantRole,
    ProcurementYear,
    Registration,
    RegistrationStatus,
    RequestStatus,
)

M = 100 * 1_000_000  # one million euro, in cents
K = 100 * 1_000  # one thousand euro, in cents

PPI = "public_procurement_of_innovation"
PCP = "pre_commercial_procurement"
MC = "market_consultation"
IP = "innovation_partnership"

# enterprise number -> (budget per year in cents, {year: [(title, route, amount in cents)]})
FIGURES: dict[str, tuple[int, dict[int, list[tuple[str, str, int]]]]] = {
    "0974638776": (  # Agentschap Wegen en Verkeer
        10 * M,
        {
            2022: [
                ("Slimme verkeerslichten voor fietsers", PCP, 150 * K),
                ("Marktverkenning wegdekcoating", MC, 50 * K),
            ],
            2023: [("Radardetectie van fietsers", PPI, 250 * K)],
            2024: [
                ("Digitale tweeling van de Brusselse ring", PPI, 200 * K),
                ("Onderhoudsvoorspelling bruggen", PCP, 100 * K),
            ],
            2025: [("Zelfherstellend asfalt", IP, 250 * K), ("Slimme verkeerslichten: uitrol", PPI, 100 * K)],
        },
    ),
    "0732451948": (  # De Werkvennootschap
        20 * M,
        {
            2022: [("Geluidsarme bouwmethodes", PCP, 400 * K)],
            2023: [("Circulaire betonelementen", PPI, 300 * K), ("Hinderarme bouwlogistiek", MC, 100 * K)],
            2024: [("Emissievrije bouwwerf", PPI, 600 * K)],
            2025: [
                ("Emissievrije bouwwerf: fase 2", PPI, 500 * K),
                ("Sensoren voor tunnelveiligheid", IP, 300 * K),
            ],
        },
    ),
    "0786359006": (  # Departement Omgeving
        5 * M,
        {
            2022: [("Meetnet droogte", MC, 50 * K)],
            2023: [("Satellietbeelden voor vergunningen", PCP, 100 * K)],
            2024: [
                ("Hittekaarten voor gemeenten", PPI, 120 * K),
                ("Burgerwetenschap luchtkwaliteit", MC, 30 * K),
            ],
            2025: [("Voorspelling van overstromingen", PPI, 200 * K)],
        },
    ),
    "0451867273": (  # Digitaal Vlaanderen
        7 * M,
        {
            2022: [("Toegankelijkheidsscans van websites", MC, 70 * K)],
            2023: [("Taalmodel voor eenvoudige taal", PCP, 140 * K)],
            2024: [("Slimme formulieren", PPI, 210 * K)],
            2025: [("Chatbot voor burgers", PPI, 175 * K), ("Linked data-platform", IP, 105 * K)],
        },
    ),
}


def _seed_figures() -> tuple[int, int]:
    years = projects = 0
    for number, (budget, by_year) in FIGURES.items():
        organisation = db.session.scalar(
            sa.select(Organisation).where(Organisation.enterprise_number == number)
        )
        if organisation is None:
            continue
        need = db.session.scalar(
            sa.select(Need).where(Need.organisation_id == organisation.id).order_by(Need.id).limit(1)
        )
        for year, items in by_year.items():
            exists = db.session.scalar(
                sa.select(ProcurementYear.id).where(
                    ProcurementYear.organisation_id == organisation.id, ProcurementYear.year == year
                )
            )
            if exists is not None:
                continue
            row = ProcurementYear(organisation_id=organisation.id, year=year, budget_cents=budget)
            db.session.add(row)
            db.session.flush()
            years += 1
            for index, (title, route, amount) in enumerate(items):
                db.session.add(
                    InnovationProject(
                        procurement_year_id=row.id,
                        title=title,
                        procurement_route=route,
                        amount_cents=amount,
                        # The latest project is linked to the organisation's first need on the platform.
                        need_id=need.id if need is not None and year == 2025 and index == 0 else None,
                    )
                )
                projects += 1
    db.session.commit()
    return years, projects


def _seed_past_meetings() -> str:
    event = db.session.scalar(sa.select(Event).where(Event.title == PAST_TITLE))
    if event is None:
        return "no past event"
    existing = db.session.scalar(sa.select(sa.func.count(Meeting.id)).where(Meeting.event_id == event.id))
    if not existing:
        _schedule_past_event(event)
    outcomes = _seed_outcomes(event)
    count = db.session.scalar(sa.select(sa.func.count(Meeting.id)).where(Meeting.event_id == event.id))
    return f"past event: {count} meetings, {outcomes} outcomes added"


def _schedule_past_event(event: Event) -> None:
    """Meetings for the accepted requests, then buyer-supplier pairs, greedily into free slots and tables."""
    registrations = db.session.scalars(
        sa.select(Registration)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.APPROVED)
        .order_by(Registration.id)
    ).all()
    buyers = [r for r in registrations if r.role == ParticipantRole.BUYER]
    suppliers = [r for r in registrations if r.role == ParticipantRole.SUPPLIER]
    requests = db.session.scalars(
        sa.select(MeetingRequest)
        .where(MeetingRequest.event_id == event.id, MeetingRequest.status == RequestStatus.ACCEPTED)
        .order_by(MeetingRequest.id)
    ).all()
    pairs: list[tuple[Registration, Registration, MeetingRequest | None]] = []
    seen = set()
    for request in requests:
        key = frozenset((request.from_registration_id, request.to_registration_id))
        if key not in seen:
            seen.add(key)
            pairs.append((request.from_registration, request.to_registration, request))
    for supplier in suppliers:
        for buyer in buyers:
            key = frozenset((supplier.id, buyer.id))
            if key not in seen and len(pairs) < 8:
                seen.add(key)
                pairs.append((supplier, buyer, None))
    slots = event.meeting_slots
    busy: dict[int, set[int]] = {slot.id: set() for slot in slots}
    tables_used: dict[int, int] = {slot.id: 0 for slot in slots}
    for a, b, request in pairs:
        for slot in slots:
            if a.id in busy[slot.id] or b.id in busy[slot.id] or tables_used[slot.id] >= len(event.tables):
                continue
            table = event.tables[tables_used[slot.id]]
            first, second = sorted((a.id, b.id))
            meeting = Meeting(
                event_id=event.id,
                slot_id=slot.id,
                table_id=table.id,
                first_registration_id=first,
                second_registration_id=second,
                request_id=request.id if request else None,
                source=MeetingSource.ACCEPTED if request else MeetingSource.SUGGESTED,
                weight=2 if request else 1,
                locked=True,
                published=True,
                uid=f"{uuid4()}@matchmaker-demo",
            )
            db.session.add(meeting)
            db.session.flush()
            for registration_id in (first, second):
                db.session.add(
                    MeetingAttendee(meeting_id=meeting.id, slot_id=slot.id, registration_id=registration_id)
                )
            busy[slot.id].update((a.id, b.id))
            tables_used[slot.id] += 1
            break
    db.session.commit()


# Answers per meeting (in time order), from the buyer side and the supplier side:
# (held, usefulness, follow-up) or None for "not answered yet" (so the demo accounts have meetings to rate).
ANSWERS = [
    ((True, 5, FollowUp.PROCUREMENT_LAUNCHED), (True, 4, FollowUp.FURTHER_CONTACT)),
    ((True, 4, FollowUp.MARKET_CONSULTATION), (True, 4, FollowUp.MARKET_CONSULTATION)),
    ((False, None, FollowUp.NONE), (False, None, FollowUp.NONE)),
    ((True, 3, FollowUp.FURTHER_CONTACT), None),
]


def _seed_outcomes(event: Event) -> int:
    has_outcomes = db.session.scalar(
        sa.select(sa.func.count(MeetingOutcome.id))
        .join(Meeting, Meeting.id == MeetingOutcome.meeting_id)
        .where(Meeting.event_id == event.id)
    )
    if has_outcomes:
        return 0
    meetings = db.session.scalars(
        sa.select(Meeting)
        .where(Meeting.event_id == event.id, Meeting.published.is_(True), Meeting.cancelled_at.is_(None))
        .order_by(Meeting.slot_id, Meeting.id)
    ).all()
    # The demo buyer's own meetings stay unanswered: logging in as buyer@example.org shows some to rate.
    meetings = [m for m in meetings if "buyer@example.org" not in (r.user.email for r in m.registrations)]
    added = 0
    for meeting, answers in zip(meetings, ANSWERS, strict=False):
        buyer = next((r for r in meeting.registrations if r.role == ParticipantRole.BUYER), None)
        if buyer is None:
            continue
        supplier = meeting.other(buyer.id)
        for registration, answer in zip((buyer, supplier), answers, strict=True):
            if answer is None:
                continue
            held, usefulness, follow_up = answer
            outcome = MeetingOutcome(
                meeting_id=meeting.id,
                registration_id=registration.id,
                round=1,
                held=held,
                usefulness=usefulness,
                follow_up=follow_up,
            )
            outcome.needs = list(buyer.needs)
            db.session.add(outcome)
            added += 1
    db.session.commit()
    return added


def seed_demo_tracker(progress: Callable[[str], None] = lambda message: None) -> str:
    years, projects = _seed_figures()
    return f"tracker: {years} years and {projects} projects added; " + _seed_past_meetings()
