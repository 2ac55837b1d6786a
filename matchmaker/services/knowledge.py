"""The knowledge base (issue 19): guides per topic and procurement route in Dutch, French and English, written
by the knowledge network's editors and the platform's administrators; and loading the guides shipped in
matchmaker/knowledge/articles/.

Readers get an article in their language, or in another one (Dutch, English, French, in that order) with a
note that says so. Unpublished articles exist for editors only. Every save records who changed what
(`ArticleRevision`); two editors saving the same article at once cannot overwrite each other unnoticed
(`version`, as for the initiative's pages).

Support requests (a need's organisation asks the network for guidance) live in
`matchmaker.services.support`.
"""

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from markupsafe import Markup

from matchmaker.extensions import db
from matchmaker.markdown import render_markdown
from matchmaker.models import (
    Article,
    ArticleRevision,
    ArticleTemplate,
    ArticleTranslation,
    Document,
    DocumentVersion,
    KnowledgeTopic,
    ProcurementRoute,
    RevisionAction,
    Role,
    User,
    utcnow,
)
from matchmaker.models.knowledge import ARTICLE_LANGUAGES, BODY_MAX, SUMMARY_MAX, TITLE_MAX
from matchmaker.models.labels import PROCUREMENT_ROUTES
from matchmaker.services import EditConflict, Invalid, NotAllowed, NotFound, commit, documents, filetypes
from matchmaker.textutil import one_line

ARTICLES_DIR = Path(__file__).resolve().parent.parent / "knowledge" / "articles"

# The routes the knowledge base explains, in the order a buyer meets them.
ROUTES: tuple[str, ...] = (
    ProcurementRoute.MARKET_CONSULTATION.value,
    ProcurementRoute.PRE_COMMERCIAL.value,
    ProcurementRoute.PUBLIC_PROCUREMENT_OF_INNOVATION.value,
    ProcurementRoute.INNOVATION_PARTNERSHIP.value,
    ProcurementRoute.COMPETITIVE_DIALOGUE.value,
)

TOPICS: dict[str, LazyString] = {
    KnowledgeTopic.GETTING_STARTED: _l("Getting started"),
    KnowledgeTopic.ROUTES: _l("Procurement routes"),
    KnowledgeTopic.MARKET_DIALOGUE: _l("Talking with the market"),
    KnowledgeTopic.POLICY: _l("Policy and funding"),
    KnowledgeTopic.CONTRACTS: _l("Contracts and intellectual property"),
}

# The question a buyer asks about a route (shown on needs and in the tracker beside the route).
ROUTE_QUESTIONS: dict[str, LazyString] = {
    ProcurementRoute.MARKET_CONSULTATION: _l("How do I run a market consultation?"),
    ProcurementRoute.PRE_COMMERCIAL: _l("How does pre-commercial procurement work?"),
    ProcurementRoute.PUBLIC_PROCUREMENT_OF_INNOVATION: _l("How does public procurement of innovation work?"),
    ProcurementRoute.INNOVATION_PARTNERSHIP: _l("How does an innovation partnership work?"),
    ProcurementRoute.COMPETITIVE_DIALOGUE: _l("How does a competitive dialogue work?"),
}

RESERVED_SLUGS = {"manage", "support"}
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 80


def topic_label(code: str) -> str:
    found = TOPICS.get(code)
    return str(found) if found is not None else code


def route_label(code: str | None) -> str:
    found = PROCUREMENT_ROUTES.get(code) if code else None
    return str(found) if found is not None else (code or "")


def can_edit(user: User | None) -> bool:
    """Editors of the knowledge network and platform administrators write the knowledge base."""
    return bool(user is not None and user.active and user.has_role(Role.KNOWLEDGE_EDITOR, Role.ADMIN))


def require_editor(user: User | None) -> None:
    if not can_edit(user):
        raise NotAllowed(_("Only editors of the knowledge network and administrators can do this."))


# --- reading -------------------------------------------------------------------------------------------


def _ordered(statement: sa.Select) -> sa.Select:
    return statement.order_by(Article.position, Article.id)


