"""The CPV signal: declared codes, codes inferred from text with the multilingual CPV labels, and their
vectors.

Labels. Dutch, French and English come with the vocabulary (matchmaker.reference.cpv); 21 more EU languages
(es, de, it, pl, pt, ...) are vendored in matchmaker/reference/cpv2008_labels, one file each, read the first
time a text in that language needs them; a text in one of those languages meets the labels of its own
language only (a label index of that one language).

Inference. Every CPV label (Dutch, French and English) is analysed like a document in its language. A text's
score for a label is ``matched * matched / total``, where ``matched`` is the IDF mass of the label's terms
that the text contains and ``total`` the label's whole IDF mass: a label wholly present in the text scores its
full weight, a long label of which one word appears scores little, and rare words weigh more than "services"
or "equipment". A Dutch text is compared with the Dutch labels, a French one with the French labels, an
English one with the English labels; a text in another language with all three (Snowball stems of related
languages often agree, "eléctrico"/"électrique"/"electric" -> "electr"). The best few codes are kept, with
weights relative to the best.

Group votes (CpvLabelIndex.groups): softer guesses, every label word of the text votes for the groups of
the labels holding it; see the method.

Vectors. A set of codes becomes a sparse vector over the CPV hierarchy: each code adds its division (2
digits), group (3) and class (4) as features with the weights of :class:`CpvWeights`, so two documents that
share a group score above two that only share a division. Declared codes count fully, inferred ones scaled by
their confidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

import matchmaker.reference
from matchmaker.reference.cpv import LANGUAGES, normalize_code, vocabulary

from .analysis import Analyzer, fold

HIERARCHY = (("d", 2), ("g", 3), ("c", 4))

# CPV 2008 labels in more EU languages than nl/fr/en, one file per language: "code<TAB>label" (see the
# SOURCES.md beside them). A text in one of these languages infers codes from the labels of its own language.
NATIVE_LABELS_DIR = Path(matchmaker.reference.__file__).with_name("cpv2008_labels")


@cache
def native_label_languages() -> frozenset[str]:
    """The languages besides nl/fr/en whose CPV labels are vendored (from the file names; nothing is read)."""
    if not NATIVE_LABELS_DIR.is_dir():
        return frozenset()
    return frozenset(p.stem for p in NATIVE_LABELS_DIR.glob("*.tsv") if p.stem not in LANGUAGES)


def has_labels(language: str | None) -> bool:
    """Whether texts in this language have CPV labels of their own (nl, fr, en and the vendored ones)."""
    return language in LANGUAGES or language in native_label_languages()


@cache
def native_labels(language: str) -> dict[str, str]:
    """code -> label in a vendored language (codes without a label there are left out)."""
    labels: dict[str, str] = {}
    with (NATIVE_LABELS_DIR / f"{language}.tsv").open(encoding="utf-8") as handle:
        next(handle, None)  # header
        for line in handle:
            code, _, label = line.rstrip("\n").partition("\t")
            if label.strip():
                labels[code] = label
    return labels


def label_of(code: str, language: str) -> str:
    """A code's label in one language ("" when it has none)."""
    if language in LANGUAGES:
        return vocabulary()[code].labels[language]
    return native_labels(language).get(code, "")


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
    """The CPV labels of all codes in some languages (nl/fr/en by default), analysed, as a term x label
    matrix for inference."""

    def __init__(self, analyzer: Analyzer, max_label_df: float = 0.02, languages: Sequence[str] = LANGUAGES):
        vocab = vocabulary()
        self.codes: list[str] = sorted(vocab)
        self.languages: tuple[str, ...] = tuple(languages)
        self.analyzer = analyzer
        # Label words are good compound parts, and tell a short text's language when it has no stop words.
        self.words: dict[str, frozenset[str]] = {}
        for lang in self.languages:
            words = {fold(w) for code in self.codes for w in analyzer.tokens(label_of(code, lang))}
            analyzer.learn_words(lang, sorted(words))
            self.words[lang] = frozenset(words)
        # Rows are code-major: row n * i + k is code i in self.languages[k] (n languages).
        rows: list[tuple[int, str, dict]] = []  # (code index, language, counts)
        for i, code in enumerate(self.codes):
            for lang in self.languages:
                rows.append((i, lang, analyzer.analyse(label_of(code, lang), lang).counts))
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
        self.row_lang = np.array([self.languages.index(lang) for _, lang, _ in rows], dtype=np.int8)
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
        # term x row, so that (docs x terms, binary) @ this = matched IDF mass per label. float64 throughout,
        # so that the batch and the one-text paths of infer() agree to the bit.
        rows_by_term = sp.csr_matrix((data, indices, indptr), shape=(n, len(self.terms)), dtype=np.float64)
        self.matrix = rows_by_term.T.tocsr()
        self.matrix.sort_indices()
        self.total = total
        self.total[self.total == 0] = np.inf
        self._by_language: dict[int, tuple[sp.csr_matrix, np.ndarray]] = {}
        self._group_cache: dict[int, sp.csr_matrix] = {}

    def guess_language(self, tokens: Iterable[str]) -> str | None:
        """nl, fr or en: the language whose CPV labels use most of these (folded) words; None on a tie or
        none.

        A fallback for short texts ("Electric buses") that stop words cannot place.
        """
        tokens = set(tokens)
        hits = sorted(((len(tokens & self.words[lang]), lang) for lang in self.languages), reverse=True)
        (best, lang), (second, _) = hits[0], hits[1] if len(hits) > 1 else (0, None)
        return lang if best > 0 and best > second else None

    def presence(self, term_sets: Sequence[Iterable[str]]) -> sp.csr_matrix:
        """Binary docs x label-terms matrix."""
        indptr, indices = [0], []
        for terms in term_sets:
            cols = sorted({self.terms[t] for t in terms if t in self.terms})
            indices.extend(cols)
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.float64)
        return sp.csr_matrix((data, indices, indptr), shape=(len(term_sets), len(self.terms)))

    def _infer_one(
        self, terms: Iterable[str], language: str | None, top: int, min_score: float, relative: float
    ) -> list[tuple[str, float]]:
        """infer() for one text without building sparse matrices (the query path); the same arithmetic."""
        cols = sorted({self.terms[t] for t in terms if t in self.terms})
        if not cols:
            return []
        m = self.matrix
        rows = np.concatenate([m.indices[m.indptr[j] : m.indptr[j + 1]] for j in cols])
        mass = np.concatenate([m.data[m.indptr[j] : m.indptr[j + 1]] for j in cols])
        matched = np.bincount(rows, weights=mass, minlength=len(self.total))
        by_code = (matched**2 / self.total).reshape(len(self.codes), len(self.languages))
        own = language in self.languages
        best = by_code[:, self.languages.index(language)] if own else by_code.max(axis=1)
        top_score = float(best.max())
        if top_score <= 0 or top_score < min_score:
            return []
        candidates = np.flatnonzero(best >= relative * top_score)
        order = np.lexsort((candidates, -best[candidates]))[:top]
        return [(self.codes[c], float(best[c]) / top_score) for c in candidates[order].tolist()]

    def infer(
        self,
        term_sets: Sequence[Iterable[str]],
        languages: Sequence[str | None],
        top: int = 3,
        min_score: float = 1.5,
        relative: float = 0.5,
        presence: sp.csr_matrix | None = None,
    ) -> list[list[tuple[str, float]]]:
        """For each text (its set of stems), the likely codes with a confidence in (0, 1], best first.
        `presence`, when given, holds the texts' label terms already (the rows of term_weights(), say).

        Codes score ``matched**2 / total`` (see the module docstring) against the labels of the text's
        language, or the best of the three languages for a text in another language. A text whose best code
        scores under `min_score` gets none; otherwise the codes scoring at least `relative` times the best
        one, up to `top`.
        """
        if len(term_sets) <= 4 and presence is None:
            return [
                self._infer_one(terms, lang, top, min_score, relative)
                for terms, lang in zip(term_sets, languages, strict=True)
            ]
        out: list[list[tuple[str, float]]] = [[] for _ in term_sets]
        if presence is None:
            presence = self.presence(term_sets)
        else:
            presence = presence.copy()
            presence.data = np.ones_like(presence.data)
        n_langs = len(self.languages)
        lang_index = np.array(
            [self.languages.index(lang) if lang in self.languages else -1 for lang in languages]
        )
        chunk = 2000
        # Texts in nl, fr or en meet only the labels of their language (a third of the product); others
        # meet all three, and each code keeps its best language.
        for k in range(-1, n_langs):
            members = np.flatnonzero(lang_index == k)
            if not len(members):
                continue
            matrix, total = (self.matrix, self.total) if k < 0 else self._language_matrix(k)
            for start in range(0, len(members), chunk):
                rows_of = members[start : start + chunk]
                matched = (presence[rows_of] @ matrix).tocsr()
                if not matched.nnz:
                    continue
                rows = np.repeat(np.arange(matched.shape[0]), np.diff(matched.indptr))
                cols = matched.indices
                scores = matched.data**2 / total[cols]
                # Each row's best score, then only the few entries near it go on (rows are in order).
                starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
                lengths = np.diff(np.r_[starts, len(rows)])
                row_best = np.repeat(np.maximum.reduceat(scores, starts), lengths)
                near = (row_best >= min_score) & (scores >= relative * row_best)
                codes = cols[near] // n_langs if k < 0 else cols[near]
                rows, scores, row_best = rows[near], scores[near], row_best[near]
                # By row, best score first, then code; each (row, code) once (its best language), `top` a row.
                order = np.lexsort((codes, -scores, rows))
                if k < 0:  # the first (best) entry of each (row, code)
                    _, first = np.unique(
                        rows[order].astype(np.int64) * len(self.codes) + codes[order], return_index=True
                    )
                    order = order[np.sort(first)]
                rows, codes, scores, row_best = rows[order], codes[order], scores[order], row_best[order]
                row_starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
                rank = np.arange(len(rows)) - np.repeat(row_starts, np.diff(np.r_[row_starts, len(rows)]))
                keep = rank < top
                confidences = (scores[keep] / row_best[keep]).tolist()
                for r, c, confidence in zip(
                    rows_of[rows[keep]].tolist(), codes[keep].tolist(), confidences, strict=True
                ):
                    out[r].append((self.codes[c], confidence))
        return out

    def term_weights(self, term_counts: Sequence[dict]) -> sp.csr_matrix:
        """docs x label-terms matrix of ``1 + log(count)`` (count: the term's weighted count in the text)."""
        terms = self.terms
        indptr, indices, data = [0], [], []
        for counts in term_counts:
            row = {}
            for term, count in counts.items():
                j = terms.get(term)
                if j is not None and count > 0:
                    row[j] = count
            cols = sorted(row)
            indices.extend(cols)
            data.extend([row[c] for c in cols])
            indptr.append(len(indices))
        values = np.array(data, dtype=np.float64)
        values = np.where(values >= 1.0, 1.0 + np.log(np.maximum(values, 1.0)), values)
        return sp.csr_matrix(
            (values, np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int64)),
            shape=(len(term_counts), len(self.terms)),
        )

    def groups(
        self,
        term_counts: Sequence[dict] | sp.csr_matrix,
        languages: Sequence[str | None],
        top: int = 10,
        relative: float = 0.0,
    ) -> list[list[tuple[str, float]]]:
        """For each text (stem -> count, or the rows of term_weights()), the CPV groups its label words
        vote for, best first, with weights relative to the best (in (0, 1]); at most `top`, and only those
        at least `relative` times the best.

        Softer than infer(): every word of the text that CPV labels use votes, ``(1 + log count) * idf``
        shared out evenly among the labels (of the text's language, or of all three for another language)
        that hold it, each label for its group (first 3 digits). The groups many of the text's words point
        to win, whether or not one label holds them all.
        """
        weights = term_counts if sp.issparse(term_counts) else self.term_weights(term_counts)
        out: list[list[tuple[str, float]]] = [[] for _ in range(weights.shape[0])]
        n_langs = len(self.languages)
        lang_index = np.array(
            [self.languages.index(lang) if lang in self.languages else -1 for lang in languages],
            dtype=np.int64,
        )
        for k in range(-1, n_langs):
            members = np.flatnonzero(lang_index == k)
            if not len(members):
                continue
            scores = (weights[members] @ self._group_votes(k)).tocsr()
            scores.eliminate_zeros()
            if not scores.nnz:
                continue
            rows = np.repeat(np.arange(scores.shape[0]), np.diff(scores.indptr))
            cols, values = scores.indices, scores.data
            # By row, best vote first, then group; the first `top` of each row.
            order = np.lexsort((cols, -values, rows))
            rows, cols, values = rows[order], cols[order], values[order]
            starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
            lengths = np.diff(np.r_[starts, len(rows)])
            rank = np.arange(len(rows)) - np.repeat(starts, lengths)
            share = values / np.repeat(values[starts], lengths)
            keep = (rank < top) & (share >= relative)
            for r, c, v in zip(rows[keep].tolist(), cols[keep].tolist(), share[keep].tolist(), strict=True):
                out[members[r]].append((self.group_codes[c], v))
        return out

    def _group_votes(self, k: int) -> sp.csr_matrix:
        """term x group matrix: a term's IDF shared out evenly among the labels holding it (those of
        self.languages[k], or all of them for k = -1), summed by the labels' groups."""
        cached = self._group_cache.get(k)
        if cached is None:
            if not hasattr(self, "group_codes"):
                vocab = vocabulary()
                names = sorted({code[:3] for code in self.codes})
                # A group's own code ('341' -> '34100000'), or its division's when the vocabulary lacks one.
                self.group_codes = [f"{g}00000" if f"{g}00000" in vocab else f"{g[:2]}000000" for g in names]
                position = {g: i for i, g in enumerate(names)}
                self._code_group = np.array([position[code[:3]] for code in self.codes], dtype=np.int64)
            n = len(self.languages)
            matrix = self.matrix if k < 0 else self.matrix[:, k::n].tocsr()
            row_code = np.arange(matrix.shape[1]) // n if k < 0 else np.arange(matrix.shape[1])
            held = np.diff(matrix.indptr).astype(np.float64)
            held[held == 0] = 1.0
            share = sp.diags(1.0 / held) @ matrix
            to_group = sp.csr_matrix(
                (np.ones(len(row_code)), (np.arange(len(row_code)), self._code_group[row_code])),
                shape=(len(row_code), len(self.group_codes)),
            )
            cached = self._group_cache[k] = (share @ to_group).tocsr()
        return cached

    def _language_matrix(self, k: int) -> tuple[sp.csr_matrix, np.ndarray]:
        """term x code matrix and label masses of the labels in self.languages[k] (same values, same
        order)."""
        cached = self._by_language.get(k)
        if cached is None:
            n = len(self.languages)
            matrix = self.matrix[:, k::n].tocsr()
            matrix.sort_indices()
            cached = self._by_language[k] = (matrix, self.total[k::n].copy())
        return cached


