"""The Celery app of the test worker processes: the platform's worker with the test job kinds, on the test
database and a broker prefix of the test's own (set by the test through the environment)."""

import json
import os

from config import TestConfig
from matchmaker import create_app
from matchmaker.tasks.celery_app import celery_of
from matchmaker.tasks.registry import load_handlers
from tests.integration import task_kinds  # noqa: F401  (registers the test kinds)

app = create_app(
    TestConfig,
    SQLALCHEMY_DATABASE_URI=os.environ["MM_TEST_DATABASE_URL"],
    SQLALCHEMY_ENGINE_OPTIONS=json.loads(os.environ.get("MM_TEST_ENGINE_OPTIONS", "{}")),
    **json.loads(os.environ["MM_TEST_TASK_CONFIG"]),
)
load_handlers()
celery = celery_of(app)
