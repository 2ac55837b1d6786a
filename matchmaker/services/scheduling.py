"""Scheduling an event: from the database to the engine (matchmaker.scheduling) and back, the organizer's
review and corrections, publishing, and the changes after publishing.

Runs. `start_run` records a queued SchedulingRun (at most one queued or running run per event: a partial
unique index) and runs it in a background thread of the web process, with its own app context and session
(or at once when SCHEDULER_INLINE is set, as in the tests, and in `flask schedule-event`). `execute_run`
builds the engine's instance, solves it while writing its progress into the row (at most every half second),
and stores the meetings with the certificate, the statistics and the requests left out.

Modes. "full" replaces every meeting that is neither locked nor published; "fill" keeps every meeting and
fills the free slots only. Once the agenda is published every run is "fill".

Integrity. Conflicts are refused here with a message; the database is the last line (one meeting per table
and slot, nobody twice in a slot through meeting_attendee, a pair once): an IntegrityError becomes a message.
Every change participants can see (a published meeting moved or cancelled) increases the meeting's sequence
(calendar feeds) and marks it for the next "publish changes", which notifies the participants affected.

Publishing has one way: `publish`, whether from the schedule page or the dashboard's stage change
(services.events.publish_agenda), so meetings are always published and locked and nobody is told twice.

Participants. After publishing, a participant may cancel one of their meetings or their participation
(`cancel_own_meeting`, `withdraw_from_event`): the meetings are cancelled at once (sequence + 1), the other
party and the organizer are notified at once, and a pair that was cancelled is not proposed again; the
freed slots are there for the organizer's next fill run.

Progress. The run row holds a phase code (PHASES), shown translated; the engine's own English messages
stay in the engine.
"""

import logging
import statistics
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from matchmaker import scheduling as engine
from matchmaker.extensions import db
from matchmaker.models import (
    Absence,
    Event,
    EventStatus,
    EventTable,
    Meeting,
    MeetingAttendee,
    MeetingRequest,
    MeetingSource,
    ParticipantRole,
    Registration,
    RegistrationStatus,
    RequestStatus,
    RunMode,
    RunStatus,
    SchedulingRun,
    Slot,
    SlotKind,
    User,
    utcnow,
)
from matchmaker.models.scheduling import ACTIVE_RUN_STATUSES, SOURCE_WEIGHTS
from matchmaker.services import ServiceError
from matchmaker.services.events import event_path, local_now, require_manager
from matchmaker.services.notifications import notify, register_kind

log = logging.getLogger(__name__)

SCHEDULABLE = (EventStatus.REGISTRATION_OPEN, EventStatus.REGISTRATION_CLOSED, EventStatus.AGENDA_PUBLISHED)
PROGRESS_EVERY = 0.5  # seconds between two progress writes
MAX_TIME_LIMIT = 600
SUGGESTIONS_PER_PARTICIPANT = 3
FAIRNESS_TARGET = 2

register_kind(
    "agenda_changed",
    _l("Your agenda for %(event)s has changed: a meeting was added, moved or cancelled. See your agenda."),
)
register_kind(
    "meeting_cancelled",
    _l("%(name)s cancelled your meeting of %(time)s at %(event)s. The slot is free in your agenda."),
)
register_kind(
    "meeting_cancelled_reason",
    _l(
        "%(name)s cancelled your meeting of %(time)s at %(event)s, saying: %(reason)s. "
        "The slot is free in your agenda."
    ),
)
register_kind(
    "meeting_cancelled_organizer",
    _l(
        "%(name)s cancelled their meeting of %(time)s with %(other)s at %(event)s. "
        "A fill run can use the free slot."
    ),
)
register_kind(
    "meeting_cancelled_organizer_reason",
    _l(
        "%(name)s cancelled their meeting of %(time)s with %(other)s at %(event)s, saying: %(reason)s. "
        "A fill run can use the free slot."
    ),
)
register_kind(
    "meeting_cancelled_absent",
    _l(
        "%(name)s is not at %(event)s: your meeting of %(time)s is cancelled. "
        "The slot is free in your agenda."
    ),
)
register_kind(
    "meeting_cancelled_withdrawn",
    _l(
        "%(name)s no longer takes part in %(event)s: your meeting of %(time)s is cancelled. "
        "The slot is free in your agenda."
    ),
)
register_kind(
    "registration_withdrawn",
    _l("The organizer cancelled your registration for %(event)s, and with it your meetings there."),
)
register_kind(
    "participant_withdrew",
    _l(
        "%(name)s cannot come to %(event)s after all; their meetings are cancelled. "
        "A fill run can use the free slots."
    ),
)
register_kind(
    "participant_withdrew_reason",
    _l(
        "%(name)s cannot come to %(event)s after all, saying: %(reason)s. Their meetings are cancelled. "
        "A fill run can use the free slots."
    ),
)

