"""Agendas of a large event: how long a participant waits for their agenda page, PDF and calendar feed,
and an organizer for the master grid and the CSV export. Measured through the test client (no network) on
a scratch SQLite database: 2 days x 24 meeting slots, 40 tables, 200 participants, 1,920 published meetings.

Budgets (p95, the machine is shared): agenda page 250 ms, PDF 600 ms, feed 150 ms; master grid 3 s, CSV 2 s;
the organizer's print of every participant's agenda (one tagged PDF for the welcome desk) 60 s.
Options: --rounds=N (participants measured, default 40), --per-role=N (buyers and as many suppliers, default
100; --per-role=250 is issue 18's 500-participant bundle).
"""

import statistics
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

BUDGETS_MS = {"agenda": 250, "pdf": 600, "feed": 150, "grid": 3000, "csv": 2000, "bundle": 60000}
TABLES = 40
PER_ROLE = 100
DAYS = (date(2027, 3, 10), date(2027, 3, 11))


def _options(argv: list[str]) -> dict[str, str]:
    return dict(a[2:].split("=", 1) for a in argv if a.startswith("--") and "=" in a)


def _populate(db, per_role: int = PER_ROLE) -> tuple[int, list[int], int]:
    """The event, its participants and a dense schedule: (event id, participant user ids, organizer id)."""
    from matchmaker.models import (
        Event,
        EventDay,
        EventTable,
        Meeting,
        MeetingAttendee,
        Need,
        Offering,
        Organisation,
        Registration,
        Slot,
        User,
        UserRole,
    )

    def person(email: str, name: str, role: str, language: str) -> User:
        no_password = "!"  # these users never log in with a password  # noqa: S105
        user = User(email=email, password_hash=no_password, display_name=name, language=language)
        user.roles.append(UserRole(role=role))
        return user

    organizer = person("olivia@example.org", "Olivia", "organizer", "en")
    db.session.add(organizer)
    db.session.flush()
    event = Event(
        title="Large meet & greet",
        venue_address="Havenlaan 88, 1000 Brussel",
        organizer_id=organizer.id,
        status="agenda_published",
    )
    db.session.add(event)
    db.session.flush()
    tables = [EventTable(event_id=event.id, number=n) for n in range(1, TABLES + 1)]
    db.session.add_all(tables)
    slots = []
    for day in DAYS:
        event_day = EventDay(
            event_id=event.id, day=day, start_time=clock(9), end_time=clock(17, 20), slot_minutes=20
        )
        db.session.add(event_day)
        db.session.flush()
        start = datetime.combine(day, clock(9))
        for i in range(25):
            kind = "break" if i == 12 else "meeting"
            slot = Slot(
                event_id=event.id,
                day_id=event_day.id,
                starts_at=start + timedelta(minutes=20 * i),
                ends_at=start + timedelta(minutes=20 * (i + 1)),
                kind=kind,
                label="Lunch" if kind == "break" else "",
            )
            db.session.add(slot)
            slots.append(slot)
    db.session.flush()
    registrations = {"buyer": [], "supplier": []}
    users = []
    for role in ("buyer", "supplier"):
        for n in range(per_role):
            user = person(f"{role}{n}@example.org", f"Géraldine {role} {n}", role, "nl")
            organisation = Organisation(
                name=f"Brussel–Zuid {role} {n}",
                kind="government" if role == "buyer" else "startup",
                website=f"https://{role}{n}.example.org",
            )
            db.session.add_all([user, organisation])
            db.session.flush()
            registration = Registration(
                event_id=event.id,
                user_id=user.id,
                organisation_id=organisation.id,
                role=role,
                status="approved",
            )
            if role == "buyer":
                registration.needs.append(
                    Need(organisation=organisation, title=f"Need {n}", challenge="-", status="open")
                )
            else:
                registration.offerings.append(
                    Offering(
                        organisation=organisation, title=f"Offering {n}", summary="-", status="published"
                    )
                )
            db.session.add(registration)
            registrations[role].append(registration)
            users.append(user.id)
    db.session.flush()
    meeting_slots = [s for s in slots if s.kind == "meeting"]
    for s_index, slot in enumerate(meeting_slots):
        for t_index, table in enumerate(tables):
            buyer = registrations["buyer"][(t_index + s_index) % per_role]
            supplier = registrations["supplier"][(t_index * 2 + s_index) % per_role]
            first, second = sorted((buyer, supplier), key=lambda r: r.id)
            meeting = Meeting(
                event_id=event.id,
                slot_id=slot.id,
                table_id=table.id,
                first_registration_id=first.id,
                second_registration_id=second.id,
                source="mutual",
                weight=3,
                published=True,
                locked=True,
                uid=f"meeting-{uuid.uuid4()}@bench",
            )
            db.session.add(meeting)
    db.session.flush()
    for meeting in db.session.scalars(db.select(Meeting)):
        for rid in (meeting.first_registration_id, meeting.second_registration_id):
            db.session.add(
                MeetingAttendee(meeting_id=meeting.id, slot_id=meeting.slot_id, registration_id=rid)
            )
    db.session.commit()
    return event.id, users, organizer.id


