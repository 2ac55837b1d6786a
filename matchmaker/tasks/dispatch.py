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

from matchmaker.models import Job

log = logging.getLogger(__name__)

PENDING = "tasks_flushed"
READY = "tasks_ready"
_eager = threading.local()


@event.listens_for(Session, "after_flush")
def _remember_new_jobs(session: Session, _context) -> None:
    for obj in session.new:
        if isinstance(obj, Job):
            session.info.setdefault(PENDING, []).append(obj.id)


@event.listens_for(Session, "after_commit")
def _dispatch_committed(session: Session) -> None:
    job_ids = session.info.pop(PENDING, None)
    if not job_ids:
        return
    try:
        app = current_app._get_current_object()
    except RuntimeError:  # a session used outside the app (a script): the sweeper will find the jobs
        return
    if mode(app) == "eager":  # run once the transaction is closed (see below), not inside the commit
        session.info.setdefault(READY, []).extend(job_ids)
        return
    for job_id in job_ids:
        dispatch(app, job_id)


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


def mode(app: Flask) -> str:
    return app.config["TASK_MODE"]


def dispatch(app: Flask, job_id: int, countdown: float = 0.0) -> None:
    kind = mode(app)
    if kind == "celery":
        _send(app, job_id, countdown)
    elif kind == "thread":
        if countdown <= 0:
            _executor(app).submit(_run_in_app, app, job_id)
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
    """Run now, in a fresh app context (its own session), after the caller's commit. A job enqueued by a job
    waits until the outer one returns, so jobs run one after the other, never nested."""
    queue = getattr(_eager, "queue", None)
    if queue is not None:
        queue.append(job_id)
        return
    _eager.queue = [job_id]
    try:
        while _eager.queue:
            _run_in_app(app, _eager.queue.pop(0), propagate=True)
    finally:
        _eager.queue = None


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
