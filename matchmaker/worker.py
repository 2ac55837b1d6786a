"""The Celery entry point of the workers and of beat (see "Production" in the README):

    celery -A matchmaker.worker worker --concurrency 2 --loglevel INFO
    celery -A matchmaker.worker beat --loglevel INFO

`celery -A module` takes the module's `app` attribute first (then `celery`), so `app` here is the Celery
application; the Flask app it runs the jobs in is `flask_app`.
"""

import os

from celery.signals import worker_init, worker_process_init

from matchmaker import create_app
from matchmaker.tasks.celery_app import celery_of
from matchmaker.tasks.registry import load_handlers

flask_app = create_app()
load_handlers()
celery = app = celery_of(flask_app)


def lower_priority(niceness: int) -> int:
    """Run this process (and the processes it starts) at `niceness` at least; returns the niceness now. A
    process may raise its own niceness but not lower it, so a higher one is kept."""
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if niceness > current:
        os.setpriority(os.PRIO_PROCESS, 0, min(niceness, 19))
    return os.getpriority(os.PRIO_PROCESS, 0)


@worker_init.connect
def _yield_to_web_requests(**_kwargs) -> None:
    """The worker starts at WORKER_NICENESS, before it forks its pool: on a host shared with gunicorn, a page
    is not kept waiting by an index refresh or an import (issue 12)."""
    lower_priority(flask_app.config["WORKER_NICENESS"])


@worker_process_init.connect
def _keep_the_matching_model(**_kwargs) -> None:
    """Each pool process loads the served matching model in the background as soon as it is served (at start,
    and after each refit), not inside the first index refresh it runs (services.matching.index)."""
    from matchmaker.services.matching.index import keep_served_model

    keep_served_model(flask_app, flask_app.config["MATCHES_MODEL_CHECK_SECONDS"])
