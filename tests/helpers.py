"""Helpers of the tests that are neither factories nor fixtures: form data, a URL for any route, finding a
slot, changes made behind the services' back (moving an event into the past, moving or cancelling a meeting
as the scheduler does), races between threads (PostgreSQL), and counting the SQL statements a block runs."""

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from werkzeug.routing import Rule

from config import TestConfig
from matchmaker import create_app
from matchmaker.extensions import db
from matchmaker.models import Event, Meeting, MeetingAttendee, Slot, utcnow
from matchmaker.services import ServiceError
from matchmaker.services.event_rules import local_now

# The scheduling tests give the scheduler a short time limit (its job runs at once: TASK_MODE "eager"): a test
# module's `app_overrides` fixture returns a copy of this.
FAST_SCHEDULER = {"SCHEDULER_TIME_LIMIT": 5}

# --------------------------------------------------------------------------------------------------
# Apps and tables


class SharedTemplateCode(BytecodeCache):
    """Compiled templates for every app of this process. The suite builds dozens of apps (one per set of
    overrides, and those of the crawl, the browser tests' server and the tests that need their own), and each
    compiled every template it rendered again: about 2% of the integration tests' CPU. A template whose
    source changed has another checksum and is compiled anew."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[str, object]] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        found = self._code.get(bucket.key)
        if found is not None and found[0] == bucket.checksum:
            bucket.code = found[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = (bucket.checksum, bucket.code)


TEMPLATE_CODE = SharedTemplateCode()


def make_test_app(database: dict, **overrides) -> Flask:
    # Tests read the English source texts unless they are about languages: they pick a language explicitly
    # (a user's language, Accept-Language, or app_overrides with BABEL_DEFAULT_LOCALE="nl").
    settings = {"BABEL_DEFAULT_LOCALE": "en", **overrides}
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=database["url"],
        SQLALCHEMY_ENGINE_OPTIONS=database["options"],
        **settings,
    )
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    return app


def empty_tables() -> None:
    """Delete every row, children first. On PostgreSQL a DELETE of a few rows takes milliseconds where a
    TRUNCATE of every table took over a second; no test relies on ids starting again at 1.

    Most tests write to a handful of the 80 tables, and a DELETE on each of the others cost more than the
    test itself (about 35 ms on SQLite, 40-110 ms on PostgreSQL, after every one of the suite's ~2,900
    tests): one query asks which tables hold rows, and only those are emptied (about 1-12 ms). The query
    reads the database, not what this process wrote, so rows written by other processes (workers, a
    cluster, a browser test's server) are found as well."""
    tables = db.metadata.sorted_tables
    holding = {row[0] for row in db.session.execute(sa.text(_tables_with_rows_query(tuple(tables))))}
    for index in sorted(holding, reverse=True):
        db.session.execute(tables[index].delete())
    db.session.commit()


@functools.cache
def _tables_with_rows_query(tables: tuple) -> str:
    """One statement that answers the positions (in dependency order) of the tables that hold a row."""
    return " UNION ALL ".join(
        f'SELECT {index} WHERE EXISTS (SELECT 1 FROM "{table.name}")' for index, table in enumerate(tables)
    )


# --------------------------------------------------------------------------------------------------
# Form data


def offering_form(**overrides) -> dict:
    """POST data of a valid offering form."""
    data = {
        "title": "Slimme verkeerslichten",
        "summary": "Verkeerslichten die zich aanpassen.",
        "description": "Een *beschrijving*.",
        "innovation_type": "technological",
        "trl": "6",
        "keywords": "mobiliteit",
        "language": "nl",
        "cpv_codes": "34996000",
        "reference_projects": "",
        "links": "Brochure | https://example.org/brochure.pdf",
        "action": "save",
    }
    data.update(overrides)
    return data


def need_form(**overrides) -> dict:
    data = {
        "title": "Minder files rond schoolpoorten",
        "summary": "Veiliger verkeer aan scholen.",
        "challenge": "Het is er **onveilig**.",
        "expected_outcome": "Veiliger schoolomgevingen.",
        "keywords": "verkeersveiligheid",
        "budget_min": "50000",
        "budget_max": "150000",
        "deadline": (utcnow().date() + timedelta(days=30)).isoformat(),
        "procurement_route": "pre_commercial_procurement",
        "language": "nl",
        "cpv_codes": "",
        "action": "save",
    }
    data.update(overrides)
    return data


# --------------------------------------------------------------------------------------------------
# Events and meetings


def slot_at(event: Event, day: date, hour: int, minute: int = 0) -> Slot:
    starts = datetime.combine(day, time(hour, minute))
    return db.session.scalars(
        sa.select(Slot).where(Slot.event_id == event.id, Slot.starts_at == starts)
    ).one()


def days_ago(days: int) -> date:
    return local_now().date() - timedelta(days=days)


def move_event_to(event: Event, day: date) -> None:
    """Shift the event's (single) day and its slots to `day`."""
    event_day = event.days[0]
    delta = datetime.combine(day, datetime.min.time()) - datetime.combine(event_day.day, datetime.min.time())
    event_day.day = day
    for slot in event.slots:
        slot.starts_at += delta
        slot.ends_at += delta
    db.session.commit()


def move_meeting(meeting: Meeting, slot: Slot) -> None:
    """As the scheduler's move does: the attendee rows follow through ON UPDATE CASCADE; SEQUENCE goes up."""
    meeting.slot_id = slot.id
    meeting.sequence += 1
    db.session.commit()
    db.session.expire_all()


def cancel_meeting(meeting: Meeting, reason: str = "") -> None:
    db.session.execute(sa.delete(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id))
    meeting.cancelled_at = utcnow()
    meeting.cancel_reason = reason
    meeting.sequence += 1
    db.session.commit()
    db.session.expire_all()


# --------------------------------------------------------------------------------------------------
# Routes

# Values to fill URL converters with, for checks that run before the view (the objects need not exist).
DUMMY = {
    "int": "1",
    "default": "x",
    "string": "x",
    "path": "x",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


def sample_url(rule: Rule) -> str:
    """A URL of the route with every variable part filled with a dummy value."""
    values = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__.replace("Converter", "").lower()
        values[name] = DUMMY.get(kind, "1")
    path = rule.rule
    for name, value in values.items():
        path = path.replace(f"<{name}>", value)
        for kind in DUMMY:
            path = path.replace(f"<{kind}:{name}>", value)
    return path


# --------------------------------------------------------------------------------------------------
# Races (PostgreSQL)


def require_postgres() -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("race tests need PostgreSQL: set TEST_DATABASE_URL")


def race(
    app, *actions, catch: type[Exception] = ServiceError, language: str | None = None, timeout: float = 30
):
    """Run the actions at the same moment in threads, each with its own app context, session and
    connection (and a request in `language`, if given). Returns each action's result: "ok" or what it raised
    of the `catch` kind (a refusal unless told otherwise)."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)
    headers = {"Accept-Language": language} if language else {}

    def run(index, action):
        with app.test_request_context(headers=headers):
            try:
                barrier.wait(timeout=10)
                action()
                results[index] = "ok"
            except catch as outcome:
                db.session.rollback()
                results[index] = outcome
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results


# --------------------------------------------------------------------------------------------------
# Counting queries


@contextmanager
def counting() -> Iterator[list[str]]:
    """The SQL statements run inside the block (a `before_cursor_execute` listener on the app's engine)."""
    statements: list[str] = []

    def listener(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