# The engine reports its progress in English words (it knows nothing of Flask); the page shows a phase of
# the run in the reader's language instead. A run row keeps the phase's code, translated when shown.
PHASES = {
    "queued": _l("Waiting to start"),
    "starting": _l("Starting"),
    "checking": _l("Checking the participants, requests and slots"),
    "bounding": _l("Working out how many people can get meetings"),
    "placing": _l("Placing the meetings in slots and tables"),
    "exact": _l("Looking for the best possible schedule"),
    "improving": _l("Improving the schedule"),
    "saving": _l("Saving the meetings"),
    "done": _l("Finished"),
}
_ENGINE_PHASES = (
    ("checking", "checking"),
    ("bounding", "bounding"),
    ("fair share bound", "bounding"),
    ("placing", "placing"),
    ("placed", "placing"),
    ("solving", "exact"),
    ("improving", "improving"),
    ("done", "done"),
)


def engine_phase(message: str) -> str:
    """The phase code of one of the engine's progress messages ("" when it says nothing we know)."""
    text = (message or "").strip().lower()
    if text in PHASES:
        return text
    for prefix, phase in _ENGINE_PHASES:
        if text.startswith(prefix):
            return phase
    if " participants, " in text:  # "12 participants, 30 open requests, 0 locked meetings"
        return "checking"
    return ""


def phase_label(code: str) -> str:
    label = PHASES.get(code)
    return str(label) if label is not None else ""


def quiet_solver_banner() -> None:
    """HiGHS prints its licence banner on standard output when the first solver of the process is made,
    before any option can silence it. Make that first one here with the output sent nowhere, so that
    `flask schedule-event` shows only its own progress. Call from single-threaded code (the command)."""
    try:
        import highspy
    except ImportError:  # pragma: no cover - the engine needs it
        return
    import os
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            solver = highspy.Highs()
            solver.setOptionValue("output_flag", False)
            solver.setOptionValue("log_to_console", False)
    finally:
        os.dup2(saved, 1)
        os.close(saved)


REASONS = {
    engine.REASON_NO_COMMON_SLOT: _l("No common free slot"),
    engine.REASON_MAX_REACHED: _l("One of them reached their maximum number of meetings"),
    engine.REASON_LOWER_PRIORITY: _l("Other meetings came first (fair share and weight)"),
    engine.REASON_NO_TABLE: _l("No free table in a common free slot"),
}


def reason_label(code: str) -> str:
    return str(REASONS.get(code, code))


def new_uid() -> str:
    return f"{uuid.uuid4()}@matchmaker"


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


# --- reading -------------------------------------------------------------------------------------------


def active_meetings(event: Event) -> list[Meeting]:
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .join(Slot, Slot.id == Meeting.slot_id)
            .join(EventTable, EventTable.id == Meeting.table_id)
            .where(Meeting.event_id == event.id, Meeting.cancelled_at.is_(None))
            .order_by(Slot.starts_at, EventTable.number)
            .options(
                sa.orm.contains_eager(Meeting.slot),
                sa.orm.contains_eager(Meeting.table),
                sa.orm.selectinload(Meeting.first_registration),
                sa.orm.selectinload(Meeting.second_registration),
            )
        ).all()
    )


def get_meeting(event: Event, meeting_id: int) -> Meeting | None:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.event_id != event.id:
        return None
    return meeting


def absent_ids(event: Event) -> set[int]:
    return set(db.session.scalars(sa.select(Absence.registration_id).where(Absence.event_id == event.id)))


def schedulable_registrations(event: Event) -> list[Registration]:
    """Approved participants, minus those marked absent."""
    absent = absent_ids(event)
    registrations = db.session.scalars(
        sa.select(Registration)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.APPROVED)
        .order_by(Registration.id)
    ).unique()
    return [r for r in registrations if r.id not in absent]


@dataclass
class Candidate:
    """A pair that may meet: how it arose, its weight and the request it comes from."""

    pair: tuple[int, int]
    source: str
    weight: int
    request_id: int | None = None


def requested_pairs(event: Event) -> dict[tuple[int, int], Candidate]:
    """Pairs from open requests: both asked (mutual, weight 3) or one asked and the other accepted or has
    not answered yet (weight 2). Only between approved participants."""
    approved = {
        r.id
        for r in db.session.scalars(
            sa.select(Registration).where(
                Registration.event_id == event.id, Registration.status == RegistrationStatus.APPROVED
            )
        ).unique()
    }
    directions: dict[tuple[int, int], list[MeetingRequest]] = defaultdict(list)
    for request in db.session.scalars(
        sa.select(MeetingRequest)
        .where(
            MeetingRequest.event_id == event.id,
            MeetingRequest.status.in_((RequestStatus.PENDING, RequestStatus.ACCEPTED)),
        )
        .order_by(MeetingRequest.created_at, MeetingRequest.id)
    ):
        if request.from_registration_id in approved and request.to_registration_id in approved:
            directions[_pair(request.from_registration_id, request.to_registration_id)].append(request)
    pairs = {}
    for pair, requests in directions.items():
        senders = {r.from_registration_id for r in requests}
        mutual = len(senders) == 2
        source = MeetingSource.MUTUAL if mutual else MeetingSource.ACCEPTED
        pairs[pair] = Candidate(pair, source, SOURCE_WEIGHTS[source], requests[0].id)
    return pairs


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


# --- the engine's instance ----------------------------------------------------------------------------


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


# --- runs ----------------------------------------------------------------------------------------------


