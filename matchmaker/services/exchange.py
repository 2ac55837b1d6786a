"""Exchange the catalogue with other tools: export offerings and needs as CSV or JSON, import them from CSV.

An import is all or nothing: every row is checked first and, if any row is refused, nothing is written and
the report lists every refused row with its reasons. Rows are matched to existing items by organisation and
title: an existing item is updated, a new one created, so importing an export gives the same items back.

Organizers and administrators import on behalf of organisations (loading a catalogue kept in another tool,
or their own export corrected in a spreadsheet), so a row may create an item for any organisation. It updates
only an item the importer may change that way (`_changeable`): one of the public catalogue (what their export
holds), one of their own organisation, or one they created themselves (a draft an earlier import of theirs
made). Another organisation's draft or archived item (or a suspended organisation's) is never changed (issue
14): for an importer who cannot see it, the row makes a new item as if it did not exist, so the counts and the
report do not tell whether it does; an administrator, who sees it anyway, is told why the row is refused.

CSV conventions: UTF-8 with a byte-order mark, one header row of the column names (identifiers, the same in
every language); lists (themes, CPV codes) separated by semicolons inside their cell. The export is written
for the reader's spreadsheet (csvfiles.convention): semicolon-separated with a decimal comma in Dutch and
French, comma-separated in English; the labels (innovation type, status, procurement route, language, themes,
yes/no) in the reader's language, times in Brussels time. The import reads back what any export wrote, and
what a spreadsheet saves of it: the separator is taken from the header row, labels in any of the languages or
the codes, whole numbers with thousands separators or a zero decimal part (150.000 or 150000,00), dates as
YYYY-MM-DD or day first (31/12/2026). Cells that a spreadsheet would run as a formula (starting with = + - @)
are written with a leading apostrophe, which the import removes again.
"""

import csv
import io
import itertools
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import defer, selectinload

from matchmaker.csvfiles import csv_chunks, local_text, restore, sniff_delimiter, utc
from matchmaker.extensions import db
from matchmaker.models import (
    ContentLanguage,
    InnovationType,
    Need,
    NeedStatus,
    Offering,
    OfferingStatus,
    Organisation,
    OrganisationKind,
    ProcurementRoute,
    Role,
    Theme,
    User,
    utcnow,
)
from matchmaker.models.catalogue import NeedCpvCode, OfferingCpvCode, need_theme, offering_theme
from matchmaker.models.labels import (
    CATALOGUE_STATUSES,
    CONTENT_LANGUAGES,
    INNOVATION_TYPES,
    PROCUREMENT_ROUTES,
    label,
)
from matchmaker.models.organisation import format_enterprise_number, normalize_enterprise_number
from matchmaker.services import ServiceError, commit, discard
from matchmaker.services import cpv as cpv_service
from matchmaker.services.catalogue import (
    BUDGET_MAX,
    KEYWORDS_MAX,
    SUMMARY_MAX,
    TEXT_MAX,
    TITLE_MAX,
    update_search_text,
    waiting_for_verification,
)
from matchmaker.textutil import one_line

KINDS = ("offerings", "needs")
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_CPV_CODES = 20
_TRUE = {"1", "true", "yes", "y", "ja", "j", "oui", "o", "x"}
_FALSE = {"", "0", "false", "no", "n", "nee", "non"}
# A whole number as people and spreadsheets write it: 150000, 150.000, 150 000, 150,000, with a zero decimal
# part (150000,00 or 150.000,00) that spreadsheets add when the cell is formatted as money.
_WHOLE = re.compile(
    r"(?P<whole>\d+|\d{1,3}(?P<group>[.,\s\u00a0\u202f])\d{3}(?:(?P=group)\d{3})*)(?:[.,]0{1,2})?"
)
_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
# The labels a column's cells may hold instead of the codes, by column.
_LABELS = {
    "innovation_type": INNOVATION_TYPES,
    "status": CATALOGUE_STATUSES,
    "procurement_route": PROCUREMENT_ROUTES,
    "language": CONTENT_LANGUAGES,
}


@dataclass(frozen=True)
class Column:
    name: str
    description: object  # a lazy translated text, shown on the exchange page
    required: bool = False
    export_only: bool = False


_ORGANISATION_COLUMNS = (
    Column("id", _l("Number of the item on this platform (ignored on import)."), export_only=True),
    Column("organisation", _l("Name of the organisation, as registered on the platform.")),
    Column(
        "organisation_enterprise_number",
        _l("Its enterprise number (KBO/BCE); used first when given. One of the two is required."),
    ),
    Column("title", _l("Title, at most 200 characters. Identifies the item within its organisation."), True),
    Column("summary", _l("Summary, at most 500 characters.")),
)

