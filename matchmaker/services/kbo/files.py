"""The KBO/BCE open data as published, read as a stream: plain Python (no Flask, no database).

An extract is the ZIP as downloaded (`KboOpenData_<NNNN>_<YYYY>_<MM>_Full.zip`) or a folder of its CSV files.
Each file has a header row; text values are quoted, dates (DD-MM-YYYY) are not, an empty value is nothing
between two commas, and a file may start with a UTF-8 byte-order mark. Columns are found by their header, so
the order of the columns does not matter.

The readers yield one dict a row, ready to insert, and keep only what verification needs: enterprises, their
names (name, abbreviation, commercial name), their registered seat that still holds, and the labels of the
juridical forms, statuses, juridical situations and types of enterprise. The files are read as the ZIP
inflates them, so memory stays flat for the 300 MB ones; `Extract.fraction_read` says how far along they are.
"""

import csv
import io
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO

META = "meta.csv"
CODES = "code.csv"
ENTERPRISES = "enterprise.csv"
DENOMINATIONS = "denomination.csv"
ADDRESSES = "address.csv"
# The files an import reads, in the order it reads them.
FILES = (META, CODES, ENTERPRISES, DENOMINATIONS, ADDRESSES)

COLUMNS = {
    META: ("Variable", "Value"),
    CODES: ("Category", "Code", "Language", "Description"),
    ENTERPRISES: ("EnterpriseNumber", "Status", "JuridicalSituation", "TypeOfEnterprise", "JuridicalForm",
                  "StartDate"),
    DENOMINATIONS: ("EntityNumber", "Language", "TypeOfDenomination", "Denomination"),
    ADDRESSES: ("EntityNumber", "TypeOfAddress", "CountryNL", "CountryFR", "Zipcode", "MunicipalityNL",
                "MunicipalityFR", "StreetNL", "StreetFR", "HouseNumber", "Box", "DateStrikingOff"),
}  # fmt: skip

# Name, abbreviation, commercial name (004, a branch's name, is not the enterprise's).
KEPT_DENOMINATIONS = frozenset({"001", "002", "003"})
SEAT = "REGO"
KEPT_CODE_CATEGORIES = frozenset({"JuridicalForm", "Status", "JuridicalSituation", "TypeOfEnterprise"})
KEPT_CODE_LANGUAGES = frozenset({"NL", "FR"})

_NOT_DIGITS = re.compile(r"[.\s]")


class ExtractError(Exception):
    """The file is not an extract that can be read: `problem` says what (the service words it)."""

    def __init__(self, problem: str, name: str = "", columns: tuple[str, ...] = ()):
        super().__init__(f"{problem} {name} {' '.join(columns)}".strip())
        self.problem = problem  # "unreadable", "missing_file", "missing_columns", "no_header"
        self.name = name
        self.columns = columns


@dataclass(frozen=True)
class Meta:
    snapshot_date: date | None
    extract_timestamp: str
    extract_type: str  # "full" or "update"
    extract_number: int | None
    version: str

    @property
    def is_full(self) -> bool:
        return self.extract_type.strip().lower() == "full"


def enterprise_number(text: str) -> str | None:
    """'0200.065.765' -> '0200065765'; None for anything else (an establishment's '2.000.000.000' too)."""
    digits = _NOT_DIGITS.sub("", text or "")
    if len(digits) == 10 and digits.isdigit() and digits[0] in "01":
        return digits
    return None


def parse_date(text: str) -> date | None:
    """'09-08-1960' -> 1960-08-09; None when empty or not a date."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, "%d-%m-%Y").date()
    except ValueError:
        return None


class _Counting(io.RawIOBase):
    """A binary stream that adds the bytes read to its extract's tally (for the progress)."""

    def __init__(self, raw: IO[bytes], extract: "Extract"):
        self.raw, self.extract = raw, extract

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self.extract.bytes_read += size
        return size

    def close(self) -> None:
        self.raw.close()
        super().close()


