"""Server-side sessions: one UserSession row per login, named by the cookies through a random secret.

The session cookie and the remember-me cookie carry the secret (256 random bits); the table keeps its SHA-256
only, so a copy of the table opens no account. The secret names that one row and nothing else: not the user's
id, which SQLite hands out again once freed. Ending a session deletes its row, and with it every copy of its
cookies; deleting an account deletes its rows (ON DELETE CASCADE).

Lifetimes (`_expiry`): a session started with "remember me" ends REMEMBER_COOKIE_DURATION after the login,
whatever happens; one without it ends SESSION_IDLE_TIMEOUT after the last request (and at the latest when a
remembered one would), besides ending with the browser (its cookie has no expiry date). The server checks
`expires_at` on every request: the cookies' own dates are only a hint to the browser.

Services see no request: the web layer (matchmaker.auth.sessions) passes the secret, the browser's User-Agent
and the client's address as plain strings.
"""

import functools
import hashlib
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager

from matchmaker.extensions import db
from matchmaker.models import EventStaff, User, UserSession, utcnow
from matchmaker.services.kernel import NotFound, commit

TOKEN_BYTES = 32  # 256 bits, as URL-safe text of 43 characters
# last_seen_at (and an idle session's expiry) is written at most this often: one UPDATE a minute per active
# session instead of one per request.
SEEN_EVERY = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _expiry(remember: bool, created: datetime, seen: datetime) -> datetime:
    config = current_app.config
    longest = created + config["REMEMBER_COOKIE_DURATION"]
    if remember:
        return longest
    return min(seen + config["SESSION_IDLE_TIMEOUT"], longest)


def _attach(user: User, token: str, row: UserSession) -> User:
    """Flask-Login asks the user for its identity (User.get_id): the secret of the session it came with."""
    user.session_token = token
    user.current_session = row
    return user


def start_session(user: User, remember: bool = False, user_agent: str = "", ip_address: str = "") -> str:
    """Start a session for `user` (who has just proved who they are) and return its secret, for the cookies.
    The secret is attached to `user`, so that `user.get_id()` gives it to Flask-Login."""
    now = utcnow()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    browser, system = describe_device(user_agent)
    row = UserSession(
        user_id=user.id,
        token_hash=_hash(token),
        remember=remember,
        browser=browser,
        system=system,
        ip_address=(ip_address or "")[:45],
        created_at=now,
        last_seen_at=now,
        expires_at=_expiry(remember, now, now),
    )
    db.session.add(row)
    commit()
    _attach(user, token, row)
    return token


@functools.cache
def _session_query() -> sa.Select:
    """The session of the hash `token_hash` with its user, roles and whether the user helps run an event:
    asked at every request, so built once (building it cost 0.5 ms of CPU)."""
    on_a_team = sa.select(EventStaff.id).where(EventStaff.user_id == UserSession.user_id).exists()
    return (
        sa.select(UserSession, on_a_team)
        .join(UserSession.user)
        .where(UserSession.token_hash == sa.bindparam("token_hash", type_=UserSession.token_hash.type))
        .options(contains_eager(UserSession.user).joinedload(User.roles))
    )


def user_for_token(token: str | None) -> User | None:
    """The active user whose unexpired session this secret names, or None (Flask-Login's user loader).

    One indexed query: the session's row by its hash, joined to the user's row with its roles and membership,
    which every page reads."""
    if not token or len(token) > 100:
        return None
    found = db.session.execute(_session_query(), {"token_hash": _hash(token)}).unique().one_or_none()
    if found is None:
        return None
    row, row.user.on_an_event_team = found  # the user menu's "Events I help run", read with the session
    if row.expires_at <= utcnow() or not row.user.active:
        return None
    return _attach(row.user, token, row)


def note_activity(row: UserSession) -> None:
    """The session was used now: move `last_seen_at` on, and with it the expiry of a session without "remember
    me", at most once a minute. Called at the start of a request, before the request has changed anything.

    The objects loaded so far (the user of the request) stay loaded across this commit: expiring them would
    cost a query to load the user again."""
    now = utcnow()
    if now - row.last_seen_at < SEEN_EVERY:
        return
    row.last_seen_at = now
    row.expires_at = _expiry(row.remember, row.created_at, now)
    session = db.session()
    expire_on_commit = session.expire_on_commit
    session.expire_on_commit = False
    try:
        commit()
    finally:
        session.expire_on_commit = expire_on_commit


