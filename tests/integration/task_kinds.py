"""Job kinds used only by the task-queue tests (imported by them and by the test worker process)."""

import os
import time

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Notification
from matchmaker.services.kernel import Invalid, commit
from matchmaker.tasks import task

RAN: list[tuple] = []  # what the eager handlers saw, in this process


@task("test.echo")
def echo(ctx, value) -> dict:
    RAN.append(("echo", value))
    return {"value": value}


@task("test.fails", max_attempts=2)
def fails(ctx, message: str) -> None:
    RAN.append(("fails", ctx.attempt))
    raise RuntimeError(message)


@task("test.refuses")
def refuses(ctx) -> None:
    raise Invalid("The file has no header row.")


@task("test.steps", max_attempts=5)
def steps(ctx, user_id: int, count: int, pause: float = 0.0) -> dict:
    """One notification per step, each committed with the step's record: a rerun must not repeat any. Each
    notes the process that made it (the cluster test kills the worker running the job)."""
    done = 0
    for step in range(count):
        key = f"step-{step}"
        if ctx.is_done(key):
            continue
        time.sleep(pause)
        db.session.add(Notification(user_id=user_id, kind="test", params={"step": step, "pid": os.getpid()}))
        ctx.record(key)
        commit()
        done += 1
        ctx.progress((step + 1) / count, f"step {step + 1} of {count}")
    return {"ran": done}


@task("test.mark")
def mark(ctx, user_id: int, n: int, pause: float = 0.0, meet: str = "", meet_seconds: float = 20.0) -> None:
    """One notification naming `n` and the process that ran the job: a job run twice shows twice.

    `meet`: a Redis set (on the broker) where each job puts its worker's process group; a job waits until two
    workers are in it (or `meet_seconds` passed), so that both workers certainly take jobs, whatever the
    machine's load (one busy worker could otherwise drain the queue before the other's first fetch)."""
    if meet:
        import redis
        from flask import current_app

        store = redis.Redis.from_url(current_app.config["CELERY_BROKER_URL"])
        store.sadd(meet, os.getpgid(0))
        store.expire(meet, 600)
        deadline = time.monotonic() + meet_seconds
        while store.scard(meet) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    time.sleep(pause)
    db.session.add(Notification(user_id=user_id, kind="test", params={"n": n, "pid": os.getpid()}))
    commit()


@task("test.enqueues")
def enqueues(ctx, value) -> None:
    from matchmaker.tasks import enqueue

    enqueue("test.echo", value=value)
    commit()


def notifications_by_step(user_id: int) -> dict[int, int]:
    rows = db.session.scalars(sa.select(Notification).where(Notification.user_id == user_id)).all()
    counts: dict[int, int] = {}
    for row in rows:
        counts[row.params["step"]] = counts.get(row.params["step"], 0) + 1
    return counts


@task("test.slow_announce", max_attempts=5)
def slow_announce(ctx, event_id: int, pause: float, recorder_id: int) -> dict:
    """The announcement job ("newsletter.announce") with a pause before each mail, and each mail recorded as
    a row of the mail's own transaction (as a row of the mail outbox is), so that a test in another process
    can count the mails a killed worker and its successor sent between them."""
    from matchmaker.services import mail
    from matchmaker.tasks.work import announce

    real_send = mail.send_mail

    def recorded(to, template, **kwargs):
        time.sleep(pause)
        db.session.add(Notification(user_id=recorder_id, kind="test_mail", params={"to": to}))
        return real_send(to, template, **kwargs)

    mail.send_mail = recorded
    try:
        return announce(ctx, event_id=event_id)
    finally:
        mail.send_mail = real_send
