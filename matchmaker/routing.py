"""Numbers and characters in requests that the database cannot hold are bad input, not a server error.

Ids are INTEGER columns (32 bits on PostgreSQL, 64 on SQLite). A URL such as /events/99999999999999999999
used to reach the database and fail there with a 500 (SQLite: OverflowError; PostgreSQL: integer out of
range). Now such a number in a path is simply not a route (404), and in a query string
(`request.args.get("page", type=int)`) it counts as invalid, like "abc": the default is used.

PostgreSQL text cannot contain the NUL character (psycopg refuses the query: a 500 on /initiative/%00).
No page needs it: a path argument with NUL is not a route (404); query strings and forms with NUL are
refused in matchmaker.security.
"""

from flask import Request as FlaskRequest
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter, UnicodeConverter

MAX_INT = 2**31 - 1  # the largest value of an INTEGER column on PostgreSQL
MIN_INT = -(2**31)


class DatabaseIntegerConverter(IntegerConverter):
    """`<int:...>` with an upper bound, so that an id the database cannot hold answers 404."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_INT, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class TextConverter(UnicodeConverter):
    """`<name>` and `<string:name>` without NUL characters."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", r"[^/\x00]", 1)


class BoundedArgs(ImmutableMultiDict):
    """Query and form values whose `get(..., type=int)` refuses numbers out of the database's range."""

    def get(self, key, default=None, type=None):
        value = super().get(key, default=default, type=type)
        if type is int and isinstance(value, int) and not MIN_INT <= value <= MAX_INT:
            return default
        return value


class Request(FlaskRequest):
    parameter_storage_class = BoundedArgs


def init_app(app) -> None:
    """Call before the blueprints are registered: rules pick their converters when they are added."""
    app.request_class = Request
    app.url_map.converters["int"] = DatabaseIntegerConverter
    app.url_map.converters["default"] = app.url_map.converters["string"] = TextConverter
