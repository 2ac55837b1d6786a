"""Periodic work and the sweeper, for Celery beat and for the embedded ticker of `make run`.

Each periodic kind gets at most one job per period: the job's `once_key` names the kind and the period's slot
(periods are aligned to the epoch, so every process computes the same slot), and the database refuses a
second row with the same key. Two beat processes, or beat and a manual run, therefore never double the work.
"""

import logging
import threading
from datetime import UTC, datetime

from flask import Flask, current_app

from matchmaker.extensions import db
from matchmaker.models import Job, utcnow
from matchmaker.services.kernel import claimed
from matchmaker.tasks.dispatch import dispatch
from matchmaker.tasks.registry import kind_of, period_seconds, periodic_kinds

log = logging.getLogger(__name__)


def slot_key(name: str, every, now: datetime | None = None) -> str:
    now = now or utcnow()
    seconds = period_seconds(every)
    if seconds is None:  # a crontab fires at its times: one job per minute at most
        return f"{name}@{now:%Y%m%d%H%M}"
    slot = int(now.replace(tzinfo=UTC).timestamp() // seconds)
    return f"{name}@{int(seconds)}s#{slot}"


def enqueue_periodic(name: str, now: datetime | None = None) -> int | None:
    """Enqueue this period's job of the kind; the job's id, or None when the period has one already."""
    kind = kind_of(name)
    if kind is None:
        log.error("Beat asked for the unknown periodic job kind %r", name)
        return None
    job = Job(kind=name, payload={}, max_attempts=kind.max_attempts, once_key=slot_key(name, kind.every, now))
    db.session.add(job)
    if not claimed():
        return None
    return job.id


def sweep() -> int:
    """Dispatch the jobs that should be running but may have no message on the way. Returns how many."""
    from matchmaker.tasks.runner import due_jobs

    app = current_app._get_current_object()
    job_ids = due_jobs()
    if job_ids:
        db.session.execute(db.update(Job).where(Job.id.in_(job_ids)).values(dispatched_at=utcnow()))
        db.session.commit()
    for job_id in job_ids:
        dispatch(app, job_id)
    return len(job_ids)


def tick(app: Flask) -> None:
    """One round of the embedded ticker: periodic jobs that are due, then the sweep."""
    with app.app_context():
        try:
            for kind in periodic_kinds():
                enqueue_periodic(kind.name)
            sweep()
        except Exception:
            log.exception("The task ticker failed; it tries again at its next round")
        finally:
            db.session.remove()


_tickers: dict[int, threading.Event] = {}
_tickers_lock = threading.Lock()


def start_ticker(app: Flask) -> None:
    """Start the embedded ticker once per app (TASK_MODE "thread": the process is its own worker and beat)."""
    with _tickers_lock:
        if id(app) in _tickers:
            return
        stop = _tickers[id(app)] = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            tick(app)
            stop.wait(app.config["TASK_SWEEP_SECONDS"])

    threading.Thread(target=loop, name="matchmaker-task-ticker", daemon=True).start()


def stop_tickers() -> int:
    """Stop every embedded ticker of this process (each ends after its current round); how many there were.
    The tests use it: a ticker left running would keep sweeping their database from another thread."""
    with _tickers_lock:
        stops = list(_tickers.values())
        _tickers.clear()
    for stop in stops:
        stop.set()
    return len(stops)
