"""The web side of an account: who a request acts for, logging in and out, the language kept in the session.

Services take a `User` (or None for an anonymous visitor) and never see Flask-Login, the session or cookies;
routes use the helpers below around the service calls.
"""

from flask import current_app, request, session
from flask_login import current_user, login_user, logout_user

from matchmaker.models import User
from matchmaker.services import accounts


def acting_user() -> User | None:
    """The logged-in user of this request, or None for an anonymous visitor: what routes pass to services.

    The user itself, not Flask-Login's proxy to it, so that a service may keep it past the request."""
    if current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def log_in(email: str, password: str, remember: bool = False) -> User:
    """Check the credentials (refusals as accounts.authenticate) and start the session."""
    user = accounts.authenticate(email, password)
    login_user(user, remember=remember)
    return user


def log_out() -> None:
    logout_user()


def keep_session(user: User) -> None:
    """Sign the current session again after the account's auth_version changed (a new password): every
    other session ends, this one continues, with its remember-me cookie if it had one."""
    had_cookie = current_app.config["REMEMBER_COOKIE_NAME"] in request.cookies
    login_user(user, remember=had_cookie)


def remember_language(language: str) -> None:
    """Pages of this session are shown in `language` (also before logging in, and after logging out)."""
    session["language"] = language
