"""A bridge between Dutch, French and English: which words of one language stand for which of another.

Pure Python (no Flask, no SQLAlchemy) and nothing downloaded: the table is learned, once per process, from
two sources inside the repository:

* the CPV 2008 vocabulary (``matchmaker/reference/cpv2008_nl_fr_en.tsv``): about 9,400 labels, each in
  Dutch, French and English, a small parallel corpus. Every label is analysed like a document of its
  language (stop words out, Snowball stems, Dutch compounds also split into parts). For each pair of
  languages, a stem ``s`` of one and a stem ``t`` of the other are linked when they occur in the labels of
  the same codes much more often than chance: the association is the cosine
  ``co(s, t) / sqrt(df(s) * df(t))`` (``co``: codes whose labels hold both, ``df``: codes whose label holds
  one), kept when it reaches ``MIN_ASSOCIATION`` and at least ``RELATIVE`` of the stem's best link, with
  at least ``MIN_CODES`` codes in common (or a label of one word each side: "Zaden" / "Seeds");
* a short glossary we wrote for the domain (``bridge_glossary.tsv``: innovation, mobility, energy,
  climate, care, digital government...; words that procurement labels lack, such as "fietser" /
  "cycliste" / "cyclist" or "kruispunt" / "carrefour" / "intersection"), each row one word in the three
  languages, linked with weight 1.

Stems that are equal in two languages ("camera", "sensor") need no link: they already meet in the index.

The table is learned once by ``python -m matchmaker.matching.bridge``, which writes ``bridge_table.tsv``
beside this module (run it after changing the glossary, the thresholds below or the CPV file; a test checks
that the shipped table is current). Processes read that file on first use; if its inputs changed since, they
learn the table again in memory instead (a second or two).

How the web side uses it (h17b)
-------------------------------
::

    from matchmaker.matching.bridge import load_bridge

    bridge = load_bridge()                      # cached: read once per process (~60 ms CPU, ~12 MB)
    bridge.equivalents("fietsers", "nl")
    # -> [("cyclistes", "fr", 1.0), ("cyclists", "en", 1.0), ...]  best first, other languages only

* ``equivalents(word, lang)``: ``word`` is a surface word as a user typed it (any case, accents or not),
  ``lang`` is ``'nl'``, ``'fr'`` or ``'en'`` (anything else gives ``[]``). The result holds
  ``(word, language, weight)`` with weight in (0, 1], best first, never in ``lang`` itself. The words
  returned are readable forms (the most common way the CPV labels or the glossary write that stem), so they
  can be shown and searched for as they are; to search, compare stems, not strings (a catalogue search
  would analyse them like any query word). Unknown words give ``[]``.
* ``equivalent_stems(stem, lang)`` is the same on stems (what the engine uses).
* Engine explanations (``Index.explain``/``explain_many``, ``explain_profiles``) carry
  ``Explanation.bridged``: a list of :class:`~matchmaker.matching.documents.BridgedTerm`
  ``(need_word, need_lang, offering_word, offering_lang, weight)`` (the query's word first, as in
  ``shared_terms``), e.g. ``BridgedTerm("fietsers", "nl", "cyclists", "en", 0.012)``; render it as
  "fietsers ↔ cyclists". ``str()`` of one gives exactly that.

Size and speed: see :func:`load_bridge` (measured figures are in the package documentation).
"""

from __future__ import annotations

import csv
import hashlib
import sys
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from matchmaker.reference.cpv import DATA_FILE, LANGUAGES, vocabulary

from .analysis import COMPOUNDING, Analyzer, fold

GLOSSARY_FILE = Path(__file__).with_name("bridge_glossary.tsv")
# The learned table, written by `python -m matchmaker.matching.bridge` and read at start-up (a few
# milliseconds and a few MB, where learning takes a second or two and more memory). It names a fingerprint
# of its inputs: when they changed since, the table is learned again in memory.
TABLE_FILE = Path(__file__).with_name("bridge_table.tsv")
# A link is kept when its association reaches MIN_ASSOCIATION and RELATIVE of the stem's best one, and the two
# stems share at least MIN_CODES codes (or both are the whole label of a code).
MIN_ASSOCIATION = 0.3
RELATIVE = 0.5
MIN_CODES = 2
# At most this many equivalents per stem and other language.
MAX_PER_LANGUAGE = 2


