"""In the browser: a participant chooses their own reminders in the notification settings (issue 16): half an
hour before each meeting, by mail but not in the app; the page says it is saved and shows the choice again.
The page passes axe's WCAG 2.1 AA rules, and its fields are reached by their labels."""

import pytest

from matchmaker.extensions import db
from matchmaker.models import User
from matchmaker.services import accounts, notifications
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD


@pytest.fixture
def participant(live_app):
    with live_app.app_context(), live_app.test_request_context():
        accounts.create_user(
            "sofie@example.org", PASSWORD, "Sofie Supplier", ("supplier",), language="en", confirmed=True
        )
        db.session.commit()
    return "sofie@example.org"


def test_a_participant_chooses_when_and_how_they_are_reminded(page, live_app, participant, check_a11y):
    log_in(page, participant, next_path="/notifications/settings")
    reminders = page.get_by_role("group", name="Reminders")
    lead_time = reminders.get_by_label("Remind me before each meeting")
    assert lead_time.input_value() == "event"
    assert reminders.get_by_label("Show me reminders in the app").is_checked()
    check_a11y(page, "notifications-settings-reminders")

    lead_time.select_option(label="30 minutes before")
    reminders.get_by_label("Show me reminders in the app").uncheck()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your notification settings are saved.").wait_for()
    assert page.get_by_label("Remind me before each meeting").input_value() == "30"
    assert not page.get_by_label("Show me reminders in the app").is_checked()
    assert page.get_by_label("Email me reminders", exact=False).is_checked()
    check_a11y(page, "notifications-settings-saved")

    with live_app.app_context():
        user = db.session.scalars(db.select(User).where(User.email == participant)).one()
        assert notifications.reminder_settings(user) == notifications.ReminderSettings(
            mails=True, in_app=False, minutes=30
        )
        db.session.remove()
