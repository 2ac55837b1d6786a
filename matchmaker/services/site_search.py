"""The header's search box: one query over offerings, needs, organisations, events and the initiative's pages,
grouped by kind, each group ranked and counted, in the reader's language.

Every kind keeps its own visibility rules: offerings and needs go through the catalogue search (published
offerings, open needs, registered-only needs for logged-in readers, nothing of a suspended organisation);
organisations are those not suspended; events are the public ones (services.events.list_public_events, not
drafts); pages are the published ones. Nothing here decides visibility anew.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Organisation, Page, Verification
from matchmaker.services import content
from matchmaker.services import events as events_service
from matchmaker.services.search import SearchParams, query_terms, search_catalogue, stem
from matchmaker.textutil import fold

PER_KIND = 5
KINDS = ("offering", "need", "organisation", "event", "page")


@dataclass
class Group:
    kind: str
    total: int = 0
    items: list = field(default_factory=list)  # the best PER_KIND, best first


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
    """Organisations not suspended whose name holds every word; names starting with the first word first."""
    condition = sa.and_(
        Organisation.verification != Verification.SUSPENDED.value,
        *(Organisation.name.ilike(f"%{term}%", escape="\\") for term in terms),
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Organisation).where(condition)) or 0
    starts = sa.case((Organisation.name.ilike(f"{terms[0]}%", escape="\\"), 0), else_=1)
    items = list(
        db.session.scalars(
            sa.select(Organisation)
            .where(condition)
            .order_by(starts, Organisation.name, Organisation.id)
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
        groups.append(Group(kind, result.total, list(result.items)[:per_kind]))
    groups.append(_organisations([_like_escaped(stem(term)) for term in terms], per_kind))
    roots = [stem(term) for term in terms]
    groups.append(_events(roots, per_kind))
    groups.append(_pages(roots, language, per_kind))
    return SiteResults(q, terms, groups)
