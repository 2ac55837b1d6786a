# ruff: noqa: F811  (pytest fixtures imported from test_events_support are redefined as parameters)
"""The events step of `flask seed-demo`: an upcoming event with registrations and requests, a past one."""

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Event, MeetingRequest, Registration
from matchmaker.services import event_rules
from matchmaker.services import events as events_service
from matchmaker.services.demo_events import PAST_TITLE, UPCOMING_TITLE, seed_demo_events
from tests.integration.test_events_support import make_participant, request_context  # noqa: F401


def test_the_demo_events_are_seeded_once(make_user, make_participant):
    make_user(email="organizer@example.org", roles=("organizer",))
    for n in range(3):
        make_participant("buyer", name=f"Demo buyer {n}", title=f"Need number {n}")
        make_participant("supplier", name=f"Demo supplier {n}", title=f"Offering number {n}")
    report = seed_demo_events()
    assert "upcoming event with 3 buyers, 3 suppliers" in report
    listing = events_service.list_public_events()
    assert [e.title for e in listing.upcoming] == [UPCOMING_TITLE]
    assert [e.title for e in listing.past] == [PAST_TITLE]
    upcoming = listing.upcoming[0]
    assert event_rules.registration_is_open(upcoming)
    assert event_rules.requests_are_open(upcoming)
    assert upcoming.meeting_slots and len(upcoming.tables) == 10
    counts = (
        db.session.scalar(sa.select(sa.func.count(Event.id))),
        db.session.scalar(sa.select(sa.func.count(Registration.id))),
        db.session.scalar(sa.select(sa.func.count(MeetingRequest.id))),
    )
    assert counts[2] >= 3
    assert "already there" in seed_demo_events()
    assert counts == (
        db.session.scalar(sa.select(sa.func.count(Event.id))),
        db.session.scalar(sa.select(sa.func.count(Registration.id))),
        db.session.scalar(sa.select(sa.func.count(MeetingRequest.id))),
    )


def test_the_demo_events_wait_for_the_catalogue(make_user):
    make_user(email="organizer@example.org", roles=("organizer",))
    assert "skipped" in seed_demo_events()
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0
