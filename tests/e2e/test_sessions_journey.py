"""In the browser: a person logged in on a laptop and a phone sees both sessions, signs the phone out from
the laptop, and the phone is logged out (its remember-me cookie opens nothing any more). Pages pass axe."""

import re

from matchmaker.extensions import db
from matchmaker.services import accounts
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD

PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


def test_signing_out_the_other_device_logs_it_out(page, browser, check_a11y, live_server, live_app):
    with live_app.app_context():
        accounts.create_user(
            "jan@example.org", PASSWORD, "Jan Janssens", roles=("supplier",), confirmed=True, language="en"
        )
        db.session.commit()
    phone_context = browser.new_context(base_url=live_server.url, locale="en-BE", user_agent=PHONE)
    try:
        phone = phone_context.new_page()
        phone.goto("/auth/login")
        phone.fill("#email", "jan@example.org")
        phone.fill("#password", PASSWORD)
        phone.check("#remember")
        phone.locator("main button[type=submit]").click()
        phone.wait_for_url(live_server.url + "/")
        phone.goto("/account/")
        assert phone.url.endswith("/account/")

        log_in(page, "jan@example.org", "/account/")
        page.get_by_role("navigation", name="Account sections").get_by_role("link", name="Sessions").click()
        page.wait_for_url("**/account/sessions")
        check_a11y(page, "account-sessions")
        rows = page.locator("main table tbody tr")
        assert rows.count() == 2
        this_device = page.locator('main table tbody tr[aria-current="true"]')
        assert "this device" in this_device.inner_text()
        phone_row = rows.filter(has_text="Safari on iPhone")
        assert phone_row.count() == 1 and "this device" not in phone_row.inner_text()

        phone_row.get_by_role("button", name=re.compile(r"^Sign out")).click()
        page.wait_for_load_state()
        assert page.url.endswith("/account/sessions")
        assert page.get_by_text("That session has been signed out").is_visible()
        assert rows.count() == 1 and "this device" in rows.first.inner_text()
        assert page.get_by_text("You are logged in on this device only.").is_visible()
        check_a11y(page, "account-sessions-signed-out")

        phone.goto("/account/")
        phone.wait_for_url("**/auth/login**")
        assert not [c for c in phone_context.cookies() if "remember" in c["name"]]
        page.goto("/account/")
        assert page.url.endswith("/account/")  # the laptop stays logged in
    finally:
        phone_context.close()
