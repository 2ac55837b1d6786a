"""The agenda step of `flask seed-demo`: the upcoming demo event gets a published agenda, once."""

import pytest
import sqlalchemy as sa

from matchmaker.demo.agenda import seed_demo_agenda
from matchmaker.demo.events import UPCOMING_TITLE, seed_demo_events
from matchmaker.extensions import db
from matchmaker.models import Event, EventStatus, Meeting, MeetingRequest, Notification
from matchmaker.scheduling import check_schedule
from matchmaker.services import scheduling

pytestmark = pytest.mark.usefixtures("english_request_context")


def test_the_demo_event_gets_a_published_agenda_once(make_user, make_participant, outbox):
    make_user(email="organizer@example.org", roles=("organizer",))
    for n in range(3):
        make_participant("buyer", name=f"Demo buyer {n}", title=f"Need number {n}")
        make_participant("supplier", name=f"Demo supplier {n}", title=f"Offering number {n}")
    assert "skipped" in seed_demo_agenda()  # before the events step
    seed_demo_events()
    report = seed_demo_agenda()
    assert "meetings published" in report, report
    event = db.session.scalar(sa.select(Event).where(Event.title == UPCOMING_TITLE))
    assert event.status == EventStatus.AGENDA_PUBLISHED
    meetings = scheduling.active_meetings(event)
    assert len(meetings) >= 6 and all(m.published and m.locked for m in meetings)
    # Valid by the engine's own rules.
    instance, _ = scheduling.build_instance(event, "fill")
    assert check_schedule(instance, instance.locked)[2] == []
    assert outbox == []  # no mails while seeding, only in-app notifications
    assert db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(Notification.kind == "agenda_published")
    )
    counts = (
        db.session.scalar(sa.select(sa.func.count(Meeting.id))),
        db.session.scalar(sa.select(sa.func.count(MeetingRequest.id))),
    )
    assert seed_demo_agenda() == "agenda: already there"
    assert counts == (
        db.session.scalar(sa.select(sa.func.count(Meeting.id))),
        db.session.scalar(sa.select(sa.func.count(MeetingRequest.id))),
    )
