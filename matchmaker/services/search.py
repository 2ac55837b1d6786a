"""Browse and search the catalogue: offerings or needs, by words, filters and sort order, one page at a time.

Words: the query is folded like the items' `search_text` (lower-case, accent-free), split into words, and
each word must match (AND). A word matches an indexed word that starts with it, after a light stemming
that strips common Dutch, French and English endings ("sensoren" -> "sensor", "capteurs" -> "capteur",
"inspecties" -> "inspecti", which also finds "inspection"). Since the index holds the labels of the
items' CPV codes in Dutch, French and English, a French query finds a Dutch item with the right code.
Relevance adds, per query word, the best weight of a matching word (title 3, summary/keywords 2, rest 1)
plus 1 when it matched the word exactly.

Other languages: each query word is also looked up in the other two languages, through the engine's bridge
between Dutch, French and English (`matchmaker.matching.bridge`): "fietsers kruispunt" also finds an English
item about "cyclists" at an "intersection". Its equivalents are folded and matched like the word itself
(a prefix of their stem, or, for short stems, the word exactly). An item that needs such an equivalent for
one of the words is a match across languages: ranked after every item that matches all the words as typed,
and marked as such (SearchResult.crossed).

The lookups go through the word index of `matchmaker.models.search_index` (a B-tree range scan per query
word), so a search stays fast on tens of thousands of items, on SQLite and PostgreSQL alike.

Who sees what: everybody sees published offerings and open needs (needs for registered users
only: logged-in users); members also see their own organisation's items in any status; platform
administrators see everything.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.matching.bridge import load_bridge
from matchmaker.models import (
    ContentLanguage,
    InnovationType,
    Need,
    NeedStatus,
    Offering,
    OfferingStatus,
    Organisation,
    OrganisationKind,
    ProcurementRoute,
    Role,
    Theme,
    need_theme,
    offering_theme,
)
from matchmaker.models.catalogue import NeedCpvCode, OfferingCpvCode
from matchmaker.models.search_index import STOP_WORDS, TOKEN_MAX, WORD, token_item_column, token_table
from matchmaker.textutil import fold

KINDS = ("offering", "need")
MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
PER_PAGE_CHOICES = (10, 20, 50, 100)
MAX_PAGE = 10_000

SORTS = {
    "offering": ("relevance", "newest", "title", "trl"),
    "need": ("relevance", "newest", "title", "deadline", "budget"),
}

# Statuses anyone may see, and the status shown when nobody asked for one.
PUBLIC_STATUSES = {"offering": (OfferingStatus.PUBLISHED,), "need": (NeedStatus.OPEN,)}
DEFAULT_STATUSES = {"offering": (OfferingStatus.PUBLISHED,), "need": (NeedStatus.OPEN,)}
ALL_STATUSES = {"offering": tuple(OfferingStatus), "need": tuple(NeedStatus)}

# A query word's equivalents in the other languages: at most this many a word, of at least this weight of
# the bridge's (1: a glossary or CPV label link as strong as it gets; weaker links mislead more than help:
# French "cames" for "cameras").
MAX_EQUIVALENTS = 6
MIN_EQUIVALENT_WEIGHT = 0.9
# An equivalent's stem shorter than this is matched as a whole word ("air" should not find "airport").
EQUIVALENT_PREFIX_MIN = 5
QUERY_LANGUAGES = ("nl", "fr", "en")

# Endings stripped from a query word before prefix matching, longest first; the stem keeps >= 4 letters.
_ENDINGS = ("ingen", "eren", "ies", "en", "es", "er", "s", "e")
_VOWELS = set("aeiouy")


class SearchError(ValueError):
    """A search parameter is out of range; the message names it (for developers: routes validate first)."""


@dataclass
class SearchParams:
    kind: str = "offering"
    q: str = ""
    themes: list[str] = field(default_factory=list)  # theme slugs; any of them
    innovation_types: list[str] = field(default_factory=list)
    trl_min: int | None = None
    trl_max: int | None = None
    cpv_divisions: list[str] = field(default_factory=list)  # two digits, e.g. "72"
    organisation_kinds: list[str] = field(default_factory=list)
    procurement_routes: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)  # empty: the default for the kind
    mine: bool = False  # only the viewer's organisation's items
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class Equivalent:
    """A query word in another language: as the bridge writes it (`word`), its language, and folded."""

    word: str
    language: str
    folded: str


@dataclass
class SearchResult:
    params: SearchParams
    pagination: Pagination
    terms: list[str]  # the query words that were used (folded, stop words removed)
    ignored: list[str]  # query words left out (too short, stop words, beyond MAX_TERMS)
    sort: str  # the sort order applied (relevance falls back to newest without words)
    page_clamped: bool = False  # the requested page was past the end: the last page is shown
    equivalents: dict[str, list[Equivalent]] = field(default_factory=dict)  # by query word
    crossed: set[int] = field(default_factory=set)  # ids of the items found only across languages

    @property
    def items(self) -> list:
        return self.pagination.items

    @property
    def searched_across(self) -> list[Equivalent]:
        """Every equivalent searched for, in the query words' order: a word written alike in two languages
        ("intersection") once, in the first."""
        seen: dict[str, Equivalent] = {}
        for found in self.equivalents.values():
            for equivalent in found:
                seen.setdefault(equivalent.word, equivalent)
        return list(seen.values())

    def crossed_words(self, item) -> list[str]:
        """The query words' equivalents in the language of `item` (found across languages), each once."""
        if item.id not in self.crossed:
            return []
        words = (e.word for found in self.equivalents.values() for e in found if e.language == item.language)
        return list(dict.fromkeys(words))

    @property
    def total(self) -> int:
        return self.pagination.total or 0


