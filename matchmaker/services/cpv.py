"""CPV codes for people: search by number or by words, describe a code with its hierarchy, parse a typed list.

The vocabulary never changes while the app runs, so the search index is built once per process from the
vendored file (matchmaker.reference.cpv) and kept in memory: every worker builds the same one.

Search by words works per language: each word of the query must be the start of a word of the label in
the user's language (accents and case ignored), so 'zonnepan' finds 'Zonnepanelen' and 'energie' finds
'Énergie solaire'. When the user's language gives nothing, the other two are tried.
"""

import bisect
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from flask_babel import gettext as _

from matchmaker.reference.cpv import LANGUAGES, CpvCode, lineage, normalize_code, vocabulary
from matchmaker.services import ServiceError
from matchmaker.textutil import fold

_WORD = re.compile(r"[a-z0-9]+")
_CODE_QUERY = re.compile(r"^\d[\d\s.\-]*$")
_SEPARATORS = re.compile(r"[,;\s]+")
MAX_CODES = 20


@dataclass(frozen=True)
class _LanguageIndex:
    words: list[str]  # sorted, unique
    codes_by_word: dict[str, frozenset[str]]


@dataclass(frozen=True)
class _Index:
    by_language: dict[str, _LanguageIndex]
    sorted_codes: list[str]


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


@cache
def _index() -> _Index:
    vocab = vocabulary()
    by_language = {}
    for language in LANGUAGES:
        codes_by_word: dict[str, set[str]] = defaultdict(set)
        for code in vocab.values():
            for word in _words(code.label(language)):
                codes_by_word[word].add(code.code)
        by_language[language] = _LanguageIndex(
            words=sorted(codes_by_word),
            codes_by_word={word: frozenset(codes) for word, codes in codes_by_word.items()},
        )
    return _Index(by_language=by_language, sorted_codes=sorted(vocab))


def warm_up() -> None:
    """Build the index now rather than on the first search."""
    _index()


def level_name(level: int) -> str:
    if level <= 2:
        return _("Division")
    if level == 3:
        return _("Group")
    if level == 4:
        return _("Class")
    return _("Category")


def describe(code: str, language: str) -> dict:
    """A code as the autocomplete and the pages show it: label, level and its ancestors."""
    entry = vocabulary()[code]
    chain = lineage(code)
    return {
        "code": entry.code,
        "full_code": entry.full_code,
        "label": entry.label(language),
        "level": entry.level,
        "level_name": level_name(entry.level),
        "hierarchy": [
            {"code": c.code, "label": c.label(language), "level_name": level_name(c.level)}
            for c in chain[:-1]
        ],
    }


def label(code: str, language: str) -> str:
    entry = vocabulary().get(code)
    return entry.label(language) if entry else code


def all_labels(code: str) -> list[str]:
    """The code's labels in every language (for the search text)."""
    entry = vocabulary().get(code)
    return [entry.labels[language] for language in LANGUAGES] if entry else []


def _rank(entry: CpvCode, query_words: list[str], language: str) -> tuple:
    words = _words(entry.label(language))
    whole = sum(1 for q in query_words if q in words)
    starts = 1 if words and words[0].startswith(query_words[0]) else 0
    exact = words == query_words
    return (not exact, -whole, -starts, entry.level, len(words), entry.code)


def _search_words(query_words: list[str], language: str) -> set[str]:
    index = _index().by_language[language]
    matches: set[str] | None = None
    for query_word in query_words:
        found: set[str] = set()
        start = bisect.bisect_left(index.words, query_word)
        for word in index.words[start:]:
            if not word.startswith(query_word):
                break
            found |= index.codes_by_word[word]
        matches = found if matches is None else matches & found
        if not matches:
            return set()
    return matches or set()


def search(query: str, language: str, limit: int = 15) -> list[dict]:
    """Codes matching a number prefix ('7221', '72000000-5') or words in the language, best first."""
    language = language if language in LANGUAGES else "nl"
    query = (query or "").strip()[:200]
    vocab = vocabulary()
    if not query:
        return []
    if _CODE_QUERY.match(query):
        digits = re.sub(r"[^\d]", "", query.split("-")[0])
        codes = _index().sorted_codes
        start = bisect.bisect_left(codes, digits)
        found = []
        for code in codes[start:]:
            if not code.startswith(digits):
                break
            found.append(vocab[code])
        found.sort(key=lambda c: (c.level, c.code))
        return [describe(c.code, language) for c in found[:limit]]
    query_words = _words(query)
    if not query_words:
        return []
    for candidate_language in (language, *[lang for lang in LANGUAGES if lang != language]):
        matches = _search_words(query_words, candidate_language)
        if matches:
            ranked = sorted((_rank(vocab[c], query_words, candidate_language), c) for c in matches)
            return [describe(code, language) for _key, code in ranked[:limit]]
    return []


def parse_codes(text: str) -> tuple[list[str], list[str]]:
    """'72000000-5, 48000000 ; 1234' -> (known 8-digit codes in order, without repeats; unknown tokens)."""
    known: list[str] = []
    unknown: list[str] = []
    for token in _SEPARATORS.split(text or ""):
        if not token:
            continue
        code = normalize_code(token)
        if code is None:
            unknown.append(token)
        elif code not in known:
            known.append(code)
    return known, unknown


def validate_codes(text: str) -> list[str]:
    """The codes of a typed list, or ServiceError naming the unknown ones."""
    known, unknown = parse_codes(text)
    if unknown:
        raise ServiceError(
            _("Unknown CPV code(s): %(codes)s. Use 8-digit codes such as 72000000.", codes=", ".join(unknown))
        )
    if len(known) > MAX_CODES:
        raise ServiceError(_("Choose at most %(n)d CPV codes.", n=MAX_CODES))
    return known
