"""Scheduling runs: queued, solved by a job of the task queue (or at once), and stored.

`start_run` records a queued SchedulingRun (at most one queued or running run per event: a partial unique
index) and, in the same transaction, the "schedules.run" job that solves it in a worker (`matchmaker.tasks`);
`flask schedules run` and the demo call `execute_run` at once instead. `execute_run` builds the engine's
instance, solves it while writing its progress into the row (at most every half second), and stores the
meetings with the certificate, the statistics and the requests left out, all in the one transaction that
marks the run done: a worker killed before that commit has written no meeting, and the job, run again by
another worker when its lease runs out, takes the run over (`takeover`) and solves it from the start.

Modes. "full" replaces every meeting that is neither locked nor published; "fill" keeps every meeting and
fills the free slots only. Once the agenda is published every run is "fill".
"""

import logging
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from matchmaker import scheduling as engine
from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    EventStatus,
    Meeting,
    MeetingAttendee,
    RunMode,
    RunStatus,
    SchedulingRun,
    User,
    utcnow,
)
from matchmaker.models.scheduling import ACTIVE_RUN_STATUSES
from matchmaker.models.tasks import Job, JobStatus
from matchmaker.services import ServiceError, commit, discard
from matchmaker.services.event_rules import require_manager
from matchmaker.services.kernel import unit_of_work
from matchmaker.services.scheduling.instance import Context, _rid, build_instance
from matchmaker.services.scheduling.labels import PHASES, engine_phase, phase_label
from matchmaker.services.scheduling.meetings import (
    FAIRNESS_TARGET,
    SCHEDULABLE,
    _insert_meeting,
    _pair,
    sweep_departed,
)

log = logging.getLogger(__name__)

PROGRESS_EVERY = 0.5  # seconds between two progress writes


MAX_TIME_LIMIT = 600


def quiet_solver_banner() -> None:
    """HiGHS prints its licence banner on standard output when the first solver of the process is made,
    before any option can silence it. Make that first one here with the output sent nowhere, so that
    `flask schedules run` shows only its own progress. Call from single-threaded code (the command)."""
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


def latest_run(event: Event) -> SchedulingRun | None:
    return db.session.scalar(
        sa.select(SchedulingRun)
        .where(SchedulingRun.event_id == event.id)
        .order_by(SchedulingRun.created_at.desc(), SchedulingRun.id.desc())
        .limit(1)
    )


def latest_finished_run(event: Event) -> SchedulingRun | None:
    """The last run that finished. Its row is read again even if the session holds it: a page that read
    the run while it was running (`latest_run`) would otherwise get that copy back, finished but without
    figures."""
    return db.session.scalar(
        sa.select(SchedulingRun)
        .where(SchedulingRun.event_id == event.id, SchedulingRun.status == RunStatus.DONE)
        .order_by(SchedulingRun.finished_at.desc(), SchedulingRun.id.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )


def get_run(event: Event, run_id: int) -> SchedulingRun | None:
    run = db.session.get(SchedulingRun, run_id)
    return run if run is not None and run.event_id == event.id else None


def _check_schedulable(event: Event) -> None:
    if event.status not in SCHEDULABLE:
        raise ServiceError(
            _("Meetings are scheduled once registration has opened, and until the event is closed.")
        )


RUN_JOB = "schedules.run"


def _job_key(run_id: int) -> str:
    return f"scheduling-run-{run_id}"


def _fail_abandoned_runs(event: Event) -> None:
    """A run nobody will finish would block the event forever: give up on runs far past their time limit
    that have no job left to run them (started before the task queue, or their job was given up)."""
    for run in db.session.scalars(
        sa.select(SchedulingRun).where(
            SchedulingRun.event_id == event.id, SchedulingRun.status.in_(ACTIVE_RUN_STATUSES)
        )
    ):
        since = run.started_at or run.created_at
        if utcnow() - since > timedelta(seconds=run.time_limit + 300) and not _has_live_job(run.id):
            run.status = RunStatus.FAILED
            run.error = "interrupted"
            run.finished_at = utcnow()
    commit()


def _has_live_job(run_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(sa.func.count(Job.id)).where(
                Job.kind == RUN_JOB,
                Job.dedupe_key == _job_key(run_id),
                Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
            )
        )
        > 0
    )


