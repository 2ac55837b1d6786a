"""The periodic work that cron used to start is beat's: each kind is in the beat schedule (and the embedded
ticker's), with the period the README gives."""

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from matchmaker.tasks.celery_app import OFFER_EVERY, PERIODIC, beat_schedule
from matchmaker.tasks.periodic import slot_key
from matchmaker.tasks.registry import kind_of, periodic_kinds

PERIODS = {
    "events.expire_requests": timedelta(hours=1),
    "sessions.purge": timedelta(hours=1),
    "notifications.send_digests": timedelta(days=1),
    "notifications.purge": timedelta(days=1),
    "outcomes.send_surveys": timedelta(days=1),
    "newsletter.purge": timedelta(days=1),
    "antispam.purge": timedelta(days=1),
}


@pytest.mark.parametrize(("kind", "every"), sorted(PERIODS.items()))
def test_each_periodic_kind_is_in_the_beat_schedule(app, kind, every):
    # Offered every few minutes (a restarted beat does not wait a period); run once per period.
    assert beat_schedule(app)[kind] == {"task": PERIODIC, "schedule": OFFER_EVERY, "args": [kind]}
    assert kind_of(kind).every == every
    assert kind in {k.name for k in periodic_kinds()}  # the embedded ticker of `make run` too
    now = datetime(2026, 12, 6, 0, 0, 30)
    assert slot_key(kind, every, now) == slot_key(kind, every, now + every - timedelta(minutes=1))
    assert slot_key(kind, every, now) != slot_key(kind, every, now + every)


def test_the_scheduler_and_announcement_kinds_are_not_periodic(app):
    schedule = beat_schedule(app)
    assert "schedules.run" not in schedule and "newsletter.announce" not in schedule


def test_an_app_hands_its_jobs_over_without_the_caller_importing_the_dispatcher():
    """A web process of the celery mode imports nothing of the queue but `enqueue`: the after-commit hooks
    must be registered by the app itself, or its jobs wait for the sweeper."""
    code = (
        "import sys\n"
        "from config import TestConfig\n"
        "from matchmaker import create_app\n"
        "create_app(TestConfig)\n"
        "print('matchmaker.tasks.dispatch' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "True"
