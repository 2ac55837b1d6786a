"""The service kernel: the refusals every use case raises, and the one place that commits and rolls back.

A use case that refuses raises a `Refusal` (`ServiceError` is the same class, under its older name) with a
translated message that is safe to show. Its kinds say what the web layer does with it:

- `Invalid`: the input is wrong; `problems` maps form field names to messages (the form shows each under its
  field), `message` is the general one;
- `Conflict`: the data changed under the user (someone else saved first, a unique row exists already);
- `NotAllowed`: the user may not do this at all (403);
- `NotFound`: what the user asked about does not exist (404).

`commit()` is how a service ends its unit of work: an integrity or stale-version error rolls back and becomes
a `Conflict`. `unit_of_work()` wraps a block that changes objects before it may refuse: on any exception the
changes are rolled back, so a refused write never leaves half a change in the session.
"""

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql import visitors

from matchmaker.extensions import db


class Refusal(Exception):
    """A use case refused: the message is translated and safe to show to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


ServiceError = Refusal  # the name most services and tests know it by


class Invalid(Refusal):
    """Refused input: `problems` holds one message per form field name, `message` the general one.

    `Invalid({"title": "Enter a title."})` refuses field by field (the message is all problems in a row);
    `Invalid("message")` refuses the input as a whole, on the subclass's `field` if it names one.
    """

    field: str | None = None

    def __init__(self, problems: Mapping[str, str] | str, message: str | None = None):
        if isinstance(problems, str):
            message, problems = problems, ({self.field: problems} if self.field else {})
        problems = dict(problems)
        if message is None:
            if not problems:
                raise ValueError("Invalid needs a message or at least one problem")
            message = " ".join(problems.values())
        super().__init__(message)
        self.problems: dict[str, str] = problems


class Conflict(Refusal):
    """The data changed under the user: someone saved first, or the row exists already."""


class NotAllowed(Refusal):
    """The user may not do this at all (the web answers 403)."""


class NotFound(Refusal):
    """What was asked about does not exist, or is hidden from this user (the web answers 404)."""


class EditConflict(Conflict):
    """Someone else saved the item after the form was opened (optimistic locking on `version`)."""


class InvalidLink(Refusal):
    """A mailed link that was tampered with, truncated, already used or no longer valid."""


class ExpiredLink(InvalidLink):
    """A genuine mailed link that is too old."""


def default_conflict_message() -> str:
    return _("Someone else changed this at the same moment, so it was not saved. Please try again.")


def commit(conflict_message: str | None = None, conflict: type[Conflict] = Conflict) -> None:
    """Commit the unit of work; on an integrity or stale-version error roll back and raise `conflict`.

    The session is usable afterwards: the failed transaction is rolled back before the refusal leaves.
    """
    try:
        db.session.commit()
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        raise conflict(conflict_message or default_conflict_message()) from None


def claimed() -> bool:
    """Commit a row that only one of several concurrent requests may write (a delivery, a subscription, an
    answer): False, with the session rolled back and usable, when another request wrote it first."""
    try:
        db.session.commit()
    except IntegrityError:
        discard()
        return False
    return True


def discard() -> None:
    """Forget the changes of a refused unit of work (the objects reload from the database on next use)."""
    db.session.rollback()


@contextmanager
def unit_of_work(conflict_message: str | None = None, conflict: type[Conflict] = Conflict) -> Iterator[None]:
    """Change objects inside the block, then commit; anything raised inside rolls every change back.

    An integrity or stale-version error, from a flush inside the block or from the commit, becomes `conflict`
    with the message, as in `commit()`.

        with unit_of_work(_("This table is taken at that time.")):
            apply(event, data)   # may raise Invalid after changing the event
    """
    try:
        yield
    except (IntegrityError, StaleDataError):
        discard()
        raise conflict(conflict_message or default_conflict_message()) from None
    except BaseException:
        discard()
        raise
    commit(conflict_message, conflict)


def one_of(column, ids) -> sa.ColumnElement[bool]:
    """`column IN ids` for a list of integer ids of any length: on PostgreSQL `= ANY` of one array, so the
    statement's text is the same whatever the number of ids (psycopg then keeps its parsed form and prepares
    it, and the server plans it once; a list of fifty placeholders was parsed anew at each request)."""
    ids = list(ids)
    if dialect_name() == "postgresql":
        return column == sa.any_(sa.bindparam(None, ids, type_=ARRAY(sa.Integer)))
    return column.in_(ids)


def one_of_param(column, name: str, dialect: str) -> sa.ColumnElement[bool]:
    """one_of() for a statement built once and run many times: the ids come at execution as the parameter
    `name` (a list), for a statement of this dialect."""
    if dialect == "postgresql":
        return column == sa.any_(sa.bindparam(name, type_=ARRAY(sa.Integer)))
    return column.in_(sa.bindparam(name, expanding=True))


def with_constants_inline(statement, parameters: Iterable[str]):
    """A copy of a statement built once (see one_of_param) whose bound values are written into its SQL, but
    for the named `parameters`, which are given at each execution. PostgreSQL then plans a prepared
    statement knowing them (that offerings are 'published', not some status): its generic plan, made once,
    can be the custom plan it would otherwise make at every execution."""
    keep = set(parameters)

    def inline(bind) -> None:
        if bind.key not in keep:
            bind.literal_execute = True

    return visitors.cloned_traverse(statement, {}, {"bindparam": inline})


# PostgreSQL's plan choice for the statements of a `generic_plans()` block, and back.
_PLAN_MODE = sa.text("SELECT set_config('plan_cache_mode', :mode, true)")


@contextmanager
def generic_plans() -> Iterator[None]:
    """Run the block's statements with PostgreSQL's generic plans (plan_cache_mode force_generic_plan, for
    this transaction only). PostgreSQL plans a prepared statement anew at each execution while it guesses
    that a plan made for the values at hand costs less than one made once; for a statement whose constants
    are inlined (with_constants_inline), the generic plan is as good, and planning is saved: the proposals
    page's ranked query spent as long being planned as being run. Elsewhere nothing changes. After an
    error the setting is left to the transaction's end, which resets it."""
    if dialect_name() != "postgresql":
        yield
        return
    db.session.execute(_PLAN_MODE, {"mode": "force_generic_plan"})
    yield
    db.session.execute(_PLAN_MODE, {"mode": "auto"})


def dialect_name() -> str:
    """The name of the database's dialect ("postgresql", "sqlite") this session talks to."""
    return db.session.get_bind().dialect.name