@dataclass(frozen=True)
class Bridge:
    """The learned table: for each language, stem -> ((other language, other stem, weight), ...), best
    first; and for each language, stem -> a readable word (for display)."""

    links: dict[str, dict[str, tuple[tuple[str, str, float], ...]]]
    words: dict[str, dict[str, str]]

    def equivalent_stems(self, stem: str, lang: str) -> tuple[tuple[str, str, float], ...]:
        """Equivalents of an analysed stem of `lang`: ((language, stem, weight), ...), best first."""
        return self.links.get(lang, {}).get(stem, ())

    def equivalents(self, word: str, lang: str) -> list[tuple[str, str, float]]:
        """Equivalents of a surface word of `lang` in the other two languages: [(word, language, weight)],
        best first (weight in (0, 1]); [] for an unknown word or language.

        A Dutch compound that has no link of its own gets those of its parts, at half weight.
        """
        if lang not in LANGUAGES or not word or not word.strip():
            return []
        analyzer = _analyzer()
        best: dict[tuple[str, str], float] = {}
        for token in analyzer.tokens(word):
            terms = analyzer.terms_of(token, lang)
            if not terms:
                continue
            found = self.equivalent_stems(terms[0], lang)
            scale = 1.0
            if not found:
                found = tuple(link for part in terms[1:] for link in self.equivalent_stems(part, lang))
                scale = 0.5
            for other, stem, weight in found:
                shown = self.words.get(other, {}).get(stem, stem)
                key = (shown, other)
                best[key] = max(best.get(key, 0.0), round(weight * scale, 4))
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0][1], item[0][0]))
        return [(shown, other, weight) for (shown, other), weight in ranked]

    def matrix(
        self, lang: str, vocabulary_: dict[str, int], targets: dict[str, int] | None = None
    ) -> sp.csr_matrix | None:
        """terms x terms matrix of `lang`'s links within an index vocabulary (source row -> equivalent
        columns, weights), or None when no link falls inside it. `targets`, a part of the vocabulary, limits
        the equivalents to its terms."""
        targets = vocabulary_ if targets is None else targets
        rows, cols, vals = [], [], []
        for stem, found in self.links.get(lang, {}).items():
            i = vocabulary_.get(stem)
            if i is None:
                continue
            for _other, target, weight in found:
                j = targets.get(target)
                if j is not None and j != i:
                    rows.append(i)
                    cols.append(j)
                    vals.append(weight)
        if not rows:
            return None
        n = len(vocabulary_)
        matrix = sp.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)), shape=(n, n))
        matrix.sum_duplicates()
        # A stem with equivalents in two languages that are the same stem ("bus") counts once, at its best.
        matrix.data = np.minimum(matrix.data, np.float32(1.0))
        return matrix

    def size(self) -> int:
        """Number of (directed) links."""
        return sum(len(found) for table in self.links.values() for found in table.values())


_LOCK = threading.Lock()
_BRIDGE: Bridge | None = None
_ANALYZER: Analyzer | None = None


def _analyzer() -> Analyzer:
    global _ANALYZER
    if _ANALYZER is None:
        analyzer = Analyzer(detect=False)
        for lang in sorted(COMPOUNDING.intersection(LANGUAGES)):  # label words: the compound parts known
            analyzer.learn_words(
                lang, {fold(w) for c in vocabulary().values() for w in analyzer.tokens(c.labels[lang])}
            )
        _ANALYZER = analyzer
    return _ANALYZER


def load_bridge() -> Bridge:
    """The bridge, read (or learned) on first use and then shared by the whole process (thread-safe)."""
    global _BRIDGE
    if _BRIDGE is None:
        with _LOCK:
            if _BRIDGE is None:
                _BRIDGE = read_table() or build_bridge()
    return _BRIDGE


