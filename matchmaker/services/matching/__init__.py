"""Matching in the app: proposals for buyers and suppliers, interest, mutual matches, the organizers'
overview, and recommendations of participants for events.

The engine (`matchmaker.matching`) is pure; this package turns the catalogue into its `Document`s, keeps ONE
index for the whole platform (fitted and updated by the task-queue workers, its results stored in the
database), and turns the engine's `Explanation`s into `MatchExplanation`s that the partial
`templates/matches/_explanation.html` renders in the reader's language. Web requests only read stored rows.

One module per job; callers use the package (`from matchmaker.services import matching`), which re-exports
the public functions. Modules import their siblings directly, never through this package.

- `documents`: needs and offerings as the engine's documents; which items are proposed at all;
- `explanations`: why a pair matches, as stored data and in the reader's language;
- `index`: the shared index: generations, stored pairs and their invariant, incremental refresh of one item,
  full refit, drift (read its docstring);
- `jobs`: the task-queue jobs that keep it (refresh of an item, refit, periodic upkeep);
- `permissions`: who is who, what a user may see, the refusals NotFound and NotAllowed;
- `proposals`: the best counterparts of one item, and one pair's view;
- `interest`: an organisation's answer to a proposal, and mutual matches;
- `overview` and `export`: the organizers' best pairs across the catalogue, and as CSV;
- `recommendations`: participants worth meeting at an event;
- `rebuild`: the command line's rebuild and explanation of any pair.

What is proposed
----------------
Only published offerings and open needs are ever indexed, so drafts, closed and archived items never appear
in anyone's proposals (nor in explanations, which quote the texts). A need marked `registered_only` is
proposed only to logged-in viewers. Nobody is proposed their own organisation's items.
"""

from matchmaker.services.matching.documents import is_proposable, need_document, offering_document
from matchmaker.services.matching.explanations import (
    FAIR_SCORE,
    STRONG_SCORE,
    CpvLink,
    MatchExplanation,
    SharedWords,
    ThemeLink,
    displayed_terms,
    explanation_datas,
    localize,
    localized_snapshot,
    percent,
    score_strength,
)
from matchmaker.services.matching.export import CSV_COLUMNS, CSV_LIMIT, best_pairs_csv, best_pairs_rows
from matchmaker.services.matching.index import (
    RefitReport,
    RefreshReport,
    needs_refit,
    out_of_date,
    refit,
    refresh_item,
    served_generation,
)
from matchmaker.services.matching.interest import (
    DECISIONS,
    InterestResult,
    MutualRow,
    mutual_count,
    mutual_matches,
    mutual_rows,
    mutual_view,
    set_interest,
)
from matchmaker.services.matching.overview import (
    OVERVIEW_LIMIT,
    PairRow,
    best_pairs,
    best_pairs_page,
)
from matchmaker.services.matching.permissions import (
    BUYER,
    SUPPLIER,
    NotAllowed,
    NotFound,
    can_see_overview,
    check_pair,
    organisation_of,
    side_of,
)
from matchmaker.services.matching.proposals import (
    MAX_PROPOSALS_PER_ITEM,
    PROPOSALS_PER_ITEM,
    ItemProposals,
    PairView,
    Proposal,
    load_public_pair,
    my_items,
    my_proposals,
    pair_view,
    proposals_about,
    proposals_about_many,
    proposals_for,
    unanswered_count,
)
from matchmaker.services.matching.rebuild import RebuildReport, explain_pair, rebuild
from matchmaker.services.matching.recommendations import Recommendation, recommend_participants

__all__ = [
    "BUYER",
    "CSV_COLUMNS",
    "CSV_LIMIT",
    "DECISIONS",
    "FAIR_SCORE",
    "MAX_PROPOSALS_PER_ITEM",
    "OVERVIEW_LIMIT",
    "PROPOSALS_PER_ITEM",
    "STRONG_SCORE",
    "SUPPLIER",
    "CpvLink",
    "InterestResult",
    "ItemProposals",
    "MatchExplanation",
    "MutualRow",
    "NotAllowed",
    "NotFound",
    "PairRow",
    "PairView",
    "Proposal",
    "RebuildReport",
    "Recommendation",
    "RefitReport",
    "RefreshReport",
    "SharedWords",
    "ThemeLink",
    "best_pairs",
    "best_pairs_csv",
    "best_pairs_page",
    "best_pairs_rows",
    "can_see_overview",
    "check_pair",
    "displayed_terms",
    "explain_pair",
    "explanation_datas",
    "is_proposable",
    "load_public_pair",
    "localize",
    "localized_snapshot",
    "mutual_count",
    "mutual_matches",
    "mutual_rows",
    "mutual_view",
    "my_items",
    "my_proposals",
    "need_document",
    "needs_refit",
    "offering_document",
    "organisation_of",
    "out_of_date",
    "pair_view",
    "percent",
    "proposals_about",
    "proposals_about_many",
    "proposals_for",
    "rebuild",
    "recommend_participants",
    "refit",
    "refresh_item",
    "score_strength",
    "served_generation",
    "set_interest",
    "side_of",
    "unanswered_count",
]