def latest_run(event: Event) -> SchedulingRun | None:
    return db.session.scalar(
        sa.select(SchedulingRun)
        .where(SchedulingRun.event_id == event.id)
        .order_by(SchedulingRun.created_at.desc(), SchedulingRun.id.desc())
        .limit(1)
    )


def latest_finished_run(event: Event) -> SchedulingRun | None:
    return db.session.scalar(
        sa.select(SchedulingRun)
        .where(SchedulingRun.event_id == event.id, SchedulingRun.status == RunStatus.DONE)
        .order_by(SchedulingRun.finished_at.desc(), SchedulingRun.id.desc())
        .limit(1)
    )


def get_run(event: Event, run_id: int) -> SchedulingRun | None:
    run = db.session.get(SchedulingRun, run_id)
    return run if run is not None and run.event_id == event.id else None


def _check_schedulable(event: Event) -> None:
    if event.status not in SCHEDULABLE:
        raise ServiceError(
            _("Meetings are scheduled once registration has opened, and until the event is closed.")
        )


def _fail_abandoned_runs(event: Event) -> None:
    """A run whose worker died (a restart) would block the event forever: give up on runs far past their
    time limit."""
    for run in db.session.scalars(
        sa.select(SchedulingRun).where(
            SchedulingRun.event_id == event.id, SchedulingRun.status.in_(ACTIVE_RUN_STATUSES)
        )
    ):
        since = run.started_at or run.created_at
        if utcnow() - since > timedelta(seconds=run.time_limit + 300):
            run.status = RunStatus.FAILED
            run.error = "interrupted"
            run.finished_at = utcnow()
    db.session.commit()


def create_run(
    user: User | None,
    event: Event,
    mode: str = RunMode.FULL,
    include_suggestions: bool = False,
    time_limit: int | None = None,
) -> SchedulingRun:
    """Record a queued run. `user` None: the command line. Refused while another run is going on."""
    if user is not None:
        require_manager(user, event)
    _check_schedulable(event)
    if mode not in (RunMode.FULL, RunMode.FILL):
        raise ServiceError(_("Choose how to schedule: everything again, or the free slots only."))
    if event.status == EventStatus.AGENDA_PUBLISHED:
        mode = RunMode.FILL  # published meetings stay where they are
    if time_limit is None:
        time_limit = int(current_app.config.get("SCHEDULER_TIME_LIMIT", 60))
    if not 1 <= time_limit <= MAX_TIME_LIMIT:
        raise ServiceError(_("Give the scheduler between 1 and %(max)s seconds.", max=MAX_TIME_LIMIT))
    if not event.meeting_slots or not event.tables:
        raise ServiceError(_("The event needs meeting slots and tables before meetings can be scheduled."))
    _fail_abandoned_runs(event)
    run = SchedulingRun(
        event_id=event.id,
        mode=mode,
        status=RunStatus.QUEUED,
        include_suggestions=include_suggestions,
        fairness_target=FAIRNESS_TARGET,
        time_limit=time_limit,
        started_by_id=user.id if user is not None else None,
        message="queued",
    )
    db.session.add(run)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ServiceError(
            _("The scheduler is already running for this event. Wait for it to finish, then try again.")
        ) from None
    return run


def start_run(
    user: User,
    event: Event,
    mode: str = RunMode.FULL,
    include_suggestions: bool = False,
    time_limit: int | None = None,
) -> SchedulingRun:
    """Create a run and start it: in a background thread, or at once when SCHEDULER_INLINE is set."""
    run = create_run(user, event, mode, include_suggestions, time_limit)
    if current_app.config.get("SCHEDULER_INLINE"):
        execute_run(run.id)
        db.session.refresh(run)
        return run
    app = current_app._get_current_object()
    thread = threading.Thread(
        target=_run_in_thread, args=(app, run.id), name=f"scheduler-{run.id}", daemon=True
    )
    thread.start()
    return run


def _run_in_thread(app, run_id: int) -> None:
    with app.app_context(), app.test_request_context():
        try:
            execute_run(run_id)
        except Exception:
            log.exception("scheduler run %s failed", run_id)
        finally:
            db.session.remove()