def _time(fn, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return sorted(out)


def main(argv: list[str]) -> int:
    from config import TestConfig
    from matchmaker import create_app
    from matchmaker.extensions import db
    from matchmaker.models import Meeting, Registration

    options = _options(argv)
    rounds = int(options.get("rounds", "40"))
    per_role = int(options.get("per-role", str(PER_ROLE)))
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'bench.db'}"
        app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            event_id, users, organizer_id = _populate(db, per_role)
            meetings = db.session.scalar(db.select(db.func.count(Meeting.id)))
            print(
                f"{meetings} meetings for {len(users)} participants at {TABLES} tables, "
                f"made in {time.perf_counter() - started:.1f} s"
            )
            db.session.remove()
        client = app.test_client()
        results: dict[str, list[float]] = {k: [] for k in BUDGETS_MS}
        status = {}

        def get(path: str, key: str) -> None:
            response = client.get(path)
            status[key] = response.status_code
            response.close()

        warm_up = True  # the first request compiles the templates: not what a participant waits for
        for user_id in [users[-1], *users[:: max(1, len(users) // rounds)][:rounds]]:
            with app.app_context():
                from matchmaker.models import User
                from matchmaker.services.user_sessions import start_session

                session_id = start_session(db.session.get(User, user_id))
            with client.session_transaction() as session:
                session["_user_id"] = session_id
            results["agenda"] += _time(lambda: get(f"/events/{event_id}/agenda", "agenda"), 1)
            results["pdf"] += _time(lambda: get(f"/events/{event_id}/agenda.pdf", "pdf"), 1)
            with app.app_context():
                token = db.session.scalar(
                    db.select(Registration.calendar_token).where(Registration.user_id == user_id)
                )
            results["feed"] += _time(lambda token=token: get(f"/calendar/{token}.ics", "feed"), 1)
            if warm_up:
                results = {k: [] for k in BUDGETS_MS}
                warm_up = False
        with app.app_context():
            from matchmaker.models import User
            from matchmaker.services.user_sessions import start_session

            session_id = start_session(db.session.get(User, organizer_id))
        with client.session_transaction() as session:
            session["_user_id"] = session_id
        results["grid"] = _time(lambda: get(f"/events/{event_id}/agenda/grid", "grid"), 3)
        results["csv"] = _time(lambda: get(f"/events/{event_id}/agenda/meetings.csv", "csv"), 3)
        results["bundle"] = _time(lambda: get(f"/events/{event_id}/agenda/participants.pdf", "bundle"), 1)
        with app.app_context():
            db.engine.dispose()
    failed = False
    for key, unsorted in results.items():
        timings = sorted(unsorted)
        p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
        ok = p95 <= BUDGETS_MS[key] and status.get(key) == 200
        failed |= not ok
        print(
            f"{key:7s} n={len(timings):3d} median {statistics.median(timings):7.1f} ms  p95 {p95:7.1f} ms  "
            f"(budget {BUDGETS_MS[key]} ms, HTTP {status.get(key)}){'' if ok else '  OVER'}"
        )
    return 1 if failed else 0