def fingerprint() -> str:
    """What the learned table depends on: the CPV labels, the glossary, the thresholds and the stemmers."""
    from importlib.metadata import version

    digest = hashlib.sha256()
    for path in (DATA_FILE, GLOSSARY_FILE):
        digest.update(path.read_bytes() if path.exists() else b"")
    settings = (
        MIN_ASSOCIATION,
        RELATIVE,
        MIN_CODES,
        MAX_PER_LANGUAGE,
        version("snowballstemmer"),
        version("stopwordsiso"),
        2,  # the learning's own version: raise it when build_bridge changes
    )
    digest.update(repr(settings).encode())
    return digest.hexdigest()[:16]


def write_table(bridge: Bridge, path: Path = TABLE_FILE) -> None:
    """Write the table: a fingerprint line, then one line per link and one per word shown."""
    lines = [f"# generated by python -m matchmaker.matching.bridge; inputs {fingerprint()}"]
    for lang in LANGUAGES:
        for stem, found in sorted(bridge.links.get(lang, {}).items()):
            lines.extend(f"L\t{lang}\t{stem}\t{other}\t{target}\t{weight}" for other, target, weight in found)
    for lang in LANGUAGES:
        for stem, word in sorted(bridge.words.get(lang, {}).items()):
            lines.append(f"W\t{lang}\t{stem}\t{word}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_table(path: Path = TABLE_FILE) -> Bridge | None:
    """The table as written by write_table, or None when there is none or its inputs changed since."""
    if not path.exists():
        return None
    with path.open(encoding="utf-8") as handle:
        header = handle.readline().split()
        if not header or header[-1] != fingerprint():
            return None
        links: dict[str, dict[str, list[tuple[str, str, float]]]] = {lang: {} for lang in LANGUAGES}
        words: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
        intern = sys.intern
        for line in handle:
            kind, lang, stem, *rest = line.rstrip("\n").split("\t")
            if kind == "L":
                other, target, weight = rest
                links[lang].setdefault(intern(stem), []).append((other, intern(target), float(weight)))
            else:
                words[lang][intern(stem)] = rest[0]
    frozen = {lang: {stem: tuple(found) for stem, found in table.items()} for lang, table in links.items()}
    return Bridge(links=frozen, words=words)


def _label_terms(analyzer: Analyzer, text: str, lang: str, forms: dict[str, Counter]) -> set[str]:
    """The stems of one label (whole words and compound parts), counting how each stem is written."""
    terms: set[str] = set()
    for token in analyzer.tokens(text):
        found = analyzer.terms_of(token, lang)
        if found:
            terms.update(found)
            forms.setdefault(found[0], Counter())[token] += 1
    return terms


def read_glossary(path: Path = GLOSSARY_FILE) -> list[dict[str, str]]:
    """The glossary's rows: {"nl": ..., "fr": ..., "en": ...} (empty cells allowed; '#' lines skipped)."""
    if not path.exists():
        return []
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if line.strip() and not line.startswith("#"))
        for row in csv.DictReader(lines, delimiter="\t"):
            rows.append({lang: (row.get(lang) or "").strip() for lang in LANGUAGES})
    return rows