def execute_run(run_id: int, progress: Callable[[float, str], None] | None = None) -> SchedulingRun | None:
    """Solve a queued run and store its meetings. Returns the run (None if another worker claimed it)."""
    claimed = db.session.execute(
        sa.update(SchedulingRun)
        .where(SchedulingRun.id == run_id, SchedulingRun.status == RunStatus.QUEUED)
        .values(status=RunStatus.RUNNING, started_at=utcnow(), progress=0.0, message="starting")
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return None
    run = db.session.get(SchedulingRun, run_id)
    try:
        event = db.session.get(Event, run.event_id)
        mode, suggestions, time_limit, target = (
            run.mode,
            run.include_suggestions,
            run.time_limit,
            run.fairness_target,
        )
        sweep_departed(event)
        instance, context = build_instance(event, mode, suggestions, target)
        db.session.commit()  # end the read transaction: the progress writes below must not wait for it
        last = [0.0]

        def report(fraction: float, message: str) -> None:
            if progress is not None:
                progress(fraction, message)
            now = time.monotonic()
            if now - last[0] < PROGRESS_EVERY:
                return
            last[0] = now
            values = {"progress": min(0.99, max(0.0, fraction)) * 0.95}
            phase = engine_phase(message)
            if phase:
                values["message"] = phase  # the phase's code; translated when shown
            db.session.execute(
                sa.update(SchedulingRun)
                .where(SchedulingRun.id == run_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()

        solution = engine.solve(instance, time_limit=time_limit, progress=report)
        report(0.99, "saving")
        skipped = _store(event, context, solution)
        run = db.session.get(SchedulingRun, run_id)
        _record(run, context, solution, skipped)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        log.exception("scheduler run %s failed", run_id)
        run = db.session.get(SchedulingRun, run_id)
        run.status = RunStatus.FAILED
        run.error = (error.message if isinstance(error, ServiceError) else str(error))[:2000] or type(
            error
        ).__name__
        run.finished_at = utcnow()
        db.session.commit()
    if progress is not None:
        progress(1.0, run.status)
    return run


def _insert_meeting(
    event_id: int,
    slot_id: int,
    table_id: int,
    pair: tuple[int, int],
    candidate: Candidate | None,
    locked: bool = False,
) -> Meeting:
    source = candidate.source if candidate else MeetingSource.MANUAL
    meeting = Meeting(
        event_id=event_id,
        slot_id=slot_id,
        table_id=table_id,
        first_registration_id=pair[0],
        second_registration_id=pair[1],
        request_id=candidate.request_id if candidate else None,
        source=source,
        weight=candidate.weight if candidate else SOURCE_WEIGHTS[MeetingSource.MANUAL],
        locked=locked,
        uid=new_uid(),
    )
    db.session.add(meeting)
    db.session.flush()
    _add_attendees(meeting)
    return meeting


def _add_attendees(meeting: Meeting) -> None:
    for rid in (meeting.first_registration_id, meeting.second_registration_id):
        db.session.add(MeetingAttendee(meeting_id=meeting.id, slot_id=meeting.slot_id, registration_id=rid))
    db.session.flush()


def _store(event: Event, context: Context, solution: engine.Solution) -> int:
    """Replace the meetings a full run replaces and add the new ones. Meetings that conflict with changes
    made while the engine ran are skipped (each insert in its own savepoint); returns how many."""
    if context.replace_ids:
        db.session.execute(
            sa.delete(MeetingAttendee).where(MeetingAttendee.meeting_id.in_(context.replace_ids))
        )
        db.session.execute(
            sa.delete(Meeting).where(
                Meeting.id.in_(context.replace_ids), Meeting.locked.is_(False), Meeting.published.is_(False)
            )
        )
        db.session.flush()
    skipped = 0
    for m in solution.meetings:
        pair = _pair(_rid(m.a), _rid(m.b))
        if pair in context.locked_pairs:
            continue
        try:
            with db.session.begin_nested():
                _insert_meeting(
                    event.id,
                    context.slot_ids[m.slot],
                    context.table_ids[m.table],
                    pair,
                    context.candidates.get(pair),
                )
        except IntegrityError:
            skipped += 1
    return skipped


def _record(run: SchedulingRun, context: Context, solution: engine.Solution, skipped: int) -> None:
    certificate = solution.certificate
    run.fair_share = float(certificate.F)
    run.fair_share_bound = float(certificate.F_bound)
    run.weight = float(certificate.W)
    run.weight_bound = float(certificate.W_bound)
    run.proven_optimal = bool(certificate.optimal)
    stats = asdict(solution.stats) if solution.stats else {}
    stats.update(seconds=round(certificate.seconds, 2), method=certificate.method, skipped=skipped)
    run.stats = stats
    run.unscheduled = [
        {
            "a": _rid(u.request.a),
            "b": _rid(u.request.b),
            "a_name": context.names.get(u.request.a, u.request.a),
            "b_name": context.names.get(u.request.b, u.request.b),
            "weight": u.request.weight,
            "reason": u.reason,
            "detail": u.detail,
        }
        for u in solution.unscheduled
    ]
    run.status = RunStatus.DONE
    run.progress = 1.0
    run.message = "done"
    run.finished_at = utcnow()


def run_status(run: SchedulingRun) -> dict:
    """The JSON the schedule page polls."""
    return {
        "id": run.id,
        "status": run.status,
        "progress": round(run.progress or 0.0, 3),
        "message": phase_label(run.message),
        "phase": run.message if run.message in PHASES else "",
        "active": run.is_active,
        "error": run.error,
    }


# --- statistics ---------------------------------------------------------------------------------------


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


# --- corrections by hand -------------------------------------------------------------------------------


def _check_editable(user: User, event: Event) -> None:
    require_manager(user, event)
    _check_schedulable(event)
    run = latest_run(event)
    if run is not None and run.is_active:
        raise ServiceError(_("The scheduler is running for this event. Wait for it to finish."))


def _commit(conflict_message: str) -> None:
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ServiceError(conflict_message) from None


def _conflict_text() -> str:
    return _(
        "Someone else changed the schedule at the same moment: that place is taken now. Reload and try again."
    )


def _busy(registration_id: int, slot_id: int, except_ids: tuple[int, ...] = ()) -> Meeting | None:
    query = (
        sa.select(Meeting)
        .join(MeetingAttendee, MeetingAttendee.meeting_id == Meeting.id)
        .where(MeetingAttendee.registration_id == registration_id, MeetingAttendee.slot_id == slot_id)
    )
    if except_ids:
        query = query.where(Meeting.id.not_in(except_ids))
    return db.session.scalar(query.limit(1))


def _table_taken(slot_id: int, table_id: int, except_ids: tuple[int, ...] = ()) -> Meeting | None:
    query = sa.select(Meeting).where(
        Meeting.slot_id == slot_id, Meeting.table_id == table_id, Meeting.cancelled_at.is_(None)
    )
    if except_ids:
        query = query.where(Meeting.id.not_in(except_ids))
    return db.session.scalar(query.limit(1))


def _check_place(event: Event, slot: Slot | None, table: EventTable | None) -> tuple[Slot, EventTable]:
    if slot is None or slot.event_id != event.id or slot.kind != SlotKind.MEETING:
        raise ServiceError(_("Choose one of the event's meeting slots."))
    if table is None or table.event_id != event.id:
        raise ServiceError(_("Choose one of the event's tables."))
    return slot, table


def _check_people_free(
    registrations: tuple[Registration, ...], slot: Slot, except_ids: tuple[int, ...] = ()
) -> None:
    for registration in registrations:
        if _busy(registration.id, slot.id, except_ids) is not None:
            raise ServiceError(
                _(
                    "%(name)s already has a meeting at %(time)s.",
                    name=registration.user.display_name,
                    time=slot.starts_at.strftime("%H:%M"),
                )
            )
        chosen = {s.id for s in registration.available_slots}
        if chosen and slot.id not in chosen:
            raise ServiceError(
                _(
                    "%(name)s is not available at %(time)s.",
                    name=registration.user.display_name,
                    time=slot.starts_at.strftime("%H:%M"),
                )
            )


def _changed_published(meeting: Meeting) -> None:
    if meeting.published:
        meeting.sequence += 1
        meeting.notice_pending = True


def set_locked(user: User, meeting: Meeting, locked: bool) -> Meeting:
    _check_editable(user, meeting.event)
    if meeting.cancelled_at is not None:
        raise ServiceError(_("This meeting was cancelled."))
    if not locked and meeting.published:
        raise ServiceError(_("A published meeting stays locked: move or cancel it instead."))
    meeting.locked = locked
    db.session.commit()
    return meeting


def move_meeting(user: User, meeting: Meeting, slot: Slot | None, table: EventTable | None) -> Meeting:
    event = meeting.event
    _check_editable(user, event)
    if meeting.cancelled_at is not None:
        raise ServiceError(_("This meeting was cancelled."))
    slot, table = _check_place(event, slot, table)
    if (slot.id, table.id) == (meeting.slot_id, meeting.table_id):
        raise ServiceError(_("The meeting is already there."))
    other = _table_taken(slot.id, table.id, (meeting.id,))
    if other is not None:
        raise ServiceError(
            _(
                "Table %(table)s is taken at %(time)s; swap the two meetings instead.",
                table=table.label,
                time=slot.starts_at.strftime("%H:%M"),
            )
        )
    _check_people_free(meeting.registrations, slot, (meeting.id,))
    meeting.slot_id, meeting.table_id = slot.id, table.id
    _changed_published(meeting)
    _commit(_conflict_text())
    # The attendees' slot followed through ON UPDATE CASCADE; reload what the session holds.
    for attendee in meeting.attendees:
        db.session.expire(attendee)
    db.session.expire(meeting)
    return meeting


def swap_meetings(user: User, first: Meeting, second: Meeting) -> None:
    """Exchange the places (slot and table) of two meetings of the event."""
    event = first.event
    _check_editable(user, event)
    if first.id == second.id or second.event_id != event.id:
        raise ServiceError(_("Choose another meeting of this event to swap with."))
    if first.cancelled_at is not None or second.cancelled_at is not None:
        raise ServiceError(_("This meeting was cancelled."))
    ids = (first.id, second.id)
    place_a, place_b = (first.slot, first.table_id), (second.slot, second.table_id)
    _check_people_free(first.registrations, place_b[0], ids)
    _check_people_free(second.registrations, place_a[0], ids)
    # Attendee rows are unique per (slot, participant) and a table holds one meeting per slot: take both
    # meetings out of those indexes, move them, and put them back, all in one transaction.
    try:
        _swap(first, second, place_a, place_b, ids)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ServiceError(_conflict_text()) from None


def _swap(first: Meeting, second: Meeting, place_a, place_b, ids) -> None:
    db.session.execute(sa.delete(MeetingAttendee).where(MeetingAttendee.meeting_id.in_(ids)))
    for meeting in (first, second):
        db.session.expire(meeting, ["attendees"])
    parked = utcnow()
    first.cancelled_at = parked
    db.session.flush()
    second.slot_id, second.table_id = place_a[0].id, place_a[1]
    db.session.flush()
    first.slot_id, first.table_id = place_b[0].id, place_b[1]
    first.cancelled_at = None
    db.session.flush()
    for meeting in (first, second):
        _add_attendees(meeting)
        _changed_published(meeting)


def remove_meeting(user: User, meeting: Meeting, reason: str = "") -> None:
    """Take a meeting out. An unpublished one disappears; a published one is cancelled (its row stays for
    the calendar feeds, with a higher sequence), and its participants are told on the next publication."""
    _check_editable(user, meeting.event)
    if meeting.cancelled_at is not None:
        raise ServiceError(_("This meeting was cancelled already."))
    _cancel_or_delete(meeting, reason or "removed by the organizer")
    db.session.commit()


def _cancel_or_delete(meeting: Meeting, reason: str) -> None:
    if not meeting.published:
        db.session.delete(meeting)
        db.session.flush()
        return
    db.session.execute(sa.delete(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id))
    db.session.expire(meeting, ["attendees"])
    meeting.cancelled_at = utcnow()
    meeting.cancel_reason = reason[:200]
    meeting.sequence += 1
    meeting.notice_pending = True
    db.session.flush()


def add_meeting(
    user: User,
    event: Event,
    first: Registration | None,
    second: Registration | None,
    slot: Slot | None,
    table: EventTable | None,
) -> Meeting:
    """The organizer places a meeting by hand (locked, so a full re-run keeps it)."""
    _check_editable(user, event)
    for registration in (first, second):
        if (
            registration is None
            or registration.event_id != event.id
            or registration.status != RegistrationStatus.APPROVED
        ):
            raise ServiceError(_("Choose two approved participants of this event."))
    if first.id == second.id or first.role == second.role:
        raise ServiceError(_("Meetings at this event are between a buyer and a supplier."))
    absent = absent_ids(event)
    if first.id in absent or second.id in absent:
        raise ServiceError(_("One of them is marked absent."))
    slot, table = _check_place(event, slot, table)
    pair = _pair(first.id, second.id)
    existing = db.session.scalar(
        sa.select(Meeting).where(
            Meeting.event_id == event.id,
            Meeting.first_registration_id == pair[0],
            Meeting.second_registration_id == pair[1],
            Meeting.cancelled_at.is_(None),
        )
    )
    if existing is not None:
        raise ServiceError(
            _("These two already have a meeting at %(time)s.", time=existing.slot.starts_at.strftime("%H:%M"))
        )
    if _table_taken(slot.id, table.id) is not None:
        raise ServiceError(
            _(
                "Table %(table)s is taken at %(time)s.",
                table=table.label,
                time=slot.starts_at.strftime("%H:%M"),
            )
        )
    _check_people_free((first, second), slot)
    candidate = requested_pairs(event).get(pair)
    try:
        meeting = _insert_meeting(event.id, slot.id, table.id, pair, candidate, locked=True)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ServiceError(_conflict_text()) from None
    return meeting


# --- publishing and the changes after -----------------------------------------------------------------


@dataclass
class PublishReport:
    published: int
    notified: int
    first: bool


def publish(
    user: User | None, event: Event, send_notifications: bool = True, allow_empty: bool = False
) -> PublishReport:
    """Publish the agenda (first time) or the changes since: every active meeting becomes published and
    locked, the event goes to "agenda published", and the participants concerned are notified (all with a
    meeting the first time; afterwards those with a new, moved or cancelled meeting).

    The one way to publish: the schedule page and the dashboard's stage change both come here.
    `allow_empty`: the dashboard may move an event without meetings on (to close it later)."""
    if user is not None:
        require_manager(user, event)
        _check_editable(user, event)
    else:
        _check_schedulable(event)
    first = event.status != EventStatus.AGENDA_PUBLISHED
    sweep_departed(event)
    meetings = active_meetings(event)
    if first and not meetings and not allow_empty:
        raise ServiceError(_("There are no meetings to publish yet: run the scheduler first."))
    if first and not _claim_first_publication(event):
        # Someone published at the same moment (the dashboard and the schedule page): theirs told
        # everyone; what is left here are changes, if any.
        first = False
        db.session.expire_all()
        meetings = active_meetings(event)
    affected: set[int] = set()
    published = 0
    for meeting in meetings:
        if not meeting.published or first:
            affected.update((meeting.first_registration_id, meeting.second_registration_id))
        if not meeting.published:
            published += 1
        meeting.published = True
        meeting.locked = True
    for meeting in db.session.scalars(
        sa.select(Meeting).where(Meeting.event_id == event.id, Meeting.notice_pending.is_(True))
    ):
        affected.update((meeting.first_registration_id, meeting.second_registration_id))
        meeting.notice_pending = False
    if not first and not affected:
        raise ServiceError(_("There are no changes to publish."))
    event.status = EventStatus.AGENDA_PUBLISHED
    db.session.commit()
    notified = 0
    if send_notifications:
        registrations = db.session.scalars(
            sa.select(Registration).where(
                Registration.id.in_(affected), Registration.status == RegistrationStatus.APPROVED
            )
        ).unique()
        url = event_path(event, "agenda")
        for registration in registrations:
            notify(
                registration.user,
                "agenda_published" if first else "agenda_changed",
                url=url,
                event=event.title,
            )
            notified += 1
    return PublishReport(published, notified, first)


def _claim_first_publication(event: Event) -> bool:
    """Move the event to "agenda published" unless another transaction just did (it waits for that one's
    commit, then sees it): only one first publication notifies everyone."""
    return bool(
        db.session.execute(
            sa.update(Event)
            .where(Event.id == event.id, Event.status != EventStatus.AGENDA_PUBLISHED)
            .values(status=EventStatus.AGENDA_PUBLISHED)
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def sweep_departed(event: Event) -> int:
    """Take out the meetings of participants who left by another way (they cancelled their registration
    themselves, or the organizer refused it on the dashboard). Returns how many; does not commit."""
    approved = {r.id for r in schedulable_registrations(event)}
    departed = [
        m
        for m in active_meetings(event)
        if m.first_registration_id not in approved or m.second_registration_id not in approved
    ]
    for meeting in departed:
        _cancel_or_delete(meeting, "registration cancelled")
    return len(departed)


def _meetings_of(registration: Registration, only_from=None) -> list[Meeting]:
    return [
        m
        for m in active_meetings(registration.event)
        if registration.id in (m.first_registration_id, m.second_registration_id)
        and (only_from is None or m.slot.ends_at > only_from)
    ]


def _cancel_now(meetings: list[Meeting], reason: str) -> list[tuple[Meeting, str]]:
    """Take meetings out at once: those not published yet simply go; published ones are cancelled now (the
    people concerned are to be told now, not at the next publication). Returns the published ones with
    their time, for telling. Does not commit."""
    told: list[tuple[Meeting, str]] = []
    for meeting in meetings:
        when = _meeting_time(meeting)
        if not meeting.published:
            _cancel_or_delete(meeting, reason)
        elif _cancel_published(meeting, reason):
            told.append((meeting, when))
    return told


def _tell_partners(told: list[tuple[Meeting, str]], registration: Registration, kind: str) -> None:
    event = registration.event
    for meeting, when in told:
        other = meeting.other(registration.id)
        notify(
            other.user,
            kind,
            url=event_path(event, "agenda"),
            name=registration.user.display_name,
            time=when,
            event=event.title,
        )


def withdraw_participant(user: User, registration: Registration) -> int:
    """The organizer cancels a registration (also after publishing): open requests and meetings go with it.
    Returns how many meetings were cancelled."""
    event = registration.event
    _check_editable(user, event)
    if registration.status != RegistrationStatus.APPROVED:
        raise ServiceError(_("Only an approved registration can be withdrawn."))
    registration.status = RegistrationStatus.CANCELLED
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
    meetings = _meetings_of(registration)
    told = _cancel_now(meetings, "registration cancelled")
    db.session.commit()
    _tell_partners(told, registration, "meeting_cancelled_withdrawn")
    notify(registration.user, "registration_withdrawn", url=event_path(event), event=event.title)
    return len(meetings)


# --- a participant cancels -------------------------------------------------------------------------------

REASON_MAX = 200


def _clean_reason(reason: str | None) -> str:
    return " ".join((reason or "").split())[:REASON_MAX]


def _meeting_time(meeting: Meeting) -> str:
    return meeting.slot.starts_at.strftime("%d/%m %H:%M")


def _check_participant(user: User, registration: Registration) -> None:
    if registration.user_id != user.id:
        raise ServiceError(_("This registration is not yours."))
    if registration.status != RegistrationStatus.APPROVED:
        raise ServiceError(_("Your registration for this event is not active."))
    if registration.event.status != EventStatus.AGENDA_PUBLISHED:
        raise ServiceError(
            _("Meetings can be cancelled here once the agenda is published, until the event is closed.")
        )


def may_cancel(registration: Registration) -> bool:
    """Whether the participant may cancel meetings (or their participation) now."""
    return (
        registration.status == RegistrationStatus.APPROVED
        and registration.event.status == EventStatus.AGENDA_PUBLISHED
    )


def _cancel_published(meeting: Meeting, reason: str) -> bool:
    """Cancel a published meeting at once: the first to cancel wins (two parties at the same moment
    cancel it once). Its attendee rows go, its sequence goes up (calendar feeds show STATUS:CANCELLED);
    nothing is left for "publish changes", since the people concerned are told now. Does not commit."""
    now = utcnow()
    done = db.session.execute(
        sa.update(Meeting)
        .where(Meeting.id == meeting.id, Meeting.cancelled_at.is_(None))
        .values(
            cancelled_at=now,
            cancel_reason=reason,
            sequence=Meeting.sequence + 1,
            notice_pending=False,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if done:
        db.session.execute(sa.delete(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id))
    db.session.expire(meeting)
    return bool(done)


def _tell_other_party(meeting: Meeting, registration: Registration, when: str, reason: str) -> None:
    event = registration.event
    other = meeting.other(registration.id)
    params = {"name": registration.user.display_name, "time": when, "event": event.title}
    if reason:
        notify(
            other.user, "meeting_cancelled_reason", url=event_path(event, "agenda"), reason=reason, **params
        )
    else:
        notify(other.user, "meeting_cancelled", url=event_path(event, "agenda"), **params)


def cancel_own_meeting(user: User, meeting: Meeting, reason: str = "") -> Meeting:
    """A participant cancels one of their published meetings that has not begun. The other party and the
    organizer are told at once; the freed slot is free for the organizer's next fill run (which does not
    bring this pair back)."""
    registration = next((r for r in meeting.registrations if r.user_id == user.id), None)
    if registration is None or not meeting.published:
        raise ServiceError(_("This meeting is not in your agenda."))
    _check_participant(user, registration)
    if meeting.cancelled_at is not None:
        raise ServiceError(_("This meeting was cancelled already."))
    if meeting.slot.starts_at <= local_now():
        raise ServiceError(_("This meeting has begun or is over: it can no longer be cancelled."))
    reason = _clean_reason(reason)
    when = _meeting_time(meeting)
    other = meeting.other(registration.id)
    if not _cancel_published(meeting, reason):
        db.session.rollback()
        raise ServiceError(_("This meeting was cancelled already."))
    db.session.commit()
    event = registration.event
    _tell_other_party(meeting, registration, when, reason)
    if event.organizer is not None:
        params = {
            "name": registration.user.display_name,
            "other": other.user.display_name,
            "time": when,
            "event": event.title,
        }
        url = event_path(event, "schedule")
        if reason:
            notify(event.organizer, "meeting_cancelled_organizer_reason", url=url, reason=reason, **params)
        else:
            notify(event.organizer, "meeting_cancelled_organizer", url=url, **params)
    return meeting


def withdraw_from_event(user: User, registration: Registration, reason: str = "") -> int:
    """A participant cannot come after all (after publishing): their registration is cancelled with their
    open requests, and their meetings are cancelled as in `cancel_own_meeting` (those not published yet
    simply go). The other parties and the organizer are told. Returns how many published
    meetings were cancelled."""
    _check_participant(user, registration)
    event = registration.event
    reason = _clean_reason(reason)
    # All of them, as when the organizer withdraws someone: the meetings of a cancelled registration
    # would be swept out before the next run anyway.
    theirs = _meetings_of(registration)
    registration.status = RegistrationStatus.CANCELLED
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
    told = _cancel_now(theirs, reason)
    db.session.commit()
    for meeting, when in told:
        _tell_other_party(meeting, registration, when, reason)
    if event.organizer is not None:
        params = {"name": registration.user.display_name, "event": event.title}
        url = event_path(event, "schedule")
        if reason:
            notify(event.organizer, "participant_withdrew_reason", url=url, reason=reason, **params)
        else:
            notify(event.organizer, "participant_withdrew", url=url, **params)
    return len(told)


def mark_absent(user: User, registration: Registration) -> int:
    """A no-show: the participant's remaining meetings (those not over yet) are cancelled, and later runs
    leave them out. Returns how many meetings were cancelled."""
    event = registration.event
    _check_editable(user, event)
    if registration.status != RegistrationStatus.APPROVED:
        raise ServiceError(_("Only an approved participant can be marked absent."))
    if registration.id in absent_ids(event):
        raise ServiceError(_("%(name)s is already marked absent.", name=registration.user.display_name))
    refusal = _("%(name)s is already marked absent.", name=registration.user.display_name)
    try:
        db.session.add(Absence(event_id=event.id, registration_id=registration.id, marked_by_id=user.id))
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ServiceError(refusal) from None
    meetings = _meetings_of(registration, only_from=local_now())
    told = _cancel_now(meetings, "absent")
    _commit(refusal)
    _tell_partners(told, registration, "meeting_cancelled_absent")
    return len(meetings)


def add_late_participant(
    user: User, event: Event, email: str, role: str, max_meetings: int = 8
) -> Registration:
    """After publishing, the organizer adds someone (approved at once, available in every slot). A "fill"
    run or a meeting placed by hand then gives them meetings."""
    from matchmaker.services.accounts import get_user_by_email
    from matchmaker.services.registrations import eligible_items, participant_roles, registration_of

    _check_editable(user, event)
    if event.status != EventStatus.AGENDA_PUBLISHED:
        raise ServiceError(_("Before the agenda is published, register participants from the dashboard."))
    person = get_user_by_email(email or "")
    if person is None or not person.active:
        raise ServiceError(
            _("No active account uses this email address. Ask the person to create one first.")
        )
    if role not in participant_roles(person) or person.organisation is None:
        raise ServiceError(_("This account cannot take part in that role."))
    items = eligible_items(person, role)
    if not items:
        raise ServiceError(_("%(name)s's organisation has nothing to bring yet.", name=person.display_name))
    if not 1 <= max_meetings <= 50:
        raise ServiceError(_("Enter a maximum number of meetings between 1 and 50."))
    registration = registration_of(person, event)
    if registration is not None and registration.status == RegistrationStatus.APPROVED:
        raise ServiceError(_("%(name)s is already registered.", name=person.display_name))
    if registration is None:
        registration = Registration(event_id=event.id, user_id=person.id)
        db.session.add(registration)
    registration.role = role
    registration.organisation_id = person.organisation.id
    registration.status = RegistrationStatus.APPROVED
    registration.max_meetings = max_meetings
    registration.registered_by_id = user.id
    registration.decided_at = utcnow()
    if role == ParticipantRole.BUYER:
        registration.needs, registration.offerings = items, []
    else:
        registration.offerings, registration.needs = items, []
    registration.available_slots = list(event.meeting_slots)
    _commit(_("%(name)s is already registered.", name=person.display_name))
    notify(person, "registration_approved", url=event_path(event), event=event.title)
    return registration
