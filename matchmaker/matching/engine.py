"""The matching engine: documents -> vectors -> an index that ranks and explains.

See the package docstring for how the score is made. Everything here is deterministic: the same documents and
configuration give the same scores, and equal scores are ordered by document id.
"""

from __future__ import annotations

import math
import pickle
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer

from matchmaker.reference.cpv import LANGUAGES, vocabulary

from .analysis import Analysis, Analyzer, fold
from .cpvsignal import CpvWeights, clean_codes, code_vectors, hierarchy_features, label_index
from .documents import (
    CpvReason,
    Document,
    EmptyIndex,
    Explanation,
    InvalidDocument,
    Match,
    SharedTerm,
    UnknownDocument,
)

Progress = Callable[[int, int], None]


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
    # count
    # like a title (lead_weight) when there is no title, like a summary when there is one.
    lead_words: int = 8
    lead_weight: int = 3
    lead_weight_with_title: int = 2
    sublinear_tf: bool = True
    # IDF raised to this power: below 1 lets common but telling words ("supply", "works", "cleaning") count
    # more.
    idf_power: float = 0.5
    # Inferred CPV codes count this much relative to declared ones (times their confidence).
    inferred_weight: float = 0.5
    # Infer codes also for documents that declare some.
    infer_when_declared: bool = True
    infer_top: int = 8
    # Keep inferred codes scoring at least this share of the best one, and only when the best reaches
    # infer_min_score
    # (IDF mass of matched label words: about one rare word and a half).
    infer_relative: float = 0.5
    infer_min_score: float = 1.5
    # Inference for texts in languages without CPV labels (matched against all labels) counts this much.
    foreign_inference: float = 0.0
    cpv_levels: CpvWeights = field(default_factory=CpvWeights)
    default_language: str | None = None
    detect_language: bool = True
    split_compounds: bool = True
    # Rebuild vocabulary and IDF by itself once this share of the documents was added or removed since the
    # last fit.
    refit_ratio: float = 0.25

    def __post_init__(self):
        weights = (self.text_weight, self.cpv_weight, self.theme_weight)
        if min(weights) < 0 or not math.isclose(sum(weights), 1.0, abs_tol=1e-9):
            raise ValueError("text_weight, cpv_weight and theme_weight must be >= 0 and sum to 1")

    def analyzer_key(self) -> tuple:
        return (self.default_language, self.detect_language, self.split_compounds)


@dataclass
class Analysed:
    """A document after analysis: its terms (stem -> weighted count, stem -> as written) and its CPV
    evidence."""

    document: Document
    language: str | None
    terms: Counter
    surface: dict[str, str]
    declared: tuple[str, ...]
    inferred: list[tuple[str, float]]
    themes: tuple[str, ...]

    def weighted_codes(self, config: MatchingConfig) -> list[tuple[str, float]]:
        codes = [(code, 1.0) for code in self.declared]
        if config.infer_when_declared or not self.declared:
            scale = config.inferred_weight * (1.0 if self.language in LANGUAGES else config.foreign_inference)
            if scale > 0:
                codes += [(code, scale * conf) for code, conf in self.inferred]
        return codes


def _id_key(value: Any) -> tuple:
    """Sort key that orders ids of mixed types deterministically (numbers numerically, then strings)."""
    if isinstance(value, bool | int | float):
        return (0, float(value), "")
    return (1, 0.0, str(value))


