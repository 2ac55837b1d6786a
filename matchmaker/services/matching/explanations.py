"""Explanations: language-neutral data (cached, stored in Match.explanation) and the localized view that
the partial `templates/matches/_explanation.html` renders in the reader's language.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

import matchmaker.services.matching.index as index
from matchmaker.extensions import db
from matchmaker.matching import Explanation, MatchingConfig, explain_profiles
from matchmaker.matching.bridge import load_bridge  # the table is built when first used (once per process)
from matchmaker.models import (
    Match,
    Theme,
)
from matchmaker.reference import cpv as cpv_reference
from matchmaker.services.matching.documents import _theme_id


@dataclass(frozen=True)
class SharedWords:
    need: str
    offering: str

    @property
    def same(self) -> bool:
        return self.need.casefold() == self.offering.casefold()

    def __str__(self) -> str:
        return self.need if self.same else f"{self.need} / {self.offering}"


@dataclass(frozen=True)
class BridgedWords:
    """A word of the need linked to a word of the offering written in another language (the engine's
    bridge between Dutch, French and English): "fietsers ↔ cyclists", each word with its language. `gloss` is
    the word in the reader's language when neither text is written in it ("" otherwise or when unknown)."""

    need: str
    need_language: str
    offering: str
    offering_language: str
    gloss: str = ""

    def __str__(self) -> str:
        return f"{self.need} ↔ {self.offering}" + (f" ({self.gloss})" if self.gloss else "")


@dataclass(frozen=True)
class CpvLink:
    code: str
    label: str
    relation: str  # "shared", "same group", "same division", "inferred" (see matching.CpvReason)


@dataclass(frozen=True)
class ThemeLink:
    id: int
    name: str


@dataclass
class MatchExplanation:
    """Why a need and an offering match, in one reader's language: what `matches/_explanation.html` renders.

    Shared words are shown as written in each text; so are the words linked across languages (`bridged`),
    with a gloss in `language` when neither text is written in it; CPV labels and theme names are in
    `language`.
    """

    need_id: int
    offering_id: int
    score: float
    components: dict[str, float]
    shared_terms: list[SharedWords]
    cpv: list[CpvLink]
    themes: list[ThemeLink]
    language: str
    bridged: list[BridgedWords] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return percent(self.score)

    @property
    def is_empty(self) -> bool:
        return not (self.shared_terms or self.bridged or self.cpv or self.themes)


def percent(score: float) -> int:
    return max(0, min(100, round(100 * float(score))))


# A word next to the percentage: readers do not know that 25% is a good score here (a pair rarely passes 75%).
STRONG_SCORE = 0.40


FAIR_SCORE = 0.20


def score_strength(score: float) -> str:
    """ "strong", "fair" or "weak": how a score compares with the pairs this platform usually finds."""
    score = float(score)
    if score >= STRONG_SCORE:
        return "strong"
    if score >= FAIR_SCORE:
        return "fair"
    return "weak"


def _explanation_data(need_id: int, offering_id: int, explanation: Explanation) -> dict[str, Any]:
    """The engine's explanation as plain JSON (no labels: they are looked up in the reader's language)."""
    themes = []
    for label in explanation.themes:
        theme_id = _theme_id(label)
        if theme_id is not None:
            themes.append(theme_id)
    return {
        "need_id": need_id,
        "offering_id": offering_id,
        "score": round(float(explanation.score), 6),
        "components": {name: round(float(value), 6) for name, value in explanation.components.items()},
        # SharedTerm is a named tuple (as written in the first text, the need; as written in the second).
        "terms": [[str(term[0]), str(term[1])] for term in explanation.shared_terms],
        # BridgedTerm: (need's word, its language, offering's word, its language, weight).
        "bridged": [[str(t[0]), str(t[1]), str(t[2]), str(t[3])] for t in explanation.bridged],
        "cpv": [[reason.code, reason.relation] for reason in explanation.cpv],
        "themes": themes,
    }


def explanation_datas(
    pairs: Iterable[tuple[int, int, float | None]],
) -> dict[tuple[int, int], dict[str, Any]]:
    """Explanation data of (need_id, offering_id, stored score or None) pairs whose items the served
    generation holds, from their stored profiles: two queries, no model. The score is the stored one when
    given (the same dot product, float rounding aside), else the profiles' own."""
    pairs = list(pairs)
    needs = index.profiles(index.NEED, {p[0] for p in pairs})
    offerings = index.profiles(index.OFFERING, {p[1] for p in pairs})
    config = MatchingConfig()
    out = {}
    for need_id, offering_id, score in pairs:
        if need_id not in needs or offering_id not in offerings:
            continue
        explanation = explain_profiles(needs[need_id], offerings[offering_id], config, "en")
        data = _explanation_data(need_id, offering_id, explanation)
        if score is not None:
            data["score"] = round(float(score), 6)
        out[(need_id, offering_id)] = data
    return out


