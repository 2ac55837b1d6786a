"""Running one job: claim it exclusively, keep its lease alive, record the outcome, retry with backoff.

A claim is one conditional UPDATE: it succeeds for a queued job that is due, or for a running job whose lease
ran out (its worker died). Whoever's UPDATE matched owns the job under a fresh token; a duplicate message
for a job that is running or finished matches nothing and is dropped. While the handler runs, a heartbeat
thread renews the lease on its own connection, so only a dead worker loses its job, however long the work
takes.
"""

import logging
import secrets
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import OperationalError

from matchmaker.extensions import db
from matchmaker.models import Job, JobFile, JobStatus, JobStep, utcnow
from matchmaker.services.kernel import Refusal, discard
from matchmaker.tasks.registry import kind_of

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another worker took the job over (this one was presumed dead): stop without writing anything."""


class JobContext:
    """What a handler gets besides its payload: progress reporting and idempotent steps."""

    def __init__(self, job: Job, token: str):
        self.job_id = job.id
        self.kind = job.kind
        self.attempt = job.attempts
        self.final_attempt = job.attempts >= job.max_attempts
        self.created_by_id = job.created_by_id
        self.token = token
        self._done: set[str] | None = None

    def progress(self, fraction: float, message: str = "") -> None:
        """Show how far the job is (0..1) and renew its lease. Written on a connection of its own, so the
        page polling the job sees it before the handler commits."""
        values = {"progress": max(0.0, min(1.0, float(fraction))), "message": message[:200]}
        _renew(self.job_id, self.token, **values)

    def is_done(self, key: str) -> bool:
        if self._done is None:
            self._done = set(
                db.session.scalars(sa.select(JobStep.key).where(JobStep.job_id == self.job_id)).all()
            )
        return key in self._done

    def record(self, key: str) -> None:
        """Mark a step done; the row is committed with the step's own writes."""
        db.session.add(JobStep(job_id=self.job_id, key=key[:200]))
        if self._done is not None:
            self._done.add(key)


def attach_file(ctx: JobContext, filename: str, mimetype: str, content: bytes) -> None:
    """Keep a file the job produced (committed with the handler's next commit)."""
    db.session.execute(sa.delete(JobFile).where(JobFile.job_id == ctx.job_id, JobFile.filename == filename))
    db.session.add(JobFile(job_id=ctx.job_id, filename=filename, mimetype=mimetype, content=content))


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["TASK_LEASE_SECONDS"])


def _renew(job_id: int, token: str, **values: Any) -> None:
    """Extend the lease (and write `values`) on a separate connection; LeaseLost when the job is no longer
    ours. A busy SQLite file only delays the renewal to the next beat."""
    try:
        with db.engine.connect() as connection, _short_wait(connection), connection.begin():
            matched = connection.execute(
                sa.update(Job)
                .where(Job.id == job_id, Job.owner == token, Job.status == JobStatus.RUNNING)
                .values(lease_until=utcnow() + _lease(), **values)
            ).rowcount
    except OperationalError:
        log.warning("Could not renew the lease of job %s this time", job_id)
        return
    if not matched:
        raise LeaseLost(job_id)


