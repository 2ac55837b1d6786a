"""The matching engine: documents -> vectors -> an index that ranks and explains.

See the package docstring for how the score is made. Everything here is deterministic: the same documents and
configuration give the same scores, and equal scores are ordered by document id.
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import pickle
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer
from threadpoolctl import threadpool_limits

from matchmaker.reference.cpv import LANGUAGES

from .analysis import _TOKEN, COMPOUNDING, Analysis, Analyzer, fold
from .bridge import load_bridge
from .cpvsignal import (
    clean_codes,
    code_row,
    code_vectors,
    feature_space,
    label_index,
    native_label_languages,
)
from .documents import (
    Document,
    EmptyIndex,
    Explanation,
    InvalidDocument,
    Match,
    UnknownDocument,
)
from .profiles import (  # noqa: F401 - re-exported: the engine's public names
    Analysed,
    Drift,
    MatchingConfig,
    Profile,
    cpv_reasons,
    explain_profiles,
    split_bridged,
)

Progress = Callable[[int, int], None]
# A term is too common to tell a CPV code only when more documents than this hold it (and infer_max_df).
COMMON_MIN_DOCUMENTS = 10
# The common terms of a large corpus are counted on a sample of about this many documents.
COMMON_SAMPLE = 5000


def _id_key(value: Any) -> tuple:
    """Sort key that orders ids of mixed types deterministically (numbers numerically, then strings)."""
    if isinstance(value, bool | int | float):
        return (0, float(value), "")
    return (1, 0.0, str(value))


def _per_position(analysed: Sequence[Analysed]) -> tuple[list[tuple], np.ndarray, np.ndarray]:
    """What an index keeps per position of these documents: their ids' sort keys, their sides and their ids
    (an array, so that a score row's hits name their documents by indexing it: reading 15,000 ids one
    document at a time was a tenth of a published offering's refresh)."""
    sides = np.array([a.document.side for a in analysed], dtype=object)
    ids = np.fromiter((a.document.id for a in analysed), dtype=object, count=len(analysed))
    return [_id_key(a.document.id) for a in analysed], sides, ids


class MatchingEngine:
    """Analyses documents and builds an :class:`Index`. Holds the configuration and the (cached) analyzer."""

    def __init__(self, config: MatchingConfig | None = None):
        self.config = config or MatchingConfig()
        self.analyzer = Analyzer(
            self.config.default_language, self.config.detect_language, self.config.split_compounds
        )
        self._labels_learnt = False
        # Share of each language among the documents last fitted (see infers_foreign).
        self.language_shares: dict[str, float] = {}
        # Terms too common among the documents last fitted to tell a CPV code (see _set_common_terms).
        self.common_terms: frozenset[str] = frozenset()

    def _learn_label_words(self) -> None:
        """CPV label words are good compound parts ("straat" + "verlichting"): teach them once."""
        if not self._labels_learnt:
            labels = label_index(self.config.analyzer_key())
            for lang in sorted(labels.words):
                self.analyzer.learn_words(lang, labels.words[lang])
            self._labels_learnt = True

    # -- analysis --
    def _full_text(self, doc: Document) -> str:
        parts = (doc.title, doc.summary, " ".join(doc.keywords), doc.description)
        return " ".join(part for part in parts if part)

    def _fields(self, doc: Document) -> list[tuple[str, int]]:
        """The document's texts with how much their words count."""
        config = self.config
        lead, rest = "", doc.description
        if config.lead_words > 0 and doc.description:
            words = doc.description.split(maxsplit=config.lead_words)
            lead = " ".join(words[: config.lead_words])
            rest = words[config.lead_words] if len(words) > config.lead_words else ""
        lead_weight = config.lead_weight_with_title if doc.title.strip() else config.lead_weight
        fields = (
            (doc.title, config.title_weight),
            (doc.summary, config.summary_weight),
            (" ; ".join(doc.keywords), config.keywords_weight),
            (lead, lead_weight),
            (rest, config.description_weight),
        )
        return [(text, weight) for text, weight in fields if text and weight > 0]

    def language_of(self, doc: Document) -> str | None:
        """The declared language if known, else one detected from stop words, else from the CPV label words
        (nl/fr/en), else the configured default (None: no stemming, no stop words)."""
        text = self._full_text(doc)
        lang = self.analyzer.resolve_language(text, doc.language, use_default=False)
        if lang is None and self.config.detect_language and text:
            lang = label_index(self.config.analyzer_key()).guess_language(
                fold(t) for t in self.analyzer.tokens(text)
            )
        return lang or self.analyzer.default_language

    def native_labels_for(self, language: str | None) -> bool:
        """Whether a text in this language (not nl, fr, en) infers codes from vendored CPV labels in its own
        language (MatchingConfig.native_labels)."""
        return bool(getattr(self.config, "native_labels", True)) and language in native_label_languages()

    def _learn_native_label_words(self, languages: Iterable[str | None]) -> None:
        """The label words of vendored languages that glue compounds (de, da, sv...) are compound parts
        too."""
        learnt = self.__dict__.setdefault("_native_learnt", set())
        for lang in sorted({lang for lang in languages if lang in COMPOUNDING and lang not in learnt}):
            if self.native_labels_for(lang):
                self.analyzer.learn_words(lang, label_index(self.config.analyzer_key(), (lang,)).words[lang])
            learnt.add(lang)

    def infers_foreign(self, language: str | None) -> bool:
        """Whether a text in this language without CPV labels (not nl, fr, en) gets codes inferred from all
        labels: when its language is under `minority_share` of the documents last fitted. Among texts of one
        language the words say more than such guesses (a Spanish corpus ranks worse with them); for the few
        texts of a language in a mixed corpus the codes are their main way to meet the others."""
        if self.config.foreign_inference <= 0 or language is None or self.native_labels_for(language):
            return False
        shares = getattr(self, "language_shares", {})
        return shares.get(language, 0.0) < self.config.minority_share

    def learn_lexicon(self, documents: Iterable[Document]) -> list[str | None]:
        """Teach compound splitting the words these documents use on their own; returns their languages."""
        self._learn_label_words()
        languages, seen = self._languages_and_words(list(documents))
        self._learn_seen(seen)
        return languages

    def _languages_and_words(self, documents: Sequence[Document]) -> tuple[list[str | None], dict]:
        """The documents' languages, and the folded words of those in compounding languages (by language)."""
        seen: dict[str | None, set[str]] = {}
        languages = []
        for doc in documents:
            lang = self.language_of(doc)
            languages.append(lang)
            if lang in COMPOUNDING:
                seen.setdefault(lang, set()).update(self.analyzer.tokens(self._full_text(doc)))
        return languages, {lang: {fold(t) for t in words} for lang, words in seen.items()}

    def _term_df(self, documents: Sequence[Document], languages: Sequence[str | None]) -> Counter:
        """In how many of these documents each term occurs (whole words; compound parts are not known
        yet)."""
        df: Counter = Counter()
        terms_of, caches = self.analyzer.terms_of, self.analyzer._terms
        for doc, lang in zip(documents, languages, strict=True):
            cache_ = caches.setdefault(lang or "", {})
            terms: set[str] = set()
            for token in set(_TOKEN.findall(self._full_text(doc).lower())):
                found = cache_.get(token)
                if found is None:
                    found = terms_of(token, lang)
                if found:
                    terms.add(found[0])
            df.update(terms)
        return df

    def _counts_common_terms(self) -> bool:
        return self.config.cpv_weight > 0 and getattr(self.config, "infer_max_df", 1.0) < 1.0

    def _set_common_terms(self, df: Counter, documents: int) -> None:
        """Remember the terms more than `infer_max_df` of the fitted documents hold (and more than
        COMMON_MIN_DOCUMENTS: in a small corpus a share says little): they tell little about which CPV code a
        text is about, so inference leaves them out. `documents`: how many documents `df` counted."""
        limit = max(COMMON_MIN_DOCUMENTS, getattr(self.config, "infer_max_df", 1.0) * documents)
        self.common_terms = frozenset(t for t, n in df.items() if n > limit)

    def _learn_seen(self, seen: dict) -> None:
        for lang in sorted(seen, key=str):
            self.analyzer.learn_words(lang, seen[lang])

    def analyse(
        self,
        documents: Sequence[Document],
        surface: bool = False,
        languages: Sequence[str | None] | None = None,
    ) -> list[Analysed]:
        """Analyse documents: language, terms, declared and inferred CPV codes, themes.

        With `surface`, also remember each term as written (for explanations; slower). `languages`, when
        given, are the documents' resolved languages (as learn_lexicon returns them).
        """
        config = self.config
        analyzer = self.analyzer
        self._learn_label_words()
        if languages is not None:
            self._learn_native_label_words(languages)
        out: list[Analysed] = []
        for position, doc in enumerate(documents):
            if not isinstance(doc, Document):
                raise InvalidDocument(f"expected a Document, got {type(doc).__name__}")
            lang = languages[position] if languages is not None else self.language_of(doc)
            if languages is None:
                self._learn_native_label_words((lang,))
            if surface:
                analysis = Analysis(language=lang)
                for text, weight in self._fields(doc):
                    analyzer.analyse(text, weight=weight, into=analysis)
                terms, forms = dict(analysis.counts), analysis.surface
            else:
                terms, forms = {}, None
                analyzer.count_fields(self._fields(doc), lang, terms)
            themes = tuple(sorted({fold(t).strip() for t in doc.themes if str(t).strip()}))
            out.append(Analysed(doc, lang, terms, forms, clean_codes(doc.cpv), [], themes))
        if config.cpv_weight > 0 and out:
            # nl/fr/en texts meet the labels of their language, texts of a minority language without labels
            # all three; texts in a vendored language the labels of their own (one label index each).
            groups: dict[tuple[str, ...], list[Analysed]] = {}
            for a in out:
                if not (config.infer_when_declared or not a.declared):
                    continue
                if a.language in LANGUAGES or self.infers_foreign(a.language):
                    groups.setdefault(LANGUAGES, []).append(a)
                elif self.native_labels_for(a.language):
                    groups.setdefault((a.language,), []).append(a)
            common = getattr(self, "common_terms", frozenset())
            for languages_, todo in sorted(groups.items()):
                if common:
                    term_counts = [{t: n for t, n in a.terms.items() if t not in common} for a in todo]
                else:
                    term_counts = [a.terms for a in todo]
                labels = label_index(config.analyzer_key(), languages_)
                weights = labels.term_weights(term_counts) if config.group_votes > 0 else None
                inferred = labels.infer(
                    [terms.keys() for terms in term_counts],
                    [a.language for a in todo],
                    top=config.infer_top,
                    min_score=config.infer_min_score,
                    relative=config.infer_relative,
                    presence=weights if len(todo) > 4 else None,  # a few texts: the one-text path
                )
                for a, codes in zip(todo, inferred, strict=True):
                    a.inferred = codes
                if weights is not None:
                    votes = labels.groups(
                        weights,
                        [a.language for a in todo],
                        top=config.group_votes_top,
                        relative=config.group_votes_relative,
                    )
                    for a, groups in zip(todo, votes, strict=True):
                        a.inferred = _merge_codes(a.inferred, groups, config.group_votes)
        return out

    def fit(
        self,
        documents: Iterable[Document],
        progress: Progress | None = None,
        workers: int = 1,
        chunk: int = 2000,
    ) -> Index:
        """Build an index of these documents (offerings to rank for needs, or needs to rank for offerings).

        With `workers` > 1, text analysis runs in that many forked processes (Linux; for large batches from a
        command line, not inside a web worker). The result is the same either way.
        """
        with _gc_paused():
            return self._fit(list(documents), progress, workers, chunk)

    def _fit(self, docs: list[Document], progress: Progress | None, workers: int, chunk: int) -> Index:
        for doc in docs:
            if not isinstance(doc, Document):
                raise InvalidDocument(f"expected a Document, got {type(doc).__name__}")
        keys = [_id_key(doc.id) for doc in docs]
        if len(set(keys)) != len(keys):
            raise InvalidDocument("the same document id more than once")
        self._learn_label_words()
        index = Index(self)
        step = max(1, chunk)
        starts = list(range(0, len(docs), step))
        parallel = workers > 1 and len(starts) > 1 and "fork" in multiprocessing.get_all_start_methods()
        global _SHARED
        try:
            # Pass 1: languages, and the words that compound splitting may use (needed before any analysis).
            _SHARED = (self, docs, step, None)
            languages: list[str | None] = []
            seen: dict[str | None, set[str]] = {}
            df: Counter = Counter()
            with _chunk_map(_lexicon_chunk, starts, workers if parallel else 1) as results:
                for chunk_languages, chunk_seen, chunk_df in results:
                    languages.extend(chunk_languages)
                    df.update(chunk_df)
                    for lang, words in chunk_seen.items():
                        seen.setdefault(lang, set()).update(words)
            self._set_common_terms(df, len(range(0, len(docs), _common_stride(len(docs)))))
            self._learn_native_label_words(languages)
            self._learn_seen(seen)
            known = [lang for lang in languages if lang is not None]
            self.language_shares = {lang: count / len(known) for lang, count in Counter(known).items()}
            # Pass 2: terms, counts over each chunk's own vocabulary, CPV codes and vectors.
            _SHARED = (self, docs, step, languages)
            parts: list[sp.csr_matrix] = []
            cpv_parts: list[sp.csr_matrix] = []
            analysed: list[Analysed] = []
            vocabulary_: dict[str, int] = {}
            with _chunk_map(_analyse_chunk, starts, workers if parallel else 1) as results:
                for start, (chunk, terms, counts, cpv) in zip(starts, results, strict=True):
                    for doc, a in zip(docs[start : start + step], chunk, strict=True):
                        a.document = doc
                    # The chunk's columns -> the index's (new terms in order of first use, as one pass would).
                    columns = np.array(
                        [vocabulary_.setdefault(t, len(vocabulary_)) for t in terms], dtype=np.int32
                    )
                    parts.append(
                        sp.csr_matrix(
                            (counts.data, columns[counts.indices], counts.indptr),
                            shape=(counts.shape[0], len(vocabulary_)),
                        )
                    )
                    cpv_parts.append(cpv)
                    analysed.extend(chunk)
                    if progress:
                        progress(min(start + step, len(docs)), len(docs))
        finally:
            _SHARED = None
        counts = _stack(parts, len(vocabulary_))
        counts.has_sorted_indices = False
        counts.sort_indices()
        cpv = sp.vstack(cpv_parts, format="csr") if cpv_parts else None
        index._build(analysed, counts, list(vocabulary_), cpv)
        return index


def _merge_codes(
    codes: list[tuple[str, float]], extra: list[tuple[str, float]], weight: float
) -> list[tuple[str, float]]:
    """Inferred codes with the voted groups added (their weights times `weight`; a code in both adds up)."""
    merged = dict(codes)
    for code, value in extra:
        merged[code] = merged.get(code, 0.0) + weight * value
    return list(merged.items())


# What forked workers read while fit runs: (engine, documents, step, languages).
_SHARED: tuple | None = None


@contextmanager
def _gc_paused():
    """No cyclic garbage collection meanwhile: building an index makes millions of objects without cycles, and
    the collector would scan them again and again (a fifth of the time). Forked workers inherit the pause."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def _chunk_map(function: Callable[[int], Any], starts: list[int], workers: int):
    """Results of function(start) for each start, in order: in forked processes when workers > 1."""
    if workers <= 1:
        yield map(function, starts)
        return
    pool = multiprocessing.get_context("fork").Pool(workers)
    try:
        yield pool.imap(function, starts)
    finally:
        pool.close()
        pool.join()


def _lexicon_chunk(start: int) -> tuple[list[str | None], dict, Counter]:
    engine, docs, step, _ = _SHARED
    chunk = docs[start : start + step]
    languages, seen = engine._languages_and_words(chunk)
    df: Counter = Counter()
    if engine._counts_common_terms():
        # A share is estimated well enough from a sample: every stride-th document of the whole corpus.
        stride = _common_stride(len(docs))
        first = (-start) % stride
        df = engine._term_df(chunk[first::stride], languages[first::stride])
    return languages, seen, df


def _common_stride(documents: int) -> int:
    """Every how many documents one counts towards the common terms (about COMMON_SAMPLE of them)."""
    return max(1, documents // COMMON_SAMPLE)


def _analyse_chunk(start: int) -> tuple[list[Analysed], list[str], sp.csr_matrix, sp.csr_matrix]:
    """Analyse one chunk of the documents being fitted (in a forked worker, or in this process): the
    analysed documents (without their text and terms), the chunk's terms, its count matrix over them and its
    CPV vectors."""
    engine, docs, step, languages = _SHARED
    chunk = engine.analyse(docs[start : start + step], languages=languages[start : start + step])
    terms: dict[str, int] = {}
    counts = _count_rows(chunk, terms, grow=True)
    config = engine.config
    cpv = code_vectors([a.weighted_codes(config) for a in chunk], config.cpv_levels)
    for a in chunk:
        a.document = None  # the parent has it: do not send it back
        a.terms = None  # the count matrix holds them now
    return chunk, list(terms), counts, cpv


# A feature goes to the dense product when (documents having it) x (queries having it) is at least this
# share of all pairs: a dense multiply-add (BLAS) costs about this fraction of one done by a sparse product,
# which also has to store its output. Measured on the benchmark corpus; it changes the speed, not the result.
DENSE_SHARE = 0.003


class _ProductPlan:
    """Scores of many queries against every document, block by block, as two products: the few features
    that many queries and many documents share (CPV divisions, words like "services") as a dense matrix
    product, the many rare ones as a sparse product, added together into one dense block. Equal to the plain
    sparse product up to float rounding, and much faster when most pairs share some feature (a sparse
    product then spends its time building an almost dense output)."""

    def __init__(self, vectors: sp.csr_matrix, matrix_t: sp.csr_matrix, dense_share: float = DENSE_SHARE):
        n_features, n_docs = matrix_t.shape
        doc_freq = np.diff(matrix_t.indptr).astype(np.float64)
        query_freq = np.bincount(vectors.indices, minlength=n_features).astype(np.float64)
        pairs = float(n_docs) * max(vectors.shape[0], 1)
        dense = (doc_freq * query_freq >= dense_share * pairs) & (doc_freq > 0) & (query_freq > 0)
        self.dense_features = np.flatnonzero(dense)
        sparse_features = np.flatnonzero(~dense)
        vectors = sp.csr_matrix(vectors, dtype=np.float32)
        # csr_array: its sum with a dense array is a plain ndarray (scipy adds the stored values in place).
        self.sparse_queries = sp.csr_array(vectors[:, sparse_features])
        self.sparse_docs = sp.csr_array(matrix_t[sparse_features])
        self.dense_queries = vectors[:, self.dense_features].tocsr()
        self.dense_docs = matrix_t[self.dense_features].toarray() if len(self.dense_features) else None

    def scores(self, start: int, stop: int) -> np.ndarray:
        """Dense float32 scores of queries start:stop (rows) against every document (columns)."""
        stop = min(stop, self.sparse_queries.shape[0])
        sparse = self.sparse_queries[start:stop] @ self.sparse_docs
        if self.dense_docs is None:
            return sparse.toarray()
        dense = self.dense_queries[start:stop].toarray() @ self.dense_docs
        return np.asarray(sparse + dense, dtype=np.float32)


def _summed_postings(postings: sp.csr_matrix, cols: np.ndarray, vals: np.ndarray, n: int) -> np.ndarray:
    """Dense float32 scores of `n` documents: the posting lists (rows of `postings`) of the query's columns,
    each times the query's value, summed per document."""
    m = postings
    docs = np.concatenate([m.indices[m.indptr[j] : m.indptr[j + 1]] for j in cols.tolist()])
    contributions = np.concatenate(
        [
            m.data[m.indptr[j] : m.indptr[j + 1]] * np.float32(v)
            for j, v in zip(cols.tolist(), vals.tolist(), strict=True)
        ]
    )
    return np.bincount(docs, weights=contributions, minlength=n).astype(np.float32)


def _count_rows(analysed: Sequence[Analysed], vocabulary_: dict[str, int], grow: bool) -> sp.csr_matrix:
    """docs x terms matrix of weighted counts; with `grow`, unseen terms get new columns, else are dropped."""
    indptr, indices, data = [0], [], []
    if grow:
        add = vocabulary_.setdefault
        for a in analysed:
            indices.extend([add(term, len(vocabulary_)) for term in a.terms])
            data.extend(a.terms.values())
            indptr.append(len(indices))
    else:
        get = vocabulary_.get
        for a in analysed:
            for term, count in a.terms.items():
                j = get(term)
                if j is not None:
                    indices.append(j)
                    data.append(count)
            indptr.append(len(indices))
    matrix = sp.csr_matrix(
        (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int32), indptr),
        shape=(len(analysed), len(vocabulary_)),
    )
    matrix.sort_indices()
    return matrix