class MatchingEngine:
    """Analyses documents and builds an :class:`Index`. Holds the configuration and the (cached) analyzer."""

    def __init__(self, config: MatchingConfig | None = None):
        self.config = config or MatchingConfig()
        self.analyzer = Analyzer(self.config.default_language, self.config.detect_language,
                                 self.config.split_compounds)

    # -- analysis --
    def _full_text(self, doc: Document) -> str:
        parts = (doc.title, doc.summary, " ".join(doc.keywords), doc.description)
        return " ".join(part for part in parts if part)

    def learn_lexicon(self, documents: Iterable[Document]) -> None:
        """Teach compound splitting the words these documents use on their own."""
        seen: dict[str | None, set[str]] = {}
        for doc in documents:
            text = self._full_text(doc)
            lang = self.analyzer.resolve_language(text, doc.language)
            seen.setdefault(lang, set()).update(fold(t) for t in self.analyzer.tokens(text))
        for lang in sorted(seen, key=str):
            self.analyzer.learn_words(lang, seen[lang])

    def analyse(self, documents: Sequence[Document]) -> list[Analysed]:
        """Analyse documents (text terms, language, declared and inferred CPV codes)."""
        config = self.config
        out: list[Analysed] = []
        for doc in documents:
            if not isinstance(doc, Document):
                raise InvalidDocument(f"expected a Document, got {type(doc).__name__}")
            text = self._full_text(doc)
            lang = self.analyzer.resolve_language(text, doc.language)
            analysis = Analysis(language=lang)
            lead, rest = "", doc.description
            if config.lead_words > 0 and doc.description:
                words = doc.description.split(maxsplit=config.lead_words)
                lead = " ".join(words[: config.lead_words])
                rest = words[config.lead_words] if len(words) > config.lead_words else ""
            lead_weight = config.lead_weight_with_title if doc.title.strip() else config.lead_weight
            for value, weight in ((doc.title, config.title_weight), (doc.summary, config.summary_weight),
                                  (" ; ".join(doc.keywords), config.keywords_weight),
                                  (lead, lead_weight), (rest, config.description_weight)):
                if value and weight > 0:
                    self.analyzer.analyse(value, weight=weight, into=analysis)
            themes = tuple(sorted({fold(t).strip() for t in doc.themes if str(t).strip()}))
            out.append(Analysed(doc, lang, analysis.counts, analysis.surface, clean_codes(doc.cpv), [],
                                themes))
        if config.cpv_weight > 0 and out:
            labels = label_index(config.analyzer_key())
            todo = [a for a in out if config.infer_when_declared or not a.declared]
            inferred = labels.infer([a.terms.keys() for a in todo], [a.language for a in todo],
                                    top=config.infer_top,
                                    min_score=config.infer_min_score, relative=config.infer_relative)
            for a, codes in zip(todo, inferred, strict=True):
                a.inferred = codes
        return out

    def fit(self, documents: Iterable[Document], progress: Progress | None = None) -> Index:
        """Build an index of these documents (offerings to rank for needs, or needs to rank for offerings)."""
        docs = list(documents)
        self.learn_lexicon(docs)
        analysed: list[Analysed] = []
        step = 2000
        for start in range(0, len(docs), step):
            analysed.extend(self.analyse(docs[start:start + step]))
            if progress:
                progress(min(start + step, len(docs)), len(docs))
        index = Index(self)
        index._build(analysed)
        return index