def give_up_run(run_id: int) -> None:
    """Its job kept dying (a worker killed again and again): fail the run so the event can be scheduled."""
    db.session.execute(
        sa.update(SchedulingRun)
        .where(SchedulingRun.id == run_id, SchedulingRun.status.in_(ACTIVE_RUN_STATUSES))
        .values(status=RunStatus.FAILED, error="interrupted", finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    commit()


def _new_run(
    user: User | None, event: Event, mode: str, include_suggestions: bool, time_limit: int | None
) -> SchedulingRun:
    """Check the request and add a queued run to the session (not committed)."""
    if user is not None:
        require_manager(user, event)
    _check_schedulable(event)
    if mode not in (RunMode.FULL, RunMode.FILL):
        raise ServiceError(_("Choose how to schedule: everything again, or the free slots only."))
    if event.status == EventStatus.AGENDA_PUBLISHED:
        mode = RunMode.FILL  # published meetings stay where they are
    if time_limit is None:
        time_limit = int(current_app.config["SCHEDULER_TIME_LIMIT"])
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
    return run


def _busy() -> str:
    return _("The scheduler is already running for this event. Wait for it to finish, then try again.")


def create_run(
    user: User | None,
    event: Event,
    mode: str = RunMode.FULL,
    include_suggestions: bool = False,
    time_limit: int | None = None,
) -> SchedulingRun:
    """Record a queued run, for the caller to execute (`execute_run`). `user` None: the command line.
    Refused while another run is going on."""
    run = _new_run(user, event, mode, include_suggestions, time_limit)
    commit(_busy())
    return run


def start_run(
    user: User,
    event: Event,
    mode: str = RunMode.FULL,
    include_suggestions: bool = False,
    time_limit: int | None = None,
) -> SchedulingRun:
    """Record a queued run and the job that solves it, in one transaction: the run is never left without
    its job, nor the job without its run. The page polls the run's progress."""
    from matchmaker.tasks import enqueue

    with unit_of_work(_busy()):
        run = _new_run(user, event, mode, include_suggestions, time_limit)
        db.session.flush()  # the run's id, for the job; a second active run is refused here
        enqueue(RUN_JOB, run_id=run.id, user=user, dedupe_key=_job_key(run.id))
    db.session.refresh(run)  # a job that ran at once (eager mode) has finished it
    return run


def execute_run(
    run_id: int, progress: Callable[[float, str], None] | None = None, takeover: bool = False
) -> SchedulingRun | None:
    """Solve a queued run and store its meetings. Returns the run (None if another worker claimed it).

    `takeover`: the run's job is running again because its worker died; the run it left RUNNING has no
    meeting stored yet (they are committed with the run's end), so it is solved again from the start. Only
    the job that owns the lease gets here; and should a solver that was presumed dead (a heartbeat that could
    not renew the lease) still be going, its claim time (`started_at`) is no longer the run's: it stores
    nothing (`_hold`)."""
    claimable = [RunStatus.QUEUED, RunStatus.RUNNING] if takeover else [RunStatus.QUEUED]
    mine = utcnow()
    claimed = db.session.execute(
        sa.update(SchedulingRun)
        .where(SchedulingRun.id == run_id, SchedulingRun.status.in_(claimable))
        .values(status=RunStatus.RUNNING, started_at=mine, progress=0.0, message="starting")
        .execution_options(synchronize_session=False)
    ).rowcount
    commit()
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
        commit()  # end the read transaction: the progress writes below must not wait for it
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
                .where(SchedulingRun.id == run_id, SchedulingRun.started_at == mine)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            commit()

        solution = engine.solve(instance, time_limit=time_limit, progress=report)
        report(0.99, "saving")
        if not _hold(run_id, mine):
            discard()
            log.warning("scheduler run %s was taken over by another worker: its result is not stored", run_id)
            return None
        skipped = _store(event, context, solution)
        run = db.session.get(SchedulingRun, run_id)
        _record(run, context, solution, skipped)
        commit()
    except Exception as error:
        discard()
        log.exception("scheduler run %s failed", run_id)
        if not _hold(run_id, mine):
            discard()
            return None
        run = db.session.get(SchedulingRun, run_id)
        run.status = RunStatus.FAILED
        run.error = (error.message if isinstance(error, ServiceError) else str(error))[:2000] or type(
            error
        ).__name__
        run.finished_at = utcnow()
        commit()
    if progress is not None:
        progress(1.0, run.status)
    return run


def _hold(run_id: int, claimed_at) -> bool:
    """Begin the run's final transaction by locking its row, if this solver's claim is still the run's: a
    worker that took the run over meanwhile re-claimed it (a new `started_at`), and one that comes after this
    commit finds the run finished. So only one solver ever stores meetings for a run."""
    return (
        db.session.execute(
            sa.update(SchedulingRun)
            .where(
                SchedulingRun.id == run_id,
                SchedulingRun.started_at == claimed_at,
                SchedulingRun.status == RunStatus.RUNNING,
            )
            .values(started_at=claimed_at)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


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


def _check_editable(user: User, event: Event) -> None:
    require_manager(user, event)
    _check_schedulable(event)
    run = latest_run(event)
    if run is not None and run.is_active:
        raise ServiceError(_("The scheduler is running for this event. Wait for it to finish."))
