"""The one CSV module: its rule against formula injection, its writer and its download response."""

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask

from matchmaker.csvfiles import (
    BOM,
    csv_chunks,
    csv_response,
    csv_stream_response,
    csv_text,
    neutralise,
    restore,
    safe_cell,
    safe_filename,
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