def renew_secret(user: User, row: UserSession) -> str:
    """Give a session a new secret, attached to `user` (after a new password: this browser stays logged in, a
    copy of its cookies taken before does not). Part of the caller's unit of work."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row.token_hash = _hash(token)
    _attach(user, token, row)
    return token


def end_session(token: str | None) -> None:
    """Logging out: the session this secret names ends, wherever its cookies were copied."""
    if token:
        db.session.execute(sa.delete(UserSession).where(UserSession.token_hash == _hash(token)))
        commit()


def end_all_sessions(user: User, keep: UserSession | None = None) -> None:
    """End every session of `user` but `keep` (a new password, deactivation). Part of the caller's unit of
    work: the caller commits."""
    statement = sa.delete(UserSession).where(UserSession.user_id == user.id)
    if keep is not None:
        statement = statement.where(UserSession.id != keep.id)
    db.session.execute(statement)


def active_sessions(user: User) -> list[UserSession]:
    """The user's sessions that have not ended, the most recently used first."""
    return list(
        db.session.scalars(
            sa.select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.expires_at > utcnow())
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )


def sign_out_session(user: User, session_id: int) -> None:
    """The user ends one of their sessions (on a device they lost, say). Another user's session, or one that
    already ended, is not found: nobody learns whether a session number exists."""
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id != user.id or row.expires_at <= utcnow():
        raise NotFound(_("This session has already ended."))
    db.session.delete(row)
    commit()


def sign_out_other_sessions(user: User, current: UserSession | None) -> int:
    """End every session of the user but the one in use; how many ended."""
    ended = len([row for row in active_sessions(user) if current is None or row.id != current.id])
    end_all_sessions(user, keep=current)
    commit()
    return ended


def export_sessions(user: User) -> list[dict]:
    """The user's part of "download my data": every stored login (never its secret or the secret's hash)."""
    rows = db.session.scalars(
        sa.select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.created_at)
    )
    return [
        {
            "browser": row.browser,
            "system": row.system,
            "ip_address": row.ip_address,
            "remember": row.remember,
            "created_at": row.created_at,
            "last_seen_at": row.last_seen_at,
            "expires_at": row.expires_at,
        }
        for row in rows
    ]


def purge_expired_sessions() -> int:
    """Delete the rows of sessions that ran out (a periodic job): they open nothing already."""
    deleted = db.session.execute(sa.delete(UserSession).where(UserSession.expires_at <= utcnow())).rowcount
    commit()
    return deleted


# The device and browser a person recognises, from the User-Agent header -------------------------------

# The first that matches wins: Edge and Opera say "Chrome" too, Chrome says "Safari", and so on.
_BROWSERS = (
    ("Edge", re.compile(r"\bEdg(?:e|A|iOS)?/")),
    ("Opera", re.compile(r"\b(?:OPR|Opera)/")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("Firefox", re.compile(r"\b(?:Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(?:Chrome|CriOS|HeadlessChrome|Chromium)/")),
    ("Safari", re.compile(r"\bVersion/[\d.]+.*\bSafari/")),
)
_SYSTEMS = (
    ("iPhone", re.compile(r"\biPhone\b")),
    ("iPad", re.compile(r"\biPad\b")),
    ("Android", re.compile(r"\bAndroid\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("macOS", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("Linux", re.compile(r"\bLinux\b")),
)


def describe_device(user_agent: str) -> tuple[str, str]:
    """(browser, operating system) as a person names them, ("Firefox", "Windows"); "" for what is not
    recognised. Only these are stored, not the whole header. Names of products: not translated."""
    user_agent = (user_agent or "")[:512]
    browser = next((name for name, pattern in _BROWSERS if pattern.search(user_agent)), "")
    system = next((name for name, pattern in _SYSTEMS if pattern.search(user_agent)), "")
    return browser, system
