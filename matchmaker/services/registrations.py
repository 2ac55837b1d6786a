"""Registrations: a buyer or supplier takes part in an event with the needs or offerings they bring, the
meeting slots they are available for and how many meetings they want at most.

Participants change or cancel their registration while registration is open. The organizer approves or
refuses registrations (when admission needs approval) and may register people on their behalf.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from matchmaker.extensions import db
from matchmaker.models import (
    Admission,
    Event,
    MeetingRequest,
    Need,
    NeedStatus,
    Offering,
    OfferingStatus,
    Organisation,
    ParticipantRole,
    Registration,
    RegistrationStatus,
    RequestStatus,
    Role,
    Slot,
    SlotKind,
    User,
    utcnow,
)
from matchmaker.models.events import with_items
from matchmaker.models.organisation import not_suspended
from matchmaker.services import ServiceError, commit, matching
from matchmaker.services.accounts import account_deletion_hook, get_user_by_email, personal_data_exporter
from matchmaker.services.event_rules import can_manage, event_path, registration_is_open, require_manager
from matchmaker.services.notifications import notify
from matchmaker.textutil import fold

log = logging.getLogger(__name__)

MAX_MEETINGS_LIMIT = 100


@dataclass
class RegistrationInput:
    role: str
    item_ids: list[int]
    slot_ids: list[int] | None = None  # None: every meeting slot
    max_meetings: int = 8


def participant_roles(user: User) -> list[str]:
    """The roles in which this user can take part: buyer and/or supplier."""
    return [role for role in (ParticipantRole.BUYER, ParticipantRole.SUPPLIER) if user.has_role(role)]


def eligible_items(user: User, role: str) -> list:
    """What the user can bring: the published offerings (supplier) or open needs (buyer) of their
    organisation."""
    organisation = user.organisation
    if organisation is None:
        return []
    if role == ParticipantRole.SUPPLIER:
        return list(
            db.session.scalars(
                sa.select(Offering)
                .where(
                    Offering.organisation_id == organisation.id, Offering.status == OfferingStatus.PUBLISHED
                )
                .order_by(Offering.title)
            ).all()
        )
    return list(
        db.session.scalars(
            sa.select(Need)
            .where(Need.organisation_id == organisation.id, Need.status == NeedStatus.OPEN)
            .order_by(Need.title)
        ).all()
    )


def registration_of(user, event: Event) -> Registration | None:
    if user is None:
        return None
    # The registration's user is the one asked about, already loaded: joining it again made SQLAlchemy read
    # that user's roles once more, a "select IN" query whose rows it then drops (the roles were loaded). The
    # registration is given that user instead, below, and holds on to it as it did when joined.
    registration = db.session.scalar(
        sa.select(Registration)
        .where(Registration.event_id == event.id, Registration.user_id == user.id)
        .options(lazyload(Registration.user))
    )
    if registration is not None:
        # The registration holds on to its event: the session keeps an object only while something refers
        # to it, so a caller that kept the registration alone loaded the event again on reading it (the
        # agenda page did, once a request).
        set_committed_value(registration, "event", event)
        if user in db.session:
            set_committed_value(registration, "user", user)
    return registration


def registrations_of_user(user) -> list[Registration]:
    """The user's active registrations, for "my events"."""
    if user is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(
                Registration.user_id == user.id,
                Registration.status.in_((RegistrationStatus.PENDING, RegistrationStatus.APPROVED)),
            )
            .order_by(Registration.created_at.desc())
        ).all()
    )


def get_registration_in_event(event: Event, registration_id: int) -> Registration | None:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        return None
    return registration


def active_count(event: Event, role: str) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(Registration.id)).where(
                Registration.event_id == event.id,
                Registration.role == role,
                Registration.status.in_((RegistrationStatus.PENDING, RegistrationStatus.APPROVED)),
            )
        )
        or 0
    )


def places_left(event: Event, role: str) -> int | None:
    capacity = event.capacity(role)
    if capacity is None:
        return None
    return max(0, capacity - active_count(event, role))


def _check_input(user: User, event: Event, data: RegistrationInput) -> tuple[list, list[Slot]]:
    if data.role not in participant_roles(user):
        raise ServiceError(_("Only buyers and suppliers register for an event, each in their own role."))
    if user.organisation is None:
        raise ServiceError(_("Register your organisation first: you bring its offerings or needs."))
    eligible = {item.id: item for item in eligible_items(user, data.role)}
    items = [eligible[i] for i in dict.fromkeys(data.item_ids) if i in eligible]
    if not items or len(items) != len(set(data.item_ids)):
        if data.role == ParticipantRole.SUPPLIER:
            raise ServiceError(_("Choose at least one of your organisation's published offerings."))
        raise ServiceError(_("Choose at least one of your organisation's open needs."))
    meeting_slots = {s.id: s for s in event.slots if s.kind == SlotKind.MEETING}
    if data.slot_ids is None:
        slots = list(meeting_slots.values())
    else:
        slots = [meeting_slots[i] for i in dict.fromkeys(data.slot_ids) if i in meeting_slots]
        if not slots:
            raise ServiceError(_("Choose at least one time slot in which you are available."))
    if not 1 <= data.max_meetings <= MAX_MEETINGS_LIMIT:
        raise ServiceError(_("Choose between 1 and %(max)s meetings.", max=MAX_MEETINGS_LIMIT))
    return items, slots


