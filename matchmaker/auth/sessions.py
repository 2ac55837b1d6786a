"""The web side of an account: who a request acts for, logging in and out, the language kept in the session.

Services take a `User` (or None for an anonymous visitor) and never see Flask-Login, the session or cookies;
routes use the helpers below around the service calls.

Every login is a row on the server (matchmaker.services.user_sessions): Flask-Login's identity, kept in the
session cookie and the remember-me cookie, is that row's random secret (User.get_id), and `load_user` finds
the user through it, so ending the row logs out every copy of the cookies.
"""

from flask import Flask, current_app, g, request, session
from flask_login import current_user, login_user, logout_user

from matchmaker.models import User, UserSession
from matchmaker.services import accounts, user_sessions

# Flask-WTF keeps the CSRF token's secret under this name, in the session and (signed) on `g`.
CSRF_KEY = "csrf_token"
# What Flask-Login keeps of a login in the session.
LOGIN_KEYS = ("_user_id", "_fresh", "_id", "_remember_seconds")
# Set for the session of an account's first login: its pages welcome the person to Matchmaker, not back.
FIRST_VISIT_KEY = "first_visit"


def init_app(app: Flask) -> None:
    @app.before_request
    def note_session_activity() -> None:
        """Load the user first, before the request changes anything, and note that the session is in use (at
        most one write a minute). Anonymous visitors without a session cost nothing here."""
        if request.endpoint == "static":
            return
        if current_user.is_authenticated and current_user.current_session is not None:
            user_sessions.note_activity(current_user.current_session)


def load_user(session_id: str) -> User | None:
    """Flask-Login's user loader: the user of the live session this secret names. A session that ended is
    forgotten by this browser, remember-me cookie included, so it is not looked up again."""
    user = user_sessions.user_for_token(session_id)
    if user is None:
        session.pop("_user_id", None)
        if current_app.config["REMEMBER_COOKIE_NAME"] in request.cookies:
            session["_remember"] = "clear"
    return user


def acting_user() -> User | None:
    """The logged-in user of this request, or None for an anonymous visitor: what routes pass to services.

    The user itself, not Flask-Login's proxy to it, so that a service may keep it past the request."""
    if current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def current_session() -> UserSession | None:
    """The session (the login) this request belongs to, or None for an anonymous visitor."""
    return current_user.current_session if current_user.is_authenticated else None


def log_in(email: str, password: str, remember: bool = False) -> User:
    """Check the credentials (refusals as accounts.authenticate) and start a new session: a new secret, and a
    new CSRF token, so nothing of the anonymous visit (a token someone planted or read) carries over."""
    user = accounts.authenticate(email, password)
    log_in_user(user, remember=remember)
    return user


def log_in_user(user: User, remember: bool = False) -> None:
    """Start a new session for `user`, who has just proved who they are (their password, or the confirmation
    link mailed to them), as log_in does; note whether it is the account's first login (is_first_visit)."""
    first = accounts.record_login(user)
    _forget_login_state()
    user_sessions.start_session(
        user, remember=remember, user_agent=request.user_agent.string, ip_address=request.remote_addr or ""
    )
    login_user(user, remember=remember)
    if first:
        session[FIRST_VISIT_KEY] = True


def is_first_visit() -> bool:
    """This session is the account's first login: welcome the person to Matchmaker rather than back."""
    return current_user.is_authenticated and bool(session.get(FIRST_VISIT_KEY))


def keep_session() -> None:
    """After a new password: this session goes on under the new secret the service gave it (set_password),
    in the session cookie and, if it had one, the remember-me cookie."""
    user = acting_user()
    if user is not None and user.current_session is not None:
        login_user(user, remember=user.current_session.remember)


def log_out() -> None:
    """End this session on the server (every copy of its cookies stops working) and in this browser."""
    if current_user.is_authenticated:
        user_sessions.end_session(current_user.session_token)
    logout_user()
    _forget_login_state()


def _forget_login_state() -> None:
    for key in (*LOGIN_KEYS, CSRF_KEY, FIRST_VISIT_KEY):
        session.pop(key, None)
    g.pop(CSRF_KEY, None)


def remember_language(language: str) -> None:
    """Pages of this session are shown in `language` (also before logging in, and after logging out)."""
    session["language"] = language
