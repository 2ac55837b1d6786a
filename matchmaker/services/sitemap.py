"""What the sitemaps list: every public page, in a fixed order, read a slice at a time (issue 18).

Only what anyone may see without logging in: published offerings and open needs that are not for
registered users only (`public_condition`: nothing of a draft, a closed item or a suspended organisation),
events that are not drafts, organisations that are not suspended, published content pages, the charter,
the 3%-norm dashboards of verified government organisations and of every policy domain, and the lists.

The URLs are numbered in one sequence (the fixed pages, then offerings, needs, events, organisations, content
pages and tracker dashboards, each by id) and cut into sitemaps of `URLS_PER_SITEMAP`. A sitemap costs a fixed
number of queries whatever the catalogue's size: one for the counts, then at most one per kind of row its
slice touches, each reading ids and dates only (never ORM objects) with `LIMIT`/`OFFSET` on the primary key.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Event, Need, Offering, Organisation
from matchmaker.models.content import Page
from matchmaker.models.events import EventStatus
from matchmaker.models.knowledge import Article
from matchmaker.models.organisation import OrganisationKind, PolicyDomain, Verification
from matchmaker.services.content import RESERVED_SLUGS, SPECIAL_ENDPOINTS

URLS_PER_SITEMAP = 10_000  # the protocol allows 50,000 (and 50 MB); 10,000 with 4 alternates is about 6 MB
READ_BATCH = 1_000  # rows fetched from the database at a time while a sitemap streams


@dataclass(frozen=True)
class Entry:
    """One page: its endpoint and the values of its route, and when it last changed (None: not known)."""

    endpoint: str
    values: tuple[tuple[str, object], ...]
    lastmod: datetime | None
    languages: tuple[str, ...] | None = None  # the page exists in these languages only (None: in every one)


@dataclass(frozen=True)
class _Kind:
    endpoint: str
    argument: str
    select: sa.Select  # (route value, last change[, languages]), public rows only, in a stable order


def _kinds() -> list[_Kind]:
    tracked = sa.and_(
        Organisation.kind == OrganisationKind.GOVERNMENT.value,
        Organisation.verification == Verification.VERIFIED.value,
    )
    hidden_slugs = set(SPECIAL_ENDPOINTS) | RESERVED_SLUGS  # charter and contact have their own pages
    return [
        _Kind(
            "catalogue.offering",
            "offering_id",
            sa.select(Offering.id, Offering.updated_at)
            .where(Offering.public_condition())
            .order_by(Offering.id),
        ),
        _Kind(
            "catalogue.need",
            "need_id",
            sa.select(Need.id, Need.updated_at)
            .where(Need.public_condition(), Need.registered_only.is_(False))
            .order_by(Need.id),
        ),
        _Kind(
            "events.detail",
            "event_id",
            sa.select(Event.id, Event.updated_at)
            .where(Event.status != EventStatus.DRAFT.value)
            .order_by(Event.id),
        ),
        _Kind(
            "organisations.detail",
            "organisation_id",
            sa.select(Organisation.id, Organisation.updated_at)
            .where(Organisation.public_condition())
            .order_by(Organisation.id),
        ),
        _Kind(  # initiative pages, in the languages they are written in (Dutch and their translations)
            "content.page",
            "slug",
            sa.select(Page.slug, Page.updated_at, Page.languages_column())
            .where(Page.published.is_(True), Page.slug.not_in(hidden_slugs))
            .order_by(Page.id),
        ),
        _Kind(
            "tracker.organisation",
            "organisation_id",
            sa.select(Organisation.id, Organisation.updated_at).where(tracked).order_by(Organisation.id),
        ),
        _Kind(  # knowledge-base articles, in the languages they are written in ("nl fr en")
            "knowledge.article",
            "slug",
            sa.select(Article.slug, Article.updated_at, Article.languages)
            .where(Article.published.is_(True), Article.languages != "")
            .order_by(Article.id),
        ),
    ]


@dataclass
class Plan:
    """The sizes of the sequence's parts, and the lists' last changes, from one query."""

    fixed: list[Entry]
    counts: list[int]  # per kind, in `_kinds()` order

    @property
    def total(self) -> int:
        return len(self.fixed) + sum(self.counts)

    @property
    def sitemaps(self) -> int:
        """How many sitemaps (per language) hold the sequence: at least one, if only with the home page."""
        return max(1, -(-self.total // URLS_PER_SITEMAP))


def plan() -> Plan:
    kinds = _kinds()
    counts = [sa.select(sa.func.count()).select_from(kind.select.order_by(None).subquery()) for kind in kinds]
    offerings, needs, events = (kind.select.order_by(None).subquery() for kind in kinds[:3])
    latest = [
        sa.select(sa.func.max(offerings.c.updated_at)),
        sa.select(sa.func.max(needs.c.updated_at)),
        sa.select(sa.func.max(events.c.updated_at)),
        sa.select(sa.func.max(Page.updated_at)).where(Page.published.is_(True)),
    ]
    row = db.session.execute(sa.select(*(query.scalar_subquery() for query in counts + latest))).one()
    numbers = list(row[: len(kinds)])
    offering_change, need_change, event_change, page_change = row[len(kinds) :]
    newest = max((moment for moment in (offering_change, need_change, event_change) if moment), default=None)
    fixed = [
        Entry("pages.home", (), newest),
        Entry("catalogue.browse_offerings", (), offering_change),
        Entry("catalogue.browse_needs", (), need_change),
        Entry("events.index", (), event_change),
        Entry("content.index", (), page_change),
        Entry("content.events_by_theme", (), event_change),
        Entry("content.contact", (), None),
        Entry("charter.index", (), None),
        Entry("newsletter.subscribe", (), None),
        Entry("tracker.index", (), None),
        Entry("knowledge.index", (), None),
        *(Entry("tracker.domain", (("code", domain.value),), None) for domain in PolicyDomain),
    ]
    return Plan(fixed=fixed, counts=[int(n or 0) for n in numbers])


def entries(the_plan: Plan, number: int) -> Iterator[Entry]:
    """The entries of sitemap `number` (from 1), read from the database a batch at a time."""
    start = (number - 1) * URLS_PER_SITEMAP
    end = start + URLS_PER_SITEMAP
    yield from the_plan.fixed[start:end]
    position = len(the_plan.fixed)
    for kind, count in zip(_kinds(), the_plan.counts, strict=True):
        first, last = max(start, position), min(end, position + count)
        if first < last:
            query = kind.select.offset(first - position).limit(last - first)
            rows = db.session.execute(query.execution_options(yield_per=READ_BATCH))
            for value, changed, *languages in rows:
                only = tuple(languages[0].split()) if languages else None
                yield Entry(kind.endpoint, ((kind.argument, value),), changed, only)
        position += count