def _apply(registration: Registration, items: list, slots: list[Slot], max_meetings: int) -> None:
    if registration.role == ParticipantRole.SUPPLIER:
        registration.offerings, registration.needs = items, []
    else:
        registration.needs, registration.offerings = items, []
    registration.available_slots = slots
    registration.max_meetings = max_meetings


def check_not_refused(registration: Registration | None) -> None:
    """A participant the organizer refused does not register again by themselves: only the organizer admits
    them (approving the refused registration, or registering them on their behalf)."""
    if registration is not None and registration.status == RegistrationStatus.REFUSED:
        raise ServiceError(
            _(
                "The organizer refused your registration for this event. Contact the organizer if you still "
                "wish to take part."
            )
        )


def comes_back(registration: Registration | None) -> bool:
    """Does registering again bring back a cancelled registration? It then waits for the organizer."""
    return registration is not None and registration.status == RegistrationStatus.CANCELLED


def register(user: User, event: Event, data: RegistrationInput, by: User | None = None) -> Registration:
    """Register `user`; `by` is the organizer when they register someone on their behalf
    (allowed while the event is not closed; the registration is approved at once).

    Registering again after the registration ended (issue 14): a REFUSED participant is refused
    (`check_not_refused`) until the organizer admits them. A CANCELLED one (who withdrew themselves, or whom
    the organizer withdrew: the registration does not tell them apart) may ask again, but waits for the
    organizer's approval even where admission is automatic: a participant who withdrew is not admitted again
    behind the organizer's back, and cancelling and registering again is no way to start over (their open
    requests were cancelled; sending them all again would notify everyone once more)."""
    on_behalf = by is not None and by.id != user.id
    if on_behalf:
        require_manager(by, event)
        if event.status in ("agenda_published", "closed", "draft"):
            raise ServiceError(
                _("Participants can be added between opening registration and publishing the agenda.")
            )
    elif not registration_is_open(event):
        raise ServiceError(_("Registration for this event is not open."))
    existing = registration_of(user, event)
    if existing is not None and existing.is_active:
        raise ServiceError(_("You are already registered for this event."))
    if not on_behalf:
        check_not_refused(existing)
    items, slots = _check_input(user, event, data)
    # Serialize registrations per event (PostgreSQL): two late ones cannot both take the last place.
    db.session.execute(sa.select(Event.id).where(Event.id == event.id).with_for_update())
    left = places_left(event, data.role)
    if left is not None and left <= 0 and not on_behalf:
        raise ServiceError(
            _("This event is full for your role. Contact the organizer to join a waiting list.")
        )
    automatic = on_behalf or (event.admission == Admission.AUTOMATIC and not comes_back(existing))
    registration = existing or Registration(event_id=event.id, user_id=user.id)
    registration.role = data.role
    registration.organisation_id = user.organisation.id
    registration.status = RegistrationStatus.APPROVED if automatic else RegistrationStatus.PENDING
    registration.decided_at = utcnow() if automatic else None
    registration.registered_by_id = by.id if on_behalf else None
    if existing is None:
        db.session.add(registration)
    _apply(registration, items, slots, data.max_meetings)
    commit(_("You are already registered for this event."))
    url = event_path(event)
    if on_behalf or automatic:
        # Admitted at once: mailed as the person chose for their notifications (the page said so already).
        notify(user, "registration_approved", url=url, event=event.title)
    elif event.organizer is not None:
        notify(
            event.organizer,
            "registration_received",
            url=event_path(event, "dashboard"),
            name=user.display_name,
            event=event.title,
        )
    return registration


def update_registration(user: User, registration: Registration, data: RegistrationInput) -> Registration:
    if registration.user_id != user.id:
        raise ServiceError(_("This registration is not yours."))
    if not registration.is_active:
        raise ServiceError(_("This registration was cancelled or refused; register again instead."))
    if not registration_is_open(registration.event):
        raise ServiceError(_("Registration has closed: your registration can no longer change."))
    data.role = registration.role  # the role does not change; cancel and register again for another role
    items, slots = _check_input(user, registration.event, data)
    _apply(registration, items, slots, data.max_meetings)
    commit()
    return registration