@cache
def label_index(analyzer_key: tuple, languages: tuple[str, ...] = LANGUAGES) -> CpvLabelIndex:
    """One label index per analyzer configuration and languages (nl/fr/en by default, or one vendored
    language), built on first use (about a second for nl/fr/en, a third of that for one language)."""
    default_language, detect, split = analyzer_key
    return CpvLabelIndex(Analyzer(default_language, detect, split), languages=languages)


@cache
def feature_space() -> dict[str, int]:
    """Every division, group and class of the CPV vocabulary -> a column (fixed, so vectors always line
    up)."""
    names = sorted({name for code in vocabulary() for name, _ in hierarchy_features(code)})
    return {name: j for j, name in enumerate(names)}


@cache
def _code_columns(code: str) -> tuple[tuple[int, int], ...]:
    features = feature_space()
    return tuple((features[name], level) for name, level in hierarchy_features(code))


def code_row(codes: Sequence[tuple[str, float]], weights: CpvWeights) -> tuple[list[int], np.ndarray]:
    """Columns and L2-normalised values of one document's CPV vector."""
    level_weights = weights.as_tuple()
    row: dict[int, float] = {}
    for code, confidence in codes:
        for j, level in _code_columns(code):
            row[j] = row.get(j, 0.0) + confidence * level_weights[level]
    cols = sorted(row)
    vals = np.array([row[c] for c in cols], dtype=np.float64)
    norm = float(np.sqrt((vals**2).sum())) if len(vals) else 0.0
    if norm <= 0:
        return [], np.zeros(0)
    return cols, vals / norm


