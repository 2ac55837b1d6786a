"""The Celery worker yields the CPU to web requests (WORKER_NICENESS): a worker process, started through
Celery's own worker_init signal, runs at the configured niceness, and a process already nicer stays so.
Each case runs in a process of its own: a process cannot take back a niceness it gave up."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# One child process loads the worker module (with WORKER_NICENESS from the environment, as a deployment sets
# it), then forks one process per case: each starts at the given niceness, sets the configured one, and
# sends Celery's worker_init signal. Loading the app once instead of once per case saves seconds of CPU.
START_WORKERS = """
import json, os, sys
from celery.signals import worker_init
import matchmaker.worker
cases = json.loads(sys.argv[1])
results = {}
for name, (configured, start_at) in cases.items():
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(reading)
        if start_at:
            os.nice(start_at)
        if configured is not None:
            matchmaker.worker.flask_app.config["WORKER_NICENESS"] = configured
        worker_init.send(sender=None)
        os.write(writing, str(os.getpriority(os.PRIO_PROCESS, 0)).encode())
        os._exit(0)
    os.close(writing)
    with os.fdopen(reading) as answer:
        results[name] = int(answer.read())
    os.waitpid(pid, 0)
print(json.dumps(results))
"""

CASES = {
    "configured": (None, 0),  # WORKER_NICENESS=7 from the environment
    "zero": (0, 0),
    "started nicer": (3, 12),
}


@pytest.fixture(scope="module")
def niceness_after_start() -> dict[str, int]:
    env = dict(os.environ, MATCHMAKER_ENV="test", WORKER_NICENESS="7", PYTHONPATH=str(ROOT))
    command = [sys.executable, "-c", START_WORKERS, json.dumps(CASES)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(os.getpriority(os.PRIO_PROCESS, 0) > 0, reason="the test run itself is niced")
def test_a_starting_worker_takes_the_configured_niceness(niceness_after_start):
    assert niceness_after_start["configured"] == 7


@pytest.mark.skipif(os.getpriority(os.PRIO_PROCESS, 0) > 0, reason="the test run itself is niced")
def test_zero_leaves_the_worker_at_the_priority_it_was_started_with(niceness_after_start):
    assert niceness_after_start["zero"] == 0


def test_a_worker_started_nicer_stays_nicer(niceness_after_start):
    assert niceness_after_start["started nicer"] == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 12)