@contextmanager
def _short_wait(connection) -> Iterator[None]:
    """On SQLite, where one writer locks the whole file, give up at once when the handler's own transaction
    holds the lock (the renewal comes again at the next beat) instead of waiting the busy timeout out."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.dbapi_connection  # a PRAGMA here opens no SQLAlchemy transaction
    previous = raw.execute("PRAGMA busy_timeout").fetchone()[0]
    raw.execute("PRAGMA busy_timeout = 50")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(previous)}")


class _Heartbeat:
    def __init__(self, app, job_id: int, token: str):
        self.app, self.job_id, self.token = app, job_id, token
        self.stop = threading.Event()
        self.lost = False
        self.thread = threading.Thread(target=self._beat, name=f"job-{job_id}-heartbeat", daemon=True)

    def _beat(self) -> None:
        interval = max(0.2, self.app.config["TASK_LEASE_SECONDS"] / 3)
        with self.app.app_context():
            while not self.stop.wait(interval):
                try:
                    _renew(self.job_id, self.token)
                except LeaseLost:
                    self.lost = True
                    return
                except Exception:  # a database hiccup: try again at the next beat
                    log.exception("Heartbeat of job %s failed", self.job_id)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=5)


def claim(job_id: int) -> str | None:
    """Take the job if it is due and nobody holds it; the owner token, or None."""
    now = utcnow()
    token = secrets.token_hex(16)
    claimable = sa.or_(
        sa.and_(
            Job.status == JobStatus.QUEUED,
            sa.or_(Job.not_before.is_(None), Job.not_before <= now),
        ),
        sa.and_(Job.status == JobStatus.RUNNING, Job.lease_until < now),
    )
    matched = db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id, claimable)
        .values(
            status=JobStatus.RUNNING,
            owner=token,
            attempts=Job.attempts + 1,
            lease_until=now + _lease(),
            started_at=sa.func.coalesce(Job.started_at, now),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return token if matched else None


def backoff(attempt: int) -> timedelta:
    """Wait before the next attempt: doubling from TASK_RETRY_SECONDS, at most an hour."""
    base = current_app.config["TASK_RETRY_SECONDS"]
    return timedelta(seconds=min(3600, base * 2 ** max(0, attempt - 1)))


def run_job(job_id: int) -> str:
    """Run the job if it can be claimed. Returns what happened: done, retry, failed, skipped or lost."""
    token = claim(job_id)
    if token is None:
        return "skipped"
    job = db.session.get(Job, job_id)
    kind = kind_of(job.kind)
    if job.attempts > job.max_attempts:  # its workers kept dying (each claim counts): stop taking it over
        if kind is not None and kind.on_give_up is not None:
            kind.on_give_up(**dict(job.payload or {}))
        _finish(job_id, token, JobStatus.FAILED, error=f"Its worker stopped {job.attempts - 1} times")
        return "failed"
    if kind is None:
        _finish(job_id, token, JobStatus.FAILED, error=f"No handler for the job kind {job.kind!r}")
        return "failed"
    ctx = JobContext(job, token)
    payload = dict(job.payload or {})
    app = current_app._get_current_object()
    heartbeat = _Heartbeat(app, job_id, token)
    try:
        with heartbeat:
            result = kind.handler(ctx, **payload)
        if heartbeat.lost:
            raise LeaseLost(job_id)
    except LeaseLost:
        discard()
        log.warning("Job %s (%s) was taken over by another worker", job_id, job.kind)
        return "lost"
    except Refusal as refusal:  # the work itself refused (bad input): retrying cannot help
        discard()
        _finish(job_id, token, JobStatus.FAILED, error=refusal.message, message=refusal.message)
        return "failed"
    except Exception:
        discard()
        error = traceback.format_exc(limit=20)
        log.exception("Job %s (%s) failed on attempt %s", job_id, kind.name, ctx.attempt)
        if ctx.attempt >= kind.max_attempts:
            _finish(job_id, token, JobStatus.FAILED, error=error)
            outcome = "failed"
        else:
            wait = backoff(ctx.attempt)
            _finish(job_id, token, JobStatus.QUEUED, error=error, not_before=utcnow() + wait)
            from matchmaker.tasks.dispatch import dispatch_later

            dispatch_later(job_id, wait.total_seconds())
            outcome = "retry"
        if app.config["TASKS_PROPAGATE"]:
            raise
        return outcome
    _finish(job_id, token, JobStatus.DONE, result=result if isinstance(result, dict) else None, progress=1.0)
    return "done"


def _finish(job_id: int, token: str, status: str, **values: Any) -> None:
    if status in (JobStatus.DONE, JobStatus.FAILED):
        values["finished_at"] = utcnow()
    values.update(status=status, owner=None, lease_until=None)
    db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.owner == token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def due_jobs(limit: int = 500, grace: timedelta | None = None) -> list[int]:
    """Jobs that should be running and may have no message on the way: queued and due for longer than
    `grace` (a lost or never-sent message), or running with an expired lease (a dead worker)."""
    now = utcnow()
    grace = grace if grace is not None else timedelta(seconds=current_app.config["TASK_REDISPATCH_SECONDS"])
    since = sa.func.coalesce(Job.dispatched_at, Job.not_before, Job.created_at)
    rows = db.session.scalars(
        sa.select(Job.id)
        .where(
            sa.or_(
                sa.and_(
                    Job.status == JobStatus.QUEUED,
                    sa.or_(Job.not_before.is_(None), Job.not_before <= now),
                    since <= now - grace,
                ),
                sa.and_(Job.status == JobStatus.RUNNING, Job.lease_until < now),
            )
        )
        .order_by(Job.id)
        .limit(limit)
    ).all()
    return list(rows)
