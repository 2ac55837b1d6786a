"""The organizers' overview as a CSV file."""

import csv
import io
from typing import Any

from matchmaker.services.matching.overview import best_pairs

CSV_LIMIT = 500


def _interest_text(value: bool | None) -> str:
    return {True: "interested", False: "not interested", None: ""}[value]


def _csv_cell(value: Any) -> str:
    """Text for a spreadsheet cell; formulas are defused (a leading = + - @ would run in Excel)."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        text = "'" + text
    return text


CSV_COLUMNS = (
    "score", "need_id", "need_title", "buyer", "offering_id", "offering_title", "supplier",
    "shared_terms", "cpv", "themes", "buyer_interest", "supplier_interest", "mutual",
)  # fmt: skip


def best_pairs_csv(theme_id: int | None = None, language: str = "en", limit: int = CSV_LIMIT) -> str:
    rows = best_pairs(theme_id=theme_id, limit=limit, language=language)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        match = row.match
        writer.writerow(
            _csv_cell(value)
            for value in (
                f"{row.score:.4f}",
                row.need.id,
                row.need.title,
                row.need.organisation.name,
                row.offering.id,
                row.offering.title,
                row.offering.organisation.name,
                "; ".join(str(t) for t in row.explanation.shared_terms),
                "; ".join(f"{c.code} {c.label} ({c.relation})" for c in row.explanation.cpv),
                "; ".join(t.name for t in row.explanation.themes),
                _interest_text(match.buyer_interest if match else None),
                _interest_text(match.supplier_interest if match else None),
                "yes" if match and match.is_mutual else "",
            )
        )
    return out.getvalue()