OFFERING_COLUMNS = (
    *_ORGANISATION_COLUMNS,
    Column("description", _l("Description (Markdown).")),
    Column("innovation_type", _l("product, technological, service, process or social (default product).")),
    Column("trl", _l("Technology readiness level, a whole number from 1 to 9, or empty.")),
    Column("keywords", _l("Keywords separated by commas.")),
    Column("language", _l("Language of the text: nl, fr or en (default nl).")),
    Column("status", _l("draft, published or archived (default draft).")),
    Column("themes", _l("Theme short names separated by semicolons, e.g. mobility; energy.")),
    Column("cpv_codes", _l("CPV codes separated by semicolons, e.g. 72000000; 48000000.")),
    Column("reference_projects", _l("References and pilots (Markdown).")),
    Column("links", _l("Links, one a line: 'Label | https://…' or a web address.")),
    Column("published_at", _l("When it was published (ignored on import)."), export_only=True),
    Column("updated_at", _l("When it was last changed (ignored on import)."), export_only=True),
)

NEED_COLUMNS = (
    *_ORGANISATION_COLUMNS,
    Column("challenge", _l("The challenge (Markdown).")),
    Column("expected_outcome", _l("The expected outcome (Markdown).")),
    Column("keywords", _l("Keywords separated by commas.")),
    Column("budget_min", _l("Lowest indicative budget in whole euros, or empty.")),
    Column("budget_max", _l("Highest indicative budget in whole euros, or empty; not below the lowest.")),
    Column("deadline", _l("Deadline as YYYY-MM-DD, or empty.")),
    Column(
        "procurement_route",
        _l(
            "market_consultation, pre_commercial_procurement, public_procurement_of_innovation, "
            "innovation_partnership, competitive_dialogue or not_yet_known (default)."
        ),
    ),
    Column("language", _l("Language of the text: nl, fr or en (default nl).")),
    Column("status", _l("draft, open, closed or archived (default draft).")),
    Column("registered_only", _l("yes to show it to logged-in users only (default no).")),
    Column("themes", _l("Theme short names separated by semicolons, e.g. mobility; energy.")),
    Column("cpv_codes", _l("CPV codes separated by semicolons, e.g. 72000000; 48000000.")),
    Column("published_at", _l("When it was published (ignored on import)."), export_only=True),
    Column("updated_at", _l("When it was last changed (ignored on import)."), export_only=True),
)

COLUMNS = {"offerings": OFFERING_COLUMNS, "needs": NEED_COLUMNS}


def can_exchange(user) -> bool:
    return bool(user is not None and user.has_role(Role.ORGANIZER, Role.ADMIN))


def _require(user) -> None:
    if not can_exchange(user):
        raise ServiceError(_("Only organizers and administrators can export or import the catalogue."))


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ServiceError(_("Choose offerings or needs."))


# --------------------------------------------------------------------------------------------------
# Export


def _model(kind: str):
    return Offering if kind == "offerings" else Need


EXPORT_BATCH = 1000  # rows read from the database at a time, and rows of CSV sent at a time


def _items(kind: str, user: User) -> Iterator:
    """What `user` may see: organizers export the public catalogue; drafts and archived items stay with their
    organisation (and platform administrators). Read `EXPORT_BATCH` rows at a time, with their organisation
    (joined); their themes and CPV codes come from `_lists`."""
    from matchmaker.services.catalogue import can_view

    model = _model(kind)
    # The search text (every field folded together) is not exported: left in the database.
    query = sa.select(model).options(defer(model.search_text)).order_by(model.organisation_id, model.id)
    query = query.execution_options(yield_per=EXPORT_BATCH)
    return (item for item in db.session.scalars(query) if can_view(user, item))


def _lists(kind: str) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Every item's theme slugs and CPV codes, in two queries for the whole catalogue (in the order of the
    items' own relationships), instead of two per item."""
    link, cpv = (offering_theme, OfferingCpvCode) if kind == "offerings" else (need_theme, NeedCpvCode)
    item_column = link.c.offering_id if kind == "offerings" else link.c.need_id
    cpv_item = cpv.offering_id if kind == "offerings" else cpv.need_id
    themes: dict[int, list[str]] = defaultdict(list)
    for item_id, slug in db.session.execute(
        sa.select(item_column, Theme.slug)
        .join(Theme, Theme.id == link.c.theme_id)
        .order_by(item_column, Theme.position, Theme.id)
    ):
        themes[item_id].append(slug)
    codes: dict[int, list[str]] = defaultdict(list)
    for item_id, code in db.session.execute(sa.select(cpv_item, cpv.code).order_by(cpv_item, cpv.code)):
        codes[item_id].append(code)
    return themes, codes


