"""Text analysis: language detection, folding, stop words, Snowball stemming, compound splitting.

An :class:`Analyzer` turns a text into index terms (stems) and remembers, for each stem, the word as it was
written,
so that explanations can show "elektrische bussen" rather than "elektrisch bus".

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
text
is analysed without stop words or stemming, which still matches exact (folded) words.
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
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech", "da": "danish",
    "nl": "dutch", "en": "english", "eo": "esperanto", "et": "estonian", "fi": "finnish", "fr": "french",
    "de": "german", "el": "greek", "hi": "hindi", "hu": "hungarian", "id": "indonesian", "ga": "irish",
    "it": "italian", "lt": "lithuanian", "ne": "nepali",
    "no": "norwegian", "nb": "norwegian", "nn": "norwegian",
    "fa": "persian", "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian",
    "st": "sesotho", "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}
# Languages that write compounds as one word.
COMPOUNDING = frozenset({"nl", "de", "da", "sv", "no", "nb", "nn", "af"})
# Languages that detect_language considers (those with a stop-word list; Latin-script ones matter most here).
_FOLD_TABLE = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "ð": "d",
                             "þ": "th",
                             "ı": "i", "ĳ": "ij"})
_TOKEN = re.compile(r"[^\W_]+")
MIN_COMPOUND_LENGTH = 9
MIN_PART_LENGTH = 4
MAX_STOP_LENGTH = 5
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
    if language not in stopwordsiso.langs():
        return frozenset()
    # The stopwords-iso lists also hold content words ("research", "information", "system"); words of up to
    # five
    # letters are the function words, and IDF takes care of the longer frequent ones.
    folded = (fold(w) for w in stopwordsiso.stopwords(language))
    return frozenset(w for w in folded if len(w) <= MAX_STOP_LENGTH)


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


def detect_language(text: str, min_evidence: float = 1.5) -> str | None:
    """Guess the language of a text from its stop words, or None without enough evidence.

    Each stop word votes for the languages whose list has it, shared words counting less. Cheap and good
    enough to
    pick a stemmer; it is not meant for short titles in rare languages.
    """
    weights = _detection_weights()
    votes: Counter[str] = Counter()
    for token in _TOKEN.findall(fold(text)):
        for lang, weight in weights.get(token, {}).items():
            votes[lang] += weight
    if not votes:
        return None
    (best, score), *_ = sorted(votes.items(), key=lambda item: (-item[1], item[0]))
    return best if score >= min_evidence else None


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

    def __init__(self, default_language: str | None = None, detect: bool = True,
                 split_compounds: bool = True):
        self.default_language = base_language(default_language)
        self.detect = detect
        self.split_compounds = split_compounds
        self.lexicon: dict[str, set[str]] = {
            lang: {fold(w) for w in words.split()} for lang, words in BUILTIN_LEXICON.items()
        }
        self._stems: dict[str, dict[str, str]] = {}
        self._splits: dict[str, dict[str, tuple[str, ...]]] = {}

    # -- language --
    def resolve_language(self, text: str, language: str | None) -> str | None:
        """The declared language when it is one we can analyse, else a detected one, else the default."""
        lang = base_language(language)
        if lang and (lang in SNOWBALL or lang in stopwordsiso.langs()):
            return lang
        if self.detect:
            found = detect_language(text)
            if found:
                return found
        return lang or self.default_language

    # -- lexicon for compound splitting --
    def learn_words(self, language: str | None, words: Iterable[str]) -> None:
        """Add folded words (seen on their own) to the compound-splitting lexicon of a language."""
        if language in COMPOUNDING:
            self.lexicon.setdefault(language, set()).update(
                w for w in words if len(w) >= MIN_PART_LENGTH and not w.isdigit()
            )
            self._splits.pop(language, None)

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
                tail = rest[len(link):]
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

    def analyse(self, text: str, language: str | None = None, weight: int = 1,
                into: Analysis | None = None) -> Analysis:
        """Add the terms of `text` (each counted `weight` times) to `into` (or a new Analysis)."""
        result = into if into is not None else Analysis(language=language)
        lang = result.language
        stops = stop_words(lang) if lang else frozenset()
        compounding = self.split_compounds and lang in COMPOUNDING
        counts, surface = result.counts, result.surface
        original = _TOKEN.findall(text)
        for raw in original:
            token = raw.lower()
            if len(token) < 2 or token.isdigit():
                continue
            folded = fold(token)
            if folded in stops:
                continue
            stem = self.stem(token, lang)
            counts[stem] += weight
            surface.setdefault(stem, raw)
            if compounding and len(folded) >= MIN_COMPOUND_LENGTH:
                for part in self.split(folded, lang):
                    if part in stops:
                        continue
                    part_stem = self.stem(part, lang)
                    if part_stem != stem:
                        counts[part_stem] += weight
                        surface.setdefault(part_stem, part)
        return result
