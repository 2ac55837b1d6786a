"""Every CSV export, opened by a spreadsheet nobody here wrote: LibreOffice Calc (headless) with the Belgian
Dutch and French locales, and the English one (issue 18).

Each export is downloaded in the three languages and converted to a flat OpenDocument spreadsheet (.fods) in
one LibreOffice call per language, with the CSV filter's options of that language's spreadsheet: separator
(59 = semicolon for nl-BE and fr-BE, 44 = comma for en-US), text delimiter 34 ("), character set 76 (UTF-8),
from line 1, the locale (2067 = nl-BE, 2060 = fr-BE, 1033 = en-US) and "detect special numbers" (dates and
times). The cells are read back from the XML with the standard library: the columns must be split, the
header first, the numbers numbers and the times dates.

LibreOffice is Debian's libreoffice-calc-nogui (installed by .ci/run). Without it these tests are skipped,
unless MATCHMAKER_REQUIRE_LIBREOFFICE is set (as in CI), where a missing LibreOffice is a failure. The module
starts LibreOffice three times, side by side: about 4 s of the module's time.
"""

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest
from flask_babel import force_locale

from matchmaker.extensions import db
from matchmaker.models import MeetingRequest, Subscriber, SubscriberStatus
from matchmaker.services import exchange, imports, newsletter
from matchmaker.services import meeting_requests as requests_service
from matchmaker.services.themes import ensure_default_themes
from tests.factories import EVENT_DAY, K, M, add_meeting, add_year
from tests.helpers import slot_at

pytestmark = pytest.mark.output_check  # the files do not depend on the database: once, on SQLite

# language: (CSV filter's separator, LibreOffice's language identifier of the locale)
LOCALES = {"nl": (59, 2067), "fr": (59, 2060), "en": (44, 1033)}
NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}
NUMBER_AS_TEXT = re.compile(r"[+-]?\d+(?:[.,]\d+)?")  # a cell LibreOffice should have read as a number


