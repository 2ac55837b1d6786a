"""Public pages of the initiative: reading them in the reader's language, editing them (administrators),
and loading the default texts shipped in matchmaker/content/defaults/<slug>.<lang>.md.

A default file starts with a `# Title` line; the rest is the Markdown body. Seeding creates the pages that do
not exist yet and never overwrites a page an administrator has edited.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.markdown import render_markdown
from matchmaker.models import Event, Page, Role, Theme, User, utcnow
from matchmaker.models.content import PAGE_LANGUAGES
from matchmaker.services import EditConflict, ServiceError, commit
from matchmaker.textutil import one_line

DEFAULTS_DIR = Path(__file__).resolve().parent.parent / "content" / "defaults"

# The pages the initiative ships with, in menu order.
DEFAULT_PAGES: tuple[str, ...] = ("wat-en-waarom", "hoe-het-werkt", "initiatiefnemers", "charter", "contact")
CHARTER = "charter"
CONTACT = "contact"
# Pages shown by another area's route (with more on them than the text): slug -> endpoint.
SPECIAL_ENDPOINTS = {CHARTER: "charter.index", CONTACT: "content.contact"}

# Paths under /initiative/ that are not pages.
RESERVED_SLUGS = {"events-by-theme"}

TITLE_MAX = 200
BODY_MAX = 50_000
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class PageInput:
    titles: dict[str, str]
    bodies: dict[str, str]
    position: int = 0


def can_edit_pages(user) -> bool:
    return bool(user is not None and user.has_role(Role.ADMIN))


# --- reading -----------------------------------------------------------------------------------------


def published_pages() -> list[Page]:
    return list(
        db.session.scalars(sa.select(Page).where(Page.published.is_(True)).order_by(Page.position, Page.slug))
    )


def all_pages() -> list[Page]:
    return list(db.session.scalars(sa.select(Page).order_by(Page.position, Page.slug)))


def get_page(slug: str) -> Page | None:
    return db.session.scalar(sa.select(Page).where(Page.slug == slug))


def render_page_body(text: str) -> Markup:
    """Sanitised HTML of a page body. Pages own their whole main column, so their `#` headings are <h2>
    (render_markdown starts user text at <h3>); the tags are renamed after sanitising, which keeps it safe."""
    html = str(render_markdown(text))
    for level in range(3, 7):
        html = html.replace(f"<h{level}>", f"<h{level - 1}>").replace(f"</h{level}>", f"</h{level - 1}>")
    return Markup(html)  # noqa: S704 - sanitised by render_markdown, only tag names changed


@dataclass
class ThemeGroup:
    theme: Theme | None  # None: events without a theme
    upcoming: list[Event]
    past: list[Event]


def events_by_theme() -> list[ThemeGroup]:
    """The published events grouped by theme (an event with two themes shows under both), then the events
    without a theme. A fixed number of queries whatever the number of events: the events' themes and days
    (shown on each card) are loaded with them, not one query per event."""
    from matchmaker.services.events import list_public_events
    from matchmaker.services.themes import list_themes

    listing = list_public_events()
    ids = [event.id for event in (*listing.upcoming, *listing.past)]
    if ids:
        db.session.scalars(
            sa.select(Event)
            .where(Event.id.in_(ids))
            .options(selectinload(Event.themes), selectinload(Event.days))
            .execution_options(populate_existing=True)
        ).all()
    groups = []
    themes = list_themes()
    for theme in themes:
        upcoming = [e for e in listing.upcoming if theme in e.themes]
        past = [e for e in listing.past if theme in e.themes]
        if upcoming or past:
            groups.append(ThemeGroup(theme, upcoming, past))
    shown = set(themes)

    def themeless(event: Event) -> bool:  # no theme, or only themes no longer in use
        return not shown.intersection(event.themes)

    without = ThemeGroup(
        None, [e for e in listing.upcoming if themeless(e)], [e for e in listing.past if themeless(e)]
    )
    if without.upcoming or without.past:
        groups.append(without)
    return groups


# --- editing -----------------------------------------------------------------------------------------


def _require_editor(user: User) -> None:
    if not can_edit_pages(user):
        raise ServiceError(_("Only platform administrators can edit the pages."))


def _clean(data: PageInput) -> PageInput:
    titles = {lang: one_line(data.titles.get(lang)) for lang in PAGE_LANGUAGES}
    bodies = {lang: (data.bodies.get(lang) or "").replace("\r\n", "\n").strip() for lang in PAGE_LANGUAGES}
    if not titles["nl"]:
        raise ServiceError(_("Every page needs a Dutch title: it is shown when a translation is missing."))
    for lang in PAGE_LANGUAGES:
        if len(titles[lang]) > TITLE_MAX:
            raise ServiceError(_("A title has at most %(num)d characters.", num=TITLE_MAX))
        if len(bodies[lang]) > BODY_MAX:
            raise ServiceError(_("A text has at most %(num)d characters.", num=BODY_MAX))
    return PageInput(titles, bodies, int(data.position or 0))


def _apply(page: Page, data: PageInput) -> None:
    for lang in PAGE_LANGUAGES:
        setattr(page, f"title_{lang}", data.titles[lang])
        setattr(page, f"body_{lang}", data.bodies[lang])
    page.position = data.position


def _save(page: Page, user: User | None) -> None:
    page.updated_at = utcnow()
    page.updated_by_id = user.id if user else None
    commit(_conflict_message(), EditConflict)


def _conflict_message() -> str:
    return _(
        "Someone else changed this page while you were editing it, so your changes were not saved. "
        "Your text is kept below: compare it with the saved version and save again."
    )


def create_page(user: User, slug: str, data: PageInput) -> Page:
    _require_editor(user)
    slug = (slug or "").strip().lower()
    if not _SLUG.match(slug) or len(slug) > 60:
        raise ServiceError(_("Use lower-case letters, digits and hyphens for the web address, e.g. my-page."))
    if slug in RESERVED_SLUGS or get_page(slug) is not None:
        raise ServiceError(_("A page with this web address already exists."))
    page = Page(slug=slug, published=False)
    _apply(page, _clean(data))
    db.session.add(page)
    _save(page, user)
    return page


def update_page(user: User, page: Page, data: PageInput, expected_version: int | None) -> Page:
    _require_editor(user)
    if expected_version is None or int(expected_version) != page.version:
        raise EditConflict(_conflict_message())
    cleaned = _clean(data)
    _apply(page, cleaned)
    _save(page, user)
    return page


def set_published(user: User, page: Page, published: bool) -> Page:
    _require_editor(user)
    if page.published != published:
        page.published = published
        _save(page, user)
    return page


# --- default texts -----------------------------------------------------------------------------------


def read_default(slug: str, language: str) -> tuple[str, str] | None:
    """(title, body) of a shipped default text, or None when that file does not exist."""
    path = DEFAULTS_DIR / f"{slug}.{language}.md"
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8").strip()
    first, _, rest = text.partition("\n")
    return first.lstrip("#").strip(), rest.strip()


def seed_default_pages(progress=lambda message: None) -> str:
    """Create the shipped pages that are missing (by slug), published. Existing pages are left alone."""
    existing = set(db.session.scalars(sa.select(Page.slug)))
    created = 0
    for position, slug in enumerate(DEFAULT_PAGES, start=1):
        if slug in existing:
            continue
        page = Page(slug=slug, position=position * 10, published=True)
        for lang in PAGE_LANGUAGES:
            found = read_default(slug, lang)
            if found:
                setattr(page, f"title_{lang}", found[0])
                setattr(page, f"body_{lang}", found[1])
        db.session.add(page)
        created += 1
        progress(f"      page {slug}")
    commit()
    return f"pages: {created} created, {len(DEFAULT_PAGES) - created} already there"
