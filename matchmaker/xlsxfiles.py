"""Exports as Excel workbooks (.xlsx, Office Open XML), next to the CSV files (issue 18).

A CSV file depends on the reader's spreadsheet settings (csvfiles.py: separator and decimal mark by
language); an .xlsx file does not: its cells carry their types. The same rows the CSV export is made of are
written with openpyxl (MIT):
- numbers (int, float, Decimal) as numbers, whatever the language;
- times as dates and times in Brussels time (an aware datetime is converted, a naive one is already on the
  events' clock, as in csvfiles), shown as 2026-12-07 14:30; dates as dates, shown as 2026-12-07;
- text as text cells, always: a text starting with = is not a formula in a workbook, so it keeps its
  characters (no apostrophe as in the CSV files) and is never run; characters XML cannot hold (control
  characters a pasted message may carry) are dropped;
- the header row (already in the reader's language) in bold and kept in view (frozen), columns as wide as
  their longest value up to a limit.
The workbook's own language is not set: spreadsheets show the numbers and dates in their user's locale.
"""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Response

from matchmaker.csvfiles import BRUSSELS, csv_response, csv_text, download_headers

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
FORMATS = ("csv", "xlsx")
MAX_WIDTH = 60


def _value(value: Any) -> tuple[Any, str | None]:
    """The cell's value as openpyxl writes it, and its number format."""
    if isinstance(value, bool):
        return str(value), None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(BRUSSELS).replace(tzinfo=None)
        return value, TIME_FORMAT
    if isinstance(value, date):
        return value, DATE_FORMAT
    if isinstance(value, Decimal):
        return (value, None) if value.is_finite() else (None, None)
    if isinstance(value, int | float) or value is None:
        return value, None
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", str(value)), None


def xlsx_bytes(rows: Iterable[Iterable[Any]], title: str = "Export") -> bytes:
    """The rows (the first is the header) as a one-sheet workbook named `title`."""
    import io

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    rows = [list(row) for row in rows]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(title))
    sheet.freeze_panes = "A2"
    widths: dict[int, int] = {}
    for row in rows:
        for index, value in enumerate(row):
            shown = value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else str(value or "")
            longest = max((len(line) for line in shown.splitlines()), default=0)
            widths[index] = max(widths.get(index, 0), min(longest + 2, MAX_WIDTH))
    for index, width in widths.items():
        sheet.column_dimensions[get_column_letter(index + 1)].width = max(width, 8)
    bold = Font(bold=True)
    for number, row in enumerate(rows):
        cells = []
        for value in row:
            written, number_format = _value(value)
            cell = WriteOnlyCell(sheet, value=written)
            if isinstance(written, str):
                cell.data_type = (
                    "s"  # text, also when it starts with "=" (openpyxl would take it for a formula)
                )
            if number_format:
                cell.number_format = number_format
            if number == 0:
                cell.font = bold
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of : \\ / ? * [ ]."""
    cleaned = "".join(" " if c in ":\\/?*[]" else c for c in title).strip() or "Export"
    return cleaned[:31]


def xlsx_response(rows: Iterable[Iterable[Any]], filename: str, title: str = "Export") -> Response:
    """A download of the rows as a workbook, as an attachment, never cached (exports hold personal data)."""
    return Response(xlsx_bytes(rows, title), headers=download_headers(filename, MIMETYPE, ".xlsx"))


def table_response(rows: Iterable[Iterable[Any]], filename: str, fmt: str, title: str = "Export") -> Response:
    """The rows as the CSV file (`fmt` "csv", in the reader's convention) or the workbook ("xlsx") named
    `filename` (its extension follows the format)."""
    if fmt == "xlsx":
        return xlsx_response(rows, filename, title)
    return csv_response(csv_text(rows), filename)
