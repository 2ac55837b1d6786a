"""The matching engine: needs and offerings -> ranked pairs with explanations. Pure: no Flask, no SQLAlchemy.

Use::

    engine = MatchingEngine()                   # or MatchingEngine(MatchingConfig(...))
    index = engine.fit(offerings)               # Documents; fit the needs too for the other direction
    index.top_k(need, k=10)                     # [Match(id, score)], best first, ties by id
    index.top_k_many(needs, k=10)               # the same for many needs, much faster than a loop
    index.explain(need, offering_id, "nl")      # Explanation: components, shared words, CPV, themes
    index.explain_many(need, ids, "fr")         # several at once (the need is analysed once)
    index.add([doc]); index.remove([doc_id])    # cheap, visible at once; refit() refreshes vocabulary and IDF
    index.save(path); Index.load(path)          # pickle, for files this application wrote itself
    index.dumps(); Index.loads(data)            # the same as compressed bytes (a database blob)

Two sides in one index (one vocabulary, one IDF for needs and offerings): give documents a `side` and
rank one side only: `top_k_vectors(index.rows(ids), k, side="offering")`, `side_scores(id, "need")`
(every positive score of an indexed document). `add(docs, refit=False)` never refits by itself; `drift()`
says how far the index moved from its fit. `profile(id)` is what explaining a document needs, as plain
data, and `explain_profiles(a, b)` explains two profiles without the index.

What is cheap: top_k (milliseconds), add/remove/replace (a document is analysed and appended, or masked; no
other document is touched; words the index has never seen count after the next refit), refit (no text is
analysed again; automatic once `refit_ratio` of the documents changed). A full fit analyses every text: about
a tenth of a millisecond of CPU per document (fit(workers=2) spreads it over two forked processes). A web
app with several workers can keep one index per worker and refresh it from the database when a change
counter moves, or rebuild on a schedule; the engine keeps no state outside the Index object.

The score
---------
Three signals, each a cosine similarity in [0, 1] between non-negative, L2-normalised vectors:

* text: TF-IDF (scikit-learn's TfidfTransformer, sublinear tf, smoothed IDF raised to the power 0.5) over the
  terms of :mod:`.analysis`: per-language stop words and Snowball stems, accents folded, Dutch/German
  compounds also split into their parts. Fields count with weights: title x3, summary x2, keywords x2,
  description x1, and the first 8 words of the description (which name the object of a notice) x3, or x2
  beside a title.
* cpv: vectors over the CPV hierarchy (division, group, class; :mod:`.cpvsignal`) from the declared codes
  (weight 1) and the codes inferred from the text with the Dutch/French/English CPV labels (weight
  ``inferred_weight`` x confidence; texts in other languages get no inferred codes by default). Sharing a
  group scores above sharing only a division.
* theme: the shared themes (case and accents ignored).

    score = 0.75 * text + 0.20 * cpv + 0.05 * theme     (MatchingConfig.text_weight, cpv_weight, theme_weight)

The weights sum to 1, so the score is in [0, 1]. It is computed as ONE dot product between concatenated
vectors ``[sqrt(0.75) * text | sqrt(0.20) * cpv | sqrt(0.05) * theme]``, which makes exact top-k over every
pair one matrix product (in top_k_many: the features most pairs share, such as CPV divisions, multiplied
densely with BLAS, the rest sparsely, block by block, in threads). A signal a document lacks (no themes, no
CPV code recognised) contributes 0; the weights are not redistributed, so scores stay comparable across
documents.
"""

from .documents import (
    CpvReason,
    Document,
    EmptyIndex,
    Explanation,
    InvalidDocument,
    Match,
    MatchingError,
    SharedTerm,
    UnknownDocument,
)


def __getattr__(name: str):
    """Load the engine (and scikit-learn) on first use, so that `python -m matchmaker.matching` starts
    fast."""
    if name in ("Drift", "MatchingConfig", "Profile", "explain_profiles"):
        from . import profiles  # without scikit-learn: what a web process needs to explain stored pairs

        return getattr(profiles, name)
    if name in ("Index", "MatchingEngine"):
        from . import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CpvReason",
    "Document",
    "Drift",
    "EmptyIndex",
    "Explanation",
    "Index",
    "InvalidDocument",
    "Match",
    "MatchingConfig",
    "MatchingEngine",
    "MatchingError",
    "Profile",
    "SharedTerm",
    "UnknownDocument",
    "explain_profiles",
]
