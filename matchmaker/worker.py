"""The Celery entry point of the workers and of beat (see "Production" in the README):

    celery -A matchmaker.worker worker --concurrency 2 --loglevel INFO
    celery -A matchmaker.worker beat --loglevel INFO
"""

from matchmaker import create_app
from matchmaker.tasks.celery_app import celery_of
from matchmaker.tasks.registry import load_handlers

app = create_app()
load_handlers()
celery = celery_of(app)
