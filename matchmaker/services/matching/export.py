"""The organizers' overview as a CSV file, for their spreadsheet: headers and words in their language, the
score as a number (csvfiles writes it with their decimal mark)."""

from collections.abc import Iterator
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matchmaker.csvfiles import csv_text
from matchmaker.models.labels import label
from matchmaker.services.matching.overview import best_pairs

CSV_LIMIT = 500
SCORE_PLACES = Decimal("0.0001")


def _interest_text(value: bool | None) -> str:
    if value is None:
        return ""
    return _("Interested") if value else _("Not interested")


# How a CPV code links the two, as the overview's explanation says it (templates/matches/_explanation.html).
CPV_RELATIONS = {
    "shared": _l("declared by both"),
    "same group": _l("same CPV group"),
    "same division": _l("same CPV division"),
    "inferred": _l("recognised in the texts"),
}

def _cpv_text(link) -> str:
    return f"{link.code} {link.label} ({label(CPV_RELATIONS, link.relation)})"


# The columns' headers, translated when the file is written.
CSV_COLUMNS = (
    _l("Score"), _l("Need number"), _l("Need"), _l("Buyer"), _l("Offering number"), _l("Offering"),
    _l("Supplier"), _l("Shared terms"), _l("CPV codes"), _l("Themes"), _l("Buyer's interest"),
    _l("Supplier's interest"), _l("Mutual"),
)  # fmt: skip


def best_pairs_csv(theme_id: int | None = None, language: str = "en", limit: int = CSV_LIMIT) -> str:
    return csv_text(best_pairs_rows(theme_id, language, limit))


def best_pairs_rows(theme_id: int | None = None, language: str = "en", limit: int = CSV_LIMIT) -> list[list]:
    """The best pairs' export (CSV or workbook): the header, then a row per pair."""
    return list(_pair_rows(best_pairs(theme_id=theme_id, limit=limit, language=language)))


def _pair_rows(rows) -> Iterator[list]:
    yield [str(header) for header in CSV_COLUMNS]
    for row in rows:
        match = row.match
        yield [
            Decimal(row.score).quantize(SCORE_PLACES),
            row.need.id,
            row.need.title,
            row.need.organisation.name,
            row.offering.id,
            row.offering.title,
            row.offering.organisation.name,
            "; ".join(str(t) for t in [*row.explanation.shared_terms, *row.explanation.bridged]),
            "; ".join(_cpv_text(c) for c in row.explanation.cpv),
            "; ".join(t.name for t in row.explanation.themes),
            _interest_text(match.buyer_interest if match else None),
            _interest_text(match.supplier_interest if match else None),
            _("yes") if match and match.is_mutual else "",
        ]
