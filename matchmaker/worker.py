"""The Celery entry point of the workers and of beat (see "Production" in the README):

    celery -A matchmaker.worker worker --concurrency 2 --loglevel INFO
    celery -A matchmaker.worker beat --loglevel INFO

`celery -A module` takes the module's `app` attribute first (then `celery`), so `app` here is the Celery
application; the Flask app it runs the jobs in is `flask_app`.
"""

from matchmaker import create_app
from matchmaker.tasks.celery_app import celery_of
from matchmaker.tasks.registry import load_handlers

flask_app = create_app()
load_handlers()
celery = app = celery_of(flask_app)