def published_articles() -> list[Article]:
    return list(db.session.scalars(_ordered(sa.select(Article).where(Article.published.is_(True)))))


def all_articles() -> list[Article]:
    return list(db.session.scalars(_ordered(sa.select(Article))))


def get_article(slug: str) -> Article | None:
    return db.session.scalar(sa.select(Article).where(Article.slug == slug))


def visible_article(user: User | None, slug: str) -> Article | None:
    """The article to show at `slug`: published ones to everyone, drafts to editors only."""
    article = get_article(slug)
    if article is None or not article.language_list:
        return None
    if not article.published and not can_edit(user):
        return None
    return article


def guide_for_route(route: str | None) -> Article | None:
    """The first published guide of a procurement route (None for 'not yet known' or when there is none)."""
    if route not in ROUTES:
        return None
    return db.session.scalar(
        _ordered(
            sa.select(Article).where(Article.published.is_(True), Article.procurement_route == route)
        ).limit(1)
    )


@dataclass
class Shelf:
    """The published articles grouped for the index: per route (in ROUTES order), then per topic."""

    by_route: list[tuple[str, list[Article]]] = field(default_factory=list)
    by_topic: list[tuple[str, list[Article]]] = field(default_factory=list)


def shelf() -> Shelf:
    articles = published_articles()
    result = Shelf()
    for route in ROUTES:
        found = [a for a in articles if a.procurement_route == route]
        if found:
            result.by_route.append((route, found))
    for topic in KnowledgeTopic:
        found = [a for a in articles if a.topic == topic and a.procurement_route is None]
        if found:
            result.by_topic.append((topic.value, found))
    return result


def render_body(text: str) -> Markup:
    """Sanitised HTML of an article: its `#` headings are <h2> under the page's <h1> (as the pages')."""
    html = str(render_markdown(text))
    for level in range(3, 7):
        html = html.replace(f"<h{level}>", f"<h{level - 1}>").replace(f"</h{level}>", f"</h{level - 1}>")
    return Markup(html)  # noqa: S704 - sanitised by render_markdown, only tag names changed


def revisions(article: Article) -> list[ArticleRevision]:
    return list(
        db.session.scalars(
            sa.select(ArticleRevision)
            .where(ArticleRevision.article_id == article.id)
            .order_by(ArticleRevision.at.desc(), ArticleRevision.id.desc())
        )
    )


# --- editing -------------------------------------------------------------------------------------------


@dataclass
class TranslationInput:
    title: str = ""
    summary: str = ""
    body: str = ""

    @property
    def empty(self) -> bool:
        return not (self.title or self.summary or self.body)


@dataclass
class ArticleInput:
    slug: str
    topic: str
    procurement_route: str | None
    translations: dict[str, TranslationInput]
    position: int = 0


def _clean(data: ArticleInput) -> ArticleInput:
    problems: dict[str, str] = {}
    slug = (data.slug or "").strip().lower()
    if not _SLUG.match(slug) or len(slug) > SLUG_MAX:
        problems["slug"] = _("Use lower-case letters, digits and hyphens for the web address, e.g. my-guide.")
    elif slug in RESERVED_SLUGS:
        problems["slug"] = _("This web address is reserved; choose another one.")
    if data.topic not in {t.value for t in KnowledgeTopic}:
        problems["topic"] = _("Choose a topic.")
    route = data.procurement_route or None
    if route is not None and route not in ROUTES:
        problems["procurement_route"] = _("Choose one of the procurement routes, or none.")
    translations = {}
    for lang in ARTICLE_LANGUAGES:
        given = data.translations.get(lang) or TranslationInput()
        text = TranslationInput(
            title=one_line(given.title),
            summary=one_line(given.summary),
            body=(given.body or "").replace("\r\n", "\n").replace("\x00", "").strip(),
        )
        if text.empty:
            continue
        if not text.title:
            problems[f"title_{lang}"] = _("Give this translation a title, or leave all its fields empty.")
        elif len(text.title) > TITLE_MAX:
            problems[f"title_{lang}"] = _("A title has at most %(num)d characters.", num=TITLE_MAX)
        if len(text.summary) > SUMMARY_MAX:
            problems[f"summary_{lang}"] = _("A summary has at most %(num)d characters.", num=SUMMARY_MAX)
        if not text.body:
            problems[f"body_{lang}"] = _("Write the text of this translation, or leave all its fields empty.")
        elif len(text.body) > BODY_MAX:
            problems[f"body_{lang}"] = _("A text has at most %(num)d characters.", num=BODY_MAX)
        translations[lang] = text
    if not translations and not problems:
        problems["title_nl"] = _("Write the article in at least one language.")
    if problems:
        raise Invalid(problems)
    return ArticleInput(slug, data.topic, route, translations, int(data.position or 0))