def close_open_requests(registration: Registration) -> None:
    """Cancel the registration's pending and accepted meeting requests, sent or received."""
    db.session.execute(
        sa.update(MeetingRequest)
        .where(
            sa.or_(
                MeetingRequest.from_registration_id == registration.id,
                MeetingRequest.to_registration_id == registration.id,
            ),
            MeetingRequest.status.in_((RequestStatus.PENDING, RequestStatus.ACCEPTED)),
        )
        .values(status=RequestStatus.CANCELLED, responded_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def cancel_registration(user: User, registration: Registration) -> None:
    """The participant withdraws (while registration is open); their open requests are cancelled."""
    if registration.user_id != user.id:
        raise ServiceError(_("This registration is not yours."))
    if not registration.is_active:
        raise ServiceError(_("This registration is already cancelled."))
    if not registration_is_open(registration.event):
        raise ServiceError(_("Registration has closed: contact the organizer to withdraw."))
    registration.status = RegistrationStatus.CANCELLED
    close_open_requests(registration)
    commit()


def decide_registration(organizer: User, registration: Registration, approve: bool) -> Registration:
    event = registration.event
    require_manager(organizer, event)
    if registration.status == RegistrationStatus.CANCELLED:
        raise ServiceError(_("The participant cancelled this registration."))
    target = RegistrationStatus.APPROVED if approve else RegistrationStatus.REFUSED
    if registration.status == target:
        return registration
    registration.status = target
    registration.decided_at = utcnow()
    if not approve:
        close_open_requests(registration)
    commit()
    notify(
        registration.user,
        "registration_approved" if approve else "registration_refused",
        url=event_path(event),
        event=event.title,
    )
    return registration


def register_on_behalf(
    organizer: User, event: Event, email: str, role: str, max_meetings: int = 8
) -> Registration:
    """The organizer registers an existing account with all the offerings or needs it can bring."""
    require_manager(organizer, event)
    user = get_user_by_email(email)
    if user is None or not user.active:
        raise ServiceError(
            _("No active account uses this email address. Ask the person to create one first.")
        )
    if role not in participant_roles(user):
        raise ServiceError(_("This account is not a %(role)s account.", role=_role_label(role)))
    items = eligible_items(user, role)
    if not items:
        raise ServiceError(
            _(
                "%(name)s's organisation has nothing to bring yet: it needs at least one published offering "
                "or open need.",
                name=user.display_name,
            )
        )
    return register(
        user,
        event,
        RegistrationInput(role=role, item_ids=[i.id for i in items], max_meetings=max_meetings),
        by=organizer,
    )


def _role_label(role: str) -> str:
    return _("buyer") if role == Role.BUYER else _("supplier")


@dataclass
class Directory:
    """Who is here, for one reader: the recommended participants first (best first), then the others."""

    mine: Registration | None  # the reader's approved registration (None for the organizer)
    recommendations: list[matching.Recommendation]
    others: Sequence[Registration]  # a LazyRegistrations for the organizer's unfiltered list
    total: int  # participants other than the reader, before filters
    role: str
    theme_id: int | None
    query: str


def _matches_query(registration: Registration, words: list[str]) -> bool:
    if not words:  # no search: folding every participant's texts cost most of a large event's list
        return True
    text = fold(
        " ".join(
            [registration.user.display_name, registration.organisation_name]
            + [item.title for item in registration.shown_items]
            + [getattr(item, "summary", "") or "" for item in registration.shown_items]
        )
    )
    return all(word in text for word in words)


def who_is_here(
    user,
    event: Event,
    role: str | None = None,
    theme_id: int | None = None,
    query: str = "",
    language: str = "nl",
) -> Directory:
    """The approved participants other than `user`, filtered by role (default: the other side), theme of
    what they bring, and words (name, organisation, titles); the matching engine's recommendations first."""
    mine = registration_of(user, event)
    if mine is not None and mine.status != RegistrationStatus.APPROVED:
        mine = None
    query = (query or "").strip()[:200]
    words = fold(query).split()
    if mine is None and not theme_id and not words:
        # The organizer's list without filters on what participants bring: sorted and counted from one light
        # query; what they bring is loaded for the page shown only (a 500-participant event loaded every
        # participant's offerings and needs on each request).
        return _directory_of_names(event, role if role in tuple(ParticipantRole) else "")
    approved = [Registration.event_id == event.id, Registration.status == RegistrationStatus.APPROVED]
    if mine is not None:  # participants do not see a suspended organisation's people; the organizers do
        approved.append(not_suspended(Registration.organisation_id))
    everyone = [
        r
        for r in db.session.scalars(
            sa.select(Registration)
            .where(*approved)
            .options(*with_items())
        ).unique()
        if not (mine and r.id == mine.id)
    ]
    if role is None:
        role = (
            ""
            if mine is None
            else (ParticipantRole.SUPPLIER if mine.role == ParticipantRole.BUYER else ParticipantRole.BUYER)
        )
    if role not in ("", *ParticipantRole):
        role = ""

    def keep(r: Registration) -> bool:
        if role and r.role != role:
            return False
        if theme_id and not any(theme_id in [t.id for t in item.themes] for item in r.shown_items):
            return False
        return _matches_query(r, words)

    shown = [r for r in everyone if keep(r)]
    recommendations: list = []
    if mine is not None:
        candidates = [r for r in shown if r.role != mine.role]
        try:
            ranked = matching.recommend_participants(mine, candidates, language)
            recommendations = [rec for rec in ranked if rec.score > 0]
        except Exception:  # a failing engine must not take the participant list down
            log.exception("recommend_participants failed for registration %s", mine.id)
            recommendations = []
    recommended = {rec.registration.id for rec in recommendations}
    others = sorted(
        (r for r in shown if r.id not in recommended),
        key=lambda r: (r.organisation_name.casefold(), r.user.display_name.casefold()),
    )
    return Directory(mine, recommendations, others, len(everyone), role, theme_id, query)


class LazyRegistrations(Sequence):
    """Registrations in a fixed order, loaded with what they bring only for the part asked for (a slice: the
    page shown)."""

    def __init__(self, ids: list[int]):
        self.ids = ids

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1 or None][0]
        ids = self.ids[index]
        if not ids:
            return []
        loaded = {
            r.id: r
            for r in db.session.scalars(
                sa.select(Registration).where(Registration.id.in_(ids)).options(*with_items(themes=False))
            ).unique()
        }
        return [loaded[i] for i in ids if i in loaded]


def _directory_of_names(event: Event, role: str) -> Directory:
    """who_is_here() for a reader who is not a participant, without filters on items: every approved
    participant by organisation and name, from one query of ids and names."""
    rows = db.session.execute(
        sa.select(Registration.id, Registration.role, Organisation.name, User.display_name)
        .join(User, User.id == Registration.user_id)
        .outerjoin(Organisation, Organisation.id == Registration.organisation_id)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.APPROVED)
    ).all()
    shown = sorted(
        (row for row in rows if not role or row.role == role),
        key=lambda row: ((row.name or "").casefold(), row.display_name.casefold()),
    )
    return Directory(None, [], LazyRegistrations([row.id for row in shown]), len(rows), role, None, "")


