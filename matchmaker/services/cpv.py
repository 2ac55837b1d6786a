"""CPV codes for people: search by number or by words, describe a code with its hierarchy, parse a typed list.

The vocabulary never changes while the app runs, so the search index is built once per process from the
vendored file (matchmaker.reference.cpv) and kept in memory: every worker builds the same one.

Search by words works per language: each word of the query must be the start of a word of the label in
the user's language (accents and case ignored), so 'zonnepan' finds 'Zonnepanelen' and 'energie' finds
'Énergie solaire'. When the user's language gives nothing, the other two are tried.
"""

import bisect
import heapq
import itertools
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
MIN_WORD = 2  # a query whose words are all shorter finds too much to be useful
# Small words that occur in most labels: dropped from a query that has other words.
FILLER_WORDS = frozenset(
    {"de", "het", "een", "en", "van", "voor", "of", "met", "in", "op", "aan"}  # nl
    | {"le", "la", "les", "des", "du", "et", "pour", "ou", "au", "aux", "d", "l"}  # fr
    | {"the", "and", "for", "or", "to"}  # en
)


@dataclass(frozen=True)
class _LanguageIndex:
    words: list[str]  # sorted, unique
    codes_by_word: dict[str, frozenset[str]]
    label_words: dict[str, tuple[str, ...]]  # code -> the folded words of its label, in order


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
        label_words: dict[str, tuple[str, ...]] = {}
        for code in vocab.values():
            label_words[code.code] = tuple(_words(code.label(language)))
            for word in label_words[code.code]:
                codes_by_word[word].add(code.code)
        by_language[language] = _LanguageIndex(
            words=sorted(codes_by_word),
            codes_by_word={word: frozenset(codes) for word, codes in codes_by_word.items()},
            label_words=label_words,
        )
    return _Index(by_language=by_language, sorted_codes=sorted(vocab))


def warm_up() -> None:
    """Build the index now rather than on the first search."""
    _index()


def level_names() -> dict[int, str]:
    """The names of the levels in the current language (looked up once per search, not per code)."""
    names = {2: _("Division"), 3: _("Group"), 4: _("Class")}
    category = _("Category")
    return {level: names.get(level, category) for level in range(2, 9)}


def level_name(level: int) -> str:
    return level_names()[min(max(level, 2), 8)]


def describe(code: str, language: str, names: dict[int, str] | None = None) -> dict:
    """A code as the autocomplete and the pages show it: label, level and its ancestors."""
    names = names or level_names()
    entry = vocabulary()[code]
    chain = lineage(code)
    return {
        "code": entry.code,
        "full_code": entry.full_code,
        "label": entry.label(language),
        "level": entry.level,
        "level_name": names[min(max(entry.level, 2), 8)],
        "hierarchy": [
            {"code": c.code, "label": c.label(language), "level_name": names[min(max(c.level, 2), 8)]}
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


def _rank(entry: CpvCode, query_words: tuple[str, ...], words: tuple[str, ...]) -> tuple:
    """Exact label first, then labels containing the query's words whole, starting with the first one,
    general before specific, short before long."""
    whole = sum(1 for q in query_words if q in words)
    starts = 1 if words and words[0].startswith(query_words[0]) else 0
    return (words != query_words, -whole, -starts, entry.level, len(words), entry.code)


def _search_words(query_words: tuple[str, ...], language: str) -> set[str]:
    """Codes whose label has, for every query word, a word starting with it.

    The longest (most selective) query word is looked up in the sorted word list; the candidates it gives
    are then filtered on the other words, so a short word such as 'de' never unions thousands of sets.
    """
    index = _index().by_language[language]
    first, *others = sorted(set(query_words), key=len, reverse=True)
    matches: set[str] = set()
    start = bisect.bisect_left(index.words, first)
    for word in itertools.islice(index.words, start, None):
        if not word.startswith(first):
            break
        matches |= index.codes_by_word[word]
    for query_word in others:
        matches = {code for code in matches if any(w.startswith(query_word) for w in index.label_words[code])}
    return matches


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
        names = level_names()
        return [describe(c.code, language, names) for c in found[:limit]]
    query_words = tuple(_words(query))
    query_words = tuple(w for w in query_words if w not in FILLER_WORDS) or query_words
    if not query_words or max(len(w) for w in query_words) < MIN_WORD:
        return []
    for candidate_language in (language, *[lang for lang in LANGUAGES if lang != language]):
        matches = _search_words(query_words, candidate_language)
        if matches:
            label_words = _index().by_language[candidate_language].label_words
            ranked = ((_rank(vocab[c], query_words, label_words[c]), c) for c in matches)
            names = level_names()
            return [describe(code, language, names) for _key, code in heapq.nsmallest(limit, ranked)]
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
