"""In the browser (issue 16): the organizer adds a volunteer to the event's team as check-in staff on the Team
page; the volunteer logs in on a phone, finds the event among the events they help run and checks a
participant in, without the organizers' tools. axe checks the Team page and the staff's check-in page."""

import re

import pytest

from matchmaker.extensions import db
from matchmaker.models import CheckIn, Event
from matchmaker.services import accounts
from tests.e2e import test_checkin_journey
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD

PHONE = test_checkin_journey.PHONE
day = test_checkin_journey.day  # the published event of Olivia's with three approved participants


@pytest.fixture
def volunteer(live_app):
    with live_app.test_request_context():
        user = accounts.create_user(
            "hanne@example.org", PASSWORD, "Hanne Helper", (), language="en", confirmed=True
        )
        db.session.commit()
        return user.id


def test_the_organizer_adds_check_in_staff_who_check_a_participant_in_on_a_phone(
    page,
    check_a11y,
    day,
    volunteer,
    live_app,
):
    event_id, _codes = day
    log_in(page, "olivia@example.org", f"/events/{event_id}/team")
    assert page.get_by_role("heading", name="Team", exact=True).is_visible()
    check_a11y(page, "event-team")
    page.get_by_label("Email address of their account").fill("hanne@example.org")
    page.get_by_label("Check-in staff").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Add to the team").click()
    assert page.get_by_text("Hanne Helper is on the team as Check-in staff. They were told so.").is_visible()
    row = page.get_by_role("row", name=re.compile("Hanne Helper"))
    assert row.get_by_role("button", name=re.compile(r"^Make co-organizer\s*: Hanne Helper$")).is_visible()
    check_a11y(page, "event-team-with-member")

    # The volunteer, on a phone, finds the event among theirs and opens its check-in page.
    page.set_viewport_size(PHONE)
    log_in(page, "hanne@example.org", "/events/teams")
    assert page.get_by_role("cell", name="Check-in staff").is_visible()
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile(r"^Check-in\s*: Smart mobility")).click()
    assert page.get_by_text("0 of 3 participants arrived").is_visible()
    # The organizers' tools are not theirs: no badges, no no-show action, no management tabs.
    assert page.get_by_role("heading", name="Name badges").count() == 0
    assert page.get_by_role("heading", name="Who did not come").count() == 0
    assert page.get_by_role("link", name="Dashboard").count() == 0
    check_a11y(page, "checkin-staff-phone")

    page.get_by_label("Name or organisation").fill("bart")
    with page.expect_navigation():
        page.locator("#search").get_by_role("button", name="Search").click()
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile(r"^Check in\s*: Bart Buyer$")).click()
    assert page.get_by_text("Bart Buyer (Bart org) is checked in.").is_visible()
    assert page.get_by_text("1 of 3 participants arrived").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_a11y(page, "checkin-staff-phone-after")
    with live_app.app_context():
        arrivals = db.session.scalars(db.select(CheckIn).where(CheckIn.event_id == event_id)).all()
        who = [(a.registration.user.display_name, a.checked_in_by_id) for a in arrivals]
        assert db.session.get(Event, event_id) is not None
        db.session.remove()
    assert who == [("Bart Buyer", volunteer)]
