"""In the browser: the organizer makes an event online with a link per meeting (an http:// link is refused
with a message at the field), and the participant finds "Join online" in their agenda. The pages pass axe's
WCAG 2.1 AA rules."""

from datetime import date, time, timedelta

import pytest

from matchmaker.extensions import db
from matchmaker.models import (
    EventStatus,
    Meeting,
    MeetingAttendee,
    Membership,
    MembershipRole,
    Need,
    NeedStatus,
    Offering,
    OfferingStatus,
    Organisation,
)
from matchmaker.services import accounts
from matchmaker.services import events as events_service
from matchmaker.services import registrations as registrations_service
from tests.e2e.conftest import forget_intended_status, log_in
from tests.factories import PASSWORD

EVENT_DAY = date.today() + timedelta(days=41)


@pytest.fixture
def event_id(live_app):
    with live_app.app_context(), live_app.test_request_context():
        organizer = accounts.create_user(
            "otto@example.org", PASSWORD, "Otto Organizer", ("organizer",), language="en", confirmed=True
        )
        buyer = accounts.create_user(
            "bea@example.org", PASSWORD, "Bea Buyer", ("buyer",), language="en", confirmed=True
        )
        supplier = accounts.create_user(
            "sam@example.org", PASSWORD, "Sam Supplier", ("supplier",), language="en", confirmed=True
        )
        for user, kind in ((buyer, "government"), (supplier, "startup")):
            organisation = Organisation(name=f"Organisation of {user.display_name}", kind=kind)
            db.session.add(organisation)
            db.session.add(Membership(user=user, organisation=organisation, role=MembershipRole.ADMIN))
            if kind == "government":
                item = Need(organisation=organisation, title="Quiet buses", challenge="Buses are loud.")
                item.status = NeedStatus.OPEN
            else:
                item = Offering(organisation=organisation, title="Electric buses", summary="Quiet buses.")
                item.status = OfferingStatus.PUBLISHED
            db.session.add(item)
        db.session.commit()
        event = events_service.create_event(
            organizer,
            events_service.EventInput(
                title="Online mobility meet & greet", venue_address="Online", table_count=2
            ),
        )
        events_service.add_day(organizer, event, EVENT_DAY, time(9, 0), time(10, 0), 20)
        events_service.change_status(organizer, event, EventStatus.REGISTRATION_OPEN)
        registrations = [
            registrations_service.register(
                user,
                event,
                registrations_service.RegistrationInput(
                    role=role, item_ids=[i.id for i in registrations_service.eligible_items(user, role)]
                ),
            )
            for user, role in ((buyer, "buyer"), (supplier, "supplier"))
        ]
        first, second = sorted(registrations, key=lambda r: r.id)
        slot = event.meeting_slots[0]
        meeting = Meeting(
            event_id=event.id,
            slot_id=slot.id,
            table_id=event.tables[0].id,
            first_registration_id=first.id,
            second_registration_id=second.id,
            source="mutual",
            weight=3,
            published=True,
            locked=True,
            uid="meeting-online-journey@matchmaker.test",
        )
        db.session.add(meeting)
        db.session.flush()
        for registration in (first, second):
            db.session.add(
                MeetingAttendee(meeting_id=meeting.id, slot_id=slot.id, registration_id=registration.id)
            )
        events_service.change_status(organizer, event, EventStatus.REGISTRATION_CLOSED)
        events_service.change_status(organizer, event, EventStatus.AGENDA_PUBLISHED)
        db.session.commit()
        return event.id


def test_the_organizer_makes_the_event_online_and_the_participant_joins_from_the_agenda(
    page, check_a11y, event_id
):
    log_in(page, "otto@example.org")
    page.goto(f"/events/{event_id}")
    page.get_by_role("navigation", name="Event pages").get_by_role(
        "link", name="Online and reminders"
    ).click()
    page.wait_for_url(f"**/events/{event_id}/online")
    check_a11y(page, "online-settings")

    page.get_by_label("Online: every meeting takes place online").check()
    page.get_by_label("Pattern of the meeting links").fill("http://meet.example.org/{event}-{meeting}")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    forget_intended_status(page)
    assert "starts with https://" in page.locator(".error-summary").inner_text()
    check_a11y(page, "online-settings-refused")

    page.get_by_label("Pattern of the meeting links").fill("https://meet.example.org/{event}-{meeting}")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert page.locator(".alert-success").count() == 1

    log_in(page, "sam@example.org", f"/events/{event_id}/agenda")
    join = page.locator("main").get_by_role("link", name="Join online")
    assert join.count() == 1
    href = join.get_attribute("href")
    assert href.startswith(f"https://meet.example.org/{event_id}-") and len(href.rsplit("-", 1)[1]) == 24
    check_a11y(page, "agenda-online")