class Extract:
    """A full or update extract: a ZIP as published, or a folder with its CSV files."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.bytes_read = 0
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, object] = {}
        try:
            if self.path.is_dir():
                entries = [entry for entry in self.path.iterdir() if entry.is_file()]
                self._members = {entry.name.lower(): entry for entry in entries}
            elif zipfile.is_zipfile(self.path):
                self._zip = zipfile.ZipFile(self.path)
                infos = [info for info in self._zip.infolist() if not info.is_dir()]
                self._members = {Path(info.filename).name.lower(): info for info in infos}
            else:
                raise ExtractError("unreadable", self.path.name)
        except OSError as error:
            raise ExtractError("unreadable", self.path.name) from error

    def __enter__(self) -> "Extract":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    @property
    def name(self) -> str:
        return self.path.name

    def has(self, name: str) -> bool:
        return name in self._members

    def size(self, name: str) -> int:
        member = self._members.get(name)
        if member is None:
            return 0
        return member.file_size if isinstance(member, zipfile.ZipInfo) else member.stat().st_size

    @property
    def total_bytes(self) -> int:
        return sum(self.size(name) for name in FILES)

    @property
    def fraction_read(self) -> float:
        total = self.total_bytes
        return min(1.0, self.bytes_read / total) if total else 1.0

    def _open(self, name: str) -> IO[bytes]:
        member = self._members.get(name)
        if member is None:
            raise ExtractError("missing_file", name)
        if isinstance(member, zipfile.ZipInfo):
            return self._zip.open(member)  # inflated as it is read
        return open(member, "rb")  # closed by the reader that wraps it

    def rows(self, name: str) -> Iterator[dict[str, str]]:
        """The rows of a file as {column: value}, values stripped; only the columns this module uses."""
        wanted = COLUMNS[name]
        text = io.TextIOWrapper(
            io.BufferedReader(_Counting(self._open(name), self), 1 << 16), encoding="utf-8-sig", newline=""
        )
        with text:
            reader = csv.reader(text)
            header = next(reader, None)
            if header is None:
                raise ExtractError("no_header", name)
            positions = {column.strip(): index for index, column in enumerate(header)}
            missing = tuple(column for column in wanted if column not in positions)
            if missing:
                raise ExtractError("missing_columns", name, missing)
            picks = [(column, positions[column]) for column in wanted]
            for row in reader:
                if not row:
                    continue
                width = len(row)
                yield {column: row[index].strip() if index < width else "" for column, index in picks}

    def check(self) -> Meta:
        """Every file is there with the columns read here (only the first lines are read); the meta."""
        for name in FILES:
            rows = self.rows(name)
            next(rows, None)  # reads the header: a missing file or column raises here
            rows.close()
        self.bytes_read = 0
        return read_meta(self)


def read_meta(extract: Extract) -> Meta:
    values = {row["Variable"]: row["Value"] for row in extract.rows(META)}
    number = values.get("ExtractNumber", "")
    return Meta(
        snapshot_date=parse_date(values.get("SnapshotDate", "")),
        extract_timestamp=values.get("ExtractTimestamp", "")[:40],
        extract_type=values.get("ExtractType", ""),
        extract_number=int(number) if number.isdigit() else None,
        version=values.get("Version", "")[:20],
    )


def codes(extract: Extract) -> Iterator[dict]:
    seen: set[tuple[str, str, str]] = set()
    for row in extract.rows(CODES):
        category, code, language = row["Category"], row["Code"], row["Language"].upper()
        if category not in KEPT_CODE_CATEGORIES or language not in KEPT_CODE_LANGUAGES:
            continue
        key = (category, code[:10], language)
        if key in seen:  # the database's primary key: the first label wins
            continue
        seen.add(key)
        yield {"category": category, "code": key[1], "language": language, "description": row["Description"]}


def enterprises(extract: Extract) -> Iterator[dict]:
    for row in extract.rows(ENTERPRISES):
        number = enterprise_number(row["EnterpriseNumber"])
        if number is None:
            continue
        yield {
            "number": number,
            "status": row["Status"][:4],
            "juridical_situation": row["JuridicalSituation"][:4],
            "type_of_enterprise": row["TypeOfEnterprise"][:2],
            "juridical_form": row["JuridicalForm"][:4] or None,
            "start_date": parse_date(row["StartDate"]),
        }


def denominations(extract: Extract) -> Iterator[dict]:
    for row in extract.rows(DENOMINATIONS):
        kind = row["TypeOfDenomination"]
        if kind not in KEPT_DENOMINATIONS or not row["Denomination"]:
            continue
        number = enterprise_number(row["EntityNumber"])
        if number is None:
            continue
        yield {"number": number, "language": row["Language"][:2], "type": kind, "text": row["Denomination"]}


def addresses(extract: Extract) -> Iterator[dict]:
    for row in extract.rows(ADDRESSES):
        if row["TypeOfAddress"] != SEAT or row["DateStrikingOff"]:
            continue
        number = enterprise_number(row["EntityNumber"])
        if number is None:
            continue
        yield {
            "number": number,
            "country_nl": row["CountryNL"],
            "country_fr": row["CountryFR"],
            "zipcode": row["Zipcode"],
            "municipality_nl": row["MunicipalityNL"],
            "municipality_fr": row["MunicipalityFR"],
            "street_nl": row["StreetNL"],
            "street_fr": row["StreetFR"],
            "house_number": row["HouseNumber"],
            "box": row["Box"],
        }