def build_bridge(glossary: Path | None = GLOSSARY_FILE) -> Bridge:
    """Learn the table from the CPV labels and the glossary (about a second; see the module docstring);
    `glossary=None` learns from the CPV labels alone."""
    analyzer = _analyzer()
    vocab = vocabulary()
    codes = sorted(vocab)
    forms: dict[str, dict[str, Counter]] = {lang: {} for lang in LANGUAGES}
    # One binary codes x stems matrix per language.
    term_ids: dict[str, dict[str, int]] = {lang: {} for lang in LANGUAGES}
    matrices: dict[str, sp.csr_matrix] = {}
    single: dict[str, list[str | None]] = {}
    for lang in LANGUAGES:
        ids = term_ids[lang]
        indptr, indices = [0], []
        alone: list[str | None] = []
        for code in codes:
            terms = _label_terms(analyzer, vocab[code].labels[lang], lang, forms[lang])
            indices.extend(sorted(ids.setdefault(t, len(ids)) for t in terms))
            indptr.append(len(indices))
            alone.append(next(iter(terms)) if len(terms) == 1 else None)
        data = np.ones(len(indices), dtype=np.float32)
        matrices[lang] = sp.csr_matrix((data, indices, indptr), shape=(len(codes), len(ids)))
        single[lang] = alone
    links: dict[str, dict[str, dict[tuple[str, str], float]]] = {lang: {} for lang in LANGUAGES}
    for a in LANGUAGES:
        names_a = list(term_ids[a])
        df_a = np.asarray(matrices[a].sum(axis=0)).ravel()
        for b in LANGUAGES:
            if a == b:
                continue
            names_b = list(term_ids[b])
            df_b = np.asarray(matrices[b].sum(axis=0)).ravel()
            co = (matrices[a].T @ matrices[b]).tocoo()
            assoc = co.data / np.sqrt(df_a[co.row] * df_b[co.col])
            keep = (assoc >= MIN_ASSOCIATION) & (co.data >= MIN_CODES)
            candidates: dict[str, list[tuple[float, str]]] = {}
            for i, j, value in zip(
                co.row[keep].tolist(), co.col[keep].tolist(), assoc[keep].tolist(), strict=True
            ):
                candidates.setdefault(names_a[i], []).append((value, names_b[j]))
            # One-word labels on both sides: certain pairs, however rare.
            for s, t in zip(single[a], single[b], strict=True):
                if s is not None and t is not None:
                    candidates.setdefault(s, []).append((1.0, t))
            table = links[a]
            for s, found in candidates.items():
                found.sort(key=lambda item: (-item[0], item[1]))
                # A word whose own form (or a cognate: "departure" / "départ") is among its candidates keeps
                # only candidates stronger than that: the others merely occur in the same labels ("arrival").
                cognates = [value for value, t in found if _cognate(s, t)]
                if cognates:
                    found = [(v, t) for v, t in found if v > cognates[0] or (_cognate(s, t) and t != s)]
                    if not found:
                        continue
                top = found[0][0]
                kept: list[tuple[float, str]] = []
                for value, t in found:
                    if value >= RELATIVE * top and t != s and all(t != k for _, k in kept):
                        kept.append((value, t))
                for value, t in kept[:MAX_PER_LANGUAGE]:
                    table.setdefault(s, {})[(b, t)] = round(min(value, 1.0), 4)
    # The glossary: every word of a row linked to the others' words, weight 1.
    for row in read_glossary(glossary) if glossary is not None else []:
        stems: dict[str, set[str]] = {}
        for lang in LANGUAGES:
            for word in row[lang].split(","):
                tokens = analyzer.tokens(word)
                terms = analyzer.terms_of(tokens[0], lang) if len(tokens) == 1 else ()
                if terms:
                    stems.setdefault(lang, set()).add(terms[0])
                    forms[lang].setdefault(terms[0], Counter())[tokens[0]] += 1
        for a, sources in stems.items():
            for b, targets in stems.items():
                if a != b:
                    for s in sources:
                        for t in targets - {s}:
                            links[a].setdefault(s, {})[(b, t)] = 1.0
    shown = {(b, t) for table in links.values() for found in table.values() for (b, t) in found}
    words = {
        lang: {stem: _shown(counter) for stem, counter in forms[lang].items() if (lang, stem) in shown}
        for lang in LANGUAGES
    }
    frozen = {
        lang: {
            s: tuple((b, t, w) for (b, t), w in sorted(found.items(), key=lambda item: (-item[1], item[0])))
            for s, found in table.items()
        }
        for lang, table in links.items()
    }
    return Bridge(links=frozen, words=words)


def _cognate(a: str, b: str) -> bool:
    """Two stems written alike: the same, or sharing a prefix of at least 4 letters and 3/4 of the shorter."""
    if a == b:
        return True
    shorter = min(len(a), len(b))
    prefix = 0
    while prefix < shorter and a[prefix] == b[prefix]:
        prefix += 1
    return prefix >= 4 and prefix >= 0.75 * shorter


def _shown(counter: Counter) -> str:
    """The most common way a stem is written (ties: the shortest, then alphabetical)."""
    return min(counter.items(), key=lambda item: (-item[1], len(item[0]), item[0]))[0]


if __name__ == "__main__":
    write_table(build_bridge())
    print(f"wrote {TABLE_FILE}")