def _records(kind: str, user: User) -> Iterator[dict]:
    themes, codes = _lists(kind)
    for item in _items(kind, user):
        yield item_record(item, themes=themes.get(item.id, []), cpv_codes=codes.get(item.id, []))


def _iso(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    return value.isoformat()


def item_record(item, themes: list[str] | None = None, cpv_codes: list[str] | None = None) -> dict:
    """One item as plain values (lists for themes and CPV codes), in the column order of its kind. `themes`
    (slugs) and `cpv_codes` when already loaded for many items; the item's relationships otherwise."""
    themes = [t.slug for t in item.themes] if themes is None else themes
    cpv_codes = item.cpv_codes if cpv_codes is None else cpv_codes
    record = {
        "id": item.id,
        "organisation": item.organisation.name,
        "organisation_enterprise_number": item.organisation.enterprise_number or "",
        "title": item.title,
        "summary": item.summary,
    }
    if isinstance(item, Offering):
        record.update(
            description=item.description,
            innovation_type=item.innovation_type,
            trl=item.trl,
            keywords=item.keywords,
            language=item.language,
            status=item.status,
            themes=themes,
            cpv_codes=cpv_codes,
            reference_projects=item.reference_projects,
            links=item.links,
        )
    else:
        record.update(
            challenge=item.challenge,
            expected_outcome=item.expected_outcome,
            keywords=item.keywords,
            budget_min=item.budget_min,
            budget_max=item.budget_max,
            deadline=_iso(item.deadline) or None,
            procurement_route=item.procurement_route,
            language=item.language,
            status=item.status,
            registered_only=item.registered_only,
            themes=themes,
            cpv_codes=cpv_codes,
        )
    record["published_at"] = _iso(item.published_at) or None
    record["updated_at"] = _iso(item.updated_at) or None
    return record


def _csv_row(record: dict, names: list[str], theme_names: dict[str, str]) -> list:
    """One record as the CSV's cells, for a person's spreadsheet in the current language: labels instead of
    codes, themes by their name, yes or no in words, times in Brussels time (the import reads all of it back).
    csvfiles.safe_cell does the rest."""
    cells = []
    for name in names:
        value = record[name]
        if name in _LABELS:
            value = label(_LABELS[name], value)
        elif name == "themes":
            value = [theme_names.get(slug, slug) for slug in value]
        elif name == "organisation_enterprise_number":
            value = format_enterprise_number(value)  # 0260.763.912 stays text; 0260763912 loses its 0
        elif name in ("published_at", "updated_at"):
            value = local_text(utc(datetime.fromisoformat(value))) if value else ""
        if isinstance(value, bool):
            value = _("yes") if value else _("no")
        elif isinstance(value, list):
            value = "; ".join(value)
        cells.append(value)
    return cells


def _theme_names() -> dict[str, str]:
    from matchmaker.i18n import current_language

    language = current_language()
    return {theme.slug: theme.name(language) for theme in db.session.scalars(sa.select(Theme))}


def export_csv_chunks(user: User, kind: str) -> Iterator[str]:
    """The CSV export as pieces of text, made as they are read: the whole catalogue in a fixed number of
    queries, never all in memory. Refusals are raised here, before the first piece."""
    _require(user)
    _check_kind(kind)
    names = [c.name for c in COLUMNS[kind]]
    theme_names = _theme_names()
    rows = (_csv_row(record, names, theme_names) for record in _records(kind, user))
    return csv_chunks(itertools.chain([names], rows), rows_per_chunk=EXPORT_BATCH)


def export_csv(user: User, kind: str) -> str:
    return "".join(export_csv_chunks(user, kind))


def export_json_chunks(user: User, kind: str) -> Iterator[str]:
    """The JSON export as pieces of text, `EXPORT_BATCH` items at a time (like `export_csv_chunks`): one
    document {"kind", "exported_at", "items": [...]}. Refusals are raised here, before the first piece."""
    _require(user)
    _check_kind(kind)
    head = json.dumps({"kind": kind, "exported_at": _iso(utcnow()) + "Z"}, ensure_ascii=False, indent=1)
    return _json_pieces(head[:-2] + ',\n "items": [', _records(kind, user))


def _json_pieces(head: str, records: Iterator[dict]) -> Iterator[str]:
    yield head
    separator = "\n"
    while batch := list(itertools.islice(records, EXPORT_BATCH)):
        items = [json.dumps(record, ensure_ascii=False, indent=1).replace("\n", "\n  ") for record in batch]
        yield separator + "  " + ",\n  ".join(items)
        separator = ",\n"
    yield ("\n ]\n}" if separator != "\n" else "]\n}")


def export_json(user: User, kind: str) -> str:
    return "".join(export_json_chunks(user, kind))


# --------------------------------------------------------------------------------------------------
# Import


@dataclass
class RowProblem:
    line: int  # the line number in the file (the header is line 1)
    title: str
    reasons: list[str]


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)  # problems with the file as a whole

    @property
    def ok(self) -> bool:
        return not self.problems and not self.file_errors


