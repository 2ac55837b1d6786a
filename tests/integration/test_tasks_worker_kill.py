"""A real Celery worker process is killed (kill -9) in the middle of an announcement: a second worker takes
the job over when its lease runs out, and every subscriber gets the mail exactly once. Needs Redis
(TEST_REDIS_URL); runs on SQLite or PostgreSQL (TEST_DATABASE_URL)."""

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    AnnouncementDelivery,
    DeliveryStatus,
    EventAnnouncement,
    Job,
    JobStatus,
    Notification,
    Subscriber,
    SubscriberStatus,
    utcnow,
)
from matchmaker.services.kernel import commit
from matchmaker.tasks import enqueue
from tests.integration import task_kinds  # noqa: F401  (registers test.slow_announce)

REDIS_URL = os.environ.get("TEST_REDIS_URL")
ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
SUBSCRIBERS = 60
PAUSE = 0.05  # seconds before each mail: the sending takes about 3 s

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs Redis: set TEST_REDIS_URL")

PREFIX = f"mm-test-{secrets.token_hex(4)}:"  # this test's own keys in the broker
TASK_CONFIG = {
    "TASK_MODE": "celery",
    "CELERY_BROKER_URL": REDIS_URL,
    "CELERY_KEY_PREFIX": PREFIX,
    "TASK_LEASE_SECONDS": 2,
    "TASK_SWEEP_SECONDS": 1,
    "MAIL_BACKEND": "memory",
}


@pytest.fixture
def app_overrides() -> dict:
    return dict(TASK_CONFIG)


class Workers:
    """Celery worker processes, each in a process group of its own (killed as a whole)."""

    def __init__(self, database: dict, tmp_path: Path):
        self.env = {
            **os.environ,
            "MM_TEST_DATABASE_URL": database["url"],
            "MM_TEST_ENGINE_OPTIONS": json.dumps(database["options"]),
            "MM_TEST_TASK_CONFIG": json.dumps(TASK_CONFIG),
            "PYTHONPATH": str(ROOT),
        }
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen] = []

    def start(self, name: str, beat: bool = False) -> subprocess.Popen:
        args = [str(CELERY), "-A", "tests.integration.worker_app:celery", "worker", "--pool", "solo"]
        args += ["--loglevel", "INFO", "-n", f"{name}@%h", "--without-mingle", "--without-gossip"]
        if beat:  # beat's sweep sends the dead worker's job again once its lease runs out
            args += ["-B", "-s", str(self.tmp_path / "beat-schedule")]
        with open(self.tmp_path / f"{name}.log", "wb") as log:  # the child keeps its own descriptor
            process = subprocess.Popen(
                args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        with contextlib.suppress(ProcessLookupError):  # the whole group: nothing of it may finish the job
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text(errors="replace")[-3000:]

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                self.kill(process)


@pytest.fixture
def workers(database, tmp_path):
    started = Workers(database, tmp_path)
    yield started
    started.stop_all()
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{PREFIX}*"))
    if keys:
        client.delete(*keys)


def _deliveries(event_id: int) -> int:
    db.session.rollback()  # a fresh snapshot of what the workers committed
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AnnouncementDelivery)
        .where(AnnouncementDelivery.event_id == event_id)
    )


def _finished(event_id: int, job_id: int) -> bool:
    """The announcement is finished and its job marked done (just after the handler returns)."""
    db.session.rollback()
    announced = db.session.scalar(
        sa.select(EventAnnouncement.finished_at).where(EventAnnouncement.event_id == event_id)
    )
    return announced is not None and db.session.scalar(sa.select(Job.status).where(Job.id == job_id)) in (
        JobStatus.DONE,
        JobStatus.FAILED,
    )


def _wait(condition, seconds: float, what: str, workers: Workers, name: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            jobs = db.session.execute(sa.select(Job.id, Job.kind, Job.status, Job.attempts, Job.error)).all()
            pytest.fail(f"{what} within {seconds} s; jobs {jobs}; worker log:\n{workers.log(name)}")
        time.sleep(0.05)


def test_a_worker_killed_mid_announcement_leaves_nobody_unmailed_or_mailed_twice(
    app, workers, organizer, make_event
):
    event = make_event(open_registration=True, by=organizer, table_count=2)
    db.session.add_all(
        Subscriber(
            email=f"s{n:02d}@example.org",
            status=SubscriberStatus.CONFIRMED,
            language=("nl", "fr", "en")[n % 3],
            token_nonce=secrets.token_hex(8),
            consent_version="2026-11",
            consent_at=utcnow(),
            confirmed_at=utcnow(),
        )
        for n in range(SUBSCRIBERS)
    )
    db.session.add(EventAnnouncement(event_id=event.id, announced_by_id=organizer.id, recipients=SUBSCRIBERS))
    job = enqueue("test.slow_announce", event_id=event.id, pause=PAUSE, recorder_id=organizer.id)
    first = workers.start("first")
    commit()  # the job's message goes to the broker now
    job_id = job.id

    _wait(lambda: _deliveries(event.id) >= 1, 60, "the first worker did not start mailing", workers, "first")
    # The second worker starts while the first mails (it finds no message: the first holds the only one).
    workers.start("second", beat=True)
    _wait(lambda: _deliveries(event.id) >= 10, 60, "the first worker stopped mailing", workers, "first")
    workers.kill(first)
    killed_at = _deliveries(event.id)
    assert 10 <= killed_at < SUBSCRIBERS, killed_at  # killed in the middle
    assert db.session.get(Job, job_id).status == JobStatus.RUNNING  # it died holding the job

    # Its lease runs out after TASK_LEASE_SECONDS; the second worker's beat sweeps the job to it.
    _wait(lambda: _finished(event.id, job_id), 60, "the job was not finished", workers, "second")

    mails = db.session.scalars(sa.select(Notification.params).where(Notification.kind == "test_mail")).all()
    per_address: dict[str, int] = {}
    for params in mails:
        per_address[params["to"]] = per_address.get(params["to"], 0) + 1
    assert per_address == {f"s{n:02d}@example.org": 1 for n in range(SUBSCRIBERS)}
    statuses = db.session.scalars(
        sa.select(AnnouncementDelivery.status).where(AnnouncementDelivery.event_id == event.id)
    ).all()
    assert statuses == [DeliveryStatus.SENT] * SUBSCRIBERS
    announcement = db.session.get(EventAnnouncement, event.id)
    assert (announcement.sent, announcement.failed, announcement.unknown) == (SUBSCRIBERS, 0, 0)
    job = db.session.get(Job, job_id)
    assert (job.status, job.attempts) == (JobStatus.DONE, 2)
