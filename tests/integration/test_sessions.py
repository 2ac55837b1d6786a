"""The web side of accounts (matchmaker.auth.sessions): routes hand services a User or None."""

import re

import pytest
import sqlalchemy as sa
from flask import session
from flask_login import current_user

from matchmaker.auth import sessions
from matchmaker.extensions import db
from matchmaker.models import User
from matchmaker.services import ServiceError, accounts
from tests.factories import PASSWORD

CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def test_an_anonymous_visitor_acts_as_none(app):
    with app.test_request_context("/"):
        assert not current_user.is_authenticated
        assert sessions.acting_user() is None


def test_a_logged_in_person_acts_as_their_user_not_as_the_login_proxy(app, make_user):
    user = make_user()
    with app.test_request_context("/"):
        sessions.log_in(user.email, PASSWORD)
        acting = sessions.acting_user()
        assert type(acting) is User and acting.id == user.id
        sessions.log_out()
        assert sessions.acting_user() is None


def test_refused_credentials_start_no_session(app, make_user):
    user = make_user()
    with app.test_request_context("/"):
        with pytest.raises(ServiceError):
            sessions.log_in(user.email, "not the password")
        assert sessions.acting_user() is None


def test_the_service_checks_credentials_without_a_request(app, make_user):
    user = make_user()
    assert accounts.authenticate(user.email, PASSWORD).id == user.id  # a bare app context: no request at all
    with pytest.raises(ServiceError):
        accounts.authenticate(user.email, "not the password")


def test_the_language_of_the_session_is_remembered(app):
    with app.test_request_context("/"):
        sessions.remember_language("fr")
        assert session["language"] == "fr"


# Server-side sessions (issue 14) ------------------------------------------------------------------------


def log_in(client, email: str, remember: bool = False, **extra) -> None:
    data = {"email": email, "password": PASSWORD, **extra}
    if remember:
        data["remember"] = "y"
    response = client.post("/auth/login", data=data)
    assert response.status_code == 302, response.data


def cookie(client, name: str) -> str:
    found = client.get_cookie(name)
    assert found is not None, f"no cookie {name}"
    return found.value


def browser_with(app, cookies: dict[str, str]):
    """A new browser that holds only these cookies (copied from another one)."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def logged_in(client) -> bool:
    response = client.get("/account/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_a_deleted_accounts_cookies_never_open_the_next_account(app, make_user):
    """Issue 14, finding 1 (high): after an account was deleted, its old session cookie and its old remember-me
    cookie opened the next account created, and its data export. SQLite gives a new row the highest freed id
    and the identity was `id:auth_version`, 1 for every new account."""
    session_name, remember_name = app.config["SESSION_COOKIE_NAME"], app.config["REMEMBER_COOKIE_NAME"]
    gone = make_user(email="gone@example.org")
    gone_id = gone.id
    here, remembered = app.test_client(), app.test_client()
    log_in(here, gone.email)
    log_in(remembered, gone.email, remember=True)
    old_session, old_remember = cookie(here, session_name), cookie(remembered, remember_name)
    deleted = here.post("/account/delete", data={"current_password": PASSWORD, "understood": "y"})
    assert deleted.status_code == 302 and db.session.get(User, gone_id) is None

    newcomer = make_user(email="newcomer@example.org", roles=())
    if newcomer.id != gone_id:
        # PostgreSQL's sequence never hands out an id twice (SQLite does, above); a restored backup or a reset
        # sequence can. No identity may depend on it.
        db.session.execute(sa.update(User).where(User.id == newcomer.id).values(id=gone_id))
        db.session.commit()
    db.session.expire_all()

    copies = {
        "the old session cookie": browser_with(app, {session_name: old_session}),
        "the old remember-me cookie": browser_with(app, {remember_name: old_remember}),
        "the other browser, as it was": remembered,
    }
    for what, browser in copies.items():
        export = browser.get("/account/data/export.json")
        assert export.status_code == 302 and "/auth/login" in export.location, what
        assert b"newcomer@example.org" not in export.data, what


def test_logging_out_ends_every_copy_of_the_cookies(app, make_user):
    """Issue 14, finding 2 (medium): after POST /auth/logout a copy of the session cookie or of the remember-me
    cookie still opened the account (a cookie stolen before the logout kept working)."""
    session_name, remember_name = app.config["SESSION_COOKIE_NAME"], app.config["REMEMBER_COOKIE_NAME"]
    user = make_user()
    browser = app.test_client()
    log_in(browser, user.email, remember=True)
    copies = {
        "a copy of the session cookie": browser_with(app, {session_name: cookie(browser, session_name)}),
        "a copy of the remember-me cookie": browser_with(app, {remember_name: cookie(browser, remember_name)}),
    }
    assert all(logged_in(copy) for copy in copies.values())  # the copies worked while the session lasted

    assert browser.post("/auth/logout").status_code == 302
    assert not logged_in(browser)
    for what, copy in copies.items():
        assert not logged_in(copy), what


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}], indirect=True)
def test_logging_in_renews_the_csrf_token(app, client, make_user):
    """Issue 14, finding 9 (the CSRF part): the token a visitor had before logging in stayed valid after, so a
    token planted in or read from the anonymous session could forge the logged-in person's requests."""
    user = make_user()
    page = client.get("/auth/login")
    before = CSRF_FIELD.search(page.text).group(1)
    with client.session_transaction() as session:
        raw_before = session["csrf_token"]
    log_in(client, user.email, csrf_token=before)
    with client.session_transaction() as session:
        raw_after = session.get("csrf_token")
    assert raw_after != raw_before

    profile = {"display_name": "Renamed", "language": "en"}
    assert client.post("/account/", data={**profile, "csrf_token": before}).status_code == 400
    after = CSRF_FIELD.search(client.get("/account/").text).group(1)
    assert client.post("/account/", data={**profile, "csrf_token": after}).status_code == 302
