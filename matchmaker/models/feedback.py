"""Answers to "Did you find what you were looking for?" (issue 19), asked at the foot of the public pages.

An answer is anonymous: the page (its path on the site, without the language prefix or a query string), the
language it was read in, yes or no, an optional comment, and the month. Nothing that tells who answered: no
account, no IP address, no exact time."""

from datetime import date
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.extensions import db
from matchmaker.models.base import enum_check
from matchmaker.models.catalogue import ContentLanguage

PATH_MAX = 300
COMMENT_MAX = 1000


class PageFeedback(db.Model):
    __tablename__ = "page_feedback"
    __table_args__ = (
        enum_check("language", ContentLanguage),
        sa.Index("ix_page_feedback_month_path", "month", "path"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(sa.String(PATH_MAX), index=True)
    language: Mapped[str] = mapped_column(sa.String(2))
    found: Mapped[bool]
    comment: Mapped[Optional[str]] = mapped_column(sa.Text)  # at most COMMENT_MAX characters
    month: Mapped[date]  # the first day of the month of the answer

    def __repr__(self) -> str:
        return f"<PageFeedback {self.path} {self.month:%Y-%m} {'yes' if self.found else 'no'}>"