def _conflict_message() -> str:
    return _(
        "Someone else changed this article while you were editing it, so your changes were not saved. "
        "Your text is kept below: compare it with the saved version and save again."
    )


def _apply(article: Article, data: ArticleInput) -> dict:
    """Put the cleaned input on the article; returns what changed (for its revision)."""
    changes: dict = {}
    for name in ("topic", "procurement_route", "position"):
        if getattr(article, name) != getattr(data, name):
            changes[name] = [getattr(article, name), getattr(data, name)]
            setattr(article, name, getattr(data, name))
    added, changed, removed = [], [], []
    now = utcnow()
    for lang in ARTICLE_LANGUAGES:
        existing = article.translation(lang)
        wanted = data.translations.get(lang)
        if wanted is None:
            if existing is not None:
                article.translations.remove(existing)
                removed.append(lang)
        elif existing is None:
            article.translations.append(
                ArticleTranslation(
                    language=lang,
                    title=wanted.title,
                    summary=wanted.summary,
                    body=wanted.body,
                    updated_at=now,
                )
            )
            added.append(lang)
        elif (existing.title, existing.summary, existing.body) != (wanted.title, wanted.summary, wanted.body):
            existing.title, existing.summary, existing.body = wanted.title, wanted.summary, wanted.body
            existing.updated_at = now
            changed.append(lang)
    for key, value in (("added", added), ("changed", changed), ("removed", removed)):
        if value:
            changes[key] = value
    article.languages = " ".join(lang for lang in ARTICLE_LANGUAGES if lang in data.translations)
    return changes


def _record(article: Article, user: User | None, action: RevisionAction, changes: dict | None = None) -> None:
    now = utcnow()
    article.updated_at = now
    article.updated_by_id = user.id if user else None
    db.session.add(
        ArticleRevision(
            article_id=article.id,
            action=action.value,
            changes=changes or None,
            actor_id=user.id if user else None,
            actor_name=user.display_name if user else "",
            at=now,
        )
    )


def create_article(user: User, data: ArticleInput) -> Article:
    require_editor(user)
    cleaned = _clean(data)
    if get_article(cleaned.slug) is not None:
        raise Invalid({"slug": _("An article with this web address already exists.")})
    article = Article(slug=cleaned.slug, published=False, created_by_id=user.id)
    db.session.add(article)
    changes = _apply(article, cleaned)
    db.session.flush()
    _record(article, user, RevisionAction.CREATED, changes)
    commit(_("An article with this web address already exists."))
    return article


def update_article(user: User, article: Article, data: ArticleInput, expected_version: int | None) -> Article:
    """Save an editor's changes. The web address stays as it was (links point to it)."""
    require_editor(user)
    if expected_version is None or int(expected_version) != article.version:
        raise EditConflict(_conflict_message())
    data.slug = article.slug
    cleaned = _clean(data)
    if article.published and not cleaned.translations:
        raise Invalid({"title_nl": _("A published article needs at least one language.")})
    changes = _apply(article, cleaned)
    if changes:
        _record(article, user, RevisionAction.EDITED, changes)
        commit(_conflict_message(), EditConflict)
    return article


