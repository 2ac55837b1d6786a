"""The knowledge base of the public-procurement knowledge network (issue 19), and support requests.

An `Article` is a guide filed under a topic and, for guides about one procurement route, under that route. Its
text lives in one `ArticleTranslation` per language (nl, fr, en): a missing language is simply a missing row,
and readers of that language get another one with a note. `languages` repeats which translations exist
("nl fr en", in that order) so that the sitemap can list an article in its own languages without a join.
`version` is checked on every UPDATE (optimistic locking), as for the initiative's pages. Every change is
recorded in `ArticleRevision` (who, when, what: the languages whose text changed, publication).

A `SupportRequest` is a question of a need's organisation to the knowledge network about that need; its
`SupportMessage`s are the thread between the organisation's members and the network's editors.
"""

import enum
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import enum_check, utcnow
from matchmaker.models.catalogue import Need
from matchmaker.models.documents import Document
from matchmaker.models.organisation import Organisation
from matchmaker.models.user import User

ARTICLE_LANGUAGES = ("nl", "fr", "en")
TITLE_MAX = 200
SUMMARY_MAX = 500
BODY_MAX = 60_000
MESSAGE_MAX = 5000


class KnowledgeTopic(enum.StrEnum):
    GETTING_STARTED = "getting_started"
    ROUTES = "procurement_routes"
    MARKET_DIALOGUE = "market_dialogue"
    POLICY = "policy_and_funding"
    CONTRACTS = "contracts_and_ip"


class RevisionAction(enum.StrEnum):
    CREATED = "created"
    EDITED = "edited"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"


class SupportStatus(enum.StrEnum):
    OPEN = "open"  # waits for the network
    ANSWERED = "answered"  # the network wrote last
    CLOSED = "closed"


class Article(db.Model):
    __tablename__ = "kb_article"
    __table_args__ = (
        enum_check("topic", KnowledgeTopic),
        sa.CheckConstraint(
            "procurement_route IS NULL OR procurement_route IN ('market_consultation', "
            "'pre_commercial_procurement', 'public_procurement_of_innovation', 'innovation_partnership', "
            "'competitive_dialogue')",
            name="procurement_route_valid",
        ),
        sa.Index("ix_kb_article_published_route", "published", "procurement_route"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    topic: Mapped[str] = mapped_column(sa.String(30))
    procurement_route: Mapped[Optional[str]] = mapped_column(sa.String(40))
    position: Mapped[int] = mapped_column(default=0)
    published: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[Optional[datetime]]
    languages: Mapped[str] = mapped_column(sa.String(8), default="")  # "nl fr en": the translations there are
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(default=1)

    translations: Mapped[list["ArticleTranslation"]] = relationship(
        back_populates="article", cascade="all, delete-orphan", lazy="selectin"
    )
    updated_by: Mapped[Optional[User]] = relationship(foreign_keys=[updated_by_id])

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Article {self.slug}>"

    def translation(self, language: str) -> Optional["ArticleTranslation"]:
        return next((t for t in self.translations if t.language == language), None)

    @property
    def language_list(self) -> list[str]:
        return [
            t.language for t in sorted(self.translations, key=lambda t: ARTICLE_LANGUAGES.index(t.language))
        ]

    def shown_language(self, language: str) -> str | None:
        """The language a reader of `language` gets: theirs when it exists, else Dutch, English, French."""
        present = set(self.language_list)
        for candidate in (language, *ARTICLE_LANGUAGES):
            if candidate in present:
                return candidate
        return None

    def shown(self, language: str) -> Optional["ArticleTranslation"]:
        shown = self.shown_language(language)
        return self.translation(shown) if shown else None


class ArticleTranslation(db.Model):
    __tablename__ = "kb_article_translation"
    __table_args__ = (
        sa.UniqueConstraint("article_id", "language"),
        sa.CheckConstraint("language IN ('nl', 'fr', 'en')", name="language_valid"),
        sa.CheckConstraint("title <> ''", name="title_required"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("kb_article.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(sa.String(2))
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    summary: Mapped[str] = mapped_column(sa.String(SUMMARY_MAX), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    article: Mapped[Article] = relationship(back_populates="translations")


class ArticleRevision(db.Model):
    """Who changed an article, when, and what (`changes`: the languages added, changed or removed, and the
    fields of the article itself that changed)."""

    __tablename__ = "kb_article_revision"
    __table_args__ = (
        enum_check("action", RevisionAction),
        sa.Index("ix_kb_article_revision_article_at", "article_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("kb_article.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(sa.String(12))
    changes: Mapped[Optional[dict[str, Any]]] = mapped_column(sa.JSON)
    actor_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(sa.String(200), default="")  # kept when the account is gone
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ArticleTemplate(db.Model):
    """A document to download with an article (a questionnaire, a checklist, a model clause), in one language
    or for every reader (`language` None). The file and its versions are a `Document` owned by the article
    (owner kind "kb_article"), which the documents area serves."""

    __tablename__ = "kb_article_template"
    __table_args__ = (
        sa.CheckConstraint("language IS NULL OR language IN ('nl', 'fr', 'en')", name="language_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("kb_article.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("document.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    language: Mapped[Optional[str]] = mapped_column(sa.String(2))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship()


class SupportRequest(db.Model):
    __tablename__ = "support_request"
    __table_args__ = (
        enum_check("status", SupportStatus),
        sa.Index("ix_support_request_status_last_message", "status", "last_message_at"),
        sa.Index("ix_support_request_asked_by_created", "asked_by_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("need.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    asked_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(10), default=SupportStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)

    need: Mapped[Need] = relationship()
    organisation: Mapped[Organisation] = relationship()
    asked_by: Mapped[Optional[User]] = relationship()
    messages: Mapped[list["SupportMessage"]] = relationship(
        back_populates="request", order_by="SupportMessage.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<SupportRequest {self.id} need={self.need_id}>"


class SupportMessage(db.Model):
    __tablename__ = "support_message"
    __table_args__ = (sa.CheckConstraint(f"length(body) <= {MESSAGE_MAX}", name="body_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("support_request.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    from_network: Mapped[bool] = mapped_column(default=False)  # written by an editor or administrator
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[SupportRequest] = relationship(back_populates="messages")
    author: Mapped[Optional[User]] = relationship()
