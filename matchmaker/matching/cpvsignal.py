"""The CPV signal: declared codes, codes inferred from text with the multilingual CPV labels, and their
vectors.

Inference. Every CPV label (Dutch, French and English) is analysed like a document in its language. A text's
score for a label is ``matched * matched / total``, where ``matched`` is the IDF mass of the label's terms
that the
text contains and ``total`` the label's whole IDF mass: a label wholly present in the text scores its full
weight,
a long label of which one word appears scores little, and rare words weigh more than "services" or
"equipment".
A Dutch text is compared with the Dutch labels, a French one with the French labels, an English one with the
English labels; a text in another language with all three (Snowball stems of related languages often agree,
"eléctrico"/"électrique"/"electric" -> "electr"). The best few codes are kept, with weights relative to the
best.

Vectors. A set of codes becomes a sparse vector over the CPV hierarchy: each code adds its division (2
digits),
group (3) and class (4) as features with the weights of :class:`CpvWeights`, so two documents that share a
group
score above two that only share a division. Declared codes count fully, inferred ones scaled by their
confidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import scipy.sparse as sp

from matchmaker.reference.cpv import LANGUAGES, normalize_code, vocabulary

from .analysis import Analyzer

HIERARCHY = (("d", 2), ("g", 3), ("c", 4))


@dataclass(frozen=True)
class CpvWeights:
    division: float = 1.0
    group: float = 1.5
    klass: float = 0.75

    def as_tuple(self) -> tuple[float, float, float]:
        return (self.division, self.group, self.klass)


def clean_codes(codes: Iterable[str]) -> tuple[str, ...]:
    """Known 8-digit codes from '72000000-5', '72000000', ... (unknown ones dropped, order kept, no
    repeats)."""
    seen: dict[str, None] = {}
    for value in codes or ():
        code = normalize_code(str(value))
        if code:
            seen.setdefault(code, None)
    return tuple(seen)


def hierarchy_features(code: str) -> list[tuple[str, int]]:
    """('d:34', 0), ('g:341', 1), ('c:3414', 2) for '34144910' (the index says which weight applies).

    A code only has the levels it reaches: a division code ('34000000') has just its division.
    """
    entry = vocabulary().get(code)
    level = entry.level if entry is not None else 8
    return [(f"{tag}:{code[:n]}", i) for i, (tag, n) in enumerate(HIERARCHY) if n <= level]


class CpvLabelIndex:
    """The CPV labels of all codes in nl/fr/en, analysed, as a term x label matrix for inference."""

    def __init__(self, analyzer: Analyzer, max_label_df: float = 0.02):
        vocab = vocabulary()
        self.codes: list[str] = sorted(vocab)
        self.analyzer = analyzer
        rows: list[tuple[int, str, dict]] = []  # (code index, language, counts)
        for i, code in enumerate(self.codes):
            for lang in LANGUAGES:
                analysis = analyzer.analyse(vocab[code].labels[lang], lang)
                rows.append((i, lang, analysis.counts))
                # Label words are good compound parts.
                analyzer.learn_words(lang, (w for w in analyzer.tokens(vocab[code].labels[lang])))
        df: dict[str, int] = {}
        for _, _, counts in rows:
            for term in counts:
                df[term] = df.get(term, 0) + 1
        n = len(rows)
        # Very common label words ("services", "diensten") say little and make inference slow: leave them out.
        limit = max(3, int(max_label_df * n))
        self.terms = {t: j for j, t in enumerate(sorted(t for t, c in df.items() if c <= limit))}
        idf = np.zeros(len(self.terms))
        for t, j in self.terms.items():
            idf[j] = np.log((1 + n) / (1 + df[t])) + 1.0
        self.row_code = np.array([i for i, _, _ in rows], dtype=np.int32)
        self.row_lang = np.array([LANGUAGES.index(lang) for _, lang, _ in rows], dtype=np.int8)
        indptr, indices, data = [0], [], []
        total = np.zeros(n)
        for r, (_, _, counts) in enumerate(rows):
            for term in counts:
                j = self.terms.get(term)
                if j is not None:
                    indices.append(j)
                    data.append(idf[j])
                    total[r] += idf[j]
            indptr.append(len(indices))
        # term x row, so that (docs x terms, binary) @ this = matched IDF mass per label.
        rows_by_term = sp.csr_matrix((data, indices, indptr), shape=(n, len(self.terms)), dtype=np.float32)
        self.matrix = rows_by_term.T.tocsr()
        self.total = total.astype(np.float32)
        self.total[self.total == 0] = np.inf
        self._lang_rows = {lang: np.flatnonzero(self.row_lang == k) for k, lang in enumerate(LANGUAGES)}

    def presence(self, term_sets: Sequence[Iterable[str]]) -> sp.csr_matrix:
        """Binary docs x label-terms matrix."""
        indptr, indices = [0], []
        for terms in term_sets:
            cols = sorted({self.terms[t] for t in terms if t in self.terms})
            indices.extend(cols)
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.float32)
        return sp.csr_matrix((data, indices, indptr), shape=(len(term_sets), len(self.terms)))

    def infer(self, term_sets: Sequence[Iterable[str]], languages: Sequence[str | None], top: int = 3,
              min_score: float = 1.5, relative: float = 0.5) -> list[list[tuple[str, float]]]:
        """For each text (its set of stems), the likely codes with a confidence in (0, 1], best first."""
        out: list[list[tuple[str, float]]] = [[] for _ in term_sets]
        if not len(term_sets):
            return out
        presence = self.presence(term_sets)
        chunk = 2000
        for start in range(0, len(term_sets), chunk):
            matched = (presence[start:start + chunk] @ self.matrix).tocsr()
            for r in range(matched.shape[0]):
                lo, hi = matched.indptr[r], matched.indptr[r + 1]
                if lo == hi:
                    continue
                cols = matched.indices[lo:hi]
                mass = matched.data[lo:hi]
                lang = languages[start + r]
                if lang in LANGUAGES:
                    keep = self.row_lang[cols] == LANGUAGES.index(lang)
                    cols, mass = cols[keep], mass[keep]
                if not len(cols):
                    continue
                scores = mass * mass / self.total[cols]
                best_by_code: dict[int, float] = {}
                for c, s in zip(self.row_code[cols].tolist(), scores.tolist(), strict=True):
                    if s > best_by_code.get(c, 0.0):
                        best_by_code[c] = s
                ranked = sorted(best_by_code.items(), key=lambda item: (-item[1], self.codes[item[0]]))
                top_score = ranked[0][1]
                if top_score < min_score:
                    continue
                out[start + r] = [
                    (self.codes[c], s / top_score) for c, s in ranked[:top] if s >= relative * top_score
                ]
        return out


@cache
def label_index(analyzer_key: tuple) -> CpvLabelIndex:
    """One label index per analyzer configuration, built on first use (about a second)."""
    default_language, detect, split = analyzer_key
    return CpvLabelIndex(Analyzer(default_language, detect, split))


@cache
def feature_space() -> dict[str, int]:
    """Every division, group and class of the CPV vocabulary -> a column (fixed, so vectors always line
    up)."""
    names = sorted({name for code in vocabulary() for name, _ in hierarchy_features(code)})
    return {name: j for j, name in enumerate(names)}


def code_vectors(code_sets: Sequence[Sequence[tuple[str, float]]], weights: CpvWeights) -> sp.csr_matrix:
    """docs x CPV-features matrix with L2-normalised rows, from (code, confidence) pairs per document."""
    features = feature_space()
    level_weights = weights.as_tuple()
    indptr, indices, data = [0], [], []
    for codes in code_sets:
        row: dict[int, float] = {}
        for code, confidence in codes:
            for name, level in hierarchy_features(code):
                j = features[name]
                row[j] = row.get(j, 0.0) + confidence * level_weights[level]
        if row:
            cols = sorted(row)
            vals = np.array([row[c] for c in cols])
            norm = np.linalg.norm(vals)
            if norm > 0:
                indices.extend(cols)
                data.extend((vals / norm).tolist())
        indptr.append(len(indices))
    return sp.csr_matrix((np.array(data, dtype=np.float32), np.array(indices, dtype=np.int32), indptr),
                         shape=(len(code_sets), len(features)))