def _read_rows(data: bytes, kind: str, report: ImportReport) -> list[tuple[int, dict]] | None:
    if len(data) > MAX_FILE_BYTES:
        report.file_errors.append(_("The file is larger than 5 MB: split it into smaller files."))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.file_errors.append(_("The file is not UTF-8 text. Save it as 'CSV UTF-8' and try again."))
        return None
    if not text.strip():
        report.file_errors.append(_("The file is empty."))
        return None
    delimiter = sniff_delimiter(text.split("\n", 1)[0])
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        header = [name.strip() for name in (reader.fieldnames or [])]
        reader.fieldnames = header
        known = {c.name for c in COLUMNS[kind]}
        unknown = [name for name in header if name not in known]
        if unknown:
            report.file_errors.append(
                _(
                    "Unknown column(s): %(names)s. The columns are listed on this page.",
                    names=", ".join(unknown),
                )
            )
        if "title" not in header:
            report.file_errors.append(_("The column 'title' is missing."))
        if "organisation" not in header and "organisation_enterprise_number" not in header:
            report.file_errors.append(
                _("Give the organisation in a column 'organisation' or 'organisation_enterprise_number'.")
            )
        if len(header) != len(set(header)):
            report.file_errors.append(_("A column appears twice in the header."))
        if report.file_errors:
            return None
        rows = []
        for row in reader:
            if len(rows) >= MAX_ROWS:
                report.file_errors.append(
                    _("The file has more than %(n)d rows: split it into smaller files.", n=MAX_ROWS)
                )
                return None
            if None in row:  # more cells than columns
                row.pop(None)
                rows.append((reader.line_num, {**row, "__extra__": "1"}))
                continue
            if not any((value or "").strip() for value in row.values()):
                continue  # blank line
            rows.append((reader.line_num, row))
    except csv.Error as error:
        report.file_errors.append(_("The file is not valid CSV (%(error)s).", error=str(error)))
        return None
    if not rows:
        report.file_errors.append(_("The file has a header but no rows."))
        return None
    return rows


def _cell(row: dict, name: str) -> str:
    return restore((row.get(name) or "").strip())  # the export's apostrophe against formula injection