def set_published(user: User, article: Article, published: bool) -> Article:
    require_editor(user)
    if article.published == published:
        return article
    if published and not article.language_list:
        raise Invalid(_("Write the article in at least one language before publishing it."))
    article.published = published
    if published and article.published_at is None:
        article.published_at = utcnow()
    _record(article, user, RevisionAction.PUBLISHED if published else RevisionAction.UNPUBLISHED)
    commit(_conflict_message(), EditConflict)
    return article


# --- templates to download ----------------------------------------------------------------------------

OWNER_KIND = "kb_article"


def _article_of(document: Document) -> Article | None:
    return db.session.get(Article, document.owner_id)


def _template_readable(user: User | None, document: Document) -> bool:
    article = _article_of(document)
    return article is not None and (article.published or can_edit(user))


def _template_public(document: Document) -> bool:
    article = _article_of(document)
    return article is not None and article.published


documents.register_owner(
    OWNER_KIND,
    documents.OwnerRules(
        can_read=_template_readable,
        can_manage=lambda user, owner_id: can_edit(user),
        is_public=_template_public,
    ),
)


def templates_of(article: Article, language: str | None = None) -> list[ArticleTemplate]:
    """The article's templates that were not removed: for every reader first, then per language (the
    reader's own first when `language` is given)."""
    rows = list(
        db.session.scalars(
            sa.select(ArticleTemplate)
            .join(Document, Document.id == ArticleTemplate.document_id)
            .where(ArticleTemplate.article_id == article.id, Document.removed_at.is_(None))
            .order_by(ArticleTemplate.id)
        )
    )
    order = [None, language, *ARTICLE_LANGUAGES]
    return sorted(rows, key=lambda t: order.index(t.language))


def attach_template(
    user: User, article: Article, upload, title: str, language: str | None
) -> ArticleTemplate:
    """Attach a file to download with the article (FileRefused for an unacceptable file). Commits."""
    require_editor(user)
    title = one_line(title)
    if not title:
        raise Invalid({"title": _("Give the template a title.")})
    if len(title) > TITLE_MAX:
        raise Invalid({"title": _("A title has at most %(num)d characters.", num=TITLE_MAX)})
    language = language or None
    if language is not None and language not in ARTICLE_LANGUAGES:
        raise Invalid({"language": _("Choose a language, or every language.")})
    document = documents.store(
        upload, uploaded_by=user, owner_kind=OWNER_KIND, owner_id=article.id, commit_now=False
    )
    template = ArticleTemplate(article_id=article.id, document=document, title=title, language=language)
    db.session.add(template)
    _record(article, user, RevisionAction.EDITED, {"template_added": [title]})
    commit()
    return template


def get_template(article: Article, template_id: int) -> ArticleTemplate:
    template = db.session.get(ArticleTemplate, template_id)
    if template is None or template.article_id != article.id or template.document.removed:
        raise NotFound(_("This template does not exist."))
    return template


def remove_template(user: User, article: Article, template: ArticleTemplate) -> None:
    """Remove a template: the document's removal is recorded (who, when) and its bytes dropped. Commits."""
    require_editor(user)
    documents.remove(template.document, removed_by=user, commit_now=False)
    _record(article, user, RevisionAction.EDITED, {"template_removed": [template.title]})
    commit()


# --- the shipped articles ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShippedArticle:
    slug: str
    topic: str
    procurement_route: str | None
    position: int


SHIPPED: tuple[ShippedArticle, ...] = (
    ShippedArticle("which-procurement-route", KnowledgeTopic.GETTING_STARTED, None, 10),
    ShippedArticle("market-consultation", KnowledgeTopic.ROUTES, ProcurementRoute.MARKET_CONSULTATION, 20),
    ShippedArticle("pre-commercial-procurement", KnowledgeTopic.ROUTES, ProcurementRoute.PRE_COMMERCIAL, 30),
    ShippedArticle(
        "public-procurement-of-innovation",
        KnowledgeTopic.ROUTES,
        ProcurementRoute.PUBLIC_PROCUREMENT_OF_INNOVATION,
        40,
    ),
    ShippedArticle(
        "innovation-partnership", KnowledgeTopic.ROUTES, ProcurementRoute.INNOVATION_PARTNERSHIP, 50
    ),
    ShippedArticle("competitive-dialogue", KnowledgeTopic.ROUTES, ProcurementRoute.COMPETITIVE_DIALOGUE, 60),
    ShippedArticle(
        "market-consultation-without-distorting-competition", KnowledgeTopic.MARKET_DIALOGUE, None, 70
    ),
    ShippedArticle("three-percent-innovation-norm", KnowledgeTopic.POLICY, None, 80),
)


