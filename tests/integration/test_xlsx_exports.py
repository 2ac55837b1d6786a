"""Exports as workbooks next to the CSV files (issue 18, matchmaker/xlsxfiles.py): the event's participants,
requests and meetings, the 3%-norm dashboards and the organizers' best pairs as .xlsx, read back by openpyxl
and opened by LibreOffice Calc (headless, a spreadsheet nobody here wrote): the header in the reader's
language as in the CSV file, numbers as numbers, times as dates in Brussels time, text that looks like a
formula kept as text."""

import csv
import io
import subprocess
from datetime import datetime, time

import pytest
from openpyxl import load_workbook

from matchmaker.extensions import db
from matchmaker.models import MeetingRequest
from matchmaker.services import meeting_requests as requests_service
from matchmaker.xlsxfiles import MIMETYPE
from tests.factories import EVENT_DAY, K, M, add_meeting, add_year
from tests.helpers import slot_at
from tests.integration.test_exports_in_libreoffice import _sheet, _soffice

MESSAGE = "=1+1; a question\x07 with a bell"


@pytest.fixture
def paths(event, organizer, buyer, supplier, register, make_organisation) -> dict[str, str]:
    rb, rs = register(buyer, event), register(supplier, event)
    request = requests_service.send_request(supplier, event, rb.id, MESSAGE)
    db.session.get(MeetingRequest, request.id).responded_at = datetime(2026, 11, 2, 16, 45)  # UTC
    add_meeting(rb, rs, slot_at(event, EVENT_DAY, 9, 20), table_number=2)
    agency = make_organisation(kind="government", name="Agentschap Test", policy_domain="mow")
    add_year(agency, 2024, 10 * M + 50, 300 * K + 1, 1234)
    organizer.language = "nl"
    db.session.commit()
    return {
        "participants": f"/events/{event.id}/export/participants",
        "requests": f"/events/{event.id}/export/requests",
        "meetings": f"/events/{event.id}/agenda/meetings",
        "tracker": "/tracker/export",
        "tracker-organisation": f"/tracker/organisations/{agency.id}/export",
        "matches": "/matches/overview",
    }


def _download(client, path: str) -> tuple[list[list], list[list[str]]]:
    """The workbook's rows (values as openpyxl reads them) and the CSV file's rows, of one export."""
    workbook = client.get(f"{path}.xlsx")
    assert workbook.status_code == 200 and workbook.mimetype == MIMETYPE, path
    assert (
        workbook.headers["Content-Disposition"].endswith('.xlsx"')
        and "no-store" in workbook.headers["Cache-Control"]
    )
    sheet = load_workbook(io.BytesIO(workbook.data)).active
    assert sheet.freeze_panes == "A2"
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    text = client.get(f"{path}.csv").data.decode("utf-8-sig")
    return rows, list(csv.reader(io.StringIO(text), delimiter=";"))


def test_the_workbooks_hold_the_csv_files_rows_typed(client, auth, organizer, paths):
    auth.login(organizer)
    files = {name: _download(client, path) for name, path in paths.items()}
    for name, (rows, csv_rows) in files.items():
        assert rows[0] == csv_rows[0], name  # the same header, in the reader's language (Dutch here)
        assert len(rows) == len(csv_rows), name
    participants = files["participants"][0]
    assert participants[0][:2] == ["Inschrijving", "Naam"]
    assert {type(row[0]) for row in participants[1:]} == {int}
    assert {type(row[9]) for row in participants[1:]} == {datetime}
    requests = files["requests"][0]
    assert requests[1][8] == datetime(2026, 11, 2, 17, 45)  # Brussels time, a date cell
    assert requests[1][9] == "=1+1; a question with a bell"  # text, not a formula; the bell dropped
    meetings = files["meetings"][0]
    assert meetings[1][:2] == [
        datetime.combine(EVENT_DAY, time(9, 20)),
        datetime.combine(EVENT_DAY, time(9, 40)),
    ]
    pairs = files["matches"][0]
    assert len(pairs) > 1 and {type(row[0]) for row in pairs[1:]} == {float}  # the score, a number
    year = next(row for row in files["tracker-organisation"][0] if row[0] == 2024)
    assert year[1:3] == [10_000_000.5, 300_012.35]


def test_a_workbook_does_not_leave_the_event_to_others(client, auth, make_user, paths):
    auth.login(make_user(roles=("organizer",)))
    assert client.get(f"{paths['participants']}.xlsx").status_code in (403, 404)


@pytest.mark.output_check  # the files do not depend on the database: once, on SQLite
def test_libreoffice_opens_the_workbooks_with_numbers_and_dates(client, auth, organizer, paths, tmp_path):
    soffice = _soffice()
    auth.login(organizer)
    files = []
    for name, path in paths.items():
        files.append(tmp_path / f"{name}.xlsx")
        files[-1].write_bytes(client.get(f"{path}.xlsx").data)
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "fods",
            "--outdir",
            str(tmp_path / "out"),
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sheets = {  # the rows LibreOffice keeps empty below the data left out
        path.stem: [row for row in _sheet(tmp_path / "out" / f"{path.stem}.fods") if row] for path in files
    }
    for name, (header, *data) in sheets.items():
        assert header and all(cell.kind == "string" for cell in header), name
        assert data, name
    participants = sheets["participants"]
    assert {row[0].kind for row in participants[1:]} == {"float"}
    assert {row[9].kind for row in participants[1:]} == {"date"}
    answered = sheets["requests"][1][8]
    assert (answered.kind, answered.value) == ("date", "2026-11-02T17:45:00")
    assert (sheets["requests"][1][9].kind, sheets["requests"][1][9].text) == (
        "string",
        MESSAGE.replace("\x07", ""),
    )
    assert {cell.kind for cell in sheets["meetings"][1][:2]} == {"date"}
    year = next(row for row in sheets["tracker-organisation"] if row and row[0].value == "2024")
    assert [cell.kind for cell in year[:5]] == ["float"] * 5
    assert [cell.value for cell in year[1:3]] == ["10000000.5", "300012.35"]
