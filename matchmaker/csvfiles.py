"""CSV files for spreadsheets: one rule against formula injection, one writer, one download response.

Every CSV export goes through here: services build rows and turn them into text with `csv_text`; routes send
the text with `csv_response`. Exports that grow with the catalogue hand a generator of rows to `csv_chunks`
and send the pieces with `csv_stream_response`, so that no worker holds the whole file.

The rule (OWASP, "CSV injection"): a spreadsheet runs a cell as a formula when its text starts with = + - or @
(and tab or carriage return can hide such a start). Such a text gets a leading apostrophe, which spreadsheets
show as text and do not run. Numbers stay numbers: an int, float or Decimal, and a text that is only a decimal
number ("-12.50"), are written as they are. `restore` undoes the apostrophe when a file comes back (imports).
"""

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from flask import Response, stream_with_context

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
BOM = "\ufeff"  # spreadsheet programs read the file as UTF-8 only with it
MIMETYPE = "text/csv; charset=utf-8"
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _needs_quote(text: str) -> bool:
    if text.startswith(FORMULA_START):
        return not _PLAIN_NUMBER.fullmatch(text)
    # A text that already looks neutralised gets one more apostrophe, so that `restore` gives it back whole.
    return text.startswith(QUOTE) and _needs_quote(text[1:])


def neutralise(text: str) -> str:
    """`text`, with an apostrophe in front when a spreadsheet could run it as a formula."""
    return QUOTE + text if _needs_quote(text) else text


def restore(text: str) -> str:
    """The text `neutralise` was given: drops the apostrophe it added (and only such an apostrophe)."""
    return text[1:] if text.startswith(QUOTE) and _needs_quote(text[1:]) else text


def safe_cell(value: Any) -> str:
    """One cell: None is empty, numbers are written as numbers, any other value as neutralised text."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    return neutralise(str(value))


def csv_chunks(rows: Iterable[Iterable[Any]], rows_per_chunk: int = 1000) -> Iterator[str]:
    """The rows as CSV text (comma-separated, CRLF line ends as RFC 4180 says), every cell through
    `safe_cell`, in pieces of `rows_per_chunk` rows. Without the byte-order mark: the responses add it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    pending = 0
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
        pending += 1
        if pending >= rows_per_chunk:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue()


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """The rows as one CSV text (see `csv_chunks`)."""
    return "".join(csv_chunks(rows))


def safe_filename(name: str) -> str:
    """An ASCII file name for Content-Disposition: letters, digits, . - and _, ending in .csv."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    stem = _FILENAME_UNSAFE.sub("-", ascii_name.removesuffix(".csv")).strip(".-_") or "export"
    return f"{stem}.csv"


def _download_headers(filename: str) -> dict[str, str]:
    return {
        "Content-Type": MIMETYPE,
        "Content-Disposition": f'attachment; filename="{safe_filename(filename)}"',
        "Cache-Control": "no-store",
    }


def csv_response(text: str, filename: str) -> Response:
    """A download of CSV text: UTF-8 with a byte-order mark, as an attachment, never cached (exports hold
    personal data)."""
    return Response((BOM + text).encode("utf-8"), headers=_download_headers(filename))


def csv_stream_response(chunks: Iterable[str], filename: str) -> Response:
    """The same download, sent piece by piece as `chunks` (e.g. `csv_chunks` of a generator of rows) are made.
    The request's context stays open until the last piece is sent, so the chunks may read the database."""

    def body() -> Iterator[bytes]:
        yield BOM.encode("utf-8")
        for chunk in chunks:
            yield chunk.encode("utf-8")

    return Response(stream_with_context(body()), headers=_download_headers(filename))
