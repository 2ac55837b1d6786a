"""The header's search box: one query over offerings, needs, organisations, events, the knowledge base's
guides and the initiative's pages, grouped by kind, each group ranked and counted, in the reader's language.

Every kind keeps its own visibility rules: offerings and needs go through the catalogue search (published
offerings, open needs, registered-only needs for logged-in readers, nothing of a suspended organisation);
organisations are those not suspended (found by name, then by description); events are the public ones
(services.events.list_public_events, not drafts); guides and pages are the published ones. Nothing here
decides visibility anew.

Guides are searched in the reader's language; a guide not written in it is searched in every language it has
and shown in the one its own page shows, marked as another language. Drafts are never found here, not even by
editors: the results are the same for every reader of a language, and editors find drafts in the knowledge
base's editing area. All guides cost one statement a search, however many there are; the folded
texts are kept (keyed by the text itself, so never stale) so that a search does not fold every guide again.
"""

from dataclasses import dataclass, field
from functools import lru_cache

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Article, ArticleTranslation, Organisation, Page
from matchmaker.models.knowledge import ARTICLE_LANGUAGES
from matchmaker.services import content
from matchmaker.services import events as events_service
from matchmaker.services.search import SearchParams, query_terms, search_catalogue, stem
from matchmaker.textutil import fold

PER_KIND = 5
KINDS = ("offering", "need", "organisation", "event", "guide", "page")


@dataclass
class Group:
    kind: str
    total: int = 0
    items: list = field(default_factory=list)  # the best PER_KIND, best first
    crossed: set[int] = field(default_factory=set)  # ids of the items found only in another language


@dataclass
class SiteResults:
    q: str
    terms: list[str]
    groups: list[Group]

    @property
    def total(self) -> int:
        return sum(group.total for group in self.groups)


def _matches(text: str, roots: list[str]) -> bool:
    return all(root in text for root in roots)


def _organisations(terms: list[str], per_kind: int) -> Group:
    """Public organisations (Organisation.is_public: not suspended; a government entity once verified) whose
    name or description holds every word (each word in either): names holding every word first, those
    starting with the first word before the others, then the rest (words found in the description only),
    each by name. Two statements, as for names only: the description is
    read by the same scan of the organisation table, a few thousand rows at most."""

    def holds(column, term: str):
        return column.like(f"%{term}%", escape="\\")

    # The terms are folded (lower case, no accents), and so are the columns they are compared with.
    name_holds = sa.and_(*(holds(Organisation.name_folded, term) for term in terms))
    condition = sa.and_(
        Organisation.public_condition(),
        *(
            sa.or_(holds(Organisation.name_folded, term), holds(Organisation.description_folded, term))
            for term in terms
        ),
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Organisation).where(condition)) or 0
    rank = sa.case(
        (sa.and_(name_holds, Organisation.name_folded.like(f"{terms[0]}%", escape="\\")), 0),
        (name_holds, 1),
        else_=2,
    )
    items = list(
        db.session.scalars(
            sa.select(Organisation)
            .where(condition)
            .order_by(rank, Organisation.name, Organisation.id)
            .limit(per_kind)
        )
    )
    return Group("organisation", total, items)


def _events(roots: list[str], per_kind: int) -> Group:
    """Public events whose title, description or venue hold every word: title hits first, then upcoming events
    by date, then past ones, most recent first."""
    listing = events_service.list_public_events()
    found = []
    for position, event in enumerate([*listing.upcoming, *listing.past]):
        text = fold(" ".join((event.title, event.description or "", event.venue_address or "")))
        if _matches(text, roots):
            found.append((0 if _matches(fold(event.title), roots) else 1, position, event))
    found.sort(key=lambda row: row[:2])
    return Group("event", len(found), [event for *_rank, event in found[:per_kind]])


def page_title(page: Page, language: str) -> str:
    return (page.title_en if language == "en" else page.title_fr if language == "fr" else "") or page.title_nl


def _page_text(page: Page, language: str) -> tuple[str, str]:
    """(title, body) in the reader's language where the page has it, else in Dutch."""
    if page.has_translation(language):
        return getattr(page, f"title_{language}"), getattr(page, f"body_{language}")
    return page.title_nl, page.body_nl


def _pages(roots: list[str], language: str, per_kind: int) -> Group:
    found = []
    for position, page in enumerate(content.published_pages()):
        title, body = _page_text(page, language)
        if _matches(fold(f"{title} {body}"), roots):
            found.append((0 if _matches(fold(title), roots) else 1, position, page))
    found.sort(key=lambda row: row[:2])
    return Group("page", len(found), [page for *_rank, page in found[:per_kind]])


@dataclass
class Guide:
    """A published guide found: its title and summary in `language` (not the reader's: `fallback`)."""

    slug: str
    title: str
    summary: str
    language: str
    fallback: bool


@lru_cache(maxsize=300)  # a hundred guides in three languages
def _folded(text: str) -> str:
    return fold(text)


def _guides(roots: list[str], language: str, per_kind: int) -> Group:
    """Published guides whose title, summary or text in the reader's language hold every word (in any of
    its languages for a guide not written in the reader's): title hits first, then in the index's order."""
    rows = db.session.execute(
        sa.select(
            Article.id,
            Article.slug,
            ArticleTranslation.language,
            ArticleTranslation.title,
            ArticleTranslation.summary,
            ArticleTranslation.body,
        )
        .join(ArticleTranslation, ArticleTranslation.article_id == Article.id)
        .where(Article.published.is_(True))
        .order_by(Article.position, Article.id)
    ).all()
    articles: dict[int, tuple[str, dict]] = {}
    for article_id, slug, lang, title, summary, body in rows:
        articles.setdefault(article_id, (slug, {}))[1][lang] = (title, summary or "", body or "")
    found = []
    for position, (slug, texts) in enumerate(articles.values()):
        searched = [language] if language in texts else [lang for lang in ARTICLE_LANGUAGES if lang in texts]
        hits = [lang for lang in searched if _matches(_folded("\n".join(texts[lang])), roots)]
        if not hits:
            continue
        in_title = any(_matches(_folded(texts[lang][0]), roots) for lang in hits)
        shown = searched[0]  # the reader's language, else the one the guide's own page shows
        title, summary, _body = texts[shown]
        found.append((0 if in_title else 1, position, Guide(slug, title, summary, shown, shown != language)))
    found.sort(key=lambda row: row[:2])
    return Group("guide", len(found), [guide for *_rank, guide in found[:per_kind]])


def _like_escaped(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_site(q: str, viewer=None, language: str = "nl", per_kind: int = PER_KIND) -> SiteResults:
    """The groups of things the viewer may see that match every word of `q` (no words: no groups)."""
    terms, _ignored = query_terms(q)
    if not terms:
        return SiteResults(q, [], [])
    groups = []
    for kind in ("offering", "need"):
        result = search_catalogue(SearchParams(kind=kind, q=q, per_page=10), viewer)
        groups.append(Group(kind, result.total, list(result.items)[:per_kind], result.crossed))
    groups.append(_organisations([_like_escaped(stem(term)) for term in terms], per_kind))
    roots = [stem(term) for term in terms]
    groups.append(_events(roots, per_kind))
    groups.append(_guides(roots, language, per_kind))
    groups.append(_pages(roots, language, per_kind))
    return SiteResults(q, terms, groups)
