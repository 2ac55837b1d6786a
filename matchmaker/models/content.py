"""Public pages of the initiative (what it is, how it works, who is behind it, the charter, contact).

Administrators edit them on the site; the text is Markdown in Dutch, French and English. A page whose
translation is missing is shown in Dutch. `version` is checked by SQLAlchemy on every UPDATE, so two
administrators editing the same page cannot overwrite each other without noticing (optimistic locking).
"""

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import utcnow
from matchmaker.models.user import User

PAGE_LANGUAGES = ("nl", "fr", "en")


class Page(db.Model):
    __tablename__ = "content_page"
    __table_args__ = (sa.CheckConstraint("title_nl <> ''", name="title_nl_required"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    position: Mapped[int] = mapped_column(default=0)  # order in the menu
    published: Mapped[bool] = mapped_column(default=False)
    title_nl: Mapped[str] = mapped_column(sa.String(200))
    title_fr: Mapped[str] = mapped_column(sa.String(200), default="")
    title_en: Mapped[str] = mapped_column(sa.String(200), default="")
    body_nl: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown
    body_fr: Mapped[str] = mapped_column(sa.Text, default="")
    body_en: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(default=1)

    updated_by: Mapped[Optional[User]] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Page {self.slug}>"

    def has_translation(self, language: str) -> bool:
        return bool(getattr(self, f"title_{language}", "") and getattr(self, f"body_{language}", "").strip())

    def title(self, language: str) -> str:
        """The title in `language`, or the Dutch one when that translation is missing."""
        if language in PAGE_LANGUAGES and self.has_translation(language):
            return getattr(self, f"title_{language}")
        return self.title_nl

    def body(self, language: str) -> str:
        if language in PAGE_LANGUAGES and self.has_translation(language):
            return getattr(self, f"body_{language}")
        return self.body_nl

    def languages(self) -> tuple[str, ...]:
        """The languages the page is written in: Dutch, which stands in for a missing translation, and each
        translation it has. Only these are announced as its alternates and listed in their sitemaps."""
        return tuple(code for code in PAGE_LANGUAGES if code == "nl" or self.has_translation(code))

    @classmethod
    def languages_column(cls):
        """`languages()` in SQL, as "nl fr en" (bodies are stored stripped, so not empty is not blank)."""
        written = sa.literal("nl", sa.String)
        for code in PAGE_LANGUAGES[1:]:
            has = sa.and_(getattr(cls, f"title_{code}") != "", getattr(cls, f"body_{code}") != "")
            written = written + sa.case((has, f" {code}"), else_="")
        return written.label("languages")

    def shown_language(self, language: str) -> str:
        """The language the page is shown in for a reader of `language`."""
        return language if language in PAGE_LANGUAGES and self.has_translation(language) else "nl"