def _theme_names(theme_ids: Iterable[int], language: str) -> dict[int, str]:
    ids = set(theme_ids)
    if not ids:
        return {}
    return {
        theme.id: theme.name(language)
        for theme in db.session.scalars(sa.select(Theme).where(Theme.id.in_(ids)))
    }


def displayed_terms(pairs: Iterable[Sequence[str]]) -> list[SharedWords]:
    """The shared words worth showing a reader, in the engine's order.

    The engine also scores the parts of compound words, so "geluidsschermen" comes with "geluid" and
    "schermen", and "snelwegen" with "snel" and "wegen": a word is left out when another shown word holds it
    on both sides (need and offering), and a word repeated in another case is shown once. Display only: the
    stored explanation and the score keep every term.
    """
    words = []
    seen = set()
    for need, offering in pairs:
        key = (str(need).casefold(), str(offering).casefold())
        if key in seen or not key[0] or not key[1]:
            continue
        seen.add(key)
        words.append((SharedWords(str(need), str(offering)), key))

    def part_of(small: str, big: str) -> bool:
        # A compound's first or last part, or a longer middle part ("licht" in "verkeerslichten"); a short
        # word such as "AI" is not hidden because some longer word happens to contain its letters.
        return big.startswith(small) or big.endswith(small) or (len(small) >= 4 and small in big)

    def inside(small: tuple[str, str], big: tuple[str, str]) -> bool:
        return small != big and part_of(small[0], big[0]) and part_of(small[1], big[1])

    return [word for word, key in words if not any(inside(key, other) for _, other in words)]


# At most this many words linked across languages are shown for a pair (the engine sends its strongest first).
MAX_BRIDGED = 8


def displayed_bridged(pairs: Iterable[Sequence[str]], language: str) -> list[BridgedWords]:
    """The words linked across languages worth showing, in the engine's order: each pair once (whatever the
    case), at most MAX_BRIDGED; when neither word is in the reader's `language`, the bridge's word for the
    need's one in that language as a gloss."""
    words: list[BridgedWords] = []
    seen = set()
    for row in pairs:
        if len(row) < 4 or not row[0] or not row[2]:
            continue
        need, need_language, offering, offering_language = (str(v) for v in row[:4])
        key = (need.casefold(), offering.casefold())
        if key in seen:
            continue
        seen.add(key)
        gloss = ""
        if language not in (need_language, offering_language):
            gloss = _gloss(need, need_language, language) or _gloss(offering, offering_language, language)
        words.append(BridgedWords(need, need_language, offering, offering_language, gloss))
        if len(words) == MAX_BRIDGED:
            break
    return words


def _gloss(word: str, word_language: str, language: str) -> str:
    """The bridge's best word for `word` in `language`, "" when it knows none."""
    for other, other_language, _weight in load_bridge().equivalents(word, word_language):
        if other_language == language:
            return other
    return ""


def localize(
    data: dict[str, Any], language: str, theme_names: dict[int, str] | None = None
) -> MatchExplanation:
    """A stored or cached explanation in the reader's language (CPV labels and theme names)."""
    language = language if language in cpv_reference.LANGUAGES else "en"
    vocabulary = cpv_reference.vocabulary()
    theme_ids = [int(t) for t in data.get("themes", [])]
    if theme_names is None:
        theme_names = _theme_names(theme_ids, language)
    cpv = []
    for code, relation in data.get("cpv", []):
        entry = vocabulary.get(code)
        cpv.append(CpvLink(code, entry.label(language) if entry else code, relation))
    return MatchExplanation(
        need_id=int(data.get("need_id", 0)),
        offering_id=int(data.get("offering_id", 0)),
        score=float(data.get("score", 0.0)),
        components={k: float(v) for k, v in (data.get("components") or {}).items()},
        shared_terms=displayed_terms(data.get("terms", [])),
        cpv=cpv,
        themes=[ThemeLink(t, theme_names[t]) for t in theme_ids if t in theme_names],
        language=language,
        bridged=displayed_bridged(data.get("bridged", []), language),
    )


def localized_snapshot(match: Match, language: str) -> MatchExplanation | None:
    """The explanation stored when the match was first answered, in the reader's language."""
    if not match.explanation:
        return None
    return localize(match.explanation, language)