class Index:
    """Documents ranked against queries. Build with :meth:`MatchingEngine.fit`.

    Cheap: :meth:`top_k` (milliseconds), :meth:`add` and :meth:`remove` (the new document is vectorised with
    the
    current vocabulary and IDF; words the index has never seen do not count until the next refit). A refit
    (:meth:`refit`, automatic after `refit_ratio` of the documents changed) recomputes vocabulary and IDF
    from the
    stored analyses without analysing any text again: about a second per 10,000 documents.
    """

    def __init__(self, engine: MatchingEngine):
        self.engine = engine
        self.config = engine.config
        self._analysed: list[Analysed] = []
        self._alive = np.zeros(0, dtype=bool)
        self._positions: dict[Any, int] = {}
        self._changes = 0

    # -- building --
    def _build(self, analysed: list[Analysed]) -> None:
        seen: set = set()
        for a in analysed:
            key = _id_key(a.document.id)
            if key in seen:
                raise InvalidDocument(f"document id {a.document.id!r} given twice")
            seen.add(key)
        self._analysed = list(analysed)
        self._alive = np.ones(len(analysed), dtype=bool)
        self._positions = {a.document.id: i for i, a in enumerate(analysed)}
        vocab: dict[str, int] = {}
        for a in analysed:
            for term in a.terms:
                if term not in vocab:
                    vocab[term] = len(vocab)
        self.vocabulary = {t: j for j, t in enumerate(sorted(vocab))}
        themes = sorted({t for a in analysed for t in a.themes})
        self.theme_vocabulary = {t: j for j, t in enumerate(themes)}
        counts = self._counts(analysed)
        self.tfidf = TfidfTransformer(sublinear_tf=self.config.sublinear_tf)
        if counts.shape[1]:
            self.tfidf.fit(counts)
            if self.config.idf_power != 1.0:
                self.tfidf.idf_ = self.tfidf.idf_ ** self.config.idf_power
        self._rows = self._vectors_from_counts(counts, analysed)
        self._changes = 0
        self._refresh()

    def _counts(self, analysed: Sequence[Analysed]) -> sp.csr_matrix:
        indptr, indices, data = [0], [], []
        vocab = self.vocabulary
        for a in analysed:
            cols = sorted((vocab[t], c) for t, c in a.terms.items() if t in vocab)
            indices.extend(j for j, _ in cols)
            data.extend(c for _, c in cols)
            indptr.append(len(indices))
        return sp.csr_matrix((np.array(data, dtype=np.float64), np.array(indices, dtype=np.int32), indptr),
                             shape=(len(analysed), len(vocab)))

    def _vectors_from_counts(self, counts: sp.csr_matrix, analysed: Sequence[Analysed]) -> sp.csr_matrix:
        """The combined, weighted rows: [sqrt(wt) * text | sqrt(wc) * cpv | sqrt(wh) * themes]."""
        config = self.config
        if counts.shape[1]:
            text = self.tfidf.transform(counts).astype(np.float32)
        else:
            text = sp.csr_matrix((len(analysed), 0), dtype=np.float32)
        cpv = code_vectors([a.weighted_codes(config) for a in analysed], config.cpv_levels)
        indptr, indices = [0], []
        for a in analysed:
            cols = sorted({self.theme_vocabulary[t] for t in a.themes if t in self.theme_vocabulary})
            indices.extend(cols)
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.float32)
        theme = sp.csr_matrix((data, np.array(indices, dtype=np.int32), indptr),
                              shape=(len(analysed), len(self.theme_vocabulary)))
        norms = np.sqrt(np.asarray(theme.sum(axis=1)).ravel())
        norms[norms == 0] = 1
        theme = sp.diags((1 / norms).astype(np.float32)) @ theme
        blocks = [text * np.float32(math.sqrt(config.text_weight)),
                  cpv * np.float32(math.sqrt(config.cpv_weight)),
                  theme * np.float32(math.sqrt(config.theme_weight))]
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def _refresh(self) -> None:
        self._matrix_t = self._rows.T.tocsr()
        self._id_rank = np.empty(len(self._analysed), dtype=np.int64)
        order = sorted(range(len(self._analysed)), key=lambda i: _id_key(self._analysed[i].document.id))
        self._id_rank[order] = np.arange(len(order))

    # -- changes --
    def __len__(self) -> int:
        return int(self._alive.sum())

    def __contains__(self, doc_id: Any) -> bool:
        return doc_id in self._positions

    @property
    def ids(self) -> list[Any]:
        return [self._analysed[i].document.id for i in np.flatnonzero(self._alive)]

    def document(self, doc_id: Any) -> Document:
        if doc_id not in self._positions:
            raise UnknownDocument(doc_id)
        return self._analysed[self._positions[doc_id]].document

    def add(self, documents: Iterable[Document]) -> None:
        """Add (or replace, by id) documents. Cheap: no refit unless many documents changed."""
        docs = list(documents)
        if not docs:
            return
        for doc in docs:
            if doc.id in self._positions:
                self.remove([doc.id])
        analysed = self.engine.analyse(docs)
        ids = [a.document.id for a in analysed]
        if len({_id_key(i) for i in ids}) != len(ids):
            raise InvalidDocument("the same document id twice in one add()")
        rows = self._vectors_from_counts(self._counts(analysed), analysed)
        start = len(self._analysed)
        self._analysed.extend(analysed)
        self._alive = np.concatenate([self._alive, np.ones(len(analysed), dtype=bool)])
        for i, a in enumerate(analysed):
            self._positions[a.document.id] = start + i
        self._rows = sp.vstack([self._rows, rows], format="csr")
        self._changes += len(analysed)
        if not self._maybe_refit():
            self._refresh()

    def remove(self, ids: Iterable[Any]) -> None:
        """Remove documents by id (unknown ids raise UnknownDocument). Cheap: a mask until the next refit."""
        for doc_id in list(ids):
            if doc_id not in self._positions:
                raise UnknownDocument(doc_id)
            self._alive[self._positions.pop(doc_id)] = False
            self._changes += 1
        self._maybe_refit()

    def _maybe_refit(self) -> bool:
        if self._changes > self.config.refit_ratio * max(len(self), 1):
            self.refit()
            return True
        return False

    def refit(self) -> None:
        """Recompute vocabulary, IDF and vectors of the live documents (no text is analysed again)."""
        self._build([a for a, alive in zip(self._analysed, self._alive, strict=True) if alive])

    # -- queries --
    def vectorize(self, documents: Sequence[Document]) -> sp.csr_matrix:
        """Query rows for documents in this index's space (analyses them; reuse the result for many
        rankings)."""
        analysed = self.engine.analyse(list(documents))
        return self._vectors_from_counts(self._counts(analysed), analysed)

    def _check_k(self, k: int) -> None:
        if k < 1:
            raise ValueError("k must be at least 1")
        if not self._alive.any():
            raise EmptyIndex("the index holds no documents")

    def _select(self, scores: np.ndarray, k: int, exclude: int | None = None) -> list[Match]:
        """The k best positive scores, ties by id; `scores` is one dense row (modified)."""
        if not self._alive.all():
            scores[~self._alive] = 0.0
        if exclude is not None:
            scores[exclude] = 0.0
        if k < len(scores):
            kth = np.partition(scores, len(scores) - k)[len(scores) - k]
            candidates = np.flatnonzero(scores >= max(kth, np.float32(1e-12)))
        else:
            candidates = np.flatnonzero(scores > 0)
        order = np.lexsort((self._id_rank[candidates], -scores[candidates]))[:k]
        chosen = candidates[order]
        return [Match(self._analysed[i].document.id, float(min(scores[i], 1.0))) for i in chosen]

    def scores(self, query: Document) -> dict[Any, float]:
        """Score of every live document against one query (for inspection and tests)."""
        self._check_k(1)
        row = np.asarray((self.vectorize([query]) @ self._matrix_t).todense()).ravel()
        return {self._analysed[i].document.id: float(row[i]) for i in np.flatnonzero(self._alive)}

    def top_k(self, query: Document, k: int = 10, exclude_self: bool = False) -> list[Match]:
        """The k best documents for one query document, best first (only scores above 0)."""
        self._check_k(k)
        return self.top_k_vectors(self.vectorize([query]), k, [query.id] if exclude_self else None)[0]

    def top_k_many(self, queries: Sequence[Document], k: int = 10, exclude_self: bool = False,
                   progress: Progress | None = None) -> list[list[Match]]:
        """top_k for many queries at once (much faster than one by one)."""
        self._check_k(k)
        queries = list(queries)
        vectors = self.vectorize(queries) if queries else sp.csr_matrix((0, self._rows.shape[1]))
        return self.top_k_vectors(vectors, k, [q.id for q in queries] if exclude_self else None, progress)

    def top_k_vectors(self, vectors: sp.csr_matrix, k: int, exclude_ids: Sequence[Any] | None = None,
                      progress: Progress | None = None, block: int = 512) -> list[list[Match]]:
        """Rank for query rows made by :meth:`vectorize`. Exact: equal to sorting every score, ties by id."""
        self._check_k(k)
        results: list[list[Match]] = []
        n = vectors.shape[0]
        for start in range(0, n, block):
            product = vectors[start:start + block] @ self._matrix_t
            dense = product.toarray()
            for r in range(dense.shape[0]):
                exclude = None
                if exclude_ids is not None:
                    exclude = self._positions.get(exclude_ids[start + r])
                results.append(self._select(dense[r], k, exclude))
            if progress:
                progress(min(start + block, n), n)
        return results

    # -- explanations --
    def _analysed_for(self, doc: Document | Any) -> Analysed:
        if isinstance(doc, Document):
            return self.engine.analyse([doc])[0]
        if doc not in self._positions:
            raise UnknownDocument(doc)
        return self._analysed[self._positions[doc]]

    def explain(self, query: Document | Any, match: Document | Any, reader_language: str = "nl",
                max_terms: int = 10) -> Explanation:
        """Why `match` scores what it does for `query` (documents, or ids of documents in this index).

        Shared terms are shown as written in each text; CPV labels are in `reader_language` (nl, fr or en;
        English otherwise). The components add up to the score that ranking gives.
        """
        a, b = self._analysed_for(query), self._analysed_for(match)
        rows = self._vectors_from_counts(self._counts([a, b]), [a, b])
        qa, qb = rows[0], rows[1]
        config = self.config
        n_text = len(self.vocabulary)
        n_cpv = code_vectors([[]], config.cpv_levels).shape[1]
        bounds = {"text": (0, n_text), "cpv": (n_text, n_text + n_cpv),
                  "theme": (n_text + n_cpv, rows.shape[1])}
        components = {}
        for name, (lo, hi) in bounds.items():
            components[name] = float((qa[:, lo:hi] @ qb[:, lo:hi].T).sum())
        score = min(sum(components.values()), 1.0)
        # Shared terms, by their contribution.
        terms_by_col = {j: t for t, j in self.vocabulary.items()}
        qa_text, qb_text = qa[:, :n_text].tocsr(), qb[:, :n_text].tocsr()
        weights_a = dict(zip(qa_text.indices.tolist(), qa_text.data.tolist(), strict=True))
        weights_b = dict(zip(qb_text.indices.tolist(), qb_text.data.tolist(), strict=True))
        common = set(weights_a) & set(weights_b)
        shared = sorted(((weights_a[j] * weights_b[j], terms_by_col[j]) for j in common),
                        key=lambda item: (-item[0], item[1]))
        shared_terms = [SharedTerm(a.surface.get(t, t), b.surface.get(t, t), round(w, 6))
                        for w, t in shared[:max_terms]]
        language = reader_language if reader_language in LANGUAGES else "en"
        return Explanation(
            score=score,
            components=components,
            shared_terms=shared_terms,
            cpv=cpv_reasons(a, b, language) if config.cpv_weight > 0 else [],
            themes=[t for t in a.themes if t in set(b.themes)] if config.theme_weight > 0 else [],
            language=language,
        )

    # -- persistence --
    def save(self, path: str | Path) -> None:
        """Write the index to a file (pickle: load only files you wrote yourself)."""
        with Path(path).open("wb") as handle:
            pickle.dump(self, handle, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def load(path: str | Path) -> Index:
        with Path(path).open("rb") as handle:
            index = pickle.load(handle)  # noqa: S301 - our own file, see save()
        if not isinstance(index, Index):
            raise TypeError("not a matching index")
        return index


def cpv_reasons(a: Analysed, b: Analysed, language: str) -> list[CpvReason]:
    """The CPV links between two analysed documents, most specific first, labels in `language`."""
    vocab = vocabulary()
    declared_a, declared_b = set(a.declared), set(b.declared)
    codes_a = list(a.declared) + [c for c, _ in a.inferred if c not in declared_a]
    codes_b = list(b.declared) + [c for c, _ in b.inferred if c not in declared_b]
    found: dict[str, tuple[int, str]] = {}  # code shown -> (rank, relation)
    for ca in codes_a:
        for cb in codes_b:
            both_declared = ca in declared_a and cb in declared_b
            if ca == cb:
                shown, rank, relation = (ca, 0, "shared") if both_declared else (ca, 3, "inferred")
            else:
                features_a = {name for name, _ in hierarchy_features(ca)}
                common = [name for name, _ in hierarchy_features(cb) if name in features_a]
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
