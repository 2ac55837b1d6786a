"""The one CSV module: its rule against formula injection, its writer and its download response."""

import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask

from matchmaker.csvfiles import (
    BOM,
    Convention,
    convention,
    csv_chunks,
    csv_response,
    csv_stream_response,
    csv_text,
    local_text,
    neutralise,
    restore,
    safe_cell,
    safe_filename,
    sniff_delimiter,
    utc,
)

DANGEROUS = [
    "=1+1",
    '=HYPERLINK("http://evil.example","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "-",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "=",
    "-1e5",  # not a plain decimal number
    "--5",
    "-5 apples",
]
HARMLESS = [
    "",
    "Smart traffic lights",
    " =1+1",  # a leading space: spreadsheets read text
    "a=b",
    "'already quoted",
    "'-12",
    "12",
    "-12",
    "-12.50",
    "+3.5",
    "2026-12-06 10:00",
    "bike@example.org",
    "ü=1",
]


@pytest.mark.parametrize("text", DANGEROUS)
def test_a_text_a_spreadsheet_could_run_gets_an_apostrophe(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", HARMLESS)
def test_a_harmless_text_is_written_as_it_is(text):
    assert neutralise(text) == text


def test_a_text_that_looks_neutralised_gets_one_more_apostrophe():
    assert neutralise("'=1+1") == "''=1+1"  # a spreadsheet shows '=1+1, as typed


@pytest.mark.parametrize("text", DANGEROUS + HARMLESS + ["'=1+1", "''=1", "'\t"])
def test_restore_gives_back_what_was_neutralised(text):
    assert restore(neutralise(text)) == text


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        (0, "0"),
        (-7, "-7"),
        (-2.5, "-2.5"),
        (Decimal("-1234.50"), "-1234.50"),
        (True, "True"),  # a boolean is no number: callers say yes or no in words
        ("=1+1", "'=1+1"),
        ("-1+1", "'-1+1"),
    ],
)
def test_a_cell_keeps_numbers_usable_and_neutralises_text(value, cell):
    assert safe_cell(value) == cell


def test_the_text_parses_back_to_the_safe_cells():
    rows = [
        ["title", "amount", "note"],
        ["=evil()", Decimal("-3.00"), None],
        ["Line\nbreak, comma", 4, '"q"'],
    ]
    text = csv_text(rows)
    assert not text.startswith(BOM) and text.endswith("\r\n")
    assert list(csv.reader(io.StringIO(text))) == [
        ["title", "amount", "note"],
        ["'=evil()", "-3.00", ""],
        ["Line\nbreak, comma", "4", '"q"'],
    ]


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("event-3-participants.csv", "event-3-participants.csv"),
        ("3-percent-norm-MOW.csv", "3-percent-norm-MOW.csv"),
        ('evil"; filename=x.exe', "evil-filename-x.exe.csv"),
        ("Événement à Gent.csv", "Evenement-a-Gent.csv"),
        ("../../etc/passwd", "etc-passwd.csv"),
        ("\r\nSet-Cookie: a=b", "Set-Cookie-a-b.csv"),
        ("", "export.csv"),
    ],
)
def test_the_file_name_is_safe_in_a_header(name, safe):
    assert safe_filename(name) == safe


