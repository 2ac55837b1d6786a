"""Check-in on the event day: who has arrived.

Each approved participant has a short code (on their agenda and badge, and in the QR code there) that the
organizers scan or type at the entrance; they can also find a name. An arrival is one `check_in` row per
registration, unique in the database, so that two organizers checking in the same person at once record one
arrival and the second is told so. A mistake is undone by deleting the row.

Who: the event's managers and its check-in staff (event_rules.can_check_in) check people in and undo; the
no-show action and the badges stay with the managers.

What the rest of the platform reads: `arrived_ids(event)`: the live board (who is late), the no-show handling
and the fill runs.
"""

import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from matchmaker.extensions import db
from matchmaker.models import Absence, CheckIn, Event, Registration, RegistrationStatus, User
from matchmaker.services import Conflict, NotFound, ServiceError, commit, discard, unit_of_work
from matchmaker.services.event_rules import TZ, require_check_in, require_manager

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: a code read aloud or typed from a badge is not mistaken.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6


def normalize_code(text: str) -> str:
    """What was typed or scanned, as stored: upper case, without spaces or dashes."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())[: CODE_LENGTH * 2]


def checkin_code(registration: Registration) -> str:
    """The registration's code, made (and committed) the first time it is asked for. Two requests asking at
    once agree: the code is written only where there is none yet (a conditional UPDATE), and each returns
    what is stored. 25^6 codes: a clash with another participant's code in the event is tried again."""
    if registration.checkin_code:
        return registration.checkin_code
    for _attempt in range(5):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        try:
            db.session.execute(
                sa.update(Registration)
                .where(Registration.id == registration.id, Registration.checkin_code.is_(None))
                .values(checkin_code=code)
                .execution_options(synchronize_session=False)
            )
            commit()
        except (Conflict, IntegrityError):
            discard()
            continue  # this code is another participant's in the event: another one
        db.session.refresh(registration)
        if registration.checkin_code:
            return registration.checkin_code  # ours, or the one another request wrote first
    raise ServiceError(_("No check-in code could be made. Please try again."))


def find_by_code(event: Event, text: str) -> Registration:
    code = normalize_code(text)
    registration = None
    if code:
        registration = db.session.scalar(
            sa.select(Registration).where(
                Registration.event_id == event.id, Registration.checkin_code == code
            )
        )
    if registration is None:
        raise NotFound(_("No participant of this event has the code %(code)s.", code=code or "–"))
    return registration


def arrived_ids(event: Event) -> set[int]:
    """The registrations checked in at the event."""
    return set(db.session.scalars(sa.select(CheckIn.registration_id).where(CheckIn.event_id == event.id)))


def arrival_of(registration: Registration) -> CheckIn | None:
    return db.session.scalar(sa.select(CheckIn).where(CheckIn.registration_id == registration.id))


def check_in(user: User, registration: Registration) -> CheckIn:
    """Mark an approved participant as arrived. Already checked in (by anyone, even at the same moment):
    ServiceError naming them."""
    event = registration.event
    require_check_in(user, event)
    name = registration.user.display_name
    if registration.status != RegistrationStatus.APPROVED:
        raise ServiceError(_("%(name)s is not an approved participant of this event.", name=name))
    refusal = _("%(name)s is already checked in.", name=name)
    if arrival_of(registration) is not None:
        raise ServiceError(refusal)
    arrival = CheckIn(event_id=event.id, registration_id=registration.id, checked_in_by_id=user.id)
    with unit_of_work(refusal):  # the row is unique per registration
        db.session.add(arrival)
    return arrival


def undo_check_in(user: User, registration: Registration) -> None:
    """A mistake: the participant is no longer marked as arrived."""
    require_check_in(user, registration.event)
    arrival = arrival_of(registration)
    if arrival is None:
        raise ServiceError(_("%(name)s is not checked in.", name=registration.user.display_name))
    db.session.delete(arrival)
    commit()


# --- the check-in page --------------------------------------------------------------------------------------


def participants(event: Event) -> list[Registration]:
    """The approved participants: who is expected at the entrance."""
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.APPROVED)
            .order_by(Registration.id)
        ).unique()
    )


