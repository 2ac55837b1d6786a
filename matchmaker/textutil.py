"""Text helpers shared by the catalogue, its search and the CPV autocomplete. Pure Python."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Letters that do not decompose into a base letter and a combining mark.
_SPECIAL = str.maketrans({"ø": "o", "đ": "d", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i"})


def fold(text: str | None) -> str:
    """Lower-case, without accents, whitespace collapsed: 'Élève  Öko' -> 'eleve oko'.

    Both what is stored (search_text) and what users type are folded the same way, so that
    'energie', 'Energie' and 'énergie' all find 'Énergie'.
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL))
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", without_marks).strip()
