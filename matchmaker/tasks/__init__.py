"""The task queue: heavy and periodic work leaves the web requests.

    from matchmaker.tasks import enqueue, task

    @task("catalogue.import", max_attempts=3)
    def import_rows(ctx, upload_id: int) -> dict: ...

    enqueue("catalogue.import", upload_id=upload.id, user=user)   # then the service commits

`enqueue` adds a `Job` row to the session, so the job is stored in the same transaction as the change that
causes it, and is handed to a worker only after that commit (see `dispatch`). Who runs jobs is TASK_MODE:
Celery workers and beat with Redis as the broker in production, a thread pool inside the process for the
embedded `make run`, or synchronously after the commit in tests. Handlers get a `JobContext` (progress,
idempotent steps) and the payload as keyword arguments; payloads are JSON (ids, not objects).
"""

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from matchmaker.extensions import db
from matchmaker.models import Job, JobStatus, User, utcnow
from matchmaker.tasks.registry import kind_of, task
from matchmaker.tasks.runner import JobContext, attach_file

__all__ = ["JobContext", "attach_file", "enqueue", "init_app", "task"]

MODES = ("eager", "thread", "celery")


def enqueue(
    kind: str,
    *,
    user: User | None = None,
    dedupe_key: str | None = None,
    delay: timedelta | None = None,
    **payload: Any,
) -> Job:
    """Store a job for `kind` in the current transaction; it is dispatched once that transaction commits.

    With `dedupe_key`, a job of the same kind and key that is still waiting (not yet started) absorbs
    this one:
    it will read the data as committed when it starts, so the second one would only repeat it."""
    registered = kind_of(kind)
    if registered is None:
        raise KeyError(f"No handler registered for the job kind {kind!r}")
    if dedupe_key is not None:
        waiting = db.session.scalars(
            sa.select(Job).where(
                Job.kind == kind,
                Job.dedupe_key == dedupe_key,
                Job.status == JobStatus.QUEUED,
                Job.attempts == 0,
            )
        ).first()
        if waiting is not None:
            return waiting
    job = Job(
        kind=kind,
        payload=payload,
        status=JobStatus.QUEUED,
        max_attempts=registered.max_attempts,
        dedupe_key=dedupe_key,
        created_by_id=user.id if user is not None else None,
        not_before=utcnow() + delay if delay else None,
    )
    db.session.add(job)
    return job


def init_app(app: Flask) -> None:
    # The session listeners that hand committed jobs over: without this import a web process that never
    # loads the periodic module (celery mode, the tests) would store jobs and never send them.
    from matchmaker.tasks import dispatch  # noqa: F401

    mode = app.config["TASK_MODE"]
    if mode not in MODES:
        raise RuntimeError(f"TASK_MODE must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "celery" and not app.config["CELERY_BROKER_URL"]:
        raise RuntimeError("TASK_MODE celery needs CELERY_BROKER_URL (or REDIS_URL)")
    if mode == "thread" and not app.testing:
        # The embedded mode: this process is its own worker and beat, started with the first request (not
        # by CLI commands such as `flask db upgrade`, which run before the tables exist).
        @app.before_request
        def _start_ticker() -> None:
            from matchmaker.tasks.periodic import start_ticker

            start_ticker(app)
