"""The mail outbox: every mail the platform sends, stored with the change that causes it.

A row is written (already rendered, in the recipient's language) in the same transaction as that change, so
a change that is rolled back sends nothing and a change that is committed cannot lose its mail. Workers
deliver the rows (`matchmaker.services.mail`); the row keeps its Message-ID from creation, its attempts and
its last error, and stays until a sent mail is older than MAIL_RETENTION_DAYS (failed ones stay until an
administrator retries them).
"""

import enum
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.extensions import db
from matchmaker.models.base import enum_check, utcnow


class MailStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for its (next) attempt at `next_attempt_at`
    SENDING = "sending"  # a worker holds it until `lease_until`
    SENT = "sent"  # the mail server accepted it
    FAILED = "failed"  # every attempt failed: listed for administrators


class OutboxMail(db.Model):
    __tablename__ = "outbox_mail"
    __table_args__ = (
        enum_check("status", MailStatus),
        sa.Index("ix_outbox_mail_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(sa.String(250), unique=True)
    to: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(500))
    body: Mapped[str] = mapped_column(sa.Text)
    html: Mapped[Optional[str]] = mapped_column(sa.Text)
    headers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    template: Mapped[str] = mapped_column(sa.String(100))
    language: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(10), default=MailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[Optional[str]] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[Optional[datetime]]
    lease_until: Mapped[Optional[datetime]]
    sent_at: Mapped[Optional[datetime]] = mapped_column(index=True)
    failed_at: Mapped[Optional[datetime]]

    def __repr__(self) -> str:
        return f"<OutboxMail {self.id} {self.template} {self.status}>"