class _RowChecker:
    """Checks one row and collects every reason to refuse it."""

    def __init__(self, kind: str, organisations: "_Organisations", themes: dict[str, Theme]):
        self.kind = kind
        self.organisations = organisations
        self.themes = themes
        self.reasons: list[str] = []

    def refuse(self, message: str) -> None:
        self.reasons.append(message)

    def text(
        self,
        row: dict,
        name: str,
        label: str,
        maximum: int,
        required: bool = False,
        single_line: bool = False,
    ) -> str:
        """The cell's text; on one line (`textutil.one_line`) for a title or keywords, as the forms do."""
        value = one_line(_cell(row, name)) if single_line else _cell(row, name)
        if required and not value:
            self.refuse(_("%(field)s is required.", field=label))
        elif len(value) > maximum:
            self.refuse(_("%(field)s is too long (at most %(n)d characters).", field=label, n=maximum))
        return value

    def choice(self, row: dict, name: str, enum_cls, default: str, label: str) -> str:
        """The cell's code: the code itself, or its label in any of the platform's languages."""
        text = _cell(row, name)
        allowed = [member.value for member in enum_cls]
        value = _code_of(name, text, tuple(allowed)) or text.lower() or default
        if value not in allowed:
            self.refuse(
                _(
                    "%(field)s '%(value)s' is not one of: %(allowed)s.",
                    field=label,
                    value=text,
                    allowed=", ".join(allowed),
                )
            )
        return value

    def organisation(self, row: dict) -> Organisation | None:
        number, name = (
            one_line(_cell(row, "organisation_enterprise_number")),
            one_line(_cell(row, "organisation")),
        )
        organisation = self.organisations.find(number, name)
        if organisation is None:
            if number:
                self.refuse(
                    _("No organisation with enterprise number %(number)s on the platform.", number=number)
                )
            elif name and self.organisations.ambiguous(name):
                self.refuse(
                    _("Several organisations are named '%(name)s': give the enterprise number.", name=name)
                )
            elif name:
                self.refuse(_("No organisation named '%(name)s' on the platform.", name=name))
            else:
                self.refuse(_("The organisation is missing."))
            return None
        if self.kind == "offerings" and organisation.kind == OrganisationKind.GOVERNMENT:
            self.refuse(
                _(
                    "'%(name)s' is a government entity: it registers needs, not offerings.",
                    name=organisation.name,
                )
            )
        if self.kind == "needs" and organisation.kind != OrganisationKind.GOVERNMENT:
            self.refuse(
                _("'%(name)s' is not a government entity: only those register needs.", name=organisation.name)
            )
        return organisation

    def integer(self, row: dict, name: str, label: str, low: int, high: int) -> int | None:
        value = _cell(row, name)
        if not value:
            return None
        number = whole_number(value)
        if number is not None and low <= number <= high:
            return number
        self.refuse(
            _(
                "%(field)s must be a whole number from %(low)d to %(high)d, not '%(value)s'.",
                field=label,
                low=low,
                high=high,
                value=value,
            )
        )
        return None

    def theme_list(self, row: dict) -> list[Theme]:
        """The themes by short name or by name in any language, separated by semicolons (or by commas when the
        cell has no semicolon)."""
        cell = _cell(row, "themes")
        names = [s.strip() for s in re.split(";" if ";" in cell else ",", cell) if s.strip()]
        unknown = [s for s in names if _fold(s) not in self.themes]
        if unknown:
            self.refuse(_("Unknown theme(s): %(names)s.", names=", ".join(unknown)))
        found = [self.themes[_fold(s)] for s in names if _fold(s) in self.themes]
        return list(dict.fromkeys(found))

    def cpv_list(self, row: dict) -> list[str]:
        # A lone code is a number to a spreadsheet, which drops its leading 0 (03000000 comes back 3000000).
        cell = re.sub(r"(?<![\d-])(\d{7})(?![\d])", r"0\1", _cell(row, "cpv_codes"))
        known, unknown = cpv_service.parse_codes(cell)
        if unknown:
            self.refuse(_("Unknown CPV code(s): %(codes)s.", codes=", ".join(unknown)))
        if len(known) > MAX_CPV_CODES:
            self.refuse(_("At most %(n)d CPV codes.", n=MAX_CPV_CODES))
        return known


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _themes_by_name() -> dict[str, Theme]:
    """Every theme by its short name and by its name in each language (folded), the short name winning."""
    found: dict[str, Theme] = {}
    themes = list(db.session.scalars(sa.select(Theme).order_by(Theme.position, Theme.id)))
    for theme in themes:
        for name in (theme.name_nl, theme.name_fr, theme.name_en):
            found.setdefault(_fold(name), theme)
    found.update({_fold(theme.slug): theme for theme in themes})
    return found


def _code_of(column: str, text: str, allowed: tuple[str, ...]) -> str | None:
    """The code whose label, in any of the platform's languages, is `text`; None when none is."""
    if column not in _LABELS or not text:
        return None
    return _label_codes(column, allowed).get(_fold(text))


def _label_codes(column: str, allowed: tuple[str, ...]) -> dict[str, str]:
    key = (column, allowed, tuple(current_app.config["LANGUAGES"]))
    if key not in _LABEL_CODES:
        codes: dict[str, str] = {}
        for language in key[2]:
            with force_locale(language):
                for code in allowed:
                    codes.setdefault(_fold(label(_LABELS[column], code)), code)
        _LABEL_CODES[key] = codes
    return _LABEL_CODES[key]


_LABEL_CODES: dict[tuple, dict[str, str]] = {}


