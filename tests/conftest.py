"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set),
the app, a client, a CLI runner, factories and a login helper.

The schema is created once per run by the Alembic migrations, as in production; each test
starts from empty tables.
"""

import os
import secrets
import threading
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient
from flask_babel import refresh as refresh_babel

from config import TestConfig
from matchmaker import create_app
from matchmaker.extensions import db
from matchmaker.models import Membership, MembershipRole, Organisation, User
from matchmaker.services import accounts, mail

PASSWORD = "correct-horse-battery"


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
        options = {"connect_args": {"options": f"-csearch_path={schema}"}}
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


def _empty_tables() -> None:
    tables = list(db.metadata.sorted_tables)
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(tables):
            db.session.execute(table.delete())
    db.session.commit()


def _wait_for_background_work(seconds: float = 60) -> None:
    """Let the app's own worker threads (scheduler runs, newsletter sendings) finish before the tables are
    emptied and the engine closed, so no connection outlives its pool."""
    for thread in threading.enumerate():
        if thread.name.startswith(("scheduler-", "announce-")):
            thread.join(timeout=seconds)


def make_test_app(database: dict, **overrides) -> Flask:
    # Tests read the English source texts unless they are about languages: they pick a language explicitly
    # (a user's language, Accept-Language, or app_overrides with BABEL_DEFAULT_LOCALE="nl").
    settings = {"BABEL_DEFAULT_LOCALE": "en", **overrides}
    return create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=database["url"],
        SQLALCHEMY_ENGINE_OPTIONS=database["options"],
        **settings,
    )


@pytest.fixture
def app_overrides() -> dict:
    """Override in a test module (or with indirect parametrize) to change the test app's config."""
    return {}


@pytest.fixture
def app(database, app_overrides) -> Iterator[Flask]:
    app = make_test_app(database, **app_overrides)

    @app.teardown_request
    def forget_cached_user(exc):
        # The test keeps one app context open, which requests reuse; Flask-Login caches the user
        # and Flask-Babel the locale there.
        g.pop("_login_user", None)
        refresh_babel()

    with app.app_context():
        yield app
        _wait_for_background_work()
        db.session.rollback()
        _empty_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def outbox(app) -> list[mail.SentMail]:
    return mail.outbox()


@pytest.fixture
def make_user(app) -> Callable[..., User]:
    counter = iter(range(1, 1_000_000))

    def factory(**overrides) -> User:
        n = next(counter)
        values = {
            "email": f"user{n}@example.org",
            "password": PASSWORD,
            "display_name": f"User {n}",
            "roles": ("supplier",),
            "language": "en",
            "confirmed": True,
        }
        values.update(overrides)
        user = accounts.create_user(**values)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def make_organisation(app) -> Callable[..., Organisation]:
    counter = iter(range(1, 1_000_000))

    def factory(members: tuple[User, ...] = (), admins: tuple[User, ...] = (), **overrides) -> Organisation:
        n = next(counter)
        values = {"name": f"Organisation {n}", "kind": "startup", "description": ""}
        values.update(overrides)
        organisation = Organisation(**values)
        db.session.add(organisation)
        for user in admins:
            db.session.add(Membership(user=user, organisation=organisation, role=MembershipRole.ADMIN))
        for user in members:
            db.session.add(Membership(user=user, organisation=organisation, role=MembershipRole.MEMBER))
        db.session.commit()
        return organisation

    return factory


class Auth:
    """Log a test client in as a user, or as a fresh user with a role and an organisation."""

    def __init__(self, client: FlaskClient, make_user, make_organisation):
        self.client = client
        self.make_user = make_user
        self.make_organisation = make_organisation

    def login(self, user: User) -> User:
        with self.client.session_transaction() as session:
            session["_user_id"] = user.get_id()
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
