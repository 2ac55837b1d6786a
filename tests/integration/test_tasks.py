"""The task queue: jobs are stored with the change that causes them, run once, survive a dead worker, retry
with backoff and keep the steps they finished."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Job, JobStatus, JobStep, utcnow
from matchmaker.services.kernel import Conflict, commit, discard
from matchmaker.tasks import enqueue
from matchmaker.tasks.admin import retry_job
from matchmaker.tasks.periodic import enqueue_periodic, slot_key, sweep
from matchmaker.tasks.runner import backoff, claim, due_jobs, run_job
from tests.integration import task_kinds
from tests.integration.task_kinds import RAN, notifications_by_step


@pytest.fixture(autouse=True)
def _forget_runs():
    RAN.clear()
    yield
    RAN.clear()


def test_a_job_runs_after_the_commit_that_stores_it_and_keeps_its_result(app):
    job = enqueue("test.echo", value=7)
    db.session.flush()
    assert RAN == []  # not before the commit
    commit()
    assert RAN == [("echo", 7)]
    db.session.refresh(job)
    assert (job.status, job.result, job.progress, job.attempts) == (JobStatus.DONE, {"value": 7}, 1.0, 1)
    assert job.finished_at is not None and job.owner is None


def test_a_rolled_back_change_leaves_no_job_and_runs_nothing(app):
    enqueue("test.echo", value=1)
    db.session.flush()
    discard()
    commit()
    assert RAN == []
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


def test_enqueue_refuses_an_unknown_kind(app):
    with pytest.raises(KeyError):
        enqueue("no.such.kind")


def test_a_waiting_job_absorbs_the_same_work_enqueued_again(app):
    first = enqueue("test.echo", value=1, dedupe_key="item-1", delay=timedelta(minutes=5))
    second = enqueue("test.echo", value=1, dedupe_key="item-1", delay=timedelta(minutes=5))
    other = enqueue("test.echo", value=2, dedupe_key="item-2", delay=timedelta(minutes=5))
    commit()
    assert first.id == second.id != other.id
    assert RAN == []  # delayed: not due yet


def test_a_job_enqueued_by_a_job_runs_after_it(app):
    enqueue("test.enqueues", value="inner")
    commit()
    assert RAN == [("echo", "inner")]
    statuses = db.session.scalars(sa.select(Job.status).order_by(Job.id)).all()
    assert statuses == [JobStatus.DONE, JobStatus.DONE]


def test_a_job_is_claimed_by_one_worker_only(app):
    job = enqueue("test.echo", value=1, delay=timedelta(hours=1))  # stays queued: not due
    commit()
    first = claim_now(job)
    assert first is not None
    assert claim(job.id) is None  # running under a live lease
    assert run_job(job.id) == "skipped"  # a duplicate message does nothing
    assert RAN == []


def test_a_dead_workers_job_runs_again_and_skips_the_steps_it_recorded(app, make_user):
    user = make_user()
    job = enqueue("test.steps", user_id=user.id, count=4, delay=timedelta(hours=1))
    commit()
    # A worker claimed it, did two steps, then died (kill -9): its lease runs out.
    token = claim_now(job)
    for step in (0, 1):
        db.session.add(task_kinds.Notification(user_id=user.id, kind="test", params={"step": step}))
        db.session.add(JobStep(job_id=job.id, key=f"step-{step}"))
    commit()
    assert run_job(job.id) == "skipped"  # the lease still holds
    db.session.execute(
        sa.update(Job).where(Job.id == job.id).values(lease_until=utcnow() - timedelta(seconds=1))
    )
    commit()
    assert due_jobs() == [job.id]
    assert run_job(job.id) == "done"
    db.session.refresh(job)
    assert (job.result, job.attempts, job.owner, job.status) == ({"ran": 2}, 2, None, JobStatus.DONE)
    assert token
    assert notifications_by_step(user.id) == {0: 1, 1: 1, 2: 1, 3: 1}


def claim_now(job: Job) -> str:
    db.session.execute(sa.update(Job).where(Job.id == job.id).values(not_before=None))
    commit()
    token = claim(job.id)
    assert token
    return token


def test_a_failing_job_is_retried_with_backoff_then_marked_failed(app):
    app.config["TASKS_PROPAGATE"] = False
    job = enqueue("test.fails", message="SMTP server down")
    commit()
    db.session.refresh(job)
    assert job.status == JobStatus.QUEUED and job.attempts == 1
    assert "SMTP server down" in job.error
    assert job.not_before >= utcnow() + backoff(1) - timedelta(seconds=5)
    assert run_job(job.id) == "skipped"  # not due yet
    db.session.execute(sa.update(Job).where(Job.id == job.id).values(not_before=utcnow()))
    commit()
    assert run_job(job.id) == "failed"  # the second and last attempt
    db.session.refresh(job)
    assert (job.status, job.attempts) == (JobStatus.FAILED, 2)
    assert [attempt for _, attempt in RAN] == [1, 2]


def test_backoff_doubles_and_is_capped(app):
    app.config["TASK_RETRY_SECONDS"] = 30
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert backoff(30).total_seconds() == 3600


def test_a_failing_job_fails_the_test_that_dispatched_it(app):
    enqueue("test.fails", message="boom")
    with pytest.raises(RuntimeError, match="boom"):
        commit()


def test_a_refused_job_fails_at_once_with_its_message(app):
    job = enqueue("test.refuses")
    commit()
    db.session.refresh(job)
    assert (job.status, job.attempts, job.message) == (JobStatus.FAILED, 1, "The file has no header row.")


def test_an_administrator_retries_a_failed_job(app):
    app.config["TASKS_PROPAGATE"] = False
    job = enqueue("test.fails", message="once")
    commit()
    db.session.execute(sa.update(Job).where(Job.id == job.id).values(not_before=utcnow()))
    commit()
    run_job(job.id)
    db.session.refresh(job)
    assert job.status == JobStatus.FAILED
    retry_job(job.id)  # runs again at once in the eager mode, and fails again
    assert [attempt for _, attempt in RAN] == [1, 2, 1]
    with pytest.raises(Conflict):
        retry_job(enqueue_and_finish())


def enqueue_and_finish() -> int:
    job = enqueue("test.echo", value=0)
    commit()
    return job.id


def test_a_periodic_kind_gets_one_job_per_period(app):
    now = utcnow()
    first = enqueue_periodic("tasks.purge", now=now)
    assert first is not None
    assert enqueue_periodic("tasks.purge", now=now) is None  # a second beat in the same period
    assert enqueue_periodic("tasks.purge", now=now + timedelta(days=1)) not in (None, first)
    assert slot_key("tasks.purge", timedelta(days=1), now) != slot_key(
        "tasks.purge", timedelta(days=1), now + timedelta(days=1)
    )


def test_the_purge_deletes_old_finished_jobs_only(app):
    old = Job(kind="test.echo", payload={}, status=JobStatus.DONE, finished_at=utcnow() - timedelta(days=40))
    recent = Job(kind="test.echo", payload={}, status=JobStatus.DONE, finished_at=utcnow())
    waiting = Job(
        kind="test.echo", payload={}, status=JobStatus.QUEUED, not_before=utcnow() + timedelta(days=1)
    )
    db.session.add_all([old, recent, waiting])
    commit()
    ids = (old.id, recent.id, waiting.id)
    enqueue_periodic("tasks.purge")
    remaining = set(db.session.scalars(sa.select(Job.id)).all())
    assert ids[0] not in remaining and {ids[1], ids[2]} <= remaining


def test_the_sweeper_sends_again_a_job_whose_message_was_lost(app):
    # Stored by a process that died before sending its message (no after-commit dispatch happened).
    job = Job(kind="test.echo", payload={"value": "lost"}, created_at=utcnow() - timedelta(minutes=5))
    db.session.add(job)
    db.session.flush()
    db.session.info.pop("tasks_flushed", None)
    commit()
    assert RAN == []
    assert sweep() == 1
    assert RAN == [("echo", "lost")]
    assert sweep() == 0


@pytest.mark.parametrize("app_overrides", [{"TASK_MODE": "thread", "TASKS_PROPAGATE": False}], indirect=True)
def test_the_embedded_mode_runs_jobs_in_a_thread_of_the_process(app, make_user):
    """`make run` has no Redis: the web process runs its jobs in a thread pool, after the request's commit."""
    import threading
    import time

    user = make_user()
    job = enqueue("test.steps", user_id=user.id, count=3, pause=0.05)
    commit()
    job_id = job.id
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        db.session.rollback()  # see the other thread's commits
        if db.session.get(Job, job_id).status == JobStatus.DONE:
            break
        time.sleep(0.05)
    job = db.session.get(Job, job_id)
    assert job.status == JobStatus.DONE and job.result == {"ran": 3}
    assert notifications_by_step(user.id) == {0: 1, 1: 1, 2: 1}
    assert any(thread.name.startswith("matchmaker-job") for thread in threading.enumerate()), [
        t.name for t in threading.enumerate()
    ]