def whole_number(text: str) -> int | None:
    """A whole number as a person or a spreadsheet wrote it (see `_WHOLE`), with or without a euro sign;
    None when the text is no such number (a fraction that is not zero, letters, a negative number)."""
    cleaned = text.replace("€", "").replace("EUR", "").strip()
    found = _WHOLE.fullmatch(cleaned)
    if found is None:
        return None
    return int(re.sub(r"\D", "", found.group("whole")))


def read_date(text: str) -> date | None:
    """A date as YYYY-MM-DD (with a midnight time, as some spreadsheets add), or day first as Belgian
    spreadsheets write it (31/12/2026, 31-12-2026, 31.12.2026); None when it is neither."""
    text = text.strip()
    head, _sep, rest = text.partition(" ")
    if rest.strip() in ("", "00:00", "00:00:00"):
        try:
            return date.fromisoformat(head)
        except ValueError:
            pass
    found = _DAY_FIRST.fullmatch(head) if rest.strip() in ("", "00:00", "00:00:00") else None
    if found is None:
        return None
    day, month, year = (int(part) for part in found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


class _Organisations:
    """Organisations by enterprise number and by folded name, loaded once per import."""

    def __init__(self):
        self.by_number: dict[str, Organisation] = {}
        self.by_name: dict[str, list[Organisation]] = {}
        for organisation in db.session.scalars(sa.select(Organisation)):
            if organisation.enterprise_number:
                self.by_number[organisation.enterprise_number] = organisation
            self.by_name.setdefault(organisation.name.strip().casefold(), []).append(organisation)

    def ambiguous(self, name: str) -> bool:
        return len(self.by_name.get(name.strip().casefold(), [])) > 1

    def find(self, number: str, name: str) -> Organisation | None:
        if number:
            return self.by_number.get(normalize_enterprise_number(number))
        matches = self.by_name.get(name.strip().casefold(), [])
        return matches[0] if len(matches) == 1 else None


def _check_offering(check: _RowChecker, row: dict) -> dict:
    values = {
        "title": check.text(row, "title", _("Title"), TITLE_MAX, required=True, single_line=True),
        "summary": check.text(row, "summary", _("Summary"), SUMMARY_MAX),
        "description": check.text(row, "description", _("Description"), TEXT_MAX),
        "innovation_type": check.choice(
            row, "innovation_type", InnovationType, "product", _("Innovation type")
        ),
        "trl": check.integer(row, "trl", "TRL", 1, 9),
        "keywords": check.text(row, "keywords", _("Keywords"), KEYWORDS_MAX, single_line=True),
        "language": check.choice(row, "language", ContentLanguage, "nl", _("Language")),
        "status": check.choice(row, "status", OfferingStatus, "draft", _("Status")),
        "reference_projects": check.text(row, "reference_projects", _("References and pilots"), TEXT_MAX),
        "links": check.text(row, "links", _("Links"), TEXT_MAX),
    }
    if values["status"] == OfferingStatus.PUBLISHED and not (values["summary"] and values["description"]):
        check.refuse(_("A published offering needs a summary and a description."))
    return values


def _check_need(check: _RowChecker, row: dict) -> dict:
    values = {
        "title": check.text(row, "title", _("Title"), TITLE_MAX, required=True, single_line=True),
        "summary": check.text(row, "summary", _("Summary"), SUMMARY_MAX),
        "challenge": check.text(row, "challenge", _("Challenge"), TEXT_MAX),
        "expected_outcome": check.text(row, "expected_outcome", _("Expected outcome"), TEXT_MAX),
        "keywords": check.text(row, "keywords", _("Keywords"), KEYWORDS_MAX, single_line=True),
        "budget_min": check.integer(row, "budget_min", _("Lowest budget"), 0, BUDGET_MAX),
        "budget_max": check.integer(row, "budget_max", _("Highest budget"), 0, BUDGET_MAX),
        "procurement_route": check.choice(
            row, "procurement_route", ProcurementRoute, "not_yet_known", _("Procurement route")
        ),
        "language": check.choice(row, "language", ContentLanguage, "nl", _("Language")),
        "status": check.choice(row, "status", NeedStatus, "draft", _("Status")),
    }
    low, high = values["budget_min"], values["budget_max"]
    if low is not None and high is not None and low > high:
        check.refuse(
            _("The lowest budget (%(low)d) is higher than the highest (%(high)d).", low=low, high=high)
        )
    deadline_text = _cell(row, "deadline")
    values["deadline"] = None
    if deadline_text:
        values["deadline"] = read_date(deadline_text)
        if values["deadline"] is None:
            check.refuse(
                _("The deadline '%(value)s' is not a date written as YYYY-MM-DD.", value=deadline_text)
            )
    if values["status"] == NeedStatus.OPEN:
        if not (values["summary"] and values["challenge"]):
            check.refuse(_("An open need needs a summary and a challenge."))
        if values["deadline"] is not None and values["deadline"] < utcnow().date():
            check.refuse(_("An open need cannot have a deadline in the past."))
    flag = _cell(row, "registered_only").lower()
    if flag not in _TRUE | _FALSE:
        check.refuse(_("registered_only is yes or no, not '%(value)s'.", value=flag))
    values["registered_only"] = flag in _TRUE
    return values


@dataclass
class _Checked:
    organisation: Organisation
    values: dict
    themes: list[Theme]
    codes: list[str]
    line: int = 0


def read_upload(user: User, kind: str, data: bytes, report: ImportReport) -> list[tuple[int, dict]] | None:
    """The file's rows, or None with the reasons in `report.file_errors` (size, encoding, header, CSV
    syntax, number of rows): what can be said about the file as a whole, quickly, before any row is
    checked against the catalogue."""
    _require(user)
    _check_kind(kind)
    return _read_rows(data, kind, report)


def check_rows(kind: str, user: User, rows: list[tuple[int, dict]], report: ImportReport) -> list[_Checked]:
    """Check every row against the platform (organisations, themes, CPV codes, the items `user` sees but may
    not change) and against the other rows; refused rows go to `report.problems` with every reason. Writes
    nothing."""
    report.rows = len(rows)
    organisations = _Organisations()
    themes = _themes_by_name()
    checked: list[_Checked] = []
    seen: dict[tuple[int, str], int] = {}
    for line, row in rows:
        check = _RowChecker(kind, organisations, themes)
        if row.get("__extra__"):
            check.refuse(_("This row has more cells than the header has columns."))
        organisation = check.organisation(row)
        values = (_check_offering if kind == "offerings" else _check_need)(check, row)
        opens = kind == "needs" and values["status"] == NeedStatus.OPEN
        if opens and organisation is not None and not organisation.is_verified:
            check.refuse(waiting_for_verification(organisation))
        item_themes = check.theme_list(row)
        codes = check.cpv_list(row)
        if organisation is not None and values["title"]:
            key = (organisation.id, values["title"].casefold())
            if key in seen:
                check.refuse(
                    _("The same title for the same organisation is already on line %(line)d.", line=seen[key])
                )
            seen.setdefault(key, line)
        if check.reasons:
            report.problems.append(RowProblem(line=line, title=_cell(row, "title"), reasons=check.reasons))
        elif organisation is not None:
            checked.append(_Checked(organisation, values, item_themes, codes, line))
    return _refuse_seen_but_unchangeable(kind, user, checked, report)


def _changeable(model, user: User):
    """SQL: the items an import by `user` may update (see the module's docstring); `_may_change` in Python."""
    conditions = [model.public_condition(), model.created_by_id == user.id]
    if user.organisation is not None:
        conditions.append(model.organisation_id == user.organisation.id)
    return sa.or_(*conditions)


def _may_change(user: User, item) -> bool:
    """`_changeable` for one loaded item."""
    own = user.organisation is not None and item.organisation_id == user.organisation.id
    return own or item.created_by_id == user.id or item.is_public


def _matching(model, entries: list[_Checked]):
    """SQL: the lowered title (as the database lowers it), and the conditions of the items of the entries'
    organisations with one of their titles (a superset of the pairs, which the callers pick from)."""
    lowered = sa.func.lower(model.title)
    return lowered, (
        model.organisation_id.in_({entry.organisation.id for entry in entries}),
        lowered.in_({entry.values["title"].lower() for entry in entries}),
    )


def _refuse_seen_but_unchangeable(
    kind: str, user: User, checked: list[_Checked], report: ImportReport
) -> list[_Checked]:
    """Refuse the rows that would update an item `user` sees but may not change (an administrator, and another
    organisation's draft). The items the user does not see are left alone without a word: the row makes a new
    item, as it would if they did not exist. One query per batch of rows; the organisations are in the
    session already (`_Organisations`), so `is_public` asks none per item."""
    from matchmaker.services.catalogue import can_view

    model = _model(kind)
    refused: set[int] = set()
    for start in range(0, len(checked), _BATCH):
        batch = checked[start : start + _BATCH]
        lowered, match = _matching(model, batch)
        found: dict[tuple[int, str], list] = defaultdict(list)
        for item, title in db.session.execute(sa.select(model, lowered).where(*match)):
            found[(item.organisation_id, title)].append(item)
        for entry in batch:
            items = found.get((entry.organisation.id, entry.values["title"].lower()), [])
            seen_but_unchangeable = any(can_view(user, item) for item in items) and not any(
                _may_change(user, item) for item in items
            )
            if seen_but_unchangeable:
                refused.add(entry.line)
    for entry in checked:
        if entry.line in refused:
            reason = _(
                "'%(title)s' of %(organisation)s is not in the public catalogue: only the organisation's "
                "members change it. Remove the row or give it another title.",
                title=entry.values["title"],
                organisation=entry.organisation.name,
            )
            report.problems.append(RowProblem(line=entry.line, title=entry.values["title"], reasons=[reason]))
    report.problems.sort(key=lambda problem: problem.line)
    return [entry for entry in checked if entry.line not in refused]


def write_rows(kind: str, user: User, entries: list[_Checked]) -> list[bool]:
    """Create or update the checked items in the current transaction (the caller commits): for each, True
    when it was created."""
    with db.session.no_autoflush:
        created, items = [], []
        for start in range(0, len(entries), _BATCH):
            batch = entries[start : start + _BATCH]
            existing = _existing_items(kind, user, batch)
            for entry in batch:
                item, was_created = _apply(kind, user, entry, existing)
                items.append(item)
                created.append(was_created)
    _reindex(items)
    return created


_BATCH = 500
# An import of more items than this refits the matching index once instead of refreshing item by item.
_REFIT_ABOVE = 100


def _reindex(items: list) -> None:
    """Queue the matching index's upkeep for the imported items, in the import's transaction."""
    from matchmaker.services.matching import jobs

    if len(items) > _REFIT_ABOVE:
        jobs.queue_refit()
        return
    db.session.flush()
    for item in items:
        jobs.item_changed(item)


def _existing_items(kind: str, user: User, entries: list[_Checked]) -> dict[tuple[int, str], object]:
    """The items the entries update, by organisation and lowered title (as the database lowers it), with
    their themes and CPV codes: one query for the batch instead of three per row. Only items `user` may change
    are found: a row naming another one makes a new item."""
    model = _model(kind)
    lowered, match = _matching(model, entries)
    rows = db.session.execute(
        sa.select(model, lowered)
        .where(*match, _changeable(model, user))
        .options(selectinload(model.themes), selectinload(model.cpv_links))
        .order_by(model.id)
    )
    found: dict[tuple[int, str], object] = {}
    for item, title in rows:
        found.setdefault((item.organisation_id, title), item)
    return found


def import_csv(user: User, kind: str, data: bytes) -> ImportReport:
    """Check every row, then write all of them in one transaction, or none when any row is refused.

    Synchronous: the web upload runs it as a background job instead (services/imports.py)."""
    report = ImportReport(kind=kind)
    rows = read_upload(user, kind, data, report)
    if rows is None:
        return report
    checked = check_rows(kind, user, rows, report)
    if not report.ok:
        discard()
        return report
    try:
        created = write_rows(kind, user, checked)
        commit()
    except sa.exc.SQLAlchemyError:
        discard()
        report.file_errors.append(_("The import failed while saving; nothing was imported. Try again."))
        return report
    report.created = sum(created)
    report.updated = len(created) - report.created
    return report


def _apply(kind: str, user: User, entry: _Checked, existing: dict) -> tuple[object, bool]:
    """Create or update one item; the item, and True when it was created."""
    model = _model(kind)
    item = existing.get((entry.organisation.id, entry.values["title"].lower()))
    created = item is None
    if created:
        item = model(organisation_id=entry.organisation.id, created_by_id=user.id)
        item.organisation = entry.organisation
        db.session.add(item)
    for name, value in entry.values.items():
        setattr(item, name, value)
    item.themes = entry.themes
    link_cls = OfferingCpvCode if kind == "offerings" else NeedCpvCode
    keep = [link for link in item.cpv_links if link.code in entry.codes]
    have = {link.code for link in keep}
    item.cpv_links = keep + [link_cls(code=code) for code in entry.codes if code not in have]
    public = OfferingStatus.PUBLISHED if kind == "offerings" else NeedStatus.OPEN
    if item.status == public and item.published_at is None:
        item.published_at = utcnow()
    if kind == "needs" and item.status == NeedStatus.CLOSED and item.closed_at is None:
        item.closed_at = utcnow()
    item.updated_at = utcnow()
    update_search_text(item)
    return item, created