def _stack(parts: list[sp.csr_matrix], width: int) -> sp.csr_matrix:
    if not parts:
        return sp.csr_matrix((0, width), dtype=np.float32)
    resized = [sp.csr_matrix((p.data, p.indices, p.indptr), shape=(p.shape[0], width)) for p in parts]
    return sp.vstack(resized, format="csr")


class Index:
    """Documents ranked against queries. Build with :meth:`MatchingEngine.fit`.

    Cheap: :meth:`top_k` (milliseconds); :meth:`add` and :meth:`remove` (an added document is vectorised with
    the current vocabulary and IDF, so words the index has never seen count only after the next refit; a
    removed one is masked). :meth:`refit` (automatic once `refit_ratio` of the documents changed) recomputes
    vocabulary, IDF and vectors from the stored counts without analysing text again.
    """

    def __init__(self, engine: MatchingEngine):
        self.engine = engine
        self.config = engine.config
        self._analysed: list[Analysed] = []
        self._alive = np.zeros(0, dtype=bool)
        self._positions: dict[Any, int] = {}
        self._id_keys: list[tuple] = []  # position -> _id_key of its document's id
        self._sides = np.zeros(0, dtype=object)  # position -> its document's side
        self._ids = np.zeros(0, dtype=object)  # position -> its document's id
        self._extra: dict[int, dict[str, float]] = {}  # position -> counts of terms unseen at the last fit
        self._changes = 0

    # -- building --
    def _build(
        self,
        analysed: list[Analysed],
        counts: sp.csr_matrix,
        terms: list[str],
        cpv: sp.csr_matrix | None = None,
    ) -> None:
        self._analysed = analysed
        self._alive = np.ones(len(analysed), dtype=bool)
        self._positions = {a.document.id: i for i, a in enumerate(analysed)}
        self._id_keys, self._sides, self._ids = _per_position(analysed)
        self._extra = {}
        self._counts = counts
        self._terms = terms
        self.vocabulary = {t: j for j, t in enumerate(terms)}
        themes = sorted({t for a in analysed for t in a.themes})
        self.theme_vocabulary = {t: j for j, t in enumerate(themes)}
        self.tfidf = TfidfTransformer(sublinear_tf=self.config.sublinear_tf)
        if counts.shape[1]:
            self.tfidf.fit(counts)
            if self.config.idf_power != 1.0:
                self.tfidf.idf_ = self.tfidf.idf_**self.config.idf_power
        self._bridges = self._bridge_matrices()
        self._rows = self._vectors(counts, analysed, cpv)
        self._changes = 0
        self._refresh()

    def _vectors(
        self, counts: sp.csr_matrix, analysed: Sequence[Analysed], cpv: sp.csr_matrix | None = None
    ) -> sp.csr_matrix:
        """The combined, weighted rows: [sqrt(wt) * text | sqrt(wc) * cpv | sqrt(wh) * themes]. `cpv`, when
        given, is code_vectors() of the documents' weighted codes (made by the fit's workers)."""
        config = self.config
        if counts.shape[1]:
            text = self._text_vectors(counts, analysed)
        else:
            text = sp.csr_matrix((len(analysed), 0), dtype=np.float32)
        if cpv is None:
            cpv = code_vectors([a.weighted_codes(config) for a in analysed], config.cpv_levels)
        indptr, indices, data = [0], [], []
        for a in analysed:
            cols = sorted({self.theme_vocabulary[t] for t in a.themes if t in self.theme_vocabulary})
            indices.extend(cols)
            data.extend([1.0 / math.sqrt(len(cols))] * len(cols) if cols else [])
            indptr.append(len(indices))
        theme = sp.csr_matrix(
            (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int32), indptr),
            shape=(len(analysed), len(self.theme_vocabulary)),
        )
        blocks = [
            text * np.float32(math.sqrt(config.text_weight)),
            cpv * np.float32(math.sqrt(config.cpv_weight)),
            theme * np.float32(math.sqrt(config.theme_weight)),
        ]
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def _bridge_matrices(self) -> dict[str, sp.csr_matrix | None] | None:
        """Per language (nl, fr, en): the bridge's links inside this index's vocabulary as a terms x terms
        matrix (source -> equivalents, the same weights as _links_of; None when the vocabulary holds no
        word of that language with a link); None when the bridge is off."""
        self._link_cache: dict[str, dict[str, tuple[tuple[int, float], ...]]] = {}
        if self.config.bridge_weight <= 0 or not self._terms:
            return None
        # Equivalents that many documents hold ("services", "supply") say little and cost much (their
        # postings are long): only terms in at most bridge_max_df of the documents are bridged to.
        df = np.bincount(self._counts.indices, minlength=len(self._terms))
        limit = max(1.0, self.config.bridge_max_df * self._counts.shape[0])
        allowed = {t: j for t, j in self.vocabulary.items() if df[j] <= limit}
        self._bridge_targets = allowed
        bridge = load_bridge()
        return {lang: bridge.matrix(lang, self.vocabulary, allowed) for lang in LANGUAGES}

    def _links_of(self, lang: str | None, term: str) -> tuple[tuple[int, float], ...]:
        """The columns of this index that a term of `lang` bridges to, with their weights (cached). The term
        itself need not be in the vocabulary: a Dutch need meets an index of English offerings."""
        if lang not in (getattr(self, "_bridges", None) or {}):
            return ()
        cache = self.__dict__.setdefault("_link_cache", {}).setdefault(lang, {})
        found = cache.get(term)
        if found is None:
            merged: dict[int, float] = {}
            for _other, target, weight in load_bridge().equivalent_stems(term, lang):
                j = self._bridge_targets.get(target)
                if j is not None and target != term:
                    merged[j] = min(1.0, merged.get(j, 0.0) + weight)
            found = tuple(sorted(merged.items()))
            if len(cache) > 200_000:  # queries bring words the index never saw: keep the cache bounded
                cache.clear()
            cache[term] = found
        return found

    def _bridged_terms(self, a: Analysed) -> dict[int, float]:
        """column -> the tf that one analysed document's words give its equivalents (before bridge_weight)."""
        extra: dict[int, float] = {}
        if a.language not in (getattr(self, "_bridges", None) or {}):
            return extra
        sublinear = self.config.sublinear_tf
        for term, count in a.terms.items():
            links = self._links_of(a.language, term)
            if links:
                tf = math.log(count) + 1.0 if sublinear else count
                for j, weight in links:
                    extra[j] = extra.get(j, 0.0) + tf * weight
        return extra

    def _text_vectors(self, counts: sp.csr_matrix, analysed: Sequence[Analysed]) -> sp.csr_matrix:
        """TF-IDF rows of weighted counts (as TfidfTransformer.transform), with each Dutch, French or English
        row's bridged terms added before the IDF: tf + bridge_weight * tf @ links (see :mod:`.bridge`).

        Rows whose analysis still holds its terms take their words' links one by one (words the vocabulary
        lacks have equivalents too); the others (a fit, a refit) are multiplied by the link matrices. Done
        in blocks of rows, so that the intermediate matrices stay small."""
        step = 20_000
        blocks = [
            self._text_block(counts[start : start + step], analysed[start : start + step])
            for start in range(0, counts.shape[0], step)
        ]
        if len(blocks) == 1:
            return blocks[0]
        return sp.vstack(blocks, format="csr", dtype=np.float32)

    def _text_block(self, counts: sp.csr_matrix, analysed: Sequence[Analysed]) -> sp.csr_matrix:
        tf = sp.csr_matrix(counts, dtype=np.float64, copy=True)
        if self.config.sublinear_tf:
            np.log(tf.data, tf.data)
            tf.data += 1.0
        bridges = getattr(self, "_bridges", None)
        if bridges and self.config.bridge_weight > 0:
            rows, cols, vals = [], [], []
            by_language: dict[str, list[int]] = {}
            for r, a in enumerate(analysed):
                if a.language not in bridges:
                    continue
                if a.terms is not None:
                    extra = self._bridged_terms(a)
                    rows.extend([r] * len(extra))
                    cols.extend(extra)
                    vals.extend(extra.values())
                elif bridges[a.language] is not None:
                    by_language.setdefault(a.language, []).append(r)
            bridged = sp.csr_matrix((vals, (rows, cols)), shape=tf.shape, dtype=np.float64)
            for lang, members in by_language.items():
                select = sp.csr_matrix(
                    (np.ones(len(members)), (members, members)), shape=(tf.shape[0], tf.shape[0])
                )
                bridged = bridged + select @ tf @ bridges[lang]
            if bridged.nnz:
                tf = tf + self.config.bridge_weight * bridged
            del bridged
        text = sp.csr_matrix(tf @ sp.diags(self.tfidf.idf_))
        del tf
        lengths = np.diff(text.indptr)
        squares = np.bincount(
            np.repeat(np.arange(text.shape[0]), lengths), weights=text.data**2, minlength=text.shape[0]
        )
        norms = np.sqrt(squares)
        norms[norms == 0] = 1.0
        text.data /= np.repeat(norms, lengths)
        text = sp.csr_matrix(text, dtype=np.float32)
        text.sort_indices()
        return text

    def _refresh(self) -> None:
        """The state derived from the rows after a change: the posting lists now; the ids' order and the side
        masks when a query first needs them. A worker that adds one document to an index of 50,000 spent
        most of the change sorting every id again in Python, which scoring one document never reads."""
        self._matrix_t = self._rows.T.tocsr()
        self._transposed = self._rows.shape[0]
        self._forget_order()

    def _forget_order(self) -> None:
        self._tail_t: sp.csr_matrix | None = None
        self._side_masks: dict[str, np.ndarray] = {}
        self._id_rank_cache: np.ndarray | None = None

    # Rows added after the posting lists were made (the tail) are scored from the rows themselves until
    # there are this many; then the lists are made again. Transposing 50,000 rows took 35 ms at every
    # added document, in every worker that applied it.
    TAIL_ROWS = 512

    def _after_add(self) -> None:
        if self._rows.shape[0] - self._transposed > self.TAIL_ROWS:
            self._refresh()
        else:
            self._forget_order()

    def _postings(self) -> sp.csr_matrix:
        """The posting lists of every row (the transposed rows), tail included: what products need."""
        if self._transposed != self._rows.shape[0]:
            self._refresh()
        return self._matrix_t

    @property
    def _id_rank(self) -> np.ndarray:
        """Each position's rank in the order of the documents' ids (ties between equal scores go by id)."""
        if self._id_rank_cache is None:
            keys = self._id_keys
            rank = np.empty(len(keys), dtype=np.int64)
            rank[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
            self._id_rank_cache = rank
        return self._id_rank_cache

    # -- changes --
    def __len__(self) -> int:
        return int(self._alive.sum())

    def __contains__(self, doc_id: Any) -> bool:
        return doc_id in self._positions

    @property
    def ids(self) -> list[Any]:
        return [self._analysed[i].document.id for i in np.flatnonzero(self._alive)]

    @property
    def matrix(self) -> sp.csr_matrix:
        """The live documents' vectors, rows in the order of `ids`: scores = matrix @ vectorize([q]).T."""
        return self._rows[np.flatnonzero(self._alive)]

    def document(self, doc_id: Any) -> Document:
        if doc_id not in self._positions:
            raise UnknownDocument(doc_id)
        return self._analysed[self._positions[doc_id]].document

    def add(self, documents: Iterable[Document], refit: bool = True) -> None:
        """Add documents, or replace those with the same id. Cheap: no refit unless many documents changed
        (and never with `refit=False`, for callers that decide themselves when to refit: see drift())."""
        docs = list(documents)
        if not docs:
            return
        keys = [_id_key(doc.id) for doc in docs]
        if len(set(keys)) != len(keys):
            raise InvalidDocument("the same document id more than once in one add()")
        replaced = [doc.id for doc in docs if doc.id in self._positions]
        if replaced:
            self.remove(replaced, refit=False)
        analysed = self.engine.analyse(docs)
        start = len(self._analysed)
        counts = _count_rows(analysed, self.vocabulary, grow=False)
        for i, a in enumerate(analysed):
            unseen = {t: c for t, c in a.terms.items() if t not in self.vocabulary}
            if unseen:
                self._extra[start + i] = unseen
        rows = self._vectors(counts, analysed)  # (the terms' equivalents count at once, seen words or not)
        for a in analysed:
            a.terms = None
        self._analysed.extend(analysed)
        self._alive = np.concatenate([self._alive, np.ones(len(analysed), dtype=bool)])
        keys, sides, ids = _per_position(analysed)
        self._id_keys.extend(keys)
        self._sides = np.concatenate([self._sides, sides])
        self._ids = np.concatenate([self._ids, ids])
        for i, a in enumerate(analysed):
            self._positions[a.document.id] = start + i
        self._counts = sp.vstack([self._counts, counts], format="csr")
        self._rows = sp.vstack([self._rows, rows], format="csr")
        self._changes += len(analysed)
        if not (refit and self._maybe_refit()):
            self._after_add()

    def remove(self, ids: Iterable[Any], refit: bool = True) -> None:
        """Remove documents by id (an unknown id raises UnknownDocument). Cheap: masked until the next
        refit."""
        ids = list(ids)
        missing = [doc_id for doc_id in ids if doc_id not in self._positions]
        if missing:
            raise UnknownDocument(missing[0])
        for doc_id in ids:
            position = self._positions.pop(doc_id)
            self._alive[position] = False
            self._extra.pop(position, None)
            self._changes += 1
        self._side_masks = {}
        if refit:
            self._maybe_refit()

    def _maybe_refit(self) -> bool:
        if self._changes > self.config.refit_ratio * max(len(self), 1):
            self.refit()
            return True
        return False

    def refit(self) -> None:
        """Recompute vocabulary, IDF and vectors of the live documents (no text is analysed again)."""
        live = np.flatnonzero(self._alive)
        counts = self._counts[live]
        terms = list(self._terms)
        vocabulary_ = dict(self.vocabulary)
        extra_rows = []
        for position in live.tolist():
            extra_rows.append(self._extra.get(position, {}))
        if any(extra_rows):
            holders = [Analysed(Document(id=0), None, row, None, (), [], ()) for row in extra_rows]
            extra = _count_rows(holders, vocabulary_, grow=True)
            terms = list(vocabulary_)
            counts = _stack([counts], len(terms)) + extra
        used = np.flatnonzero(np.bincount(counts.indices, minlength=counts.shape[1]))
        counts = counts[:, used].tocsr()
        self._build([self._analysed[i] for i in live.tolist()], counts, [terms[j] for j in used.tolist()])

    def drift(self) -> Drift:
        """How far the index has moved from its last fit (see :class:`Drift`)."""
        live = np.flatnonzero(self._alive)
        known = float(self._counts[live].sum()) if len(live) else 0.0
        unknown = float(sum(sum(row.values()) for row in self._extra.values()))
        total = known + unknown
        return Drift(
            documents=len(live),
            changes=self._changes,
            changed_share=self._changes / max(len(live), 1),
            unknown_share=unknown / total if total else 0.0,
        )

    # -- sides --
    def _side_mask(self, side: str) -> np.ndarray:
        """Live positions whose document is on `side` (cached until the next change)."""
        mask = self._side_masks.get(side)
        if mask is None:
            mask = (self._sides == side) & self._alive
            self._side_masks[side] = mask
        return mask

    def rows(self, ids: Sequence[Any]) -> sp.csr_matrix:
        """The index's own rows of these indexed documents (query rows for :meth:`top_k_vectors`)."""
        missing = [doc_id for doc_id in ids if doc_id not in self._positions]
        if missing:
            raise UnknownDocument(missing[0])
        return self._rows[[self._positions[doc_id] for doc_id in ids]]

    def side_scores(self, doc_id: Any, side: str) -> tuple[list[Any], np.ndarray]:
        """Every positive score of an indexed document against the live documents of `side`: (ids, float32
        scores), in index order. The same dot products as ranking, summed one posting list at a time."""
        if doc_id not in self._positions:
            raise UnknownDocument(doc_id)
        row = self._rows[self._positions[doc_id]]
        scores = self._scores_of(row.indices.astype(np.int64), row.data.astype(np.float64))
        scores[~self._side_mask(side)] = 0.0
        hits = np.flatnonzero(scores > 0)
        return self._ids[hits].tolist(), np.minimum(scores[hits], 1.0)

    # -- queries --
    def vectorize(self, documents: Sequence[Document]) -> sp.csr_matrix:
        """Query rows for documents in this index's space (analyses them; reuse the result for many
        rankings)."""
        analysed = self.engine.analyse(list(documents))
        return self._vectors(_count_rows(analysed, self.vocabulary, grow=False), analysed)

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
        chosen, values = self._select_row(scores, k)
        return [
            Match(self._analysed[i].document.id, min(v, 1.0))
            for i, v in zip(chosen.tolist(), values.tolist(), strict=True)
        ]

    def _query_vector(self, query: Document) -> tuple[np.ndarray, np.ndarray]:
        """One query's combined vector as (columns, values), without building sparse matrices: the fast path
        of :meth:`top_k`, equal to :meth:`vectorize` up to float rounding."""
        return self._vector_of(self.engine.analyse([query])[0])

    def _vector_of(self, a: Analysed) -> tuple[np.ndarray, np.ndarray]:
        config = self.config
        cols, counts = [], []
        for term, count in a.terms.items():
            j = self.vocabulary.get(term)
            if j is not None:
                cols.append(j)
                counts.append(count)
        parts_cols, parts_vals = [], []
        extra = self._bridged_terms(a) if config.bridge_weight > 0 else {}
        if extra:
            merged = dict(zip(cols, np.log(counts) + 1.0 if config.sublinear_tf else counts, strict=True))
            for j, value in extra.items():
                merged[j] = merged.get(j, 0.0) + config.bridge_weight * value
            cols = sorted(merged)
            counts = [merged[j] for j in cols]
        elif cols and config.sublinear_tf:
            counts = np.log(np.array(counts, dtype=np.float64)) + 1.0
        if cols:
            tf = np.array(counts, dtype=np.float64)
            weights = tf * self.tfidf.idf_[cols]
            weights /= np.sqrt((weights**2).sum())
            parts_cols.append(np.array(cols, dtype=np.int64))
            parts_vals.append(weights * math.sqrt(config.text_weight))
        offset = len(self._terms)
        code_cols, code_vals = code_row(a.weighted_codes(config), config.cpv_levels)
        if code_cols:
            parts_cols.append(np.array(code_cols, dtype=np.int64) + offset)
            parts_vals.append(code_vals * math.sqrt(config.cpv_weight))
        offset += len(feature_space())
        themes = sorted({self.theme_vocabulary[t] for t in a.themes if t in self.theme_vocabulary})
        if themes:
            parts_cols.append(np.array(themes, dtype=np.int64) + offset)
            parts_vals.append(np.full(len(themes), math.sqrt(config.theme_weight / len(themes))))
        if not parts_cols:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(parts_cols), np.concatenate(parts_vals)

    def _scores_of(self, cols: np.ndarray, vals: np.ndarray) -> np.ndarray:
        """Dense scores of one query against every document: the postings of its columns, summed."""
        n = len(self._analysed)
        if not len(cols):
            return np.zeros(n, dtype=np.float32)
        scores = _summed_postings(self._matrix_t, cols, vals, n)
        if self._transposed < n:  # the tail's own posting lists, summed the same way (the same floats)
            if self._tail_t is None:
                self._tail_t = self._rows[self._transposed :].T.tocsr()
            scores[self._transposed :] = _summed_postings(self._tail_t, cols, vals, n - self._transposed)
        return scores

    def scores(self, query: Document) -> dict[Any, float]:
        """Score of every live document against one query (for inspection and tests)."""
        self._check_k(1)
        row = self._scores_of(*self._query_vector(query))
        return {self._analysed[i].document.id: float(row[i]) for i in np.flatnonzero(self._alive)}

    def top_k(self, query: Document, k: int = 10, exclude_self: bool = False) -> list[Match]:
        """The k best documents for one query document, best first (only scores above 0)."""
        self._check_k(k)
        scores = self._scores_of(*self._query_vector(query))
        return self._select(scores, k, self._positions.get(query.id) if exclude_self else None)

    def top_k_many(
        self,
        queries: Sequence[Document],
        k: int = 10,
        exclude_self: bool = False,
        progress: Progress | None = None,
        workers: int = 1,
    ) -> list[list[Match]]:
        """top_k for many queries at once (much faster than one by one; see top_k_vectors for `workers`)."""
        self._check_k(k)
        queries = list(queries)
        vectors = self.vectorize(queries) if queries else sp.csr_matrix((0, self._rows.shape[1]))
        excludes = [q.id for q in queries] if exclude_self else None
        return self.top_k_vectors(vectors, k, excludes, progress, workers=workers)

    def top_k_vectors(
        self,
        vectors: sp.csr_matrix,
        k: int,
        exclude_ids: Sequence[Any] | None = None,
        progress: Progress | None = None,
        block: int = 256,
        workers: int = 1,
        side: str | None = None,
    ) -> list[list[Match]]:
        """Rank for query rows made by :meth:`vectorize` (or :meth:`rows`). Exact: equal to sorting every
        score, ties by id. With `side`, only the documents of that side are ranked.

        With `workers` > 1 the blocks of queries are ranked in that many threads (the products and sorts run
        in numpy, scipy and BLAS, which release the GIL; fine inside a web worker too). The result is the
        same.
        """
        ranked: list[list[Match]] = []
        blocks = self.ranked_blocks(vectors, k, exclude_ids, progress, block, workers, side)
        for _start, ids, selected in blocks:
            ranked.extend(
                [Match(ids[p], s) for p, s in zip(pos.tolist(), val.tolist(), strict=True)]
                for pos, val in selected
            )
        return ranked

    def ranked_blocks(
        self,
        vectors: sp.csr_matrix,
        k: int,
        exclude_ids: Sequence[Any] | None = None,
        progress: Progress | None = None,
        block: int = 256,
        workers: int = 1,
        side: str | None = None,
    ) -> Iterator[tuple[int, list[Any], list[tuple[np.ndarray, np.ndarray]]]]:
        """:meth:`top_k_vectors` as plain arrays, one block of queries at a time, for rankings too large to
        hold as Match objects: (first query row of the block, the ranked documents' ids, and for each query of
        the block the positions in those ids and the scores of its top k, capped at 1)."""
        self._check_k(k)
        n = vectors.shape[0]
        excludes: list[int | None] = [None] * n
        if exclude_ids is not None:
            excludes = [self._positions.get(doc_id) for doc_id in exclude_ids]
        starts = list(range(0, n, block))
        ids = [a.document.id for a in self._analysed]
        if side is None:
            plan = _ProductPlan(vectors, self._postings())
            select = self._select_block
        else:
            # Only the side's columns are multiplied; positions are mapped back to the index's.
            columns = np.flatnonzero(self._side_mask(side))
            if not len(columns):
                for start in starts:
                    nothing = (np.zeros(0, np.int64), np.zeros(0, np.float32))
                    yield start, [], [nothing] * min(block, n - start)
                return
            plan = _ProductPlan(vectors, self._postings()[:, columns])
            ids = [ids[c] for c in columns.tolist()]
            where = {int(c): i for i, c in enumerate(columns.tolist())}
            excludes = [where.get(position) if position is not None else None for position in excludes]
            alive, id_rank = np.ones(len(columns), dtype=bool), self._id_rank[columns]

            def select(scores, k, excludes):
                return self._select_block(scores, k, excludes, alive, id_rank)

        def rank(start: int) -> list[tuple[np.ndarray, np.ndarray]]:
            scores = plan.scores(start, start + block)
            selected = select(scores, k, excludes[start : start + block])
            return [(pos, np.minimum(val, np.float32(1.0))) for pos, val in selected]

        with _gc_paused():
            if workers > 1 and len(starts) > 1:
                # One BLAS thread per worker: the workers already keep the cores busy.
                with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(workers) as pool:
                    for start, part in zip(starts, pool.map(rank, starts), strict=True):
                        yield start, ids, part
                        if progress:
                            progress(min(start + block, n), n)
            else:
                for start in starts:
                    yield start, ids, rank(start)
                    if progress:
                        progress(min(start + block, n), n)

    def _select_block(
        self,
        dense: np.ndarray,
        k: int,
        excludes: Sequence[int | None],
        alive: np.ndarray | None = None,
        id_rank: np.ndarray | None = None,
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Row-wise top k of a block of scores (modified): positions and scores, ties by id, positives
        only. `alive` and `id_rank` describe the columns when they are not the index's own."""
        alive = self._alive if alive is None else alive
        id_rank = self._id_rank if id_rank is None else id_rank
        if not alive.all():
            dense[:, ~alive] = 0.0
        for r, position in enumerate(excludes):
            if position is not None:
                dense[r, position] = 0.0
        rows, n = dense.shape
        out = []
        if k >= n:
            for r in range(rows):
                out.append(self._select_row(dense[r], k, id_rank))
            return out
        # A lower bound of each row's k-th best score, cheaper than a partition: cut the row into k pieces;
        # the smallest of their k maxima is reached by at least k scores. Everything at or above it is a
        # candidate (a few dozen a row), and zero scores never count.
        width = -(-n // k)
        padded = dense if width * k == n else np.pad(dense, ((0, 0), (0, width * k - n)))
        bound = padded.reshape(rows, k, width).max(axis=2).min(axis=1)
        # (exact: the k-th best is >= bound, so the true top k, ties included, are all candidates)
        kth = np.maximum(bound, np.float32(1e-12))
        hits = np.flatnonzero(dense >= kth[:, None])
        rows_hit, cols_hit = np.divmod(hits, n)
        values_hit = dense.ravel()[hits]
        # All rows' candidates sorted at once: by row, score descending, then id; the first k of each row.
        order = np.lexsort((id_rank[cols_hit], -values_hit, rows_hit))
        rows_hit, cols_hit, values_hit = rows_hit[order], cols_hit[order], values_hit[order]
        bounds = np.searchsorted(rows_hit, np.arange(rows + 1))
        for r in range(rows):
            stop = min(bounds[r] + k, bounds[r + 1])
            out.append((cols_hit[bounds[r] : stop], values_hit[bounds[r] : stop]))
        return out

    def _select_row(
        self, scores: np.ndarray, k: int, id_rank: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        id_rank = self._id_rank if id_rank is None else id_rank
        n = len(scores)
        if k < n:
            # The same bound as in _select_block: the smallest of the maxima of k pieces.
            width = -(-n // k)
            padded = scores if width * k == n else np.pad(scores, (0, width * k - n))
            bound = padded.reshape(k, width).max(axis=1).min()
            candidates = np.flatnonzero(scores >= max(bound, np.float32(1e-12)))
        else:
            candidates = np.flatnonzero(scores > 0)
        order = np.lexsort((id_rank[candidates], -scores[candidates]))[:k]
        chosen = candidates[order]
        return chosen, scores[chosen]

    # -- explanations --
    def _analysed_for(self, doc: Document | Any) -> Analysed:
        if not isinstance(doc, Document):
            doc = self.document(doc)
        return self.engine.analyse([doc], surface=True)[0]

    def explain(
        self, query: Document | Any, match: Document | Any, reader_language: str = "nl", max_terms: int = 10
    ) -> Explanation:
        """Why `match` scores what it does for `query` (documents, or ids of documents in this index).

        Shared terms are shown as written in each text; CPV labels are in `reader_language` (nl, fr or en;
        English otherwise). The components add up to the score that ranking gives.
        """
        return self.explain_many(query, [match], reader_language, max_terms)[0]

    def explain_many(
        self,
        query: Document | Any,
        matches: Sequence[Document | Any],
        reader_language: str = "nl",
        max_terms: int = 10,
    ) -> list[Explanation]:
        """explain() for one query and several matches (the query is analysed once)."""
        a = self._analysed_for(query)
        vector_a = dict(zip(*(x.tolist() for x in self._vector_of(a)), strict=True))
        return [
            self._explain(a, vector_a, self._analysed_for(m), reader_language, max_terms) for m in matches
        ]

    def _explain(
        self, a: Analysed, vector_a: dict[int, float], b: Analysed, reader_language: str, max_terms: int
    ) -> Explanation:
        config = self.config
        vector_b = dict(zip(*(x.tolist() for x in self._vector_of(b)), strict=True))
        n_text = len(self._terms)
        n_cpv = len(feature_space())
        components = {"text": 0.0, "cpv": 0.0, "theme": 0.0}
        shared = []
        for j in sorted(set(vector_a) & set(vector_b)):
            product = vector_a[j] * vector_b[j]
            if j < n_text:
                components["text"] += product
                shared.append((product, self._terms[j]))
            elif j < n_text + n_cpv:
                components["cpv"] += product
            else:
                components["theme"] += product
        score = min(sum(components.values()), 1.0)
        terms = [t for _, t in shared]
        shared_terms, bridged = split_bridged(
            shared,
            (a.language, a.surface, self._sources(a, terms)),
            (b.language, b.surface, self._sources(b, terms)),
            max_terms,
        )
        language = reader_language if reader_language in LANGUAGES else "en"
        return Explanation(
            score=score,
            components=components,
            shared_terms=shared_terms,
            cpv=cpv_reasons(a, b, language) if config.cpv_weight > 0 else [],
            themes=[t for t in a.themes if t in set(b.themes)] if config.theme_weight > 0 else [],
            language=language,
            bridged=bridged,
        )

    def _sources(self, a: Analysed, terms: Iterable[str]) -> dict[str, str]:
        """For each of these terms that `a` holds only through the bridge: the own term it stands for (the
        one with the strongest link; ties by term)."""
        wanted = {self.vocabulary[t] for t in terms if t not in a.surface and t in self.vocabulary}
        best: dict[int, tuple[float, str]] = {}
        if wanted:
            for own in a.surface:
                for j, weight in self._links_of(a.language, own):
                    if j in wanted and (j not in best or (-weight, own) < best[j]):
                        best[j] = (-weight, own)
        return {self._terms[j]: own for j, (_w, own) in best.items()}

    def profile(self, doc: Document | Any) -> Profile:
        """What explaining this document needs, in this index's space, as plain data (see :class:`Profile`):
        stored beside ranked pairs, it lets a process without the index explain them."""
        return self._profile_of(self._analysed_for(doc))

    def profiles(self, docs: Sequence[Document | Any]) -> list[Profile]:
        """:meth:`profile` of many documents with one analysis (the CPV inference runs once for all)."""
        documents = [doc if isinstance(doc, Document) else self.document(doc) for doc in docs]
        return [self._profile_of(a) for a in self.engine.analyse(documents, surface=True)]

    def _profile_of(self, a: Analysed) -> Profile:
        cols, vals = self._vector_of(a)
        n_text = len(self._terms)
        text = {self._terms[j]: v for j, v in zip(cols.tolist(), vals.tolist(), strict=True) if j < n_text}
        sources = self._sources(a, text)
        forms = {t: a.surface.get(sources.get(t, t), t) for t in text}
        return Profile(
            language=a.language,
            text={t: (round(w, 9), forms[t]) for t, w in sorted(text.items())},
            declared=a.declared,
            inferred=tuple((code, round(conf, 9)) for code, conf in a.inferred),
            themes=a.themes,
            indexed_themes=tuple(t for t in a.themes if t in self.theme_vocabulary),
            bridged=sources,
        )

    # -- persistence --
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_link_cache", None)  # rebuilt on use: the bridge's links of the words queries brought
        # Derived from the rows and documents: rebuilt on loading (the transpose was a third of the bytes).
        for name in (
            "_matrix_t",
            "_transposed",
            "_tail_t",
            "_side_masks",
            "_id_rank_cache",
            "_id_keys",
            "_sides",
            "_ids",
        ):
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict) -> None:
        # Also reads indexes saved before the ids' keys and sides were kept (their `_id_rank` array goes).
        state.pop("_id_rank", None)
        self.__dict__.update(state)
        self._id_keys, self._sides, self._ids = _per_position(self._analysed)
        if hasattr(self, "_rows"):  # built
            self._refresh()

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

    def dumps(self) -> bytes:
        """The index as bytes (pickle, zlib-compressed): for a shared store this application writes itself."""
        return zlib.compress(pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL), 1)

    @staticmethod
    def loads(data: bytes) -> Index:
        index = pickle.loads(zlib.decompress(data))  # noqa: S301 - our own bytes, see dumps()
        if not isinstance(index, Index):
            raise TypeError("not a matching index")
        return index
