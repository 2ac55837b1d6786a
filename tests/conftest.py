"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set),
the app, a client, a CLI runner and a login helper. The factories (make_user, make_event, ...) are in
tests/factories.py, loaded for the whole suite as a plugin; the integration tests' shared fixtures are in
tests/integration/conftest.py.

The schema is created once per run by the Alembic migrations, as in production; each test
starts from empty tables.
"""

import contextlib
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient
from flask_babel import refresh as refresh_babel

from config import TestConfig
from matchmaker import create_app
from matchmaker.extensions import db, limiter
from matchmaker.models import User
from matchmaker.services import mail, user_sessions
from tests.helpers import empty_tables, make_test_app

pytest_plugins = ("tests.factories",)


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_without_syncing(dbapi_connection, _record) -> None:
    """A test database need not survive a power cut: without an fsync per commit (over 20 ms each on this
    disk) and with the rollback journal in memory, SQLite's locking and transactions behave the same."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA journal_mode=MEMORY")
        cursor.close()


def _is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


@pytest.fixture(scope="session")
def database(tmp_path_factory) -> Iterator[dict]:
    """The database URL and engine options for this run, with the migrations applied."""
    url = os.environ.get("TEST_DATABASE_URL")
    options: dict = {}
    schema = None
    if url and _is_postgres(url):
        # A fresh schema each run, dropped at the end, so runs never see each other's rows.
        schema = f"test_{secrets.token_hex(4)}"
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        # Without waiting for the write-ahead log on each commit: a test database is thrown away, and the
        # PostgreSQL half spent much of its time in fsync (the tests commit often, as the app does).
        options = {"connect_args": {"options": f"-csearch_path={schema} -csynchronous_commit=off"}}
    else:
        # A file, not :memory:, so the browser tests' server thread sees the same data.
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS=options)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    yield {"url": url, "options": options, "schema": schema}
    if schema:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def _wait_for_background_work(seconds: float = 60) -> None:
    """Let the jobs of the embedded thread pool (TASK_MODE "thread") finish before the tables are emptied and
    the engine closed, so no connection outlives its pool: once every thread of a pool waits at one barrier,
    none is still running an earlier job."""
    from matchmaker.tasks import dispatch

    for executor in list(dispatch._executors.values()):
        threads = executor._max_workers
        barrier = threading.Barrier(threads + 1)
        for _ in range(threads):
            executor.submit(barrier.wait, seconds)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(seconds)


@pytest.fixture(autouse=True)
def no_task_ticker_left() -> Iterator[None]:
    """A production-configured app in the embedded mode starts the task ticker with its first request: a
    thread that sweeps its database every few seconds, long after its test, and then runs other tests' jobs
    or fails on a database that is gone. Such an app must be given TASK_MODE "eager"; this stops the ticker
    and fails the test that started it."""
    from matchmaker.tasks.periodic import stop_tickers

    yield
    started = stop_tickers()
    assert not started, "the test started the embedded task ticker: give its app TASK_MODE='eager'"


@pytest.fixture
def app_overrides(request) -> dict:
    """Override in a test module, or parametrize it indirectly, to change the test app's config."""
    return dict(getattr(request, "param", {}))


def _app_key(overrides: dict) -> tuple:
    return tuple(sorted((name, repr(value)) for name, value in overrides.items()))


@pytest.fixture(scope="session")
def app_cache(database) -> Iterator[dict]:
    """One app per distinct set of overrides for the whole run: building an app and compiling its templates
    was half of the suite's time. Each test still starts from empty tables and the app's own state."""
    apps: dict[tuple, tuple[Flask, frozenset]] = {}
    yield apps
    for app, _ in apps.values():
        with app.app_context():
            db.engine.dispose()


def _new_app(database: dict, overrides: dict) -> Flask:
    app = make_test_app(database, **overrides)

    @app.teardown_request
    def forget_cached_user(exc):
        # The test keeps one app context open, which requests reuse; Flask-Login caches the user
        # and Flask-Babel the locale there.
        g.pop("_login_user", None)
        refresh_babel()

    return app


def _cached_app(app_cache: dict, database: dict, overrides: dict) -> tuple[Flask, frozenset]:
    key = _app_key(overrides)
    if key not in app_cache:
        app = _new_app(database, overrides)
        app_cache[key] = (app, frozenset(app.extensions))
    return app_cache[key]


def _restore(app: Flask, config: dict, extensions: frozenset) -> None:
    """Undo what a test left in a shared app: its config changes, caches it filled, mails it sent."""
    app.config.clear()
    app.config.update(config)
    for name in set(app.extensions) - extensions:
        del app.extensions[name]
    app.extensions["mail_outbox"].clear()


@pytest.fixture
def app(request, database, app_overrides, app_cache) -> Iterator[Flask]:
    fresh = request.node.get_closest_marker("fresh_app") is not None
    if fresh:  # the test adds routes or hooks, which an app that has served requests refuses
        app = _new_app(database, app_overrides)
        extensions = frozenset(app.extensions)
    else:
        app, extensions = _cached_app(app_cache, database, app_overrides)
    config = dict(app.config)
    # The limiter is one object shared by every app: bind it to this app's settings with fresh counters.
    limiter.init_app(app)
    dropped: list[str] = []
    try:
        with app.app_context():
            yield app
            _wait_for_background_work()
            # A mail added after the last commit would be dropped silently: a service forgot to commit.
            dropped = mail.uncommitted()
            mail.forget_uncommitted()
            db.session.rollback()
            empty_tables()
            db.session.remove()
            if fresh:
                db.engine.dispose()
    finally:
        _restore(app, config, extensions)
    assert not dropped, f"mails added after the last commit, dropped: {dropped}"


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def outbox(app) -> list[mail.SentMail]:
    return mail.outbox()


class Auth:
    """Log a test client in as a user, or as a fresh user with a role and an organisation."""

    def __init__(self, client: FlaskClient, make_user, make_organisation):
        self.client = client
        self.make_user = make_user
        self.make_organisation = make_organisation

    def login(self, user: User) -> User:
        """As the login form does: a new server-side session, whose secret the session cookie holds."""
        secret = user_sessions.start_session(user)
        with self.client.session_transaction() as session:
            session["_user_id"] = secret
            session["_fresh"] = True
        return user

    def login_as(self, role: str, with_organisation: bool = True, **user_overrides) -> User:
        user = self.make_user(roles=(role,), **user_overrides)
        if with_organisation and role in ("supplier", "buyer"):
            kind = "government" if role == "buyer" else "startup"
            self.make_organisation(admins=(user,), kind=kind)
        return self.login(user)

    def logout(self) -> None:
        with self.client.session_transaction() as session:
            session.clear()


@pytest.fixture
def auth(client, make_user, make_organisation) -> Auth:
    return Auth(client, make_user, make_organisation)
