"""The engine's instance (matchmaker.scheduling) built from the database, and the context to read its
solution back.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from matchmaker import scheduling as engine
from matchmaker.extensions import db
from matchmaker.models import (
    CheckIn,
    Event,
    EventStatus,
    Meeting,
    MeetingSource,
    Registration,
    RunMode,
    Slot,
    SlotKind,
)
from matchmaker.models.scheduling import SOURCE_WEIGHTS
from matchmaker.services import event_rules, matching
from matchmaker.services.scheduling.meetings import (
    FAIRNESS_TARGET,
    Candidate,
    _pair,
    absent_ids,
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
    pairs: dict[tuple[int, int], Candidate] = {}
    for registration in registrations if only is None else only:
        try:
            ranked = matching.recommend_participants(registration, registrations, language)
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
    now: datetime | None = None,
) -> tuple[engine.Instance, Context]:
    """The engine's instance for the event, and the context to read its solution back.

    Once the agenda is published (a fill run, possibly on the day itself), new meetings go only into slots
    that have not begun at `now` (default: the event's clock)."""
    context = Context(event.id)
    places = _Places.of(event, context)
    registrations = schedulable_registrations(event)
    context.names = {_pid(r.id): _name(r) for r in registrations}
    available = {r.id: _available_slots(r, places) for r in registrations}
    if event.status == EventStatus.AGENDA_PUBLISHED:
        now = now or event_rules.local_now()
        begun = {places.slot_key[s.id] for s in places.slots if s.starts_at <= now}
        for slots in available.values():
            slots -= begun
    current = active_meetings(event)
    candidates = _possible_pairs(
        event, registrations, _candidate_pairs(event, registrations, current, include_suggestions)
    )
    locked = _keep_meetings(context, current, mode, registrations, places, candidates, available)
    context.candidates = candidates
    instance = engine.Instance(
        slots=tuple(
            engine.Slot(places.slot_key[s.id], s.starts_at.isoformat(), s.ends_at.isoformat())
            for s in places.slots
        ),
        tables=len(places.table_number),
        participants=_participants(registrations, available, locked, places),
        requests=tuple(
            engine.Request(_pid(c.pair[0]), _pid(c.pair[1]), c.weight)
            for c in sorted(candidates.values(), key=lambda c: c.pair)
        ),
        locked=tuple(locked),
        fairness_target=fairness_target,
    )
    return instance, context


@dataclass
class _Places:
    """The event's meeting slots and tables under the engine's names: slot "s<id>", table number 1, 2, ..."""

    slots: list[Slot]
    slot_key: dict[int, str]  # Slot.id -> engine slot id
    table_number: dict[int, int]  # EventTable.id -> engine table number

    @classmethod
    def of(cls, event: Event, context: Context) -> "_Places":
        slots = [s for s in event.slots if s.kind == SlotKind.MEETING]
        tables = sorted(event.tables, key=lambda t: t.number)
        places = cls(
            slots,
            {s.id: f"s{s.id}" for s in slots},
            {t.id: number for number, t in enumerate(tables, start=1)},
        )
        context.slot_ids = {key: slot_id for slot_id, key in places.slot_key.items()}
        context.table_ids = {number: table_id for table_id, number in places.table_number.items()}
        return places

    def holds(self, meeting: Meeting) -> bool:
        return meeting.slot_id in self.slot_key and meeting.table_id in self.table_number


def _name(registration: Registration) -> str:
    name = registration.user.display_name
    return f"{name} ({registration.organisation_name})" if registration.organisation_name else name


def _available_slots(registration: Registration, places: _Places) -> set[str]:
    """The slots the participant chose; every slot when they chose none."""
    chosen = {places.slot_key[s.id] for s in registration.available_slots if s.id in places.slot_key}
    return chosen or set(places.slot_key.values())


def _candidate_pairs(
    event: Event, registrations: list[Registration], current: list[Meeting], include_suggestions: bool
) -> dict[tuple[int, int], Candidate]:
    """The requested pairs, and the matching engine's suggestions when asked for."""
    candidates = requested_pairs(event)
    if not include_suggestions:
        return candidates
    only = None
    freed: set[int] = set()
    arrived: set[int] = set()
    if event.status == EventStatus.AGENDA_PUBLISHED:
        # After publishing, suggestions are made only for those who have no meeting yet (late
        # participants) and for those whose partner did not come (a meeting cancelled because the other
        # party was marked absent), so that published agendas do not fill up with meetings nobody asked for.
        busy = {rid for m in current for rid in (m.first_registration_id, m.second_registration_id)}
        freed = freed_by_absence(event)
        only = [r for r in registrations if r.id not in busy or r.id in freed]
        arrived = set(
            db.session.scalars(sa.select(CheckIn.registration_id).where(CheckIn.event_id == event.id))
        )
    for pair, candidate in suggested_pairs(registrations, only=only).items():
        if arrived and set(pair) & freed and not set(pair) <= arrived:
            continue  # on the day, someone freed by a no-show meets only people who have checked in
        candidates.setdefault(pair, candidate)
    return candidates


def freed_by_absence(event: Event) -> set[int]:
    """The participants whose meeting was cancelled because the other party was marked absent (a no-show):
    the "gaps" an organizer fills on the day."""
    return {
        rid
        for pair in db.session.execute(
            sa.select(Meeting.first_registration_id, Meeting.second_registration_id).where(
                Meeting.event_id == event.id,
                Meeting.cancelled_at.is_not(None),
                Meeting.cancel_reason == "absent",
            )
        )
        for rid in pair
    } - absent_ids(event)


def _possible_pairs(
    event: Event, registrations: list[Registration], candidates: dict[tuple[int, int], Candidate]
) -> dict[tuple[int, int], Candidate]:
    """The candidates between a buyer and a supplier who both take part, without the pairs whose meeting
    was cancelled (by one of them or by the organizer): those are not proposed again."""
    role = {r.id: r.role for r in registrations}
    cancelled = {
        (a, b)
        for a, b in db.session.execute(
            sa.select(Meeting.first_registration_id, Meeting.second_registration_id).where(
                Meeting.event_id == event.id, Meeting.cancelled_at.is_not(None)
            )
        )
    }
    return {
        (a, b): candidate
        for (a, b), candidate in candidates.items()
        if a in role and b in role and role[a] != role[b] and (a, b) not in cancelled
    }


def _keep_meetings(
    context: Context,
    current: list[Meeting],
    mode: str,
    registrations: list[Registration],
    places: _Places,
    candidates: dict[tuple[int, int], Candidate],
    available: dict[int, set[str]],
) -> list[engine.Meeting]:
    """The current meetings the run keeps, as the engine's locked meetings; the others go into the
    context's `replace_ids`. A kept meeting is a candidate pair, and its slot is available to both."""
    taking_part = {r.id for r in registrations}
    locked: list[engine.Meeting] = []
    for meeting in current:
        if not (mode == RunMode.FILL or meeting.locked or meeting.published):
            context.replace_ids.append(meeting.id)
            continue
        pair = (meeting.first_registration_id, meeting.second_registration_id)
        if not (set(pair) <= taking_part and places.holds(meeting)):
            continue  # a participant left or was marked absent: their meetings are cancelled separately
        candidates.setdefault(
            pair, Candidate(pair, meeting.source, max(1, meeting.weight), meeting.request_id)
        )
        slot = places.slot_key[meeting.slot_id]
        # The organizer's hand beats the stated availability and maximum.
        for rid in pair:
            available[rid].add(slot)
        locked.append(
            engine.Meeting(_pid(pair[0]), _pid(pair[1]), slot, places.table_number[meeting.table_id])
        )
        context.locked_pairs.add(pair)
    return locked


def _participants(
    registrations: list[Registration],
    available: dict[int, set[str]],
    locked: list[engine.Meeting],
    places: _Places,
) -> tuple[engine.Participant, ...]:
    """The engine's participants: their slots in the day's order, and a maximum that holds at least the
    meetings kept for them."""
    kept: dict[int, int] = defaultdict(int)
    for meeting in locked:
        kept[_rid(meeting.a)] += 1
        kept[_rid(meeting.b)] += 1
    order = {key: position for position, key in enumerate(places.slot_key[s.id] for s in places.slots)}
    return tuple(
        engine.Participant(
            _pid(r.id),
            tuple(sorted(available[r.id], key=order.__getitem__)),
            max(r.max_meetings, kept[r.id]),
            r.role,
        )
        for r in registrations
    )
