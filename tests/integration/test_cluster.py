"""The platform as a cluster: two web instances (gunicorn) and two Celery workers as separate processes on
loopback, beside one beat, against one database and one Redis.

- a change made through one instance is seen through the other (PostgreSQL only: one SQLite file is not a
  database several hosts share);
- each job runs once, although both workers consume and every message is sent twice;
- a worker killed (kill -9 of its process group) in the middle of a job loses nothing: beat's sweeper hands
  the job to the other worker once the lease ran out, which skips the steps already done (SQLite and
  PostgreSQL).

Needs TEST_REDIS_URL (CI sets it); each module run has its own key prefix in Redis, deleted afterwards. The
processes are this module's (started once, killed at its end) and run `tests/integration/worker_app.py`.
"""

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import redis
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Job, JobStatus, Notification
from matchmaker.services.kernel import commit
from matchmaker.tasks import enqueue
from matchmaker.tasks.celery_app import celery_of
from matchmaker.tasks.dispatch import dispatch
from tests.factories import PASSWORD
from tests.helpers import make_test_app, offering_form
from tests.integration import task_kinds  # noqa: F401  (the test job kinds, known to this process too)

# One xdist worker runs the whole module: its processes are started once, and the kill comes last.
pytestmark = pytest.mark.xdist_group("cluster")

ROOT = Path(__file__).resolve().parents[2]
WORKER_APP = "tests.integration.worker_app"
LEASE_SECONDS = 2  # a dead worker's job is free again after this ...
SWEEP_SECONDS = 1  # ... and beat's sweeper sends it again within this
READY_LINE = "worker ready"  # what worker_app prints once its worker consumes
STARTUP_SECONDS = 60  # importing the app takes a few seconds of CPU per process; CI machines are busy


# --------------------------------------------------------------------------------------------------
# Processes


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path
    port: int | None = None

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """kill -9 of the process group: a Celery worker with its pool children, gunicorn with its worker."""
        if self.alive:
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)


@dataclass
class Cluster:
    logs: Path
    env: dict
    processes: list[Process] = field(default_factory=list)

    def start(self, name: str, *args: str, port: int | None = None) -> Process:
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:  # the child keeps its own copy of the descriptor
            popen = subprocess.Popen(
                [sys.executable, "-m", *args],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so a kill takes its children too
            )
        process = Process(name, popen, log, port)
        self.processes.append(process)
        return process

    def start_worker(self, name: str) -> Process:
        return self.start(
            name,
            *(
                "celery",
                "-A",
                f"{WORKER_APP}:celery",
                "worker",
                "--hostname",
                f"{name}@%h",
                "--concurrency",
                "1",
            ),
            *("--loglevel", "INFO", "--without-mingle", "--without-gossip", "--without-heartbeat"),
        )

    def start_web(self, name: str) -> Process:
        port = free_port()
        return self.start(
            name,
            *("gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}", "--timeout", "30"),
            f"{WORKER_APP}:app",
            port=port,
        )

    @property
    def workers(self) -> list[Process]:
        return [p for p in self.processes if p.name.startswith("worker") and p.alive]

    @property
    def web(self) -> list[Process]:
        return [p for p in self.processes if p.port is not None]

    def report(self) -> str:
        return "\n".join(
            f"--- {p.name} ({'alive' if p.alive else 'dead'}):\n{p.output()[-3000:]}" for p in self.processes
        )

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        waiting = [p for p in self.processes if p.name != "beat"]
        while waiting:
            for process in list(waiting):
                if not process.alive:
                    raise AssertionError(f"{process.name} exited at start\n{self.report()}")
                ready = answers(process.port) if process.port else READY_LINE in process.output()
                if ready:
                    waiting.remove(process)
            if time.monotonic() > deadline:
                raise AssertionError(f"not ready after {STARTUP_SECONDS} s: {waiting}\n{self.report()}")
            time.sleep(0.1)

    def stop(self) -> None:
        for process in self.processes:
            process.kill()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(port: int) -> bool:
    try:
        return request(port, "GET", "/").status == 200
    except OSError:
        return False


