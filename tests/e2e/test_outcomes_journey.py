"""In the browser: after an event, a participant follows the link on the event page, rates a meeting (first
forgetting how useful it was) and sees the progress; every page passes axe."""

from datetime import time
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from matchmaker.extensions import db
from matchmaker.models import (
    EventStatus,
    Meeting,
    MeetingAttendee,
    MeetingOutcome,
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
from matchmaker.services.event_rules import local_now
from matchmaker.services.events import EventInput
from tests.e2e.conftest import forget_intended_status, log_in
from tests.factories import PASSWORD


@pytest.fixture
def past_event(live_app):
    """An event that took place three days ago, where Bart (buyer) met Sofie and Otto (suppliers)."""
    from datetime import timedelta

    with live_app.app_context(), live_app.test_request_context():
        organizer = accounts.create_user(
            "olivia@example.org", PASSWORD, "Olivia Organizer", ("organizer",), language="en", confirmed=True
        )
        buyer = accounts.create_user(
            "bart@example.org", PASSWORD, "Bart Buyer", ("buyer",), language="en", confirmed=True
        )
        agency = Organisation(
            name="Agentschap Wegen en Verkeer", kind="government", enterprise_number="0974638776"
        )
        db.session.add(agency)
        db.session.add(Membership(user=buyer, organisation=agency, role=MembershipRole.ADMIN))
        db.session.add(
            Need(organisation=agency, title="Detect cyclists", status=NeedStatus.OPEN, language="en")
        )
        suppliers = []
        for name, email, company, number in (
            ("Sofie Supplier", "sofie@example.org", "Verkeerslicht.ai", "0995127057"),
            ("Otto Other", "otto@example.org", "DijkDrone", "0272097767"),
        ):
            user = accounts.create_user(email, PASSWORD, name, ("supplier",), language="en", confirmed=True)
            organisation = Organisation(name=company, kind="startup", enterprise_number=number)
            db.session.add(organisation)
            db.session.add(Membership(user=user, organisation=organisation, role=MembershipRole.ADMIN))
            db.session.add(
                Offering(
                    organisation=organisation, title=f"Offer of {company}", status=OfferingStatus.PUBLISHED
                )
            )
            suppliers.append(user)
        db.session.commit()

        day = local_now().date() + timedelta(days=5)
        event = events_service.create_event(
            organizer, EventInput(title="Water meet & greet", venue_address="Aalst", table_count=3)
        )
        events_service.add_day(organizer, event, day, time(9, 0), time(11, 0), 20)
        events_service.change_status(organizer, event, EventStatus.REGISTRATION_OPEN)
        registrations = []
        for user, role in ((buyer, "buyer"), *((s, "supplier") for s in suppliers)):
            items = registrations_service.eligible_items(user, role)
            data = registrations_service.RegistrationInput(role=role, item_ids=[i.id for i in items])
            registrations.append(registrations_service.register(user, event, data))
        rb = registrations[0]
        for index, other in enumerate(registrations[1:]):
            slot = event.meeting_slots[index]
            first, second = sorted((rb.id, other.id))
            meeting = Meeting(
                event_id=event.id,
                slot_id=slot.id,
                table_id=event.tables[0].id,
                first_registration_id=first,
                second_registration_id=second,
                published=True,
                locked=True,
                uid=f"{uuid4()}@test",
            )
            db.session.add(meeting)
            db.session.flush()
            for registration_id in (first, second):
                db.session.add(
                    MeetingAttendee(meeting_id=meeting.id, slot_id=slot.id, registration_id=registration_id)
                )
        # The event took place three days ago.
        delta = timedelta(days=8)
        event.days[0].day = day - delta
        for slot in event.slots:
            slot.starts_at -= delta
            slot.ends_at -= delta
        event.status = EventStatus.CLOSED
        db.session.commit()
        return event.id


def test_a_participant_rates_a_meeting_after_the_event(page, check_a11y, past_event, live_app):
    log_in(page, "bart@example.org")
    page.goto(f"/events/{past_event}")
    page.get_by_role("link", name="Rate your meetings").click()
    expect(page.locator(".outcome-progress")).to_contain_text("0 of 2 meetings rated", use_inner_text=True)
    check_a11y(page, "outcomes-event")
    page.locator(".outcome-meeting", has_text="Sofie Supplier").get_by_role("link").click()
    check_a11y(page, "outcomes-rate")

    # The usefulness is forgotten: the answer is refused with a message, the choices are kept.
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("radio", name="A procurement was launched").check()
    page.get_by_label("Comment (optional)").fill("We launch a pre-commercial procurement in spring.")
    page.get_by_role("button", name="Save my answer").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert page.get_by_role("radio", name="A procurement was launched").is_checked()
    check_a11y(page, "outcomes-rate-errors")
    forget_intended_status(page, 422)

    page.get_by_role("radio", name="4").check()
    page.get_by_role("button", name="Save my answer").click()
    expect(page.locator(".flash-messages")).to_contain_text(
        "your answer about Sofie Supplier is saved", use_inner_text=True
    )
    # On to the next meeting; the second one did not take place, so its other questions are switched off.
    assert "Otto Other" in page.locator("h1").inner_text()
    page.get_by_role("radio", name="No: the other party did not come, or we did not meet").check()
    # The page's script switches them off on change: wait for it (the script may still be loading under load).
    expect(page.get_by_role("radio", name="4")).to_be_disabled()
    page.get_by_role("button", name="Save my answer").click()
    expect(page.locator(".outcome-progress")).to_contain_text("2 of 2 meetings rated", use_inner_text=True)
    check_a11y(page, "outcomes-event-done")

    with live_app.app_context():
        answers = db.session.query(MeetingOutcome).order_by(MeetingOutcome.id).all()
        assert [(a.held, a.usefulness, a.follow_up) for a in answers] == [
            (True, 4, "procurement_launched"),
            (False, None, "none"),
        ]

    # The organizer sees the procurement that began at the event.
    log_in(page, "olivia@example.org")
    page.goto(f"/events/{past_event}/dashboard")
    page.get_by_role("link", name="Outcomes of the meetings").click()
    assert page.locator("#procurements-begun").inner_text() == "1"
    check_a11y(page, "outcomes-summary")
    comments = page.locator(".outcome-comments")
    assert "We launch a pre-commercial procurement in spring." in comments.inner_text()
    assert "Bart Buyer" in comments.inner_text()

    page.get_by_role("link", name="Outcomes of my events").click()
    # count() does not wait: the summary page may still be the one shown.
    expect(page.locator("#outcomes-overview tbody tr")).to_have_count(1)
    check_a11y(page, "outcomes-organizer")

    # The participant finds the surveys in the user menu.
    log_in(page, "bart@example.org")
    page.locator(".user-menu-toggle").click()
    page.get_by_role("link", name="My surveys").click()
    expect(page.get_by_role("heading", name="Rate your meetings")).to_be_visible()
