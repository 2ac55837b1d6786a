"""Ways into an organisation besides an invitation: the mail domains a government organisation declares,
and a person's request to join an organisation."""

import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import enum_check, utcnow
from matchmaker.models.organisation import Organisation
from matchmaker.models.user import User


class MailDomain(db.Model):
    """A mail domain (lower-case, ASCII) that a government organisation declares as its own: a person with a
    confirmed address in it joins the organisation without waiting, once the organisation is verified. A
    domain belongs to one organisation at most (unique)."""

    __tablename__ = "organisation_mail_domain"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    domain: Mapped[str] = mapped_column(sa.String(253), unique=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[Optional[User]] = relationship(foreign_keys=[created_by_id])

    def __repr__(self) -> str:
        return f"<MailDomain {self.domain} org={self.organisation_id}>"


class JoinRequestStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class JoinRequest(db.Model):
    """A person asks to join an organisation; its administrators accept or decline, or the person withdraws.

    A person has one pending request at most (a partial unique index); a decided request keeps who decided,
    when and why (a decline's reason)."""

    __tablename__ = "join_request"
    __table_args__ = (
        enum_check("status", JoinRequestStatus),
        sa.CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided_unless_pending"),
        sa.Index(
            "uq_join_request_pending_user",
            "user_id",
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(10), default=JoinRequestStatus.PENDING)
    message: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[Optional[datetime]]
    decided_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(sa.Text, default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    organisation: Mapped[Organisation] = relationship()
    decided_by: Mapped[Optional[User]] = relationship(foreign_keys=[decided_by_id])

    def __repr__(self) -> str:
        return f"<JoinRequest {self.id} user={self.user_id} org={self.organisation_id} {self.status}>"

    @property
    def is_pending(self) -> bool:
        return self.status == JoinRequestStatus.PENDING