def test_the_response_is_an_uncached_utf8_attachment_with_a_byte_order_mark():
    response = csv_response("naam,stad\r\nÉlise,Liège\r\n", "deelnemers.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="deelnemers.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_data().startswith(b"\xef\xbb\xbf")
    assert response.get_data().decode("utf-8-sig") == "naam,stad\r\nÉlise,Liège\r\n"


def test_the_chunks_are_whole_rows_that_join_into_the_text():
    rows = [["n", "formula"], *([n, f"=A{n}"] for n in range(7))]
    chunks = list(csv_chunks(iter(rows), rows_per_chunk=3))
    assert [chunk.count("\r\n") for chunk in chunks] == [3, 3, 2]
    assert "".join(chunks) == csv_text(rows)
    assert "'=A6" in chunks[-1]


def test_no_rows_give_no_chunks():
    assert list(csv_chunks([])) == [] and csv_text([]) == ""


def test_the_streamed_response_sends_the_mark_then_each_chunk_as_it_comes():
    made = []

    def chunks():
        for text in ("naam\r\n", "Élise\r\n"):
            made.append(text)
            yield text

    with Flask(__name__).test_request_context():
        response = csv_stream_response(chunks(), "deelnemers.csv")
        assert response.is_streamed and made == []  # nothing is read before it is sent
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["Content-Disposition"] == 'attachment; filename="deelnemers.csv"'
        assert response.headers["Cache-Control"] == "no-store"
        pieces = list(response.response)
    assert pieces == [BOM.encode("utf-8"), b"naam\r\n", "Élise\r\n".encode()]


def test_no_other_module_writes_csv_or_builds_its_response():
    """Every export goes through matchmaker/csvfiles.py: the rule and the response exist once."""
    root = Path(__file__).resolve().parents[2] / "matchmaker"
    own_ways = re.compile(r"csv\.writer|csv\.DictWriter|text/csv|\\ufeff|\ufeff|startswith\(\(\"=")
    offenders = [
        str(path.relative_to(root))
        for path in sorted(root.rglob("*.py"))
        if path.name != "csvfiles.py" and own_ways.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


# --- the reader's spreadsheet: separator, decimal mark, times --------------------------------------------


@pytest.mark.parametrize(
    ("language", "delimiter", "decimal"), [("nl", ";", ","), ("fr", ";", ","), ("en", ",", ".")]
)
def test_the_separator_and_decimal_mark_follow_the_language(language, delimiter, decimal):
    assert convention(language) == Convention(delimiter, decimal)
    rows = [["name", "amount"], ["Élise, Liège", Decimal("1234.50")], ["x", 0.25]]
    text = csv_text(rows, language=language)
    assert text.splitlines()[0] == f"name{delimiter}amount"
    assert list(csv.reader(io.StringIO(text), delimiter=delimiter)) == [
        ["name", "amount"],
        ["Élise, Liège", f"1234{decimal}50"],
        ["x", f"0{decimal}25"],
    ]


def test_outside_an_application_the_file_is_comma_separated():
    assert convention() == Convention(",", ".") and convention("de") == Convention(",", ".")


def test_in_an_application_the_current_locale_chooses():
    from flask_babel import Babel, force_locale

    app = Flask(__name__)
    app.config["LANGUAGES"] = ("nl", "fr", "en")
    Babel(app)
    with app.app_context():
        for language, delimiter in (("fr", ";"), ("en", ","), ("nl", ";")):
            with force_locale(language):
                assert convention().delimiter == delimiter
                assert csv_text([["a", "b"]]) == f"a{delimiter}b\r\n"


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
@pytest.mark.parametrize("text", DANGEROUS)
def test_formulas_are_defused_whatever_the_separator(language, text):
    delimiter = convention(language).delimiter
    written = csv_text([[text, f"{text};{text},"]], language=language)
    assert list(csv.reader(io.StringIO(written), delimiter=delimiter)) == [
        ["'" + text, "'" + f"{text};{text},"]
    ]


@pytest.mark.parametrize("text", ["-12,50", "+3,5", "12,5"])
def test_a_number_with_a_decimal_comma_is_no_formula(text):
    assert neutralise(text) == text and restore(text) == text


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (Decimal("1E+3"), "1000"),  # never an exponent, which spreadsheets would read as text
        (Decimal("-0.50"), "-0,50"),
        (1e-7, "0,0000001"),
        (float("nan"), ""),
        (date(2026, 12, 7), "2026-12-07"),
        (datetime(2026, 12, 7, 14, 30, 59, 123456), "2026-12-07 14:30"),  # a naive time is Brussels time
        (datetime(2026, 12, 7, 13, 30, tzinfo=UTC), "2026-12-07 14:30"),  # winter: UTC+1
        (datetime(2026, 7, 7, 12, 30, tzinfo=UTC), "2026-07-07 14:30"),  # summer: UTC+2
    ],
)
def test_numbers_and_times_are_written_as_a_belgian_spreadsheet_reads_them(value, cell):
    assert safe_cell(value, ",") == cell


def test_stored_utc_timestamps_are_written_in_brussels_time():
    stored = datetime(2026, 3, 29, 0, 59, 30)  # the night summer time begins
    assert local_text(utc(stored)) == "2026-03-29 01:59"
    assert local_text(utc(stored.replace(hour=1))) == "2026-03-29 03:59"
    assert local_text(utc(stored), seconds=True) == "2026-03-29 01:59:30"
    assert utc(None) is None and local_text(None) == ""


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [("title;summary", ";"), ("title,summary", ","), ("title", ","), ("a;b,c;d", ";"), ("a,b;c,d", ",")],
)
def test_the_separator_of_a_file_is_read_from_its_header(header, delimiter):
    assert sniff_delimiter(header) == delimiter
