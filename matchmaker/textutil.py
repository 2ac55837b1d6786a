"""Text helpers shared by the catalogue, its search and the CPV autocomplete, and the platform's one rule for
one-line text (`one_line`). Pure Python."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# What has no place in one line of text: the C0 and C1 control characters (CR, LF, tab, NUL, escape, NEL...)
# and DEL, the Unicode line and paragraph separators, and the bidirectional embeddings, overrides and isolates
# that make a name show in another order than it is stored.
_NOT_ON_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")
# The same less the line feed and the tab, for text that keeps its lines (a description).
_NOT_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+")
_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x85\u2028\u2029]")
_SPACE_RUNS = re.compile(r" {2,}")  # only plain spaces: a no-break space in "Prix :" stays
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


def one_line(text: str | None) -> str:
    """The rule for one-line text everywhere (names, titles, subjects, places, mail headers, calendar lines):
    line breaks and other control characters become spaces, runs of spaces one space, the ends are trimmed.

    'Anne\\r\\nBcc: x' -> 'Anne Bcc: x'. Forms apply it as people type (matchmaker.forms.OneLineField),
    services to what they store from anywhere else (imports, commands), and the writers of mail headers and
    calendar files to what they write, whatever is stored."""
    if not text:
        return ""
    return _SPACE_RUNS.sub(" ", _NOT_ON_ONE_LINE.sub(" ", str(text))).strip()


def multi_line(text: str | None) -> str:
    """Text that keeps its lines (a description): every kind of line break becomes a line feed, tabs stay,
    other control characters become spaces."""
    if not text:
        return ""
    return _NOT_IN_TEXT.sub(" ", _LINE_BREAKS.sub("\n", str(text)))
