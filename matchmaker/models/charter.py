"""Signatures of the initiative's charter by organisations.

An administrator of an organisation signs on its behalf, naming the signatory and their function. A
signature can be withdrawn: it is kept (withdrawn_at) but no longer listed. Each organisation has at most one
active signature, which the database enforces with a partial unique index.
"""

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import utcnow
from matchmaker.models.organisation import Organisation
from matchmaker.models.user import User


class CharterSignature(db.Model):
    __tablename__ = "charter_signature"
    __table_args__ = (
        sa.Index(
            "uq_charter_signature_active",
            "organisation_id",
            unique=True,
            sqlite_where=sa.text("withdrawn_at IS NULL"),
            postgresql_where=sa.text("withdrawn_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    signed_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    signatory_name: Mapped[str] = mapped_column(sa.String(200))
    signatory_function: Mapped[str] = mapped_column(sa.String(200))
    # The pledge to spend at least 3% of the procurement budget on innovation (required for government).
    pledge_three_percent: Mapped[bool] = mapped_column(default=False)
    pledge_text: Mapped[str] = mapped_column(
        sa.Text, default=""
    )  # what a non-government signatory commits to
    charter_version: Mapped[Optional[int]]  # version of the charter page when it was signed
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[Optional[datetime]]
    withdrawn_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    organisation: Mapped[Organisation] = relationship()
    signed_by: Mapped[Optional[User]] = relationship(foreign_keys=[signed_by_id])
    withdrawn_by: Mapped[Optional[User]] = relationship(foreign_keys=[withdrawn_by_id])

    def __repr__(self) -> str:
        return f"<CharterSignature {self.id} org={self.organisation_id}>"

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None
