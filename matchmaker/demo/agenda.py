"""Demo agenda: the upcoming demo event gets a scheduled and published agenda. Idempotent.

Runs after the events step (matchmaker.demo.STEPS). Every demo supplier asks two or three buyers (accepted),
so the scheduler has enough to do; the scheduler runs for a few seconds; the agenda is published without
mails (in-app notifications only, as the other demo steps do).
"""

from collections.abc import Callable

import sqlalchemy as sa

from matchmaker import links
from matchmaker.demo.events import UPCOMING_TITLE
from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    EventStatus,
    Meeting,
    MeetingRequest,
    Notification,
    ParticipantRole,
    Registration,
    RegistrationStatus,
    RequestStatus,
    RunMode,
    utcnow,
)
from matchmaker.services import ServiceError, scheduling

TIME_LIMIT = 3  # seconds: the demo is small, and the demo tests run this step


def _add_requests(event: Event) -> int:
    registrations = db.session.scalars(
        sa.select(Registration)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.APPROVED)
        .order_by(Registration.id)
    ).unique()
    registrations = list(registrations)
    buyers = [r for r in registrations if r.role == ParticipantRole.BUYER]
    suppliers = [r for r in registrations if r.role == ParticipantRole.SUPPLIER]
    if not buyers:
        return 0
    asked = {
        frozenset(pair)
        for pair in db.session.execute(
            sa.select(MeetingRequest.from_registration_id, MeetingRequest.to_registration_id).where(
                MeetingRequest.event_id == event.id
            )
        )
    }
    added = 0
    for index, supplier in enumerate(suppliers):
        for step in range(min(3, len(buyers))):
            buyer = buyers[(index + step) % len(buyers)]
            if frozenset((supplier.id, buyer.id)) in asked:
                continue
            asked.add(frozenset((supplier.id, buyer.id)))
            db.session.add(
                MeetingRequest(
                    event_id=event.id,
                    from_registration_id=supplier.id,
                    to_registration_id=buyer.id,
                    message="Graag maken we kennis op de meet & greet.",
                    status=RequestStatus.ACCEPTED,
                    responded_at=utcnow(),
                )
            )
            added += 1
    db.session.commit()
    return added


def seed_demo_agenda(progress: Callable[[str], None] = lambda message: None) -> str:
    event = db.session.scalar(sa.select(Event).where(Event.title == UPCOMING_TITLE))
    if event is None:
        return "agenda: skipped (no upcoming demo event)"
    if event.status == EventStatus.AGENDA_PUBLISHED or db.session.scalar(
        sa.select(Meeting.id).where(Meeting.event_id == event.id).limit(1)
    ):
        return "agenda: already there"
    added = _add_requests(event)
    try:
        run = scheduling.create_run(None, event, RunMode.FULL, False, TIME_LIMIT)
    except ServiceError as refusal:
        return f"agenda: skipped ({refusal.message})"
    run = scheduling.execute_run(run.id)
    if run is None or run.status != "done":
        return f"agenda: the scheduler failed ({run.error if run else 'claimed elsewhere'})"
    try:
        report = scheduling.publish(None, event, send_notifications=False)
    except ServiceError as refusal:
        return f"agenda: not published ({refusal.message})"
    # In-app notifications for everyone with a meeting, as if mailed (no mail goes out while seeding).
    people = {
        rid
        for m in scheduling.active_meetings(event)
        for rid in (m.first_registration_id, m.second_registration_id)
    }
    for registration in db.session.scalars(
        sa.select(Registration).where(Registration.id.in_(people))
    ).unique():
        db.session.add(
            Notification(
                user_id=registration.user_id,
                kind="agenda_published",
                url=links.path("agendas.participant_agenda", event_id=event.id),
                params={"event": event.title},
                emailed_at=utcnow(),
            )
        )
    db.session.commit()
    return (
        f"agenda: {added} requests added, {report.published} meetings published "
        f"(F {run.fair_share:g} of at most {run.fair_share_bound:g}, "
        f"W {run.weight:g} of at most {run.weight_bound:g}{', proven optimal' if run.proven_optimal else ''})"
    )