# --------------------------------------------------------------------------------------------------
# Query words


def stem(word: str) -> str:
    """A light, language-agnostic stem for prefix matching: 'sensoren' -> 'sensor', 'bruggen' -> 'brug'."""
    if word.isdigit():
        return word
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            word = word[: -len(ending)]
            break
    # Dutch doubles a consonant before an ending: 'bruggen' -> 'brugg' -> 'brug'.
    if len(word) >= 5 and word[-1] == word[-2] and word[-1] not in _VOWELS:
        word = word[:-1]
    return word


def query_terms(q: str) -> tuple[list[str], list[str]]:
    """(words used, words ignored) of a query: folded, without stop words and one-letter words, at most
    MAX_TERMS words."""
    used: list[str] = []
    ignored: list[str] = []
    for word in WORD.findall(fold((q or "")[:MAX_QUERY_LENGTH])):
        if len(word) < 2 or word in STOP_WORDS or len(used) >= MAX_TERMS:
            ignored.append(word)
        elif word[:TOKEN_MAX] not in used:
            used.append(word[:TOKEN_MAX])
    return used, ignored


def equivalents(terms: list[str]) -> dict[str, list[Equivalent]]:
    """Each query word's equivalents in the other languages (the bridge's, whatever language the word is
    in: a query says not which it is written in), best first, at most MAX_EQUIVALENTS a word; words the
    query word already finds as typed (they start with its stem) are left out."""
    bridge = load_bridge()
    out: dict[str, list[Equivalent]] = {}
    for term in terms:
        root = stem(term)
        found: dict[tuple[str, str], tuple[float, Equivalent]] = {}
        for language in QUERY_LANGUAGES:
            for word, other, weight in bridge.equivalents(term, language):
                folded = WORD.findall(fold(word))
                if weight < MIN_EQUIVALENT_WEIGHT or len(folded) != 1:
                    continue
                token = folded[0][:TOKEN_MAX]
                if len(token) < 2 or token in STOP_WORDS or token.startswith(root) or token == term:
                    continue
                key = (token, other)
                if key not in found or found[key][0] < weight:
                    found[key] = (weight, Equivalent(word, other, token))
        ranked = sorted(found.values(), key=lambda pair: -pair[0])
        if ranked:
            out[term] = [equivalent for _weight, equivalent in ranked[:MAX_EQUIVALENTS]]
    return out


