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
  Dutch, French and English texts also hold their words' equivalents in the other two languages (the
  bridge, below).
* cpv: vectors over the CPV hierarchy (division, group, class; :mod:`.cpvsignal`) from the declared codes
  (weight 1) and the codes inferred from the text with the CPV labels of its own language (weight
  ``inferred_weight`` x confidence): Dutch, French and English (``matchmaker/reference/cpv2008_nl_fr_en.tsv``)
  and 21 more EU languages (``matchmaker/reference/cpv2008_labels/``: es, de, it, pl, pt, ...; setting
  ``native_labels``). Two kinds of guesses: the labels a text holds most of (``infer_top``, ...), and the
  CPV groups its label words vote for (``group_votes`` x the vote relative to the best, the best
  ``group_votes_top`` above ``group_votes_relative``; every word shares its IDF out among the labels that
  hold it, so the groups many words point to win even when no label holds them all). Both leave out the
  terms held by more than ``infer_max_df`` (10%) of the documents last fitted (and by more than 10): in a
  Spanish corpus "servicio" or "suministro" say nothing of the code. A text in a language without labels
  (Norwegian, Catalan...) is matched against the nl/fr/en labels, and only when its language is a minority
  (under ``minority_share``) of the documents last fitted: among texts of one language the words say more
  than such cross-language guesses, in a mixed corpus the codes are how the few meet the many. Sharing a
  group scores above sharing only a division.
* theme: the shared themes (case and accents ignored).

    score = 0.75 * text + 0.20 * cpv + 0.05 * theme     (MatchingConfig.text_weight, cpv_weight, theme_weight)

The weights sum to 1, so the score is in [0, 1]. It is computed as ONE dot product between concatenated
vectors ``[sqrt(0.75) * text | sqrt(0.20) * cpv | sqrt(0.05) * theme]``, which makes exact top-k over every
pair one matrix product (in top_k_many: the features most pairs share, such as CPV divisions, multiplied
densely with BLAS, the rest sparsely, block by block, in threads). A signal a document lacks (no themes, no
CPV code recognised) contributes 0; the weights are not redistributed, so scores stay comparable across
documents.

Across languages: the bridge
----------------------------
:mod:`.bridge` holds a table of equivalents between Dutch, French and English stems, learned from the CPV
2008 labels (a parallel corpus: about 9,400 codes, each labelled in the three languages; stems that occur in
the labels of the same codes far more often than chance are linked, association co/sqrt(df*df)) and a short
domain glossary we wrote (``bridge_glossary.tsv``). It ships as ``bridge_table.tsv``: read in about 60 ms of
CPU and 12 MB per process (``load_bridge()``), 18,916 links. To a text in nl, fr or en the engine adds, for
each of its words, the equivalents in the other two languages that the index's vocabulary holds: their tf is
``bridge_weight`` (0.3) x the word's tf x the link's weight (at most 1), before the IDF; equivalents held by
more than ``bridge_max_df`` (10%) of the documents are left out (they say little and cost most). Two texts
in the same language meet on their own words as before (and a little more on synonyms); a Dutch need and an
English offering now meet on "fietsers"/"cyclists". Words the index never saw still bring their
equivalents, so a Dutch need finds offerings in an all-English index. ``Explanation.bridged`` lists the
word pairs (``BridgedTerm``: need word and language, offering word and language, share of the text score),
also from stored profiles (``Profile.bridged``).

Quality (nDCG@10; commands below). "CPV links" is the bridge learned from the CPV labels alone, without
our glossary. The figures before the CPV labels in 21 more languages came with the bridge; "now" adds those
labels, the group votes and the common-term rule (all defaults):

=============================================  ==========  ==========  ==========  ==========
set                                            without     CPV links   with        now
                                               bridge                  bridge