def code_vectors(code_sets: Sequence[Sequence[tuple[str, float]]], weights: CpvWeights) -> sp.csr_matrix:
    """docs x CPV-features matrix with L2-normalised rows, from (code, confidence) pairs per document: the
    rows of code_row(), with the norms taken for all rows at once (the same sums, so the same values)."""
    level_weights = weights.as_tuple()
    indptr, indices, data = [0], [], []
    for codes in code_sets:
        row: dict[int, float] = {}
        for code, confidence in codes:
            for j, level in _code_columns(code):
                row[j] = row.get(j, 0.0) + confidence * level_weights[level]
        cols = sorted(row)
        indices.extend(cols)
        data.extend([row[c] for c in cols])
        indptr.append(len(indices))
    values = np.array(data, dtype=np.float64)
    bounds = np.array(indptr, dtype=np.int64)
    lengths = np.diff(bounds)
    norms = np.zeros(len(code_sets))
    filled = lengths > 0
    if filled.any():
        # reduceat sums each row's segment like ndarray.sum() does in code_row
        norms[filled] = np.sqrt(np.add.reduceat(values**2, bounds[:-1][filled]))
    keep = np.repeat(norms > 0, lengths)  # a row of zero weights has no vector, as in code_row
    values = values / np.repeat(np.where(norms > 0, norms, 1.0), lengths)
    matrix = sp.csr_matrix(
        (
            values[keep].astype(np.float32),
            np.array(indices, dtype=np.int32)[keep],
            np.r_[0, np.cumsum(keep)][bounds],
        ),
        shape=(len(code_sets), len(feature_space())),
    )
    return matrix