# The templates shipped with the guides: (article slug, template name); their texts are in
# matchmaker/knowledge/templates/<name>.<lang>.md, turned into OpenDocument text when seeded.
SHIPPED_TEMPLATES: tuple[tuple[str, str], ...] = (
    ("market-consultation", "market-consultation-questionnaire"),
    ("market-consultation-without-distorting-competition", "market-consultation-record"),
    ("pre-commercial-procurement", "pcp-phase-plan"),
)
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "knowledge" / "templates"


def _ship_templates(article: Article) -> int:
    """Attach the shipped templates of a newly seeded article, one .odt per language."""
    from matchmaker.knowledge.odt import build_odt

    added = 0
    for slug, name in SHIPPED_TEMPLATES:
        if slug != article.slug:
            continue
        for lang in ARTICLE_LANGUAGES:
            path = TEMPLATES_DIR / f"{name}.{lang}.md"
            if not path.exists():
                continue
            source = path.read_text(encoding="utf-8")
            title = source.strip().splitlines()[0].lstrip("#").strip()
            data = build_odt(source, title, lang)
            file_type = filetypes.sniff(data)
            document = Document(owner_kind=OWNER_KIND, owner_id=article.id, version_count=1)
            document.versions.append(
                DocumentVersion(
                    number=1,
                    filename=documents.clean_filename(title, file_type),
                    mime_type=file_type.mime_type,
                    size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(),
                    data=data,
                )
            )
            db.session.add(
                ArticleTemplate(article_id=article.id, document=document, title=title, language=lang)
            )
            added += 1
    return added


def read_shipped(slug: str, language: str) -> TranslationInput | None:
    """A shipped text: `# Title`, then an optional `> summary` line, then the Markdown body."""
    path = ARTICLES_DIR / f"{slug}.{language}.md"
    if not path.exists():
        return None
    lines = path.read_text(encoding="utf-8").strip().splitlines()
    title = lines[0].lstrip("#").strip()
    rest = lines[1:]
    while rest and not rest[0].strip():
        rest = rest[1:]
    summary = ""
    if rest and rest[0].startswith(">"):
        summary = rest[0].lstrip(">").strip()
        rest = rest[1:]
    return TranslationInput(title=title, summary=summary, body="\n".join(rest).strip())


def seed_knowledge_base(progress=lambda message: None) -> str:
    """Create the shipped articles that are missing (by web address), published, with every translation
    shipped. An article that exists is left as it is: editors may have changed it. Safe to run again."""
    existing = set(db.session.scalars(sa.select(Article.slug)))
    created = 0
    for spec in SHIPPED:
        if spec.slug in existing:
            continue
        texts = {lang: found for lang in ARTICLE_LANGUAGES if (found := read_shipped(spec.slug, lang))}
        if not texts:
            continue
        article = Article(
            slug=spec.slug,
            topic=str(spec.topic),
            procurement_route=str(spec.procurement_route) if spec.procurement_route else None,
            position=spec.position,
            published=True,
            published_at=utcnow(),
        )
        db.session.add(article)
        data = ArticleInput(spec.slug, article.topic, article.procurement_route, texts, spec.position)
        changes = _apply(article, data)
        db.session.flush()
        _record(article, None, RevisionAction.CREATED, changes)
        _ship_templates(article)
        created += 1
        progress(f"      article {spec.slug}")
    commit()
    return f"knowledge base: {created} articles created, {len(SHIPPED) - created} already there"
