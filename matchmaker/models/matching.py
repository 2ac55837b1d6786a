"""Matches: a need and an offering that someone marked as interesting (or not).

A proposal (a need x offering pair the engine ranks high) lives only in the engine's index; it becomes a
`Match` row the first time either side says "interested" or "not interested". The row keeps a snapshot of the
score and the explanation at that moment, so that what both sides agreed on can still be shown after the texts
change.

Each side's interest is three-valued: None (not answered), True (interested), False (not interested).
Both True is a mutual match. `mutual_since` is set while the match is mutual; `notified_at` records that
both sides were told, so that withdrawing and renewing interest does not notify twice.
"""

from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import utcnow
from matchmaker.models.catalogue import Need, Offering
from matchmaker.models.user import User


class Match(db.Model):
    __tablename__ = "match"
    __table_args__ = (
        sa.UniqueConstraint("need_id", "offering_id"),
        sa.CheckConstraint("score >= 0 AND score <= 1", name="score_range"),
        sa.Index("ix_match_mutual_since", "mutual_since"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("need.id", ondelete="CASCADE"), index=True)
    offering_id: Mapped[int] = mapped_column(sa.ForeignKey("offering.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(sa.Float, default=0.0)
    # A snapshot of the explanation, language-neutral JSON (services.matching.explanations._explanation_data).
    explanation: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    buyer_interest: Mapped[Optional[bool]]
    buyer_decided_at: Mapped[Optional[datetime]]
    buyer_decided_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    supplier_interest: Mapped[Optional[bool]]
    supplier_decided_at: Mapped[Optional[datetime]]
    supplier_decided_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    mutual_since: Mapped[Optional[datetime]]
    notified_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    need: Mapped[Need] = relationship(lazy="joined", innerjoin=True)
    offering: Mapped[Offering] = relationship(lazy="joined", innerjoin=True)
    buyer_decided_by: Mapped[Optional[User]] = relationship(foreign_keys=[buyer_decided_by_id])
    supplier_decided_by: Mapped[Optional[User]] = relationship(foreign_keys=[supplier_decided_by_id])

    def __repr__(self) -> str:
        interest = f"{self.buyer_interest}/{self.supplier_interest}"
        return f"<Match need={self.need_id} offering={self.offering_id} {interest}>"

    @property
    def is_mutual(self) -> bool:
        return self.buyer_interest is True and self.supplier_interest is True

    def interest_of(self, side: str) -> Optional[bool]:
        return self.buyer_interest if side == "buyer" else self.supplier_interest
