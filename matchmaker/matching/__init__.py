"""The matching engine: needs and offerings -> ranked pairs with explanations. Pure: no Flask, no SQLAlchemy.

Use::

    engine = MatchingEngine()                      # or MatchingEngine(MatchingConfig(...))
    index = engine.fit(offerings)                  # Documents; build a second index of needs for the other
    way
    index.top_k(need, k=10)                        # [Match(id, score)], best first, ties by id
    index.top_k_many(needs, k=10)                  # the same for many needs, much faster than a loop
    index.explain(need, offering_id, "nl")         # Explanation: components, shared words, CPV, themes
    index.add([doc]); index.remove([doc_id])       # cheap; index.refit() (or automatic) refreshes IDF
    index.save(path); Index.load(path)

The score
---------
Three signals, each a cosine similarity in [0, 1] between non-negative, L2-normalised vectors:

* text: TF-IDF (scikit-learn's TfidfTransformer, sublinear tf, smoothed IDF) over the terms of
  :mod:`.analysis`: per-language stop words and Snowball stems, accents folded, Dutch/German compounds split
  into their parts as extra terms. Fields count with weights: title x3, summary x2, keywords x2, description
  x1.
* cpv: vectors over the CPV hierarchy (division, group, class; :mod:`.cpvsignal`) from the declared codes
  (weight 1) and the codes inferred from the text with the Dutch/French/English CPV labels (weight
  ``inferred_weight`` x confidence). Sharing a group scores above sharing only a division.
* theme: the shared themes (case and accents ignored).

    score = 0.70 * text + 0.25 * cpv + 0.05 * theme        (MatchingConfig.text_weight, cpv_weight,
    theme_weight)

The weights sum to 1, so the score is in [0, 1]. It is computed as ONE dot product between concatenated
vectors
``[sqrt(0.70) * text | sqrt(0.25) * cpv | sqrt(0.05) * theme]``, which is what makes exact top-k over every
pair a
single sparse matrix product. A signal a document lacks (no themes, no CPV code recognised) contributes 0; the
weights are not redistributed, so scores stay comparable across documents.
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
    if name in ("Index", "MatchingConfig", "MatchingEngine"):
        from . import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CpvReason",
    "Document",
    "EmptyIndex",
    "Explanation",
    "Index",
    "InvalidDocument",
    "Match",
    "MatchingConfig",
    "MatchingEngine",
    "MatchingError",
    "SharedTerm",
    "UnknownDocument",
]