def _prefix_end(prefix: str) -> str:
    """The smallest string greater than every string that starts with `prefix` ([a-z0-9] words)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _word_rows(kind: str, word: str, prefix_min: int, direct: int, term_number: int | None = None):
    """(item_id, weight[, direct, term]) rows of the items holding `word` (a prefix of its stem when the stem
    has at least `prefix_min` letters, else the word or its stem exactly)."""
    table, item = token_table(kind), token_item_column(kind)
    root = stem(word)
    exact = sa.case((table.c.token.in_(sorted({word, root})), 1), else_=0)
    if len(root) >= prefix_min:
        match = sa.and_(table.c.token >= root, table.c.token < _prefix_end(root))
    else:
        match = table.c.token.in_(sorted({word, root}))
    columns = [item.label("item_id"), (table.c.weight + exact).label("weight")]
    if term_number is not None:
        # Constants written into the SQL (not parameters): PostgreSQL types them in a UNION without help.
        columns += [
            sa.literal_column(str(int(direct))).label("direct"),
            sa.literal_column(str(term_number)).label("term"),
        ]
    return sa.select(*columns).where(match)


def _distinct_lookups(words: Iterable[str]) -> list[str]:
    """The words to look up, without those another one's lookup already covers: the same word in two
    languages ("intersection"), or a longer word whose stem starts with a prefix looked up ("cyclistes"
    after "cyclist")."""
    kept: list[str] = []
    for word in sorted(set(words), key=lambda w: (len(stem(w)), w)):
        root = stem(word)
        covered = any(
            word == other or (len(stem(other)) >= EQUIVALENT_PREFIX_MIN and root.startswith(stem(other)))
            for other in kept
        )
        if not covered:
            kept.append(word)
    return kept


def _scores_across(kind: str, terms: list[str], found: dict[str, list[Equivalent]]) -> sa.Subquery:
    """(item_id, weight, direct) of the items that match every term as typed or through one of its
    equivalents; direct is 1 when every term matched as typed."""
    rows = []
    for number, term in enumerate(terms):
        rows.append(_word_rows(kind, term, 3, 1, number))
        for folded in _distinct_lookups(e.folded for e in found.get(term, [])):
            rows.append(_word_rows(kind, folded, EQUIVALENT_PREFIX_MIN, 0, number))
    matches = sa.union_all(*rows).subquery("matches")
    per_term = sa.select(
        matches.c.item_id,
        sa.func.max(matches.c.weight).label("weight"),
        sa.func.max(matches.c.direct).label("direct"),
    )
    if len(terms) == 1:  # one word: its best row is the score
        return per_term.group_by(matches.c.item_id).subquery("scores")
    per_term = per_term.group_by(matches.c.item_id, matches.c.term).subquery("per_term")
    return (
        sa.select(
            per_term.c.item_id,
            sa.func.sum(per_term.c.weight).label("weight"),
            sa.func.min(per_term.c.direct).label("direct"),
        )
        .group_by(per_term.c.item_id)
        .having(sa.func.count() == len(terms))
        .subquery("scores")
    )


def _scores(kind: str, terms: list[str], found: dict[str, list[Equivalent]] | None = None) -> sa.Subquery:
    """(item_id, weight, direct) of the items that match every term; the weight is the relevance, direct is
    1 when the item matches every term as typed (0: only through an equivalent in another language)."""
    if found:
        return _scores_across(kind, terms, found)
    table, item = token_table(kind), token_item_column(kind)
    parts = []
    for term in terms:
        root = stem(term)
        exact = sa.case((table.c.token.in_(sorted({term, root})), 1), else_=0)
        if len(root) >= 3:
            match = sa.and_(table.c.token >= root, table.c.token < _prefix_end(root))
        else:  # two letters: exact only, a prefix this short would match half the index
            match = table.c.token == root
        parts.append(
            sa.select(item.label("item_id"), sa.func.max(table.c.weight + exact).label("weight"))
            .where(match)
            .group_by(item)
        )
    if len(parts) == 1:  # one word: its best weight is the score
        return parts[0].add_columns(sa.literal_column("1").label("direct")).subquery("scores")
    matches = sa.union_all(*parts).subquery("matches")
    return (
        sa.select(
            matches.c.item_id,
            sa.func.sum(matches.c.weight).label("weight"),
            sa.literal_column("1").label("direct"),
        )
        .group_by(matches.c.item_id)
        .having(sa.func.count() == len(terms))
        .subquery("scores")
    )


# --------------------------------------------------------------------------------------------------
# Visibility and filters


def sees_everything(viewer) -> bool:
    """Administrators see every item; organizers see the public catalogue like everyone else, since drafts,
    closed needs and archived items stay private to their organisation (the detail page refuses them too)."""
    return viewer is not None and viewer.has_role(Role.ADMIN)


def allowed_statuses(kind: str, viewer) -> tuple[str, ...]:
    """The statuses a viewer may filter on: all for members (their own items) and administrators."""
    if viewer is not None and (viewer.organisation is not None or sees_everything(viewer)):
        return tuple(s.value for s in ALL_STATUSES[kind])
    return tuple(s.value for s in PUBLIC_STATUSES[kind])


def _visible(model, kind: str, viewer):
    """The condition for the items a viewer may see."""
    if sees_everything(viewer):
        return sa.true()
    public = model.public_condition()  # the statuses of PUBLIC_STATUSES, of organisations not suspended
    if kind == "need" and not viewer is not None:
        public = sa.and_(public, model.registered_only.is_(False))
    organisation = viewer.organisation if viewer is not None else None
    if organisation is not None:
        return sa.or_(public, model.organisation_id == organisation.id)
    return public


def _check(values: list[str], allowed, label: str) -> list[str]:
    allowed = {str(a) for a in allowed}
    bad = [v for v in values if v not in allowed]
    if bad:
        raise SearchError(f"unknown {label}: {', '.join(bad)}")
    return list(dict.fromkeys(values))


def _division_range(column, division: str):
    if not (len(division) == 2 and division.isdigit()):
        raise SearchError(f"a CPV division is two digits, not {division!r}")
    return sa.and_(column >= division + "000000", column < f"{int(division) + 1:02d}000000")


def _filters(params: SearchParams, viewer) -> list:
    kind = params.kind
    model = Offering if kind == "offering" else Need
    conditions = [_visible(model, kind, viewer)]

    statuses = _check(params.statuses, allowed_statuses(kind, viewer), "status")
    if not statuses and not params.mine:
        statuses = [s.value for s in DEFAULT_STATUSES[kind]]
    if statuses:
        conditions.append(model.status.in_(statuses))
    if params.mine:
        organisation = viewer.organisation if viewer is not None else None
        conditions.append(model.organisation_id == (organisation.id if organisation else -1))

    if params.themes:
        link = offering_theme if kind == "offering" else need_theme
        link_item = link.c.offering_id if kind == "offering" else link.c.need_id
        conditions.append(
            model.id.in_(
                sa.select(link_item)
                .join(Theme, Theme.id == link.c.theme_id)
                .where(Theme.slug.in_(params.themes))
            )
        )
    if params.cpv_divisions:
        codes = OfferingCpvCode if kind == "offering" else NeedCpvCode
        code_item = codes.offering_id if kind == "offering" else codes.need_id
        conditions.append(
            model.id.in_(
                sa.select(code_item).where(
                    sa.or_(*(_division_range(codes.code, d) for d in params.cpv_divisions))
                )
            )
        )
    if params.organisation_kinds:
        kinds = _check(params.organisation_kinds, [k.value for k in OrganisationKind], "organisation kind")
        conditions.append(
            model.organisation_id.in_(sa.select(Organisation.id).where(Organisation.kind.in_(kinds)))
        )
    if params.languages:
        conditions.append(
            model.language.in_(_check(params.languages, [x.value for x in ContentLanguage], "language"))
        )
    if kind == "offering":
        if params.innovation_types:
            types = _check(params.innovation_types, [t.value for t in InnovationType], "innovation type")
            conditions.append(Offering.innovation_type.in_(types))
        for bound in (params.trl_min, params.trl_max):
            if bound is not None and not 1 <= bound <= 9:
                raise SearchError("the TRL is a number from 1 to 9")
        if params.trl_min is not None:
            conditions.append(Offering.trl >= params.trl_min)
        if params.trl_max is not None:
            conditions.append(Offering.trl <= params.trl_max)
    elif params.procurement_routes:
        routes = _check(params.procurement_routes, [r.value for r in ProcurementRoute], "procurement route")
        conditions.append(Need.procurement_route.in_(routes))
    return conditions


def _order(model, kind: str, sort: str, scores) -> list:
    newest = [model.published_at.desc().nulls_last(), model.id.desc()]
    if sort == "relevance" and scores is not None:  # the matches as typed first, then across languages
        return [scores.c.direct.desc(), scores.c.weight.desc(), *newest]
    if sort == "title":
        return [sa.func.lower(model.title), model.id]
    if sort == "trl" and kind == "offering":
        return [Offering.trl.desc().nulls_last(), *newest]
    if sort == "deadline" and kind == "need":
        return [Need.deadline.asc().nulls_last(), Need.id]
    if sort == "budget" and kind == "need":
        return [Need.budget_max.desc().nulls_last(), Need.id]
    return newest


# --------------------------------------------------------------------------------------------------
# The use case


class _ItemPagination(Pagination):
    """A page of items whose ids come from `ids` (ordered), with the total counted beforehand."""

    def _query_items(self) -> list:
        model = self._query_args["model"]
        all_ids = self._query_args["all_ids"]
        if all_ids is not None:  # a word search fetched every id in order already: slice, do not ask again
            page_ids = all_ids[self._query_offset : self._query_offset + self.per_page]
        else:
            page_ids = list(
                db.session.scalars(self._query_args["ids"].limit(self.per_page).offset(self._query_offset))
            )
        if not page_ids:
            return []
        loaded = {
            item.id: item
            for item in db.session.scalars(
                sa.select(model).where(model.id.in_(page_ids)).options(selectinload(model.themes))
            )
        }
        return [loaded[item_id] for item_id in page_ids if item_id in loaded]

    def _query_count(self) -> int:
        return self._query_args["total"]


def search_catalogue(params: SearchParams, viewer=None) -> SearchResult:
    """One page of the offerings or needs the viewer may see that match the words and filters.

    Raises SearchError on a parameter out of range (the browse form validates before calling).
    """
    if params.kind not in KINDS:
        raise SearchError(f"kind is one of {KINDS}")
    if params.sort not in SORTS[params.kind]:
        raise SearchError(f"unknown sort order {params.sort!r}")
    if params.per_page not in PER_PAGE_CHOICES:
        raise SearchError(f"per_page is one of {PER_PAGE_CHOICES}")
    if not 1 <= params.page <= MAX_PAGE:
        raise SearchError(f"page is a number from 1 to {MAX_PAGE}")

    kind = params.kind
    model = Offering if kind == "offering" else Need
    terms, ignored = query_terms(params.q)
    found = equivalents(terms) if terms else {}
    scores = _scores(kind, terms, found) if terms else None
    sort = params.sort if (params.sort != "relevance" or scores is not None) else "newest"

    # Two steps keep the work narrow: the ids of the matching items in order (only the columns the
    # filters and the sort need), then the full rows of the one page shown.
    ids = sa.select(model.id)
    if scores is not None:
        ids = (
            sa.select(model.id, scores.c.direct).select_from(model).join(scores, scores.c.item_id == model.id)
        )
    ids = ids.where(*_filters(params, viewer)).order_by(*_order(model, kind, sort, scores))

    if scores is not None:
        # A word search: fetch every matching id at once (a list of integers), which counts them and
        # orders them in one pass over the index instead of two.
        rows = db.session.execute(ids).all()
        all_ids = [row[0] for row in rows]
        crossed = {row[0] for row in rows if not row[1]}
        total = len(all_ids)
    else:
        all_ids, crossed = None, set()
        total = db.session.scalar(sa.select(sa.func.count()).select_from(ids.order_by(None).subquery())) or 0
    pages = max(1, -(-total // params.per_page))
    page = min(params.page, pages)
    pagination = _ItemPagination(
        page=page,
        per_page=params.per_page,
        max_per_page=None,
        error_out=False,
        ids=ids,
        all_ids=all_ids,
        model=model,
        total=total,
    )
    clamped = page < params.page
    return SearchResult(
        params=params,
        pagination=pagination,
        terms=terms,
        ignored=ignored,
        sort=sort,
        page_clamped=clamped,
        equivalents=found,
        crossed=crossed,
    )
