"""Handing committed jobs to whatever runs them, per TASK_MODE:

- "celery": a message to the Celery workers through the broker (production; `matchmaker.worker`);
- "thread": a thread pool in this process (the embedded mode of `make run`: no Redis, nothing to start);
- "eager": at once, in this thread, right after the commit that stored the job (tests).

A job is dispatched only after the transaction that stored it commits: a rolled-back change leaves no job
behind, and a worker never looks for a row it cannot see yet. If the message never arrives (broker down,
process killed between commit and send), the sweeper finds the job in the database and sends it again.
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from matchmaker.models import Job, utcnow

log = logging.getLogger(__name__)

PENDING = "tasks_flushed"
READY = "tasks_ready"
DELAYS = "tasks_delays"
_eager = threading.local()
MAX_EAGER_DEPTH = 8


@event.listens_for(Session, "after_flush")
def _remember_new_jobs(session: Session, _context) -> None:
    for obj in session.new:
        if isinstance(obj, Job):
            session.info.setdefault(PENDING, []).append(obj.id)
            if obj.not_before is not None:  # a delayed job: the broker holds its message until it is due
                session.info.setdefault(DELAYS, {})[obj.id] = obj.not_before


@event.listens_for(Session, "after_commit")
def _dispatch_committed(session: Session) -> None:
    job_ids = session.info.pop(PENDING, None)
    delays = session.info.pop(DELAYS, {})
    if not job_ids:
        return
    try:
        app = current_app._get_current_object()
    except RuntimeError:  # a session used outside the app (a script): the sweeper will find the jobs
        return
    if mode(app) == "eager":  # run once the transaction is closed (see below), not inside the commit
        session.info.setdefault(READY, []).extend(job_ids)
        return
    now = utcnow()
    for job_id in job_ids:
        due = delays.get(job_id)
        dispatch(app, job_id, countdown=(due - now).total_seconds() if due is not None else 0.0)


@event.listens_for(Session, "after_transaction_end")
def _run_ready(session: Session, transaction) -> None:
    if transaction.parent is not None or not session.info.get(READY):
        return
    job_ids = session.info.pop(READY)
    app = current_app._get_current_object()
    for job_id in job_ids:
        _run_eagerly(app, job_id)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(PENDING, None)
        session.info.pop(DELAYS, None)


def mode(app: Flask) -> str:
    return app.config["TASK_MODE"]


def dispatch(app: Flask, job_id: int, countdown: float = 0.0) -> None:
    kind = mode(app)
    if kind == "celery":
        _send(app, job_id, countdown)
    elif kind == "thread":
        if countdown <= 0:
            try:
                _executor(app).submit(_run_in_app, app, job_id)
            except RuntimeError:  # the pool is shut down: the process is stopping
                log.info("Job %s stays queued: this process is stopping; the next start runs it", job_id)
        # a later attempt is found by the ticker's sweep when it is due
    elif kind == "eager":
        if countdown <= 0:
            _run_eagerly(app, job_id)
    else:
        raise RuntimeError(f"Unknown TASK_MODE {kind!r}")


def dispatch_later(job_id: int, seconds: float) -> None:
    """Send a retry that is due in `seconds` (the broker holds it; the sweeper is the safety net)."""
    app = current_app._get_current_object()
    if mode(app) == "celery":
        _send(app, job_id, seconds)


def _send(app: Flask, job_id: int, countdown: float) -> None:
    from matchmaker.tasks.celery_app import RUN_JOB, celery_of

    try:
        celery_of(app).send_task(
            RUN_JOB,
            args=[job_id],
            countdown=countdown or None,
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2},
        )
    except Exception:  # the broker is unreachable: the job waits in the database for the sweeper
        log.exception("Could not send job %s to the broker; the sweeper will send it again", job_id)


def _run_eagerly(app: Flask, job_id: int) -> None:
    """Run now, in a fresh app context (its own session), after the caller's commit. A job enqueued by a
    running job runs at the commit that stored it, as a free worker would take it at once (a mail of an
    announcement is delivered before the announcement goes on). Past MAX_EAGER_DEPTH (a job enqueueing itself
    again and again) jobs stay queued for the sweeper."""
    depth = getattr(_eager, "depth", 0)
    if depth >= MAX_EAGER_DEPTH:
        log.warning("Job %s left queued: eager jobs nested %s deep", job_id, depth)
        return
    _eager.depth = depth + 1
    try:
        _run_in_app(app, job_id, propagate=True)
    finally:
        _eager.depth = depth


def _run_in_app(app: Flask, job_id: int, propagate: bool = False) -> str | None:
    from matchmaker.extensions import db
    from matchmaker.tasks.runner import run_job

    with app.app_context():
        try:
            return run_job(job_id)
        except Exception:
            if propagate:
                raise
            log.exception("Job %s could not run", job_id)
            return None
        finally:
            db.session.remove()


_executors: dict[int, ThreadPoolExecutor] = {}
_executors_lock = threading.Lock()


def _executor(app: Flask) -> ThreadPoolExecutor:
    with _executors_lock:
        executor = _executors.get(id(app))
        if executor is None:
            executor = ThreadPoolExecutor(app.config["TASK_THREADS"], thread_name_prefix="matchmaker-job")
            _executors[id(app)] = executor
        return executor