@pytest.mark.parametrize("app_overrides", [{"TASK_MODE": "thread", "TASKS_PROPAGATE": False}], indirect=True)
def test_a_job_stored_while_the_embedded_pool_shuts_down_stays_queued_and_the_commit_holds(app, monkeypatch):
    # A process stopping (its thread pool shut down) while a request or a job still commits: the commit must
    # not fail after the fact, and the job waits in the database for the next start's sweep.
    from concurrent.futures import ThreadPoolExecutor

    from matchmaker.tasks import dispatch

    stopped = ThreadPoolExecutor(1)
    stopped.shutdown()
    monkeypatch.setattr(dispatch, "_executor", lambda _app: stopped)
    job = enqueue("test.echo", value="later")
    commit()
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == JobStatus.QUEUED
    assert RAN == []


def test_the_embedded_ticker_enqueues_periodic_work_once_per_period_and_sweeps(app):
    from matchmaker.tasks.periodic import tick

    lost = Job(kind="test.echo", payload={"value": "lost"}, created_at=utcnow() - timedelta(minutes=5))
    db.session.add(lost)
    db.session.flush()
    db.session.info.pop("tasks_flushed", None)
    commit()
    tick(app)
    tick(app)
    kinds = db.session.scalars(sa.select(Job.kind).where(Job.kind == "tasks.purge")).all()
    assert kinds == ["tasks.purge"]
    assert RAN == [("echo", "lost")]