def _soffice() -> str:
    path = shutil.which("soffice")
    if path is None:
        reason = "LibreOffice (soffice) is not installed here; CI installs libreoffice-calc-nogui (.ci/run)"
        if os.environ.get("MATCHMAKER_REQUIRE_LIBREOFFICE"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def _convert(soffice: str, files: list[Path], language: str, out: Path, profile: Path) -> subprocess.Popen:
    """Start LibreOffice converting `files` as a spreadsheet in `language` reads them, into `out`."""
    separator, locale = LOCALES[language]
    options = f"{separator},34,76,1,,{locale},false,true"
    return subprocess.Popen(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",  # a profile of its own: the calls run side by side
            "--headless",
            "--norestore",
            f"--infilter=Text - txt - csv (StarCalc):{options}",
            "--convert-to",
            "fods",
            "--outdir",
            str(out),
            *map(str, files),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _crashed(returncode: int, output: str) -> bool:
    """LibreOffice died of a signal or aborted (exit 134), as opposed to refusing what it was given."""
    return returncode < 0 or returncode == 134 or "terminate called" in output


class Cell:
    def __init__(self, kind: str, text: str, value: str | None):
        self.kind, self.text, self.value = kind, text, value  # kind: string, float, percentage, date, ...

    def __repr__(self) -> str:
        return f"{self.kind}:{self.text!r}"


def _sheet(path: Path) -> list[list[Cell]]:
    """The first sheet's rows of cells, repeated cells expanded, empty cells at the end of a row dropped."""
    table = ET.parse(path).getroot().find(".//table:table", NS)  # noqa: S314 - LibreOffice's file of ours
    rows = []
    for row in table.iterfind("table:table-row", NS):
        cells: list[Cell] = []
        for cell in row.iterfind("table:table-cell", NS):
            kind = cell.get(f"{{{NS['office']}}}value-type") or "empty"
            text = "\n".join("".join(p.itertext()) for p in cell.iterfind("text:p", NS))
            value = cell.get(f"{{{NS['office']}}}value") or cell.get(f"{{{NS['office']}}}date-value")
            repeat = int(cell.get(f"{{{NS['table']}}}number-columns-repeated", "1"))
            cells.extend(Cell(kind, text, value) for _ in range(min(repeat, 100)))
        while cells and cells[-1].kind == "empty":
            cells.pop()
        rows.append(cells)
    return rows


@pytest.fixture
def exports(app, client, auth, event, organizer, buyer, supplier, register, make_organisation, catalogue):
    """Every export, downloaded in nl, fr and en: {(name, language): bytes}."""
    ensure_default_themes()
    rb, rs = register(buyer, event), register(supplier, event)
    request = requests_service.send_request(supplier, event, rb.id, "=1+1; a question, with commas")
    db.session.get(MeetingRequest, request.id).responded_at = datetime(2026, 11, 2, 16, 45)
    add_meeting(rb, rs, slot_at(event, EVENT_DAY, 9, 20), table_number=2)
    agency = make_organisation(kind="government", name="Agentschap; Test", policy_domain="mow")
    add_year(agency, 2024, 10 * M + 50, 300 * K + 1, 1234)
    db.session.add(
        Subscriber(
            email="a@example.org",
            language="fr",
            status=SubscriberStatus.CONFIRMED,
            token_nonce="n",
            consent_version=newsletter.CONSENT_VERSION,
            consent_at=datetime(2026, 3, 1, 9, 0, 5),
            confirmed_at=datetime(2026, 3, 1, 9, 10, 0),
        )
    )
    db.session.commit()
    admin = auth.make_user(roles=("admin", "organizer"), display_name="Ada Admin")
    paths = {
        "participants": f"/events/{event.id}/export/participants.csv",
        "requests": f"/events/{event.id}/export/requests.csv",
        "meetings": f"/events/{event.id}/agenda/meetings.csv",
        "tracker": "/tracker/export.csv",
        "tracker-domain": "/tracker/domains/mow/export.csv",
        "tracker-organisation": f"/tracker/organisations/{agency.id}/export.csv",
        "matches": "/matches/overview.csv",
        "newsletter": "/newsletter/admin/subscribers.csv",
        "offerings": "/catalogue/exchange/export/offerings.csv",
        "needs": "/catalogue/exchange/export/needs.csv",
    }
    files = {}
    for language in LOCALES:
        admin.language = language
        db.session.commit()
        auth.login(admin)
        for name, path in paths.items():
            response = client.get(path)
            assert response.status_code == 200, (name, language, response.status_code)
            files[(name, language)] = response.data
        report = exchange.ImportReport(kind="needs")
        report.problems.append(exchange.RowProblem(line=3, title="=A1", reasons=["Budget, 1,5", "Themes"]))
        with app.test_request_context(), force_locale(language):
            files[("import-report", language)] = imports._report_file(report, {"2": ["Water", "created"]})
    return files


def test_every_export_opens_in_belgian_and_english_spreadsheets(exports, tmp_path):
    soffice = _soffice()
    sheets: dict[tuple[str, str], list[list[Cell]]] = {}
    running = {}
    for language in LOCALES:  # one LibreOffice per language, the three at once
        folder = tmp_path / language
        folder.mkdir()
        files = []
        for (name, file_language), data in exports.items():
            if file_language == language:
                files.append(folder / f"{name}.csv")
                files[-1].write_bytes(data)
        profile = tmp_path / f"lo-{language}"
        running[language] = (files, _convert(soffice, files, language, folder / "out", profile))
    try:
        for language, (files, process) in running.items():
            output, _errors = process.communicate(timeout=180)
            if process.returncode != 0 and _crashed(process.returncode, output):
                # LibreOffice's first start on a new machine, beside two others on a loaded one, may abort in
                # its own start-up ("terminate called after throwing ... WrappedTargetRuntimeException", exit
                # 134) before it reads a file: that language converts again, alone, with a new profile.
                profile = tmp_path / f"lo-{language}-again"
                process = _convert(soffice, files, language, files[0].parent / "out", profile)
                running[language] = (files, process)
                output, _errors = process.communicate(timeout=180)
            assert process.returncode == 0, output
            for path in files:
                sheets[(path.stem, language)] = _sheet(path.parent / "out" / f"{path.stem}.fods")
    finally:
        for _files, process in running.values():
            if process.poll() is None:
                process.kill()
            process.communicate()  # reaps it and closes its pipe

    for (name, language), rows in sheets.items():
        where = f"{name} in {language}"
        header, *data = rows
        assert len(header) > 2 and all(cell.kind == "string" for cell in header), where  # split, header first
        assert data, where
        for row in data:
            assert len(row) <= len(header), (where, row)  # no cell spilled into a column of its own
            for cell in row:
                # A number written for another locale is read as text (1234.50 in Dutch): none is.
                assert not (cell.kind == "string" and NUMBER_AS_TEXT.fullmatch(cell.text)), (where, cell)

    def column(name: str, language: str, index: int, first_data_row: int = 1) -> list[Cell]:
        rows = sheets[(name, language)][first_data_row:]
        return [row[index] for row in rows if len(row) > index and row[index].kind != "empty"]

    for language in LOCALES:
        # The tracker: amounts and shares are numbers, exact to the cent.
        for name in ("tracker", "tracker-domain", "tracker-organisation"):
            year = next(row for row in sheets[(name, language)] if row and row[0].value == "2024")
            assert [cell.kind for cell in year] == ["float"] * 7, (name, language, year)
            assert [cell.value for cell in year[1:5]] == ["10000000.5", "300012.35", "3", "3"], (name, year)
        rows = sheets[("tracker-organisation", language)]
        projects = [row for row in rows if row[1:2] and row[1].text.startswith("Project ")]
        amounts = {(row[3].kind, row[3].value) for row in projects}
        assert amounts == {("float", "300000.01"), ("float", "12.34")}
        # Events: numbers, and times as dates (Brussels time).
        assert {cell.kind for cell in column("participants", language, 0)} == {"float"}
        assert {cell.kind for cell in column("participants", language, 6)} == {"float"}
        assert {cell.kind for cell in column("participants", language, 9)} == {"date"}
        answered = column("requests", language, 8)
        assert [(cell.kind, cell.value) for cell in answered] == [("date", "2026-11-02T17:45:00")]
        assert sheets[("requests", language)][1][9].text == "'=1+1; a question, with commas"
        assert {cell.kind for cell in column("meetings", language, 0) + column("meetings", language, 1)} == {
            "date"
        }
        assert {cell.kind for cell in column("matches", language, 0)} == {"float"}
        consent = column("newsletter", language, 3)
        assert [(cell.kind, cell.value) for cell in consent] == [("date", "2026-03-01T10:00:05")]
        # The catalogue exchange: its numbers, dates and identifiers.
        offerings_header = [cell.text for cell in sheets[("offerings", language)][0]]
        trl = offerings_header.index("trl")
        assert {cell.kind for cell in column("offerings", language, trl)} <= {"float"}
        number = offerings_header.index("organisation_enterprise_number")
        assert {cell.kind for cell in column("offerings", language, number)} <= {"string"}
        needs_header = [cell.text for cell in sheets[("needs", language)][0]]
        for name in ("budget_min", "budget_max"):
            assert {cell.kind for cell in column("needs", language, needs_header.index(name))} <= {"float"}
        assert {cell.kind for cell in column("needs", language, needs_header.index("deadline"))} <= {"date"}
        assert {cell.kind for cell in column("import-report", language, 0)} == {"float"}
