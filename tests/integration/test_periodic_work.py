"""The periodic work that cron used to start is beat's: each kind is in the beat schedule (and the embedded
ticker's), with the period the README gives."""

from datetime import timedelta

import pytest

from matchmaker.tasks.celery_app import PERIODIC, beat_schedule
from matchmaker.tasks.registry import periodic_kinds

PERIODS = {
    "events.expire_requests": timedelta(hours=1),
    "notifications.send_digests": timedelta(days=1),
    "notifications.purge": timedelta(days=1),
    "outcomes.send_surveys": timedelta(days=1),
    "newsletter.purge": timedelta(days=1),
}


@pytest.mark.parametrize(("kind", "every"), sorted(PERIODS.items()))
def test_each_periodic_kind_is_in_the_beat_schedule(app, kind, every):
    entry = beat_schedule(app)[kind]
    assert entry == {"task": PERIODIC, "schedule": every, "args": [kind]}
    assert kind in {k.name for k in periodic_kinds()}  # the embedded ticker of `make run` too


def test_the_scheduler_and_announcement_kinds_are_not_periodic(app):
    schedule = beat_schedule(app)
    assert "schedules.run" not in schedule and "newsletter.announce" not in schedule
