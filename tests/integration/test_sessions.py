"""The web side of accounts (matchmaker.auth.sessions): routes hand services a User or None."""

import hashlib
import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import session
from flask_login import current_user

from matchmaker.auth import sessions
from matchmaker.extensions import db
from matchmaker.models import Job, User, UserSession, utcnow
from matchmaker.services import ServiceError, accounts, event_team, user_sessions
from matchmaker.tasks.periodic import enqueue_periodic
from tests.factories import PASSWORD
from tests.helpers import counting

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


def log_in(client, email: str, remember: bool = False, headers=None, **extra) -> None:
    data = {"email": email, "password": PASSWORD, **extra}
    if remember:
        data["remember"] = "y"
    response = client.post("/auth/login", data=data, headers=headers)
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
    """Issue 14, finding 1 (high): after an account was deleted, its old session cookie and its old
    remember-me cookie opened the next account created, and its data export. SQLite gives a new row the
    highest freed id and the identity was `id:auth_version`, 1 for every new account."""
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
    """Issue 14, finding 2 (medium): after POST /auth/logout a copy of the session cookie or of the
    remember-me cookie still opened the account (a cookie stolen before the logout kept working)."""
    session_name, remember_name = app.config["SESSION_COOKIE_NAME"], app.config["REMEMBER_COOKIE_NAME"]
    user = make_user()
    browser = app.test_client()
    log_in(browser, user.email, remember=True)
    copies = {
        "a copy of the session cookie": browser_with(app, {session_name: cookie(browser, session_name)}),
        "a copy of the remember-me cookie": browser_with(
            app, {remember_name: cookie(browser, remember_name)}
        ),
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


FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


def rows_of(user: User) -> list[UserSession]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)))


def the_row(user: User) -> UserSession:
    rows = rows_of(user)
    assert len(rows) == 1, rows
    return rows[0]


def move_back(row: UserSession, **columns: timedelta) -> None:
    """Travel in time: the row's timestamps move back by these amounts."""
    for name, delta in columns.items():
        setattr(row, name, getattr(row, name) - delta)
    db.session.commit()


