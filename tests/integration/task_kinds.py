"""Job kinds used only by the task-queue tests (imported by them and by the test worker process)."""

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
    """One notification per step, each committed with the step's record: a rerun must not repeat any."""
    done = 0
    for step in range(count):
        key = f"step-{step}"
        if ctx.is_done(key):
            continue
        time.sleep(pause)
        db.session.add(Notification(user_id=user_id, kind="test", params={"step": step}))
        ctx.record(key)
        commit()
        done += 1
        ctx.progress((step + 1) / count, f"step {step + 1} of {count}")
    return {"ran": done}


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