# --------------------------------------------------------------------------------------------------
# HTTP: one visitor's cookies, sent to whichever instance is asked (as a load balancer would)


@dataclass
class Response:
    status: int
    location: str
    text: str


def request(
    port: int, method: str, path: str, form: dict | None = None, cookies: dict | None = None
) -> Response:
    headers = {}
    body = None
    if form is not None:
        body = urlencode(form, doseq=True)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        if cookies is not None:
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel.value:
                        cookies[name] = morsel.value
                    else:
                        cookies.pop(name, None)
        return Response(response.status, urlsplit(response.headers.get("Location", "")).path, text)
    finally:
        connection.close()


# --------------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def broker() -> Iterator[dict]:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379/15)")
    prefix = f"mm-test-{secrets.token_hex(4)}:"
    yield {"url": url, "prefix": prefix}
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def task_config(broker: dict) -> dict:
    return {
        "TASK_MODE": "celery",
        "CELERY_BROKER_URL": broker["url"],
        "CELERY_KEY_PREFIX": broker["prefix"],
        "TASK_LEASE_SECONDS": LEASE_SECONDS,
        "TASK_SWEEP_SECONDS": SWEEP_SECONDS,
        "TASKS_PROPAGATE": False,
    }


@pytest.fixture(scope="module")
def cluster(database, broker, tmp_path_factory) -> Iterator[Cluster]:
    """Two workers and beat; on PostgreSQL also two web instances. Started at once, ready when returned."""
    logs = tmp_path_factory.mktemp("cluster")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MM_TEST_DATABASE_URL": database["url"],
        "MM_TEST_ENGINE_OPTIONS": json.dumps(database["options"]),
        "MM_TEST_TASK_CONFIG": json.dumps(task_config(broker)),
    }
    cluster = Cluster(logs, env)
    try:
        cluster.start_worker("worker1")
        cluster.start_worker("worker2")
        cluster.start(
            "beat", "celery", "-A", f"{WORKER_APP}:celery", "beat", "-s", str(logs / "beat-schedule")
        )
        if database["url"].startswith("postgresql"):
            cluster.start_web("web-a")
            cluster.start_web("web-b")
        cluster.wait_until_ready()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def sender(database, broker) -> Iterator:
    """An app of this process that hands its jobs to the broker, as the web instances do."""
    sender = make_test_app(database, **task_config(broker))
    yield sender
    with sender.app_context():
        db.engine.dispose()
    celery_of(sender).close()


def wait_for(check: Callable[[], Any], cluster: Cluster, what: str, seconds: float = 30) -> Any:
    """Poll the database (each time in a fresh transaction) until `check` returns something true."""
    deadline = time.monotonic() + seconds
    while True:
        db.session.rollback()
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} after {seconds} s\n{cluster.report()}")
        time.sleep(0.1)


def notes(user_id: int) -> list[dict]:
    """What the test jobs did for the user (their notifications' parameters)."""
    query = sa.select(Notification.params).where(Notification.user_id == user_id, Notification.kind == "test")
    return list(db.session.scalars(query))


def jobs_finished(ids: list[int]) -> list[Job] | None:
    jobs = db.session.scalars(sa.select(Job).where(Job.id.in_(ids))).all()
    assert len(jobs) == len(ids)
    if all(job.status in (JobStatus.DONE, JobStatus.FAILED) for job in jobs):
        return jobs
    return None


# --------------------------------------------------------------------------------------------------
# Tests (the kill is last: it leaves one worker)


