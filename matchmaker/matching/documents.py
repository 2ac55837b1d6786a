"""Plain data in and out of the engine, and its exceptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple


@dataclass(frozen=True)
class Document:
    """A need or an offering as the engine sees it. Only `id` is required; everything else may be empty.

    `cpv` takes codes as '34144910' or '34144910-0' (unknown codes are ignored); `themes` are free labels or
    ids compared case- and accent-insensitively; `language` is an ISO 639-1 code ('nl', 'fr', 'en', ...) or
    None. `side` names the document's group when one index holds two ("need", "offering"): ranking can be
    limited to one side; it changes no score.
    """

    id: Any
    title: str = ""
    summary: str = ""
    description: str = ""
    keywords: tuple[str, ...] = ()
    language: str | None = None
    cpv: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    side: str = ""

    @classmethod
    def from_mapping(cls, data: dict) -> Document:
        """Build from a JSON-like dict (keys it does not know are ignored, odd types tolerated)."""
        if "id" not in data:
            raise InvalidDocument("a document needs an 'id'")

        def text(key: str) -> str:
            value = data.get(key)
            return value if isinstance(value, str) else ("" if value is None else str(value))

        def strings(key: str) -> tuple[str, ...]:
            value = data.get(key) or ()
            if isinstance(value, str):
                value = [value]
            return tuple(str(v) for v in value if v is not None and str(v).strip())

        language = data.get("language")
        return cls(
            id=data["id"],
            title=text("title"),
            summary=text("summary"),
            description=text("description"),
            keywords=strings("keywords"),
            language=language if isinstance(language, str) and language.strip() else None,
            cpv=strings("cpv"),
            themes=strings("themes"),
            side=text("side"),
        )


class CpvReason(NamedTuple):
    """A CPV code that links two documents: the code, its label in the reader's language, and how it links
    them.

    relation: "shared" (both declared this code), "same group" / "same division" (declared codes meet at that
    level; the code shown is the group or division), "inferred" (at least one side's code comes from its
    text).
    """

    code: str
    label: str
    relation: str


class SharedTerm(NamedTuple):
    """A term both texts contain, as written in the first (`term`, the query: usually the need) and in the
    second (`other`); they differ when only the stem is shared ("bussen" / "bus"). `weight` is its share of
    the text score."""

    term: str
    other: str
    weight: float

    def __str__(self) -> str:
        return self.term if self.term.lower() == self.other.lower() else f"{self.term} / {self.other}"


class BridgedTerm(NamedTuple):
    """A word of one text linked to a word of the other text in another language by the bridge
    (:mod:`.bridge`): the query's word (usually the need's) and its language, the matched text's word and its
    language, and the pair's share of the text score. Shown as "fietsers ↔ cyclists"."""

    need_word: str
    need_lang: str
    offering_word: str
    offering_lang: str
    weight: float = 0.0

    def __str__(self) -> str:
        return f"{self.need_word} ↔ {self.offering_word}"


@dataclass(frozen=True)
class Match:
    """One ranked result: the matched document's id and its score in [0, 1]."""

    id: Any
    score: float


@dataclass(frozen=True)
class Explanation:
    """Why two documents match, for people on either side.

    `components` holds the weighted parts of the score: {"text": ..., "cpv": ..., "theme": ...}, summing to
    `score`. `bridged` lists the words linked across languages by the bridge (part of the text component),
    strongest first.
    """

    score: float
    components: dict[str, float]
    shared_terms: list[SharedTerm] = field(default_factory=list)
    cpv: list[CpvReason] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    language: str = "en"
    bridged: list[BridgedTerm] = field(default_factory=list)

    def reasons(self, max_terms: int = 8) -> list[str]:
        """Short human-readable reasons (for the CLI's "why"; the web app renders its own)."""
        lines = []
        if self.shared_terms:
            lines.append("terms: " + ", ".join(str(t) for t in self.shared_terms[:max_terms]))
        if self.bridged:
            lines.append("across languages: " + ", ".join(str(t) for t in self.bridged[:max_terms]))
        for reason in self.cpv:
            lines.append(f"CPV {reason.code} {reason.label} ({reason.relation})")
        if self.themes:
            lines.append("themes: " + ", ".join(self.themes))
        return lines


class MatchingError(Exception):
    """Base class of the engine's errors."""


class EmptyIndex(MatchingError):
    """The index holds no (live) documents to rank."""


class InvalidDocument(MatchingError, ValueError):
    """A document cannot be used (no id, or an id given twice)."""


class UnknownDocument(MatchingError, KeyError):
    """No document with that id in the index."""