def ensure_codes(
    registrations: list[Registration], progress: Callable[[int, int], None] | None = None, every: int = 50
) -> None:
    """Give every registration its code (the badges print them all at once). `progress(done, total)` is
    called after every `every` registrations (the badges job shows it: one commit per new code)."""
    for number, registration in enumerate(registrations, start=1):
        checkin_code(registration)
        if progress is not None and number % every == 0:
            progress(number, len(registrations))


def _folded(text: str) -> str:
    """For matching names as people type them: no case, no accents ("celine" finds "Céline")."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().split())


SEARCH_LIMIT = 20
SEARCH_MAX = 100


def search(event: Event, query: str) -> list[Registration]:
    """Approved participants whose name or organisation holds every word of the query, by name; at most
    SEARCH_LIMIT. An event has hundreds of participants at most: matched here, accents and all."""
    words = _folded(query[:SEARCH_MAX]).split()
    if not words:
        return []
    found = [
        r
        for r in participants(event)
        if all(word in _folded(f"{r.user.display_name} {r.organisation_name}") for word in words)
    ]
    found.sort(key=lambda r: _folded(r.user.display_name))
    return found[:SEARCH_LIMIT]


@dataclass
class Arrival:
    registration: Registration
    arrived_at: datetime  # UTC, as stored

    @property
    def local_time(self) -> str:
        """The time of arrival on the event's clock (Brussels), HH:MM."""
        return self.arrived_at.replace(tzinfo=UTC).astimezone(TZ).strftime("%H:%M")


@dataclass
class Overview:
    arrived: int
    expected: int
    latest: list[Arrival]


def overview(event: Event, latest: int = 10) -> Overview:
    """How many of the approved participants arrived, and the latest arrivals (newest first)."""
    expected = len(participants(event))
    rows = db.session.execute(
        sa.select(CheckIn, Registration)
        .join(Registration, Registration.id == CheckIn.registration_id)
        .where(CheckIn.event_id == event.id, Registration.status == RegistrationStatus.APPROVED)
        .order_by(CheckIn.arrived_at.desc(), CheckIn.id.desc())
    ).all()
    return Overview(
        arrived=len(rows),
        expected=expected,
        latest=[Arrival(registration, arrival.arrived_at) for arrival, registration in rows[:latest]],
    )


def was_marked_absent(registration: Registration) -> bool:
    """A participant marked absent (no-show) who is checked in later: their cancelled meetings stay cancelled
    (the people they were to meet were told and may have other plans); the check-in page says so."""
    return (
        db.session.scalar(
            sa.select(Absence.id).where(
                Absence.event_id == registration.event_id, Absence.registration_id == registration.id
            )
        )
        is not None
    )


def not_arrived(event: Event) -> list[Registration]:
    """Approved participants neither checked in nor marked absent yet."""
    arrived = arrived_ids(event)
    absent = set(db.session.scalars(sa.select(Absence.registration_id).where(Absence.event_id == event.id)))
    return [r for r in participants(event) if r.id not in arrived and r.id not in absent]


def mark_not_arrived_absent(user: User, event: Event) -> tuple[int, int]:
    """The no-show handling after the doors: everyone approved who is not checked in is marked absent, one by
    one with the schedule's own `mark_absent` (their remaining meetings are cancelled, their partners told).
    Refused while nobody is checked in (then the check-in was not used, and this would cancel everything).
    Returns (participants marked absent, meetings cancelled); one already marked by someone else meanwhile is
    skipped."""
    from matchmaker.services.scheduling import mark_absent  # the scheduling package is not a leaf

    require_manager(user, event)
    if not arrived_ids(event):
        raise ServiceError(_("Nobody is checked in yet: marking everyone absent would cancel every meeting."))
    marked = cancelled = 0
    for registration in not_arrived(event):
        try:
            cancelled += mark_absent(user, registration)
        except Conflict:
            continue  # marked absent by another organizer at the same moment
        except ServiceError:
            if was_marked_absent(registration):
                continue
            raise
        marked += 1
    return marked, cancelled
