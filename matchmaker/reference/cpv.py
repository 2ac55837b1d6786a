"""The CPV 2008 vocabulary: codes, levels, parents and labels in Dutch, French and English.

Pure Python so that both the web app and the engines can use it.
"""

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("cpv2008_nl_fr_en.tsv")
LANGUAGES = ("nl", "fr", "en")


@dataclass(frozen=True, slots=True)
class CpvCode:
    code: str  # 8 digits, e.g. "72000000"
    check_digit: str
    level: int  # 2 = division, 3 = group, 4 = class, 5+ = category
    labels: dict  # {"nl": ..., "fr": ..., "en": ...}

    @property
    def full_code(self) -> str:
        return f"{self.code}-{self.check_digit}"

    @property
    def division(self) -> str:
        return self.code[:2]

    @property
    def group(self) -> str:
        return self.code[:3]

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels["en"]


@cache
def vocabulary() -> dict[str, CpvCode]:
    """All codes by their 8-digit code, read once per process."""
    codes: dict[str, CpvCode] = {}
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            codes[row["code"]] = CpvCode(
                code=row["code"],
                check_digit=row["check_digit"],
                level=int(row["level"]),
                labels={"en": row["label_en"], "nl": row["label_nl"], "fr": row["label_fr"]},
            )
    return codes


def normalize_code(value: str) -> str | None:
    """'72000000-5', '72000000' or ' 72000000 ' -> '72000000' when it is a known code, else None."""
    code = (value or "").strip().split("-")[0].strip()
    return code if code in vocabulary() else None


def lineage(code: str) -> list[CpvCode]:
    """The code and its ancestors, from the division down: division > group > class > category."""
    vocab = vocabulary()
    current = vocab.get(code)
    if current is None:
        return []
    chain = [current]
    for level in range(current.level - 1, 1, -1):  # skip levels the vocabulary leaves out
        ancestor = vocab.get(code[:level].ljust(8, "0"))
        if ancestor is not None and ancestor.code != chain[-1].code:
            chain.append(ancestor)
    return list(reversed(chain))
