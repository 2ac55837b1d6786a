"""Text analysis: language detection, folding, stop words, Snowball stemming, compound splitting.

An :class:`Analyzer` turns a text into index terms (stems) and remembers, for each stem, the word as it was
written, so that explanations can show "elektrische bussen" rather than "elektrisch bus".

Steps, per token:
1. lower-case; tokens are runs of letters and digits (pure numbers and one-letter tokens are dropped);
2. stop words of the document's language (stopwords-iso lists, compared accent-folded) are dropped;
3. the token is stemmed with the Snowball stemmer of that language (on the accented form, which the stemmers
   expect), then the stem is accent-folded ("électrique" and "electrique" meet);
4. in languages that glue nouns together (Dutch, German, the Scandinavian languages) a long word is also split
   into known parts ("aanbestedingsinstrumentarium" -> "aanbesteding" + "instrumentarium"), found in a
   lexicon of
   words seen on their own (the fitted corpus, the CPV labels, a short built-in list). The whole word stays a
   term too, so exact matches still count most.

A document without a (known) language gets one from :func:`detect_language`; if that finds no evidence, the
text is analysed without stop words or stemming, which still matches exact (folded) words.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

import snowballstemmer
import stopwordsiso

# ISO 639-1 code -> Snowball algorithm.
SNOWBALL = {
    "ar": "arabic",
    "hy": "armenian",
    "eu": "basque",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "nl": "dutch",
    "en": "english",
    "eo": "esperanto",
    "et": "estonian",
    "fi": "finnish",
    "fr": "french",
    "de": "german",
    "el": "greek",
    "hi": "hindi",
    "hu": "hungarian",
    "id": "indonesian",
    "ga": "irish",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "no": "norwegian",
    "nb": "norwegian",
    "nn": "norwegian",
    "fa": "persian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "st": "sesotho",
    "es": "spanish",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
# Languages that write compounds as one word.
COMPOUNDING = frozenset({"nl", "de", "da", "sv", "no", "nb", "nn", "af"})
# Languages that detect_language considers (those with a stop-word list; Latin-script ones matter most here).
_FOLD_TABLE = str.maketrans(
    {"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ĳ": "ij"}
)
_TOKEN = re.compile(r"[^\W_]+")
MIN_COMPOUND_LENGTH = 9
MIN_PART_LENGTH = 4
MAX_STOP_LENGTH = 5

# Longer function words (prepositions, conjunctions, auxiliaries) that would otherwise show up as "shared
# words" in explanations ("zonder", "langs", "tussen"): stop words too, whatever their length.
_LONG_FUNCTION_WORDS = {
    "nl": "zonder langs tussen tijdens volgens binnen buiten welke worden wordt werden kunnen moeten hebben "
    "heeft zullen zouden waarbij waardoor waarmee daarbij daarvan hierbij hiervan gaan zien",
    "fr": "pendant depuis entre selon leurs cette toutes notre votre ainsi aussi",
    "en": "between without within through during their which would should these those about",
}
LONG_FUNCTION_WORDS = {lang: frozenset(words.split()) for lang, words in _LONG_FUNCTION_WORDS.items()}
# Linking sounds between the parts of a compound (Dutch "s", "en", "e"; German "s", "es", "n", "en", "er").
_LINKS = ("", "s", "en", "e", "n", "er", "es")

# A few Dutch words of the procurement and innovation domain, so that common compounds split even on a small
# corpus.
BUILTIN_LEXICON = {
    "nl": """aanbesteding aankoop opdracht overheid innovatie instrument instrumentarium markt onderzoek
        ontwikkeling dienst diensten levering leverancier bestuur gemeente stad mobiliteit energie klimaat
        zorg
        gezondheid digitaal data platform software systeem beheer onderhoud bouw gebouw school water afval
        verkeer vervoer bus trein fiets auto weg licht lamp warmte zon wind batterij lading laad paal station
        sensor meting netwerk beveiliging opleiding advies studie project programma partner inkoop
        contract""",
}


def fold(text: str) -> str:
    """Lower-case and strip accents: "Élaboración" -> "elaboracion", "Straße" -> "strasse"."""
    if text.isascii():
        return text.lower()
    text = text.lower().translate(_FOLD_TABLE)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def base_language(language: str | None) -> str | None:
    """'nl-BE' -> 'nl', 'FR' -> 'fr', '' -> None."""
    if not language:
        return None
    code = str(language).strip().lower().replace("_", "-").split("-")[0]
    return code or None


@cache
def stop_words(language: str) -> frozenset[str]:
    """Accent-folded stop words of a language (empty when there is no list)."""
    if language not in _stop_languages():
        return frozenset()
    # The stopwords-iso lists also hold content words ("research", "information", "system"); words of up to
    # five letters are the function words, and IDF takes care of the longer frequent ones.
    folded = (fold(w) for w in stopwordsiso.stopwords(language))
    short = frozenset(w for w in folded if len(w) <= MAX_STOP_LENGTH)
    return short | LONG_FUNCTION_WORDS.get(language, frozenset())


@cache
def _stop_languages() -> frozenset[str]:
    return frozenset(stopwordsiso.langs())


@cache
def _stemmer(language: str):
    name = SNOWBALL.get(language)
    return snowballstemmer.stemmer(name) if name else None


@cache
def _detection_weights() -> dict[str, dict[str, float]]:
    """For each stop word, the languages it belongs to, weighted 1/(number of those languages)."""
    owners: dict[str, list[str]] = {}
    for lang in sorted(stopwordsiso.langs()):
        for word in stop_words(lang):
            if len(word) > 1:
                owners.setdefault(word, []).append(lang)
    return {word: {lang: 1.0 / len(langs) for lang in langs} for word, langs in owners.items()}


def detect_language(text: str, min_evidence: float = 0.5, margin: float = 1.2) -> str | None:
    """Guess the language of a text from its stop words, or None without enough evidence.

    Each stop word votes for the languages whose list has it, a word shared by n lists with 1/n. The best
    language needs `min_evidence` votes and `margin` times the votes of the next. Cheap and good enough to
    pick a stemmer; not meant for short titles (the engine then tries the CPV label words).
    """
    weights = _detection_weights()
    votes: Counter[str] = Counter()
    for token, count in Counter(_TOKEN.findall(fold(text))).items():
        for lang, weight in weights.get(token, {}).items():
            votes[lang] += weight * count
    if not votes:
        return None
    ranked = sorted(votes.items(), key=lambda item: (-item[1], item[0]))
    best, score = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    return best if score >= min_evidence and score >= margin * second else None


@dataclass
class Analysis:
    """The terms of one text: stem -> count, and stem -> the word as written (its first occurrence)."""

    language: str | None
    counts: Counter = field(default_factory=Counter)
    surface: dict[str, str] = field(default_factory=dict)


class Analyzer:
    """Per-language text analysis with caches; one instance serves all languages.

    `lexicon` holds accent-folded words per language that compound splitting may use as parts.
    """

    def __init__(
        self, default_language: str | None = None, detect: bool = True, split_compounds: bool = True
    ):
        self.default_language = base_language(default_language)
        self.detect = detect
        self.split_compounds = split_compounds
        self.lexicon: dict[str, set[str]] = {
            lang: {fold(w) for w in words.split()} for lang, words in BUILTIN_LEXICON.items()
        }
        self._stems: dict[str, dict[str, str]] = {}
        self._splits: dict[str, dict[str, tuple[str, ...]]] = {}
        self._terms: dict[str, dict[str, tuple[str, ...]]] = {}
        self._part_words: dict[str | None, dict[str, str]] = {}  # compound part stem -> the part as written

    # -- language --
    def resolve_language(self, text: str, language: str | None, use_default: bool = True) -> str | None:
        """The declared language when it is one we can analyse, else a detected one, else the declared code as
        it is (analysed without stemming), else the default (with `use_default`)."""
        lang = base_language(language)
        if lang and (lang in SNOWBALL or lang in _stop_languages()):
            return lang
        if self.detect:
            found = detect_language(text)
            if found:
                return found
        return lang or (self.default_language if use_default else None)

    # -- lexicon for compound splitting --
    def learn_words(self, language: str | None, words: Iterable[str]) -> None:
        """Add folded words (seen on their own) to the compound-splitting lexicon of a language."""
        if language in COMPOUNDING:
            self.lexicon.setdefault(language, set()).update(
                w for w in words if len(w) >= MIN_PART_LENGTH and not w.isdigit()
            )
            self._splits.pop(language, None)
            self._terms.pop(language, None)

    def split(self, word: str, language: str) -> tuple[str, ...]:
        """Known parts of a folded compound word, or () when it does not split."""
        cache_ = self._splits.setdefault(language, {})
        if word not in cache_:
            cache_[word] = self._split(word, self.lexicon.get(language, set()), 0)
        return cache_[word]

    def _split(self, word: str, lexicon: set[str], depth: int) -> tuple[str, ...]:
        if len(word) < MIN_COMPOUND_LENGTH or depth > 3:
            return ()
        best: tuple[str, ...] = ()
        # Prefer the longest head that is a known word (possibly followed by a linking sound).
        for cut in range(len(word) - MIN_PART_LENGTH, MIN_PART_LENGTH - 1, -1):
            head, rest = word[:cut], word[cut:]
            if head not in lexicon:
                continue
            for link in _LINKS:
                if not rest.startswith(link):
                    continue
                tail = rest[len(link) :]
                if len(tail) < MIN_PART_LENGTH:
                    continue
                if tail in lexicon:
                    return (head, tail)
                deeper = self._split(tail, lexicon, depth + 1)
                if deeper and not best:
                    best = (head, *deeper)
        return best

    # -- analysis --
    def stem(self, token: str, language: str | None) -> str:
        """Snowball stem of a lower-cased token, accent-folded."""
        key = language or ""
        cache_ = self._stems.setdefault(key, {})
        stem = cache_.get(token)
        if stem is None:
            stemmer = _stemmer(language) if language else None
            stem = fold(stemmer.stemWord(token) if stemmer else token)
            cache_[token] = stem
        return stem

    def tokens(self, text: str) -> list[str]:
        """Lower-cased tokens of at least two characters, without pure numbers."""
        return [t for t in _TOKEN.findall(text.lower()) if len(t) > 1 and not t.isdigit()]

    def terms_of(self, token: str, language: str | None) -> tuple[str, ...]:
        """The terms one lower-cased token yields: () for a stop word, else its stem and its parts' stems."""
        cache_ = self._terms.setdefault(language or "", {})
        terms = cache_.get(token)
        if terms is None:
            folded = fold(token)
            stops = stop_words(language) if language else frozenset()
            if len(token) < 2 or token.isdigit() or folded in stops:
                terms = ()
            else:
                stem = self.stem(token, language)
                terms = (stem,)
                if self.split_compounds and language in COMPOUNDING and len(folded) >= MIN_COMPOUND_LENGTH:
                    for part in self.split(folded, language):
                        if part not in stops:
                            part_stem = self.stem(part, language)
                            if part_stem not in terms:
                                terms += (part_stem,)
                                self._part_words.setdefault(language, {}).setdefault(part_stem, part)
            cache_[token] = terms
        return terms

    def count_terms(self, text: str, language: str | None, weight: float, counts: dict[str, float]) -> None:
        """Add the terms of `text`, each counted `weight` times, to `counts` (the fast path: no surface
        forms)."""
        cache_ = self._terms.setdefault(language or "", {})
        for token, n in Counter(_TOKEN.findall(text.lower())).items():
            terms = cache_.get(token)
            if terms is None:
                terms = self.terms_of(token, language)
            for term in terms:
                counts[term] = counts.get(term, 0) + n * weight

    def count_fields(
        self, fields: Iterable[tuple[str, float]], language: str | None, counts: dict[str, float]
    ) -> None:
        """count_terms() for several (text, weight) fields of one document at once: each distinct token is
        looked up once (the terms come in the same order, and with whole weights the same counts)."""
        tokens: dict[str, float] = {}
        get = tokens.get
        for text, weight in fields:
            for token in _TOKEN.findall(text.lower()):
                tokens[token] = get(token, 0) + weight
        cache_ = self._terms.setdefault(language or "", {})
        for token, n in tokens.items():
            terms = cache_.get(token)
            if terms is None:
                terms = self.terms_of(token, language)
            for term in terms:
                counts[term] = counts.get(term, 0) + n

    def analyse(
        self, text: str, language: str | None = None, weight: int = 1, into: Analysis | None = None
    ) -> Analysis:
        """Add the terms of `text` (each counted `weight` times) to `into` (or a new Analysis).

        The word as written is remembered for each term (for a compound's part: the part).
        """
        result = into if into is not None else Analysis(language=language)
        lang = result.language
        counts, surface = result.counts, result.surface
        cache_ = self._terms.setdefault(lang or "", {})
        for raw in _TOKEN.findall(text):
            token = raw.lower()
            terms = cache_.get(token)
            if terms is None:
                terms = self.terms_of(token, lang)
            if not terms:
                continue
            counts[terms[0]] += weight
            if terms[0] not in surface:
                surface[terms[0]] = raw
            for part in terms[1:]:
                counts[part] += weight
                if part not in surface:
                    surface[part] = self._part_words.get(lang, {}).get(part, part)
        return result
