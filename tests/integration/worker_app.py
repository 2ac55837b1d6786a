"""The app of the test's own processes, built from the environment the test sets: the Celery app of the
test workers and beat (`celery -A tests.integration.worker_app:celery worker`) and the WSGI app of the
cluster test's web instances (`gunicorn tests.integration.worker_app:app`). The platform's app with the test
job kinds, on the test database and a broker prefix of the test's own.

A worker says "worker ready" on stderr once it consumes (the test waits for that line). The web instances have
one more route, POST /test/jobs/<kind>, which starts a test job as a request of the platform would."""

import json
import os
import sys

from celery.signals import worker_ready
from flask import abort, request

from config import TestConfig
from matchmaker import create_app
from matchmaker.services.kernel import commit
from matchmaker.tasks import enqueue
from matchmaker.tasks.celery_app import celery_of
from matchmaker.tasks.registry import load_handlers
from tests.integration import task_kinds  # noqa: F401  (registers the test kinds)

READY_LINE = "worker ready"

app = create_app(
    TestConfig,
    SQLALCHEMY_DATABASE_URI=os.environ["MM_TEST_DATABASE_URL"],
    SQLALCHEMY_ENGINE_OPTIONS=json.loads(os.environ.get("MM_TEST_ENGINE_OPTIONS", "{}")),
    **json.loads(os.environ["MM_TEST_TASK_CONFIG"]),
)
load_handlers()
celery = celery_of(app)


@worker_ready.connect
def _say_ready(**_kwargs) -> None:
    print(READY_LINE, file=sys.stderr, flush=True)


@app.post("/test/jobs/<kind>")
def _start_test_job(kind: str):
    """Store a test job in this request's transaction; the instance sends it to a worker after the commit."""
    if not kind.startswith("test."):
        abort(404)
    job = enqueue(kind, **{name: json.loads(value) for name, value in request.form.items()})
    commit()
    return {"job": job.id}
