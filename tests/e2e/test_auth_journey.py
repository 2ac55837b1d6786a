"""In the browser: register, confirm, log in and out, the account pages. Every page is checked with axe."""

import re

from playwright.sync_api import expect

from matchmaker.extensions import db
from matchmaker.services import accounts
from tests.e2e.conftest import forget_intended_status
from tests.factories import PASSWORD

LINK = re.compile(r"https?://[^/\s]+(/\S+)")


def _last_link(live_server) -> str:
    return LINK.findall(live_server.outbox[-1].body)[-1]


def test_registration_confirmation_and_login_journey(page, check_a11y, live_server):
    page.goto("/")
    page.get_by_role("link", name="Register as a public buyer").click()
    page.wait_for_url("**/auth/register?role=buyer")
    check_a11y(page, "auth-register")
    assert page.locator("input[name=role][value=buyer]").is_checked()  # chosen by the home page's link
    page.locator("#email").fill("an.peeters@omgeving.example.be")
    page.locator("#display_name").fill("An Peeters")
    page.locator("#password").fill("short")
    page.locator("#password_repeat").fill("short")
    page.get_by_role("button", name="Create my account").click()
    # The error summary is focused and lists the problem; the input is kept.
    expect(page.locator(".error-summary")).to_be_visible()
    assert page.locator("#email").input_value() == "an.peeters@omgeving.example.be"
    check_a11y(page, "auth-register-errors")
    forget_intended_status(page, 422)

    page.locator("#password").fill("drie bruine beren in Gent")
    page.locator("#password_repeat").fill("drie bruine beren in Gent")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url("**/auth/check-your-mailbox/register")
    check_a11y(page, "auth-check-mailbox")

    page.goto(_last_link(live_server))
    check_a11y(page, "auth-confirm")
    page.get_by_role("button", name="Confirm my email address").click()
    # Confirming logs the new user in, and welcomes them to Matchmaker (not back).
    page.wait_for_url(live_server.url + "/")
    assert page.get_by_role("heading", level=1, name="Welcome to Matchmaker, An Peeters.").is_visible()
    check_a11y(page, "auth-confirmed-home")
    page.get_by_role("button", name="An Peeters").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(live_server.url + "/")
    navigation = page.get_by_role("navigation", name="Main navigation")
    navigation.get_by_role("link", name="Log in").click()
    page.wait_for_url("**/auth/login")
    check_a11y(page, "auth-login")

    page.locator("#email").fill("an.peeters@omgeving.example.be")
    page.locator("#password").fill("drie bruine beren in Gent")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server.url + "/")
    assert page.get_by_role("heading", level=1, name="Welcome back, An Peeters.").is_visible()
    page.get_by_role("button", name="An Peeters").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(live_server.url + "/")
    assert navigation.get_by_role("link", name="Log in").is_visible()


def test_account_pages_are_accessible(page, check_a11y, live_server, live_app):
    with live_app.app_context():
        accounts.create_user(
            "jan@example.org", PASSWORD, "Jan Janssens", roles=("supplier",), confirmed=True, language="en"
        )
        db.session.commit()
    page.goto("/auth/login?next=/account/")
    page.locator("#email").fill("jan@example.org")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account/")
    for path, name in [
        ("/account/", "account-profile"),
        ("/account/password", "account-password"),
        ("/account/email", "account-email"),
        ("/account/data", "account-data"),
        ("/account/delete", "account-delete"),
    ]:
        page.goto(path)
        check_a11y(page, name)

    page.goto("/account/password")
    page.get_by_role("button", name="Change my password").click()
    expect(page.locator(".error-summary")).to_be_visible()
    check_a11y(page, "account-password-errors")
    forget_intended_status(page, 422)


def test_mailed_link_pages_are_accessible(page, check_a11y):
    page.goto("/auth/forgot-password")
    check_a11y(page, "auth-forgot-password")
    page.goto("/auth/confirm/new-link")
    check_a11y(page, "auth-resend-confirmation")
    page.goto("/auth/confirm/not-a-real-token")
    check_a11y(page, "auth-invalid-link")
    forget_intended_status(page, 400)
