"""The engine's instance (matchmaker.scheduling) built from the database, and the context to read its
solution back.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from matchmaker import scheduling as engine
from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    EventStatus,
    Meeting,
    MeetingSource,
    Registration,
    RunMode,
    SlotKind,
)
from matchmaker.models.scheduling import SOURCE_WEIGHTS
from matchmaker.services.scheduling.meetings import (
    FAIRNESS_TARGET,
    Candidate,
    _pair,
    active_meetings,
    requested_pairs,
    schedulable_registrations,
)

log = logging.getLogger(__name__)

SUGGESTIONS_PER_PARTICIPANT = 3


def suggested_pairs(
    registrations: list[Registration], language: str = "nl", only: list[Registration] | None = None
) -> dict[tuple[int, int], Candidate]:
    """Pairs the matching engine proposes (weight 1): each participant's best few of the other side
    (of `only` those participants' when given, e.g. the late ones)."""
    try:
        from matchmaker.services.matching import recommend_participants
    except ImportError:  # pragma: no cover - the matching area is part of the app
        return {}
    pairs: dict[tuple[int, int], Candidate] = {}
    for registration in registrations if only is None else only:
        try:
            ranked = recommend_participants(registration, registrations, language)
        except Exception:  # a failing engine must not stop the scheduler
            log.exception("recommend_participants failed for registration %s", registration.id)
            continue
        for recommendation in ranked[:SUGGESTIONS_PER_PARTICIPANT]:
            if recommendation.score <= 0:
                continue
            pair = _pair(registration.id, recommendation.registration.id)
            pairs.setdefault(
                pair, Candidate(pair, MeetingSource.SUGGESTED, SOURCE_WEIGHTS[MeetingSource.SUGGESTED])
            )
    return pairs


@dataclass
class Context:
    """What it takes to read the engine's answer back: ids and names, no ORM objects."""

    event_id: int
    slot_ids: dict[str, int] = field(default_factory=dict)  # engine slot id -> Slot.id
    table_ids: dict[int, int] = field(default_factory=dict)  # engine table number -> EventTable.id
    names: dict[str, str] = field(default_factory=dict)  # engine participant id -> display name
    candidates: dict[tuple[int, int], Candidate] = field(default_factory=dict)
    locked_pairs: set[tuple[int, int]] = field(default_factory=set)
    replace_ids: list[int] = field(default_factory=list)  # meetings a full run replaces


def _pid(registration_id: int) -> str:
    return f"r{registration_id}"


def _rid(pid: str) -> int:
    return int(pid[1:])


def build_instance(
    event: Event,
    mode: str = RunMode.FULL,
    include_suggestions: bool = False,
    fairness_target: int = FAIRNESS_TARGET,
) -> tuple[engine.Instance, Context]:
    """The engine's instance for the event, and the context to read its solution back."""
    context = Context(event.id)
    slots = [s for s in event.slots if s.kind == SlotKind.MEETING]
    tables = sorted(event.tables, key=lambda t: t.number)
    slot_key = {s.id: f"s{s.id}" for s in slots}
    context.slot_ids = {v: k for k, v in slot_key.items()}
    table_number = {t.id: index for index, t in enumerate(tables, start=1)}
    context.table_ids = {v: k for k, v in table_number.items()}
    registrations = schedulable_registrations(event)
    by_id = {r.id: r for r in registrations}
    available: dict[int, set[str]] = {}
    for r in registrations:
        chosen = [slot_key[s.id] for s in r.available_slots if s.id in slot_key]
        available[r.id] = set(chosen) if chosen else set(slot_key.values())
        context.names[_pid(r.id)] = (
            f"{r.user.display_name} ({r.organisation_name})" if r.organisation_name else r.user.display_name
        )
    max_meetings = {r.id: r.max_meetings for r in registrations}
    current = active_meetings(event)

    candidates = requested_pairs(event)
    if include_suggestions:
        only = None
        if event.status == EventStatus.AGENDA_PUBLISHED:
            # After publishing, suggestions are made only for those who have no meeting yet (late
            # participants), so that published agendas do not fill up with meetings nobody asked for.
            busy = {rid for m in current for rid in (m.first_registration_id, m.second_registration_id)}
            only = [r for r in registrations if r.id not in busy]
        for pair, candidate in suggested_pairs(registrations, only=only).items():
            candidates.setdefault(pair, candidate)
    # A pair whose meeting was cancelled (by one of them or by the organizer) is not proposed again.
    cancelled = {
        (a, b)
        for a, b in db.session.execute(
            sa.select(Meeting.first_registration_id, Meeting.second_registration_id).where(
                Meeting.event_id == event.id, Meeting.cancelled_at.is_not(None)
            )
        )
    }
    candidates = {
        pair: c
        for pair, c in candidates.items()
        if pair[0] in by_id
        and pair[1] in by_id
        and by_id[pair[0]].role != by_id[pair[1]].role
        and pair not in cancelled
    }

    locked: list[engine.Meeting] = []
    for meeting in current:
        keep = mode == RunMode.FILL or meeting.locked or meeting.published
        if not keep:
            context.replace_ids.append(meeting.id)
            continue
        a, b = meeting.first_registration_id, meeting.second_registration_id
        if (
            a not in by_id
            or b not in by_id
            or meeting.slot_id not in slot_key
            or meeting.table_id not in table_number
        ):
            continue  # a participant left or was marked absent: their meetings are cancelled separately
        pair = (a, b)
        if pair not in candidates:
            candidates[pair] = Candidate(pair, meeting.source, max(1, meeting.weight), meeting.request_id)
        # The organizer's hand beats the stated availability and maximum.
        for rid in pair:
            available[rid].add(slot_key[meeting.slot_id])
        locked.append(
            engine.Meeting(_pid(a), _pid(b), slot_key[meeting.slot_id], table_number[meeting.table_id])
        )
        context.locked_pairs.add(pair)
    locked_count: dict[int, int] = defaultdict(int)
    for m in locked:
        locked_count[_rid(m.a)] += 1
        locked_count[_rid(m.b)] += 1
    context.candidates = candidates
    order = {s.id: i for i, s in enumerate(slots)}
    instance = engine.Instance(
        slots=tuple(
            engine.Slot(slot_key[s.id], s.starts_at.isoformat(), s.ends_at.isoformat()) for s in slots
        ),
        tables=len(tables),
        participants=tuple(
            engine.Participant(
                _pid(r.id),
                tuple(sorted(available[r.id], key=lambda k: order[context.slot_ids[k]])),
                max(max_meetings[r.id], locked_count[r.id]),
                r.role,
            )
            for r in registrations
        ),
        requests=tuple(
            engine.Request(_pid(c.pair[0]), _pid(c.pair[1]), c.weight)
            for c in sorted(candidates.values(), key=lambda c: c.pair)
        ),
        locked=tuple(locked),
        fairness_target=fairness_target,
    )
    return instance, context