def can_see_participants(user, event: Event) -> bool:
    """Approved participants and the event's managers see who is here."""
    if can_manage(user, event):
        return True
    registration = registration_of(user, event)
    return registration is not None and registration.status == RegistrationStatus.APPROVED


@personal_data_exporter("events")
def _export_registrations(user: User) -> list[dict]:
    """The user's registrations and the meeting requests they sent or received ("download my data")."""
    registrations = db.session.scalars(sa.select(Registration).where(Registration.user_id == user.id)).all()
    exported = []
    for registration in registrations:
        requests = db.session.scalars(
            sa.select(MeetingRequest).where(
                sa.or_(
                    MeetingRequest.from_registration_id == registration.id,
                    MeetingRequest.to_registration_id == registration.id,
                )
            )
        ).all()
        exported.append(
            {
                "event": registration.event.title,
                "role": registration.role,
                "status": registration.status,
                "max_meetings": registration.max_meetings,
                "brings": [item.title for item in registration.items],
                "available_slots": [
                    s.starts_at.isoformat(timespec="minutes") for s in registration.available_slots
                ],
                "registered_at": registration.created_at,
                "meeting_requests": [
                    {
                        "direction": "sent" if r.from_registration_id == registration.id else "received",
                        "with": (
                            r.to_registration
                            if r.from_registration_id == registration.id
                            else r.from_registration
                        ).user.display_name,
                        "message": r.message,
                        "status": r.status,
                        "sent_at": r.created_at,
                        "answered_at": r.responded_at,
                    }
                    for r in requests
                ],
            }
        )
    return exported


@account_deletion_hook("events")
def _forget_registrations(user: User) -> None:
    """On account deletion: remove the user's registrations and every request they sent or received, and
    keep their events without an organizer (an administrator can take them over)."""
    registrations = db.session.scalars(sa.select(Registration).where(Registration.user_id == user.id)).all()
    ids = [r.id for r in registrations]
    if ids:
        db.session.execute(
            sa.delete(MeetingRequest)
            .where(
                sa.or_(
                    MeetingRequest.from_registration_id.in_(ids), MeetingRequest.to_registration_id.in_(ids)
                )
            )
            .execution_options(synchronize_session=False)
        )
        for registration in registrations:
            db.session.delete(registration)  # the ORM also removes its offering, need and slot links
    db.session.execute(
        sa.update(Event)
        .where(Event.organizer_id == user.id)
        .values(organizer_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(Registration)
        .where(Registration.registered_by_id == user.id)
        .values(registered_by_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
