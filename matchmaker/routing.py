"""Numbers and characters in requests that the database cannot hold are bad input, not a server error.

Ids are INTEGER columns (32 bits on PostgreSQL, 64 on SQLite). A URL such as /events/99999999999999999999
used to reach the database and fail there with a 500 (SQLite: OverflowError; PostgreSQL: integer out of
range). Now such a number in a path is simply not a route (404), and in a query string or a form
(`request.args.get("page", type=int)`, `getlist(..., type=int)`, and the same on `request.values`, which
combines both) it counts as invalid, like "abc": the default is used, or the value left out of the list.
Code that reads a number from a form field or a string itself uses `parse_id` or `parse_int`, which accept
ASCII digits only (`str.isdigit` also says yes to "²", which `int` then refuses with a 500).

PostgreSQL text cannot contain the NUL character (psycopg refuses the query: a 500 on /initiative/%00).
No page needs it: a path argument with NUL is not a route (404); query strings and forms with NUL are
refused in matchmaker.security.
"""

import re

from flask import Request as FlaskRequest
from werkzeug.datastructures import CombinedMultiDict, ImmutableMultiDict
from werkzeug.routing import IntegerConverter, UnicodeConverter
from werkzeug.utils import cached_property

MAX_INT = 2**31 - 1  # the largest value of an INTEGER column on PostgreSQL
MIN_INT = -(2**31)

_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,30}")


def parse_int(value, low: int | None = MIN_INT, high: int | None = MAX_INT) -> int | None:
    """The whole number written in `value` (ASCII digits, perhaps a minus sign, spaces around) if it lies
    between `low` and `high` (None: no bound); None for anything else: empty, "abc", "²", "1_000", "+1", or
    a number out of range. By default the range of an INTEGER column."""
    text = value.strip() if isinstance(value, str) else "" if value is None else str(value)
    if not _WHOLE_NUMBER.fullmatch(text):
        return None
    number = int(text)
    if (low is not None and number < low) or (high is not None and number > high):
        return None
    return number


def parse_id(value) -> int | None:
    """An id from a form or a URL: a whole number from 1 to the largest the database holds, else None."""
    return parse_int(value, 1, MAX_INT)


class DatabaseIntegerConverter(IntegerConverter):
    """`<int:...>` with an upper bound, so that an id the database cannot hold answers 404."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_INT, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class TextConverter(UnicodeConverter):
    """`<name>` and `<string:name>` without NUL characters."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", r"[^/\x00]", 1)


class _BoundedNumbers:
    """`get(..., type=int)` and `getlist(..., type=int)` read numbers as `parse_int` does: out of the
    database's range (or not written in ASCII digits) they are invalid, as "abc" is."""

    def get(self, key, default=None, type=None):
        if type is not int:
            return super().get(key, default=default, type=type)
        number = parse_int(super().get(key))
        return default if number is None else number

    def getlist(self, key, type=None):
        if type is not int:
            return super().getlist(key, type=type)
        return [n for n in map(parse_int, super().getlist(key)) if n is not None]


class BoundedArgs(_BoundedNumbers, ImmutableMultiDict):
    """Query and form values (`request.args`, `request.form`)."""


class BoundedValues(_BoundedNumbers, CombinedMultiDict):
    """`request.values`: the query string and, but for GET, the form."""


class Request(FlaskRequest):
    parameter_storage_class = BoundedArgs

    @cached_property
    def values(self) -> BoundedValues:
        """As Werkzeug's, bounded: `CombinedMultiDict.get` does not ask `args` and `form` for their value."""
        sources = [self.args]
        if self.method != "GET":
            sources.append(self.form)
        return BoundedValues(sources)


def init_app(app) -> None:
    """Call before the blueprints are registered: rules pick their converters when they are added."""
    app.request_class = Request
    app.url_map.converters["int"] = DatabaseIntegerConverter
    app.url_map.converters["default"] = app.url_map.converters["string"] = TextConverter
