"""What the engine is configured with and what it knows of one document, without the index: the
configuration, analysed documents, profiles (what explaining a document needs) and explanations made from
two profiles. Light on purpose (no scikit-learn): a web process explains stored pairs with this alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from matchmaker.reference.cpv import LANGUAGES, vocabulary

from .cpvsignal import CpvWeights, code_row, has_labels, hierarchy_features
from .documents import BridgedTerm, CpvReason, Document, Explanation, SharedTerm


@dataclass(frozen=True)
class MatchingConfig:
    """Everything that changes scores. The three component weights must sum to 1."""

    text_weight: float = 0.75
    cpv_weight: float = 0.2
    theme_weight: float = 0.05
    # How often each field's words count (with sublinear tf: 1 + log(count)).
    title_weight: int = 3
    summary_weight: int = 2
    keywords_weight: int = 2
    description_weight: int = 1
    # The first words of a description usually name its object ("Supply of electric buses for ..."): they
    # count like a title (lead_weight) without a title, and like a summary (lead_weight_with_title) with one.
    lead_words: int = 8
    lead_weight: int = 3
    lead_weight_with_title: int = 2
    sublinear_tf: bool = True
    # IDF raised to this power: below 1 lets common but telling words ("supply", "works") count more.
    idf_power: float = 0.5
    # Inferred CPV codes count this much relative to declared ones (times their confidence).
    inferred_weight: float = 0.5
    # Infer codes also for documents that declare some.
    infer_when_declared: bool = True
    infer_top: int = 8
    # Keep inferred codes scoring at least infer_relative of the best one, and only when the best reaches
    # infer_min_score (IDF mass of matched label words: about one rare word and a half).
    infer_relative: float = 0.5
    infer_min_score: float = 1.5
    # Inference for texts in languages without CPV labels (matched against all labels) counts this much,
    # for the languages under minority_share of the fitted documents only (MatchingEngine.infers_foreign).
    foreign_inference: float = 1.0
    minority_share: float = 0.5
    # Texts in a language whose CPV labels are vendored besides nl/fr/en (matchmaker/reference/
    # cpv2008_labels: es...) infer codes from the labels of their own language, whatever its share.
    native_labels: bool = True
    # The CPV groups that the text's label words vote for (CpvLabelIndex.groups) join the inferred codes,
    # the best `group_votes_top`, with weights group_votes x (vote relative to the best); 0 turns this off.
    group_votes: float = 1.0
    group_votes_top: int = 20
    group_votes_relative: float = 0.2
    # Inference (codes and group votes) leaves out the terms more than this share of the documents last
    # fitted hold ("servicio" in a Spanish corpus): they say little about which code a text is about.
    infer_max_df: float = 0.1
    cpv_levels: CpvWeights = field(default_factory=CpvWeights)
    default_language: str | None = None
    detect_language: bool = True
    split_compounds: bool = True
    # Refit vocabulary and IDF by itself once this share of the documents changed since the last fit.
    refit_ratio: float = 0.25
    # Dutch, French and English texts also get their words' equivalents in the other two languages
    # (matchmaker.matching.bridge), their tf times this and the link's weight; 0 turns the bridge off.
    bridge_weight: float = 0.3
    # ... but only to terms that at most this share of the indexed documents hold (cheaper, and as good).
    bridge_max_df: float = 0.1

    def __post_init__(self):
        weights = (self.text_weight, self.cpv_weight, self.theme_weight)
        if min(weights) < 0 or not math.isclose(sum(weights), 1.0, abs_tol=1e-9):
            raise ValueError("text_weight, cpv_weight and theme_weight must be >= 0 and sum to 1")

    def analyzer_key(self) -> tuple:
        return (self.default_language, self.detect_language, self.split_compounds)


@dataclass(frozen=True)
class Drift:
    """How far an index moved from its fit: documents added, replaced or removed since (`changes`, and as a
    share of the live documents), and the share of the live documents' weighted term occurrences that the
    fitted vocabulary lacks (words that count for nothing until the next refit)."""

    documents: int
    changes: int
    changed_share: float
    unknown_share: float


@dataclass
class Analysed:
    """A document after analysis: language, terms (stem -> weighted count; dropped once indexed), surface
    forms (stem -> as written; only when asked for, for explanations), CPV codes and themes."""

    document: Document
    language: str | None
    terms: dict[str, float] | None
    surface: dict[str, str] | None
    declared: tuple[str, ...]
    inferred: list[tuple[str, float]]
    themes: tuple[str, ...]

    def weighted_codes(self, config: MatchingConfig) -> list[tuple[str, float]]:
        codes = [(code, 1.0) for code in self.declared]
        if config.infer_when_declared or not self.declared:
            native = getattr(config, "native_labels", True) and has_labels(self.language)
            own = self.language in LANGUAGES or native
            scale = config.inferred_weight * (1.0 if own else config.foreign_inference)
            if scale > 0:
                codes += [(code, scale * conf) for code, conf in self.inferred]
        return codes


@dataclass(frozen=True)
class Profile:
    """One document as an index sees it, for explanations: its text vector (term -> (weight, as written);
    weights already carry sqrt(text_weight)), its declared and inferred CPV codes, its themes, and those of
    them the index's theme vocabulary holds (only they score). `bridged` names, for each term that the text
    holds only through the bridge (another language's word for one of its own), that own term; the term's
    "as written" is then the own word's. JSON-friendly through as_dict/from_dict."""

    language: str | None
    text: dict[str, tuple[float, str]]
    declared: tuple[str, ...]
    inferred: tuple[tuple[str, float], ...]
    themes: tuple[str, ...]
    indexed_themes: tuple[str, ...]
    bridged: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "language": self.language,
            "text": [[term, weight, form] for term, (weight, form) in self.text.items()],
            "declared": list(self.declared),
            "inferred": [[code, conf] for code, conf in self.inferred],
            "themes": list(self.themes),
            "indexed_themes": list(self.indexed_themes),
            "bridged": [[term, source] for term, source in sorted(self.bridged.items())],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Profile:
        return cls(
            language=data.get("language"),
            text={str(t): (float(w), str(f)) for t, w, f in data.get("text", [])},
            declared=tuple(data.get("declared", [])),
            inferred=tuple((str(c), float(conf)) for c, conf in data.get("inferred", [])),
            themes=tuple(data.get("themes", [])),
            indexed_themes=tuple(data.get("indexed_themes", [])),
            bridged={str(t): str(source) for t, source in data.get("bridged", [])},
        )

    def vector(self, config: MatchingConfig | None = None) -> dict[str, float]:
        """The combined vector as a dict ("t:" terms, "c:" CPV features, "h:" themes): the score of two
        profiles is the dot product of their vectors (use it to score many pairs; explain only the few
        shown)."""
        config = config or MatchingConfig()
        out = {f"t:{term}": weight for term, (weight, _form) in self.text.items()}
        cols, vals = code_row(self._analysed().weighted_codes(config), config.cpv_levels)
        scale = math.sqrt(config.cpv_weight)
        out.update({f"c:{c}": v * scale for c, v in zip(cols, vals.tolist(), strict=True)})
        if self.indexed_themes:
            value = math.sqrt(config.theme_weight / len(self.indexed_themes))
            out.update({f"h:{t}": value for t in self.indexed_themes})
        return out

    def _analysed(self) -> Analysed:
        surface = {term: form for term, (_weight, form) in self.text.items()}
        return Analysed(None, self.language, None, surface, self.declared, list(self.inferred), self.themes)


def explain_profiles(
    a: Profile,
    b: Profile,
    config: MatchingConfig | None = None,
    reader_language: str = "nl",
    max_terms: int = 10,
) -> Explanation:
    """Index.explain() from two profiles made by the same index (and `config`, the index's): no index
    needed. The components are the same dot products, so they add up to the ranked score (float rounding
    aside)."""
    config = config or MatchingConfig()
    components = {"text": 0.0, "cpv": 0.0, "theme": 0.0}
    shared = []
    for term in sorted(set(a.text) & set(b.text)):
        product = a.text[term][0] * b.text[term][0]
        components["text"] += product
        shared.append((product, term))
    analysed_a, analysed_b = a._analysed(), b._analysed()
    cols_a, vals_a = code_row(analysed_a.weighted_codes(config), config.cpv_levels)
    cols_b, vals_b = code_row(analysed_b.weighted_codes(config), config.cpv_levels)
    if cols_a and cols_b:
        row_b = dict(zip(cols_b, vals_b.tolist(), strict=True))
        components["cpv"] = config.cpv_weight * sum(
            v * row_b[c] for c, v in zip(cols_a, vals_a.tolist(), strict=True) if c in row_b
        )
    themes_b = set(b.indexed_themes)
    common = [t for t in a.indexed_themes if t in themes_b]
    if common:
        components["theme"] = (
            len(common) * config.theme_weight / math.sqrt(len(a.indexed_themes) * len(b.indexed_themes))
        )
    forms_a, forms_b = _forms(a), _forms(b)
    shared_terms, bridged = split_bridged(
        shared,
        (a.language, forms_a, a.bridged),
        (b.language, forms_b, b.bridged),
        max_terms,
    )
    language = reader_language if reader_language in LANGUAGES else "en"
    return Explanation(
        score=min(sum(components.values()), 1.0),
        components=components,
        shared_terms=shared_terms,
        cpv=cpv_reasons(analysed_a, analysed_b, language) if config.cpv_weight > 0 else [],
        themes=[t for t in a.themes if t in set(b.themes)] if config.theme_weight > 0 else [],
        language=language,
        bridged=bridged,
    )


def _forms(profile: Profile) -> dict[str, str]:
    """term -> as written, also for own words known only as the source of a bridged term (a word the
    index's vocabulary lacks: the bridged term's form is the own word's)."""
    forms = {term: form for term, (_w, form) in profile.text.items()}
    for term, source in profile.bridged.items():
        if term in profile.text:
            forms.setdefault(source, profile.text[term][1])
    return forms


# One side of a pair for split_bridged: (language, term -> as written, bridged term -> own source term).
Side = tuple[str | None, dict[str, str], dict[str, str]]


def split_bridged(
    products: list[tuple[float, str]], a: Side, b: Side, max_terms: int
) -> tuple[list[SharedTerm], list[BridgedTerm]]:
    """Sort the text score's terms ((product, term), ...) into words both texts write (shared terms) and
    words linked by the bridge (a term one side holds only as the equivalent of one of its own words):
    pairs of the two own words, each with its language. Both lists strongest first, `max_terms` at most."""
    lang_a, forms_a, sources_a = a
    lang_b, forms_b, sources_b = b
    shared: dict[str, float] = {}
    pairs: dict[tuple[str, str], float] = {}
    for product, term in products:
        source_a, source_b = sources_a.get(term, term), sources_b.get(term, term)
        if source_a == source_b:  # the same word in both (also when it meets itself through a translation)
            shared[source_a] = shared.get(source_a, 0.0) + product
        else:
            key = (source_a, source_b)
            pairs[key] = pairs.get(key, 0.0) + product
    shared_terms = [
        SharedTerm(forms_a.get(t, t), forms_b.get(t, t), round(w, 6))
        for t, w in sorted(shared.items(), key=lambda item: (-item[1], item[0]))[:max_terms]
    ]
    bridged = [
        BridgedTerm(forms_a.get(sa, sa), lang_a or "", forms_b.get(sb, sb), lang_b or "", round(w, 6))
        for (sa, sb), w in sorted(pairs.items(), key=lambda item: (-item[1], item[0]))[:max_terms]
    ]
    return shared_terms, bridged


def cpv_reasons(a: Analysed, b: Analysed, language: str) -> list[CpvReason]:
    """The CPV links between two analysed documents, most specific first, labels in `language`."""
    vocab = vocabulary()
    declared_a, declared_b = set(a.declared), set(b.declared)
    codes_a = list(a.declared) + [c for c, _ in a.inferred if c not in declared_a]
    codes_b = list(b.declared) + [c for c, _ in b.inferred if c not in declared_b]
    found: dict[str, tuple[int, str]] = {}  # code shown -> (rank, relation)
    names_b = {cb: [name for name, _ in hierarchy_features(cb)] for cb in codes_b}
    for ca in codes_a:
        features_a = {name for name, _ in hierarchy_features(ca)}
        for cb in codes_b:
            both_declared = ca in declared_a and cb in declared_b
            if ca == cb:
                shown, rank, relation = (ca, 0, "shared") if both_declared else (ca, 3, "inferred")
            else:
                common = [name for name in names_b[cb] if name in features_a]
                if not common:
                    continue
                prefix = common[-1].split(":")[1]
                shown = prefix.ljust(8, "0")
                if shown not in vocab:
                    continue
                if not both_declared:
                    if len(prefix) < 3:  # guesses that only meet at division level say too little
                        continue
                    rank, relation = 3, "inferred"
                elif len(prefix) >= 3:
                    rank, relation = 1, "same group"
                else:
                    rank, relation = 2, "same division"
            if shown not in found or rank < found[shown][0]:
                found[shown] = (rank, relation)
    ordered = sorted(found.items(), key=lambda item: (item[1][0], -len(item[0].rstrip("0")), item[0]))
    return [CpvReason(code, vocab[code].label(language), relation) for code, (_, relation) in ordered]