=============================================  ==========  ==========  ==========  ==========
../shared/eval/matching es-dev (Spanish)       0.3167                  0.3167      0.3361
../shared/eval/matching ted-multi [1]          0.1795                  0.2020      0.2512
demo catalogue, cross-language [2]             0.5151      0.5819      0.6249      0.6576
demo catalogue, same language [2]              0.5837      0.5865      0.5922      0.6170
ted-multi, cross-language pairs only [2]       0.1593      0.1574      0.1535      0.2321
=============================================  ==========  ==========  ==========  ==========

[1] Before this work 0.1795; the bridge alone 0.1846, inferred codes for minority languages alone 0.1963
(German, Polish, Italian... notices among mostly English ones), both 0.2020. es-dev is all Spanish: the
bridge (nl/fr/en) cannot reach it, and inferring codes for a majority language from the nl/fr/en labels
lowers it (0.2886), hence the minority rule for languages without labels.

What each step of "now" does (es-dev / ted-multi): the labels in the text's own language alone 0.3214 /
0.2553 (ted-multi's German, Polish, Italian... notices now guess from their own labels); with the group
votes 0.3322 / 0.2510; with the common-term rule instead 0.3252 / 0.2553; both 0.3361 / 0.2512. On
ted-multi (59 queries) differences under 0.01 are noise. The group votes are a weak signal one by one
("Autobuses eléctricos y trolebuses" votes for rolling stock before motor vehicles; groups with many labels
gather many votes), useful in bulk. Their settings (``group_votes``, ``group_votes_top``,
``group_votes_relative``, ``infer_max_df``) were chosen among a few values on es-dev and ted-multi, so expect
somewhat less on texts we have not seen.

[2] ``python -m bench crosslanguage``: our cross-language development set. Every need and offering of the
demo catalogue (``matchmaker/demo/catalogue.json``, 96 items written in nl, fr and en) is a query ranked
against the items in the OTHER two languages only; relevance comes from the CPV codes their authors
declared (grade 2 = a shared group, 1 = a shared division), which the engine is not given. "Same language"
ranks against the query's own language (the bridge must not lower it). The same cross-language measure is
made on ted-multi. Caveat: the glossary was written with the demo's vocabulary in view, so the "CPV links"
column is the fairer estimate of what the bridge does for texts we did not write (now: 0.6296 cross-language,
0.6126 same language, 0.2314 ted-multi cross-language; without the bridge 0.5765, 0.6069, 0.2349).

Speed (``python -m bench matching``; targets 2 s, 5 ms, 30 s and 1 GB). Before the labels in more languages,
at load average 2.5 on 2 cores: all pairs 10,000 x 10,000 1.22 s wall, 1.19 s CPU (without the bridge 1.22
s, 0.93 s CPU); one need among 100,000 offerings 2.12 ms (1.27 ms without); index of 100,000 10.6 s wall,
12.2 s CPU of all processes, peak 614 MB (21.0 s wall under more load, 13.2 s CPU, 523 MB without). Now, at
load average 1.5: all pairs 0.69 s wall, 1.19 s CPU; one need 3.13 ms (p95 5.5 ms); index 10.9 s wall, 16.7 s
CPU, peak 705 MB (at load average 3.7: 1.83 s, 3.15 ms, 22.4 s wall and 18.1 s CPU). The group votes and
the common terms (counted on a sample of 5,000 documents in pass 1 of fit) cost about a third more CPU to
build an index; a query analyses its text in about 0.4 ms instead of 0.15 and meets more CPV features (a
document now has about 12 inferred codes and groups on the benchmark's corpus, 15 on es-dev). A fitted
index holds about twice the text nonzeros on the benchmark's corpus, which is made of CPV label words that
all have equivalents; real texts gain fewer.

Commands: ``python3 ../shared/eval/matching/score.py project ../shared/eval/matching/es-dev .`` (and
``ted-multi``); ``python -m bench crosslanguage``; ``python -m bench matching [--no-bridge]``.
"""

from .documents import (
    BridgedTerm,
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
    "BridgedTerm",
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