def test_the_embedded_ticker_starts_once_per_app_and_stops_when_told(app, monkeypatch):
    import threading

    from matchmaker.tasks import periodic

    rounds = threading.Semaphore(0)
    monkeypatch.setattr(periodic, "tick", lambda _app: rounds.release())
    app.config["TASK_SWEEP_SECONDS"] = 0.01
    periodic.start_ticker(app)
    periodic.start_ticker(app)  # the second call of the same app starts nothing
    assert rounds.acquire(timeout=5) and rounds.acquire(timeout=5)  # it goes round
    tickers = [t for t in threading.enumerate() if t.name == "matchmaker-task-ticker"]
    assert len(tickers) == 1
    assert periodic.stop_tickers() == 1
    tickers[0].join(5)
    assert not tickers[0].is_alive()


def test_a_job_whose_workers_keep_dying_is_failed_not_taken_over_forever(app, make_user):
    user = make_user()
    job = enqueue("test.steps", user_id=user.id, count=1, delay=timedelta(hours=1))
    commit()
    for _ in range(job.max_attempts):  # each worker claims it and dies: its lease runs out
        claim_now(job)
        db.session.execute(
            sa.update(Job).where(Job.id == job.id).values(lease_until=utcnow() - timedelta(seconds=1))
        )
        commit()
    assert run_job(job.id) == "failed"
    db.session.refresh(job)
    assert job.status == JobStatus.FAILED and "stopped 5 times" in job.error
    assert notifications_by_step(user.id) == {}


@pytest.mark.parametrize(
    "app_overrides",
    [{"TASK_MODE": "celery", "CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}],
    indirect=True,
)
def test_the_broker_holds_a_delayed_jobs_message_until_it_is_due(app, monkeypatch):
    from matchmaker.tasks.celery_app import celery_of

    sent = []
    monkeypatch.setattr(
        celery_of(app), "send_task", lambda name, args, countdown=None, **_: sent.append((args, countdown))
    )
    now_job = enqueue("test.echo", value=1)
    later_job = enqueue("test.echo", value=2, delay=timedelta(minutes=10))
    commit()
    countdowns = {args[0]: countdown for args, countdown in sent}
    assert countdowns[now_job.id] is None
    assert 590 <= countdowns[later_job.id] <= 600
    assert RAN == []  # the web process only sends messages


def test_the_tasks_command_lists_jobs_and_says_when_there_are_none(app, runner):
    assert runner.invoke(args=["tasks", "list"]).output == "No jobs.\n"
    job = enqueue("test.echo", value="listed")
    commit()
    listed = runner.invoke(args=["tasks", "list"]).output
    assert f"{job.id} done" in " ".join(listed.split()) and "test.echo" in listed
    assert runner.invoke(args=["tasks", "list", "--status", "failed"]).output == "No failed jobs.\n"
