"""CSV files for spreadsheets: one rule against formula injection, one writer, one download response.

Every CSV export goes through here: services build rows and turn them into text with `csv_text`; routes send
the text with `csv_response`. Exports that grow with the catalogue hand a generator of rows to `csv_chunks`
and send the pieces with `csv_stream_response`, so that no worker holds the whole file.

The file follows the reader's language (`convention`): Belgian Dutch and French spreadsheets (Excel,
LibreOffice) split a CSV on semicolons and read 1234,50 as a number, as the Windows and LibreOffice locale
settings of Belgium say; English ones split on commas and read 1234.50. So nl and fr files are
semicolon-separated with a decimal comma, en files comma-separated with a decimal point; always UTF-8 with a
byte-order mark, the header row first. Numbers are handed over as int, Decimal or float and written with the
language's decimal mark. Times are written in Brussels time as 2026-12-07 14:30, which every spreadsheet reads
as a date and time: an aware datetime is converted to Europe/Brussels, a naive one is taken as already on the
events' clock (naive Brussels times, models.events); stored timestamps (naive UTC) go through `utc(...)`
first.

The rule (OWASP, "CSV injection"): a spreadsheet runs a cell as a formula when its text starts with = + - or @
(and tab or carriage return can hide such a start). Such a text gets a leading apostrophe, which spreadsheets
show as text and do not run. Numbers stay numbers: an int, float or Decimal, and a text that is only a decimal
number ("-12.50", "-12,50"), are written as they are. `restore` undoes the apostrophe when a file comes back
(imports). The rule is the same whatever the separator: a cell holding the separator is quoted by the writer.
"""

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, has_app_context, stream_with_context

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
BOM = "\ufeff"  # spreadsheet programs read the file as UTF-8 only with it
MIMETYPE = "text/csv; charset=utf-8"
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
BRUSSELS = ZoneInfo("Europe/Brussels")
TIME_FORMAT = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class Convention:
    """How a language's spreadsheets read a CSV file: the cell separator and the decimal mark."""

    delimiter: str
    decimal: str


COMMA = Convention(delimiter=",", decimal=".")
SEMICOLON = Convention(delimiter=";", decimal=",")
CONVENTIONS = {"nl": SEMICOLON, "fr": SEMICOLON, "en": COMMA}


def convention(language: str | None = None) -> Convention:
    """The convention of `language`, or of the current locale (the reader's language in a request, the job's
    language under `force_locale`); outside any application, the comma-separated one."""
    if language is None and has_app_context():
        from matchmaker.i18n import current_language

        language = current_language()
    return CONVENTIONS.get((language or "en")[:2], COMMA)


def utc(value: datetime | None) -> datetime | None:
    """A stored timestamp (naive UTC) marked as UTC, so that `safe_cell` writes it in Brussels time."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def local_text(value: datetime | None, seconds: bool = False) -> str:
    """A time as spreadsheets read it, in Brussels time: 2026-12-07 14:30 (with :05 when `seconds`)."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(BRUSSELS)
    return value.strftime(TIME_FORMAT + (":%S" if seconds else ""))


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


def safe_cell(value: Any, decimal: str = ".") -> str:
    """One cell: None is empty, numbers are written as numbers (with `decimal` as their decimal mark), times
    in Brussels time (`local_text`), dates as 2026-12-07, any other value as neutralised text."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float | Decimal):
        number = value if isinstance(value, Decimal) else Decimal(repr(value))
        return format(number, "f").replace(".", decimal) if number.is_finite() else ""
    if isinstance(value, datetime):
        return local_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def csv_chunks(
    rows: Iterable[Iterable[Any]], rows_per_chunk: int = 1000, language: str | None = None
) -> Iterator[str]:
    """The rows as CSV text in the convention of `language` (the current one by default; CRLF line ends as
    RFC 4180 says), every cell through `safe_cell`, in pieces of `rows_per_chunk` rows. Without the
    byte-order mark: the responses add it."""
    return _chunks(rows, rows_per_chunk, convention(language))


def _chunks(rows: Iterable[Iterable[Any]], rows_per_chunk: int, used: Convention) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=used.delimiter, lineterminator="\r\n")
    pending = 0
    for row in rows:
        writer.writerow([safe_cell(value, used.decimal) for value in row])
        pending += 1
        if pending >= rows_per_chunk:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue()


def csv_text(rows: Iterable[Iterable[Any]], language: str | None = None) -> str:
    """The rows as one CSV text (see `csv_chunks`)."""
    return "".join(csv_chunks(rows, language=language))


def sniff_delimiter(header_line: str) -> str:
    """The separator of a CSV file from its header row: a semicolon when it has more of them than commas."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def safe_filename(name: str, extension: str = ".csv") -> str:
    """An ASCII file name for Content-Disposition: letters, digits, . - and _, ending in `extension` (a name
    given for the CSV file ends in .csv: that is replaced)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    stem = _FILENAME_UNSAFE.sub("-", ascii_name.removesuffix(".csv")).strip(".-_") or "export"
    return f"{stem}{extension}"


def download_headers(filename: str, mimetype: str = MIMETYPE, extension: str = ".csv") -> dict[str, str]:
    """The headers of an export: an attachment with a safe name, never cached (exports hold personal data)."""
    return {
        "Content-Type": mimetype,
        "Content-Disposition": f'attachment; filename="{safe_filename(filename, extension)}"',
        "Cache-Control": "no-store",
    }


def csv_response(text: str, filename: str) -> Response:
    """A download of CSV text: UTF-8 with a byte-order mark, as an attachment, never cached (exports hold
    personal data)."""
    return Response((BOM + text).encode("utf-8"), headers=download_headers(filename))


def csv_stream_response(chunks: Iterable[str], filename: str) -> Response:
    """The same download, sent piece by piece as `chunks` (e.g. `csv_chunks` of a generator of rows) are made.
    The request's context stays open until the last piece is sent, so the chunks may read the database."""

    def body() -> Iterator[bytes]:
        yield BOM.encode("utf-8")
        for chunk in chunks:
            yield chunk.encode("utf-8")

    return Response(stream_with_context(body()), headers=download_headers(filename))