def test_a_login_stores_a_hashed_random_secret_and_the_device_never_the_user_id(app, client, make_user):
    user = make_user()
    client.post(
        "/auth/login",
        data={"email": user.email, "password": PASSWORD},
        headers={"User-Agent": FIREFOX_ON_WINDOWS},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    with client.session_transaction() as cookie_session:
        secret = cookie_session["_user_id"]
    row = the_row(user)
    assert len(secret) >= 43 and str(user.id) not in secret.split("-")  # 256 random bits, no id
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest() != secret
    assert (row.browser, row.system, row.ip_address) == ("Firefox", "Windows", "192.0.2.7")
    assert not row.remember
    assert row.expires_at - row.created_at == app.config["SESSION_IDLE_TIMEOUT"]


def test_each_login_is_a_session_of_its_own(app, make_user):
    user = make_user()
    first, second = app.test_client(), app.test_client()
    log_in(first, user.email)
    log_in(second, user.email, remember=True)
    assert sorted(row.remember for row in rows_of(user)) == [False, True]
    name = app.config["SESSION_COOKIE_NAME"]
    assert cookie(first, name) != cookie(second, name)


def test_remember_me_lasts_a_bounded_time_that_the_server_checks(app, make_user):
    """Issue 14, finding 2: the remember-me cookie carried no expiry the server checked (a copy kept working
    as long as the browser was told to keep it). Now the session's row ends it, whatever the cookie says."""
    user = make_user()
    browser = app.test_client()
    log_in(browser, user.email, remember=True)
    row = the_row(user)
    assert row.remember and row.expires_at - row.created_at == app.config["REMEMBER_COOKIE_DURATION"]
    name = app.config["REMEMBER_COOKIE_NAME"]
    remember_cookie = {name: cookie(browser, name)}
    assert logged_in(browser_with(app, remember_cookie))

    move_back(row, created_at=timedelta(days=30), expires_at=timedelta(days=30))  # 30 days later
    assert not logged_in(browser_with(app, remember_cookie))
    assert not logged_in(browser)


def test_using_a_remembered_session_does_not_make_it_last_longer(app, make_user):
    user = make_user()
    browser = app.test_client()
    log_in(browser, user.email, remember=True)
    row = the_row(user)
    move_back(row, last_seen_at=timedelta(minutes=5))
    ends = row.expires_at
    assert logged_in(browser)
    row = the_row(user)
    assert row.expires_at == ends and utcnow() - row.last_seen_at < timedelta(seconds=5)


def test_a_session_without_remember_me_ends_after_the_idle_limit(app, make_user):
    user = make_user()
    browser = app.test_client()
    log_in(browser, user.email)
    idle = app.config["SESSION_IDLE_TIMEOUT"]
    move_back(the_row(user), last_seen_at=idle, expires_at=idle)
    assert not logged_in(browser)


def test_activity_moves_the_idle_limit_on_at_most_once_a_minute(app, make_user):
    user = make_user()
    browser = app.test_client()
    log_in(browser, user.email)
    idle = app.config["SESSION_IDLE_TIMEOUT"]
    row = the_row(user)
    move_back(row, last_seen_at=timedelta(seconds=30), expires_at=timedelta(seconds=30))
    seen, ends = row.last_seen_at, row.expires_at
    with counting() as statements:
        assert logged_in(browser)
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE")]  # seen 30 s ago: no write
    row = the_row(user)
    assert (row.last_seen_at, row.expires_at) == (seen, ends)

    move_back(row, last_seen_at=timedelta(minutes=1), expires_at=timedelta(minutes=1))
    assert logged_in(browser)
    row = the_row(user)
    assert utcnow() - row.last_seen_at < timedelta(seconds=5)
    assert row.expires_at - row.last_seen_at == idle


def test_the_user_of_a_request_costs_one_query(app, make_user):
    """One indexed lookup: the session's row with its user, roles and membership, in one statement."""
    user = make_user()
    browser = app.test_client()
    log_in(browser, user.email)
    with counting() as statements:
        assert browser.get("/account/data").status_code == 200
    touching = [s for s in statements if "user_session" in s or "user_account" in s or "user_role" in s]
    assert len(touching) == 1, touching
    assert "user_session.token_hash =" in touching[0] and "user_role" in touching[0]


def test_a_password_change_ends_the_other_sessions_and_renews_this_ones_secret(app, make_user):
    user = make_user(email="jan@example.org")
    here, elsewhere = app.test_client(), app.test_client()
    log_in(here, user.email, remember=True)
    log_in(elsewhere, user.email)
    session_name, remember_name = app.config["SESSION_COOKIE_NAME"], app.config["REMEMBER_COOKIE_NAME"]
    copy = browser_with(app, {remember_name: cookie(here, remember_name)})  # taken before the change
    started = {row.id for row in rows_of(user) if row.remember}

    form = {"current_password": PASSWORD, "password": "a brand new pass phrase", "password_repeat": ""}
    form["password_repeat"] = form["password"]
    assert here.post("/account/password", data=form).status_code == 302
    assert logged_in(here)
    assert browser_with(app, {session_name: cookie(here, session_name)}) is not None
    assert not logged_in(elsewhere)
    assert not logged_in(copy)
    assert {row.id for row in rows_of(user)} == started  # the same session goes on, under a new secret
    assert logged_in(browser_with(app, {remember_name: cookie(here, remember_name)}))


def test_a_password_reset_ends_every_session(app, client, make_user, outbox):
    user = make_user()
    browser = app.test_client()
    log_in(browser, user.email, remember=True)
    client.post("/auth/forgot-password", data={"email": user.email})
    link = re.search(r"http://localhost(/auth/reset-password/\S+)", outbox[-1].body).group(1)
    new = "a brand new pass phrase"
    assert client.post(link, data={"password": new, "password_repeat": new}).status_code == 302
    assert rows_of(user) == []
    assert not logged_in(browser)


def test_deleting_the_account_deletes_its_sessions(app, make_user):
    user = make_user()
    here, elsewhere = app.test_client(), app.test_client()
    log_in(here, user.email)
    log_in(elsewhere, user.email, remember=True)
    user_id = user.id
    here.post("/account/delete", data={"current_password": PASSWORD, "understood": "y"})
    assert db.session.scalar(sa.select(sa.func.count()).where(UserSession.user_id == user_id)) == 0
    assert not logged_in(elsewhere)


def test_an_ended_session_is_forgotten_by_the_browser(app, make_user):
    """The browser of a session that ended elsewhere drops the secret and its remember-me cookie, so later
    requests do not look it up again."""
    user = make_user()
    browser = app.test_client()
    log_in(browser, user.email, remember=True)
    user_sessions.end_session(browser.get_cookie(app.config["REMEMBER_COOKIE_NAME"]).value.split("|")[0])
    assert not logged_in(browser)
    assert browser.get_cookie(app.config["REMEMBER_COOKIE_NAME"]) is None
    with browser.session_transaction() as cookie_session:
        assert "_user_id" not in cookie_session


def test_the_expired_sessions_are_purged_every_hour(app, make_user):
    user = make_user()
    gone, live = app.test_client(), app.test_client()
    log_in(gone, user.email)
    log_in(live, user.email, remember=True)
    expired = next(row for row in rows_of(user) if not row.remember)
    move_back(expired, expires_at=app.config["SESSION_IDLE_TIMEOUT"])
    job_id = enqueue_periodic("sessions.purge")
    assert db.session.get(Job, job_id).result == {"deleted": 1}
    assert [row.remember for row in rows_of(user)] == [True]
    assert logged_in(live)


def test_the_data_export_lists_the_sessions_without_their_secrets(app, make_user):
    user = make_user()
    browser = app.test_client()
    browser.post(
        "/auth/login",
        data={"email": user.email, "password": PASSWORD},
        headers={"User-Agent": SAFARI_ON_IPHONE},
    )
    export = browser.get("/account/data/export.json")
    sessions_part = json.loads(export.data)["data"]["sessions"]
    assert [(s["browser"], s["system"]) for s in sessions_part] == [("Safari", "iPhone")]
    assert the_row(user).token_hash not in export.text and "token" not in export.text


# The sessions page ------------------------------------------------------------------------------------


def test_the_sessions_page_lists_the_users_sessions_and_marks_this_device(app, make_user):
    user, other = make_user(), make_user()
    here, phone, stranger = app.test_client(), app.test_client(), app.test_client()
    log_in(here, user.email, headers={"User-Agent": FIREFOX_ON_WINDOWS})
    phone.post(
        "/auth/login",
        data={"email": user.email, "password": PASSWORD},
        headers={"User-Agent": SAFARI_ON_IPHONE},
        environ_base={"REMOTE_ADDR": "198.51.100.23"},
    )
    log_in(stranger, other.email)
    page = here.get("/account/sessions", headers={"User-Agent": FIREFOX_ON_WINDOWS})
    assert page.status_code == 200
    text = page.text
    assert "Firefox on Windows" in text and "Safari on iPhone" in text and "198.51.100.23" in text
    assert text.count('<tr aria-current="true">') == 1
    marked = r'<tr aria-current="true">\s*<th[^>]*>\s*Firefox on Windows\s*<span[^>]*>this device'
    assert re.search(marked, text)
    assert "Sign out everywhere else" in text
    phone_row = next(row for row in rows_of(user) if row.system == "iPhone")
    assert f"/account/sessions/{phone_row.id}/sign-out" in text
    other_row = the_row(other)
    assert f"/account/sessions/{other_row.id}/sign-out" not in text  # nobody sees another user's sessions
    assert 'href="/account/sessions"' in here.get("/account/").text  # linked from the account navigation


def test_signing_out_another_session_logs_that_device_out(app, make_user):
    user = make_user()
    here, phone = app.test_client(), app.test_client()
    log_in(here, user.email)
    log_in(phone, user.email, remember=True)
    phone_row = next(row for row in rows_of(user) if row.remember)
    response = here.post(f"/account/sessions/{phone_row.id}/sign-out")
    assert response.status_code == 302 and response.location.endswith("/account/sessions")
    assert not logged_in(phone)
    assert logged_in(here)


def test_signing_out_everywhere_else_keeps_this_session(app, make_user):
    user, other = make_user(), make_user()
    here, phone, laptop, stranger = (app.test_client() for _ in range(4))
    log_in(here, user.email)
    log_in(phone, user.email, remember=True)
    log_in(laptop, user.email)
    log_in(stranger, other.email)
    response = here.post("/account/sessions/sign-out-others", follow_redirects=True)
    assert "2 other sessions have been signed out." in response.text
    assert logged_in(here) and not logged_in(phone) and not logged_in(laptop)
    assert logged_in(stranger)  # another user's sessions are not touched
    assert len(rows_of(user)) == 1


def test_signing_out_this_session_from_the_list_logs_out(app, make_user):
    user = make_user()
    here = app.test_client()
    log_in(here, user.email)
    response = here.post(f"/account/sessions/{the_row(user).id}/sign-out")
    assert response.status_code == 302 and not logged_in(here)
    assert rows_of(user) == []


def test_nobody_signs_out_another_users_session(app, make_user):
    user, intruder = make_user(), make_user()
    victim, attacker = app.test_client(), app.test_client()
    log_in(victim, user.email)
    log_in(attacker, intruder.email)
    victims_row = the_row(user)
    assert attacker.post(f"/account/sessions/{victims_row.id}/sign-out").status_code == 404
    assert attacker.post("/account/sessions/999999/sign-out").status_code == 404  # the same answer: no oracle
    assert logged_in(victim) and len(rows_of(user)) == 1
    assert app.test_client().post(f"/account/sessions/{victims_row.id}/sign-out").status_code == 302  # login
    assert logged_in(victim)


def test_an_expired_session_cannot_be_signed_out_again(app, make_user):
    user = make_user()
    here, old = app.test_client(), app.test_client()
    log_in(here, user.email)
    log_in(old, user.email, remember=True)
    old_row = next(row for row in rows_of(user) if row.remember)
    move_back(old_row, expires_at=timedelta(days=31))
    assert f"/account/sessions/{old_row.id}/sign-out" not in here.get("/account/sessions").text
    assert here.post(f"/account/sessions/{old_row.id}/sign-out").status_code == 404


def test_the_menu_link_to_team_events_follows_the_team_from_the_next_request(
    client, auth, organizer, event, make_user
):
    """Issue 16: whether the user is on an event's team is read with the login's session (no query of its
    own on every page): someone added or removed while logged in sees the menu change with their next page.
    (Here, not in test_event_team: its request context keeps the first request's user for the next ones.)"""
    helper = make_user(display_name="Menu Helper")
    auth.login(helper)
    assert 'href="/events/teams"' not in client.get("/").text
    member = event_team.add_member(organizer, event, helper.email, "check_in")
    assert 'href="/events/teams"' in client.get("/").text
    event_team.remove_member(organizer, member)
    assert 'href="/events/teams"' not in client.get("/").text