@pytest.mark.postgres
def test_a_change_made_through_one_instance_is_seen_through_the_other(app, cluster, make_supplier):
    if not cluster.web:
        pytest.skip("two web instances share a PostgreSQL database: set TEST_DATABASE_URL")
    a, b = cluster.web
    supplier = make_supplier()
    visitor: dict = {}
    logged_in = request(
        a.port, "POST", "/auth/login", {"email": supplier.user.email, "password": PASSWORD}, visitor
    )
    assert logged_in.status == 302, logged_in.text[:500]

    title = f"Cluster offering {secrets.token_hex(3)}"
    created = request(a.port, "POST", "/catalogue/offerings/new", offering_form(title=title), visitor)
    assert created.status == 302 and created.location.startswith("/catalogue/offerings/")
    offering = created.location

    # B knows the session A started and the draft A stored; nobody else sees the draft, on either instance.
    seen = request(b.port, "GET", offering, cookies=visitor)
    assert seen.status == 200 and title in seen.text
    assert request(b.port, "GET", offering).status == 404
    assert request(a.port, "GET", offering).status == 404

    published = request(b.port, "POST", f"{offering}/publish", {}, visitor)
    assert published.status == 302
    assert title in request(a.port, "GET", offering).text  # published through B, public on A

    # A job started by a request on A reaches a worker through the broker.
    started = request(a.port, "POST", "/test/jobs/test.mark", {"user_id": supplier.user.id, "n": 1})
    assert started.status == 200, started.text[:500]
    job = wait_for(lambda: jobs_finished([json.loads(started.text)["job"]]), cluster, "job started on A")[0]
    assert (job.status, job.attempts) == (JobStatus.DONE, 1)
    assert [note["n"] for note in notes(supplier.user.id)] == [1]  # run once

    request(b.port, "POST", "/auth/logout", {}, visitor)
    assert request(a.port, "GET", "/catalogue/offerings/new", cookies=visitor).status == 302  # to the login


def test_each_job_runs_once_on_two_workers_though_each_message_is_sent_twice(
    app, cluster, broker, sender, make_user
):
    user_id = make_user().id
    with sender.app_context():
        meet = f"{broker['prefix']}meet"  # the first jobs wait there until both workers have one
        jobs = [
            enqueue("test.mark", user_id=user_id, n=n, pause=0.05, meet=meet, meet_seconds=20)
            for n in range(24)
        ]
        commit()  # the first message of each job
        ids = [job.id for job in jobs]
        for job_id in ids:
            dispatch(sender, job_id)  # and a second one

    finished = wait_for(lambda: jobs_finished(ids), cluster, "finished jobs")
    assert {(job.status, job.attempts) for job in finished} == {(JobStatus.DONE, 1)}
    made = notes(user_id)
    assert Counter(note["n"] for note in made) == Counter(range(24))
    groups = {os.getpgid(note["pid"]) for note in made}
    assert groups == {worker.popen.pid for worker in cluster.workers}  # both workers took jobs


def test_a_killed_worker_loses_nothing(app, cluster, sender, make_user):
    steps = 8
    user_id = make_user().id
    with sender.app_context():
        job = enqueue("test.steps", user_id=user_id, count=steps, pause=0.3)
        commit()
        job_id = job.id

    first = wait_for(lambda: len(notes(user_id)) >= 2 and notes(user_id), cluster, "two steps")
    victim = next(w for w in cluster.workers if w.popen.pid == os.getpgid(first[0]["pid"]))
    victim.kill()  # kill -9 in the middle of the job
    killed_at = time.monotonic()

    job = wait_for(lambda: jobs_finished([job_id]), cluster, "job finished by the other worker")[0]
    assert (job.status, job.attempts) == (JobStatus.DONE, 2)
    made = notes(user_id)
    assert Counter(note["step"] for note in made) == Counter(range(steps))  # every step exactly once
    survivors = {note["pid"] for note in made} - {note["pid"] for note in first}
    assert survivors and all(os.getpgid(pid) != victim.popen.pid for pid in survivors)
    assert time.monotonic() - killed_at < LEASE_SECONDS + SWEEP_SECONDS + steps * 0.3 + 10
