"""Fixtures shared by the event, registration, meeting request and notification tests (no tests here)."""

from datetime import date, datetime, time, timedelta

import pytest

from matchmaker.extensions import db
from matchmaker.models import EventStatus, Need, NeedStatus, Offering, OfferingStatus, Theme
from matchmaker.services import events as events_service
from matchmaker.services import registrations as registrations_service
from matchmaker.services.event_rules import local_now
from matchmaker.services.events import EventInput

EVENT_DAY = date.today() + timedelta(days=30)


@pytest.fixture
def organizer(make_user):
    return make_user(roles=("organizer",), display_name="Olivia Organizer")


@pytest.fixture
def theme(app):
    theme = Theme(slug="mobility", name_nl="Mobiliteit", name_fr="Mobilité", name_en="Mobility")
    db.session.add(theme)
    db.session.commit()
    return theme


@pytest.fixture
def make_event(organizer):
    def factory(open_registration: bool = True, by=None, **overrides):
        values = {
            "title": "Smart mobility meet & greet",
            "venue_address": "Havenlaan 88, 1000 Brussel",
            "table_count": 4,
        }
        values.update(overrides)
        user = by or organizer
        event = events_service.create_event(user, EventInput(**values))
        events_service.add_day(user, event, EVENT_DAY, time(9, 0), time(12, 0), 20)
        events_service.add_block(user, event.days[0], "break", "Coffee", time(10, 0), time(10, 20))
        if open_registration:
            events_service.change_status(user, event, EventStatus.REGISTRATION_OPEN)
        return event

    return factory


@pytest.fixture
def event(make_event):
    return make_event()


@pytest.fixture
def make_participant(make_user, make_organisation):
    def factory(role: str, name: str | None = None, title: str | None = None, **user_overrides):
        user = make_user(roles=(role,), display_name=name or f"{role.title()} person", **user_overrides)
        if role == "buyer":
            organisation = make_organisation(
                admins=(user,), kind="government", name=f"Agency of {user.display_name}"
            )
            item = Need(
                organisation=organisation,
                title=title or "Smart traffic lights for cyclists",
                challenge=title or "Cyclists wait too long at traffic lights",
                status=NeedStatus.OPEN,
            )
        else:
            organisation = make_organisation(
                admins=(user,), kind="startup", name=f"Start-up of {user.display_name}"
            )
            item = Offering(
                organisation=organisation,
                title=title or "Cyclist detection with radar",
                summary=title or "Radar sensors detect approaching cyclists",
                status=OfferingStatus.PUBLISHED,
            )
        db.session.add(item)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def register(app):
    def do(user, event, role: str | None = None, **overrides):
        role = role or ("buyer" if user.has_role("buyer") else "supplier")
        items = registrations_service.eligible_items(user, role)
        data = registrations_service.RegistrationInput(role=role, item_ids=[i.id for i in items], **overrides)
        return registrations_service.register(user, event, data)

    return do


@pytest.fixture
def buyer(make_participant):
    return make_participant("buyer", name="Bart Buyer")


@pytest.fixture
def supplier(make_participant):
    return make_participant("supplier", name="Sofie Supplier")


def a_moment_ago() -> datetime:
    return local_now() - timedelta(minutes=1)


@pytest.fixture(autouse=True)
def request_context(app):
    """Services translate their refusals; outside a request the locale selector has no session to read."""
    with app.test_request_context():
        yield
