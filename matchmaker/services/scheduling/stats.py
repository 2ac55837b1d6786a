"""The schedule as it stands, for the organizer's review: statistics, the grid, one participant's day."""

import statistics
from dataclasses import dataclass

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    Meeting,
    Registration,
    Slot,
)
from matchmaker.services.scheduling.meetings import (
    FAIRNESS_TARGET,
    active_meetings,
    schedulable_registrations,
)


@dataclass
class ScheduleStats:
    participants: int
    meetings: int
    per_participant_min: int
    per_participant_median: float
    per_participant_max: int
    without_meeting: list[Registration]
    fair_share: int
    weight: int
    unpublished: int
    notices_pending: int


def schedule_stats(event: Event, target: int = FAIRNESS_TARGET) -> ScheduleStats:
    """The schedule as it stands now (after the organizer's corrections), for the review page."""
    registrations = schedulable_registrations(event)
    meetings = active_meetings(event)
    counts = {r.id: 0 for r in registrations}
    weight = 0
    for m in meetings:
        weight += m.weight
        for rid in (m.first_registration_id, m.second_registration_id):
            if rid in counts:
                counts[rid] += 1
    values = list(counts.values()) or [0]
    pending = db.session.scalar(
        sa.select(sa.func.count(Meeting.id)).where(
            Meeting.event_id == event.id, Meeting.notice_pending.is_(True)
        )
    )
    return ScheduleStats(
        participants=len(registrations),
        meetings=len(meetings),
        per_participant_min=min(values),
        per_participant_median=statistics.median(values),
        per_participant_max=max(values),
        without_meeting=[r for r in registrations if counts[r.id] == 0],
        fair_share=sum(min(counts[r.id], target, r.max_meetings) for r in registrations),
        weight=weight,
        unpublished=sum(1 for m in meetings if not m.published),
        notices_pending=pending or 0,
    )


def participant_day(event: Event, registration: Registration) -> list[tuple[Slot, Meeting | None]]:
    """Every meeting slot of the event with the participant's meeting in it (or None)."""
    meetings = {
        m.slot_id: m
        for m in active_meetings(event)
        if registration.id in (m.first_registration_id, m.second_registration_id)
    }
    return [(s, meetings.get(s.id)) for s in event.meeting_slots]


def grid(event: Event) -> dict[tuple[int, int], Meeting]:
    return {(m.slot_id, m.table_id): m for m in active_meetings(event)}
