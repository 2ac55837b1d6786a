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


# --------------------------------------------------------------------------------------------------
# The shared matching index (services.matching.index): kept by the task-queue workers, read by the web.


class MatchIndexState(db.Model):
    """One row (id 1): which generation of the index is served, which one a refit is building, and the
    change counter that orders every change applied to the index (workers replay changes above the one
    their model reflects). Locked by every change, so changes apply one at a time."""

    __tablename__ = "match_index_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[Optional[int]]  # served to readers; None before the first fit
    building: Mapped[Optional[int]]  # a refit's generation until it is switched in
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    fitted_at: Mapped[Optional[datetime]]
    changed_at: Mapped[Optional[datetime]]


class MatchModel(db.Model):
    """The fitted engine index of one generation, as the fit left it (compressed pickle): any worker on any
    host loads it, then replays the generation's items changed after `seq`."""

    __tablename__ = "match_model"

    generation: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(sa.String(32))  # tells a cached copy from another database's model
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    items: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


class MatchItem(db.Model):
    """An item as one generation of the index holds it: indexed (`live`) at `version`, its K-th best stored
    score (`kth_score`, 0 when every positive counterpart is stored) and how many stored rows its list holds
    (`listed`, ties at the kth aside; see services.matching.index). A removed item stays as a tombstone
    (live false) so that workers replay its removal. What explaining it needs is in MatchProfile: a
    published item enters thousands of lists, each an update of `listed` here, and a row that also carried
    the profile (2 KB) was copied whole at each."""

    __tablename__ = "match_item"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('need', 'offering')", name="kind"),
        sa.Index("ix_match_item_generation_seq", "generation", "seq"),
    )

    generation: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    item_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    live: Mapped[bool] = mapped_column(default=True)
    version: Mapped[Optional[int]]
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    kth_score: Mapped[float] = mapped_column(sa.Float, default=0.0)
    listed: Mapped[int] = mapped_column(default=0, server_default="0")


class MatchProfile(db.Model):
    """What explaining a live item of one generation needs (matchmaker.matching.Profile.as_dict), beside its
    MatchItem row; none for a removed item."""

    __tablename__ = "match_profile"

    generation: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    item_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    profile: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


class MatchPair(db.Model):
    """A need x offering pair of one generation with its current score (see services.matching.index for
    which pairs are stored). No foreign keys: readers join the items and their status, and the removal of
    an item is repaired by its refresh job, which needs to read the rows it left."""

    __tablename__ = "match_pair"
    __table_args__ = (
        sa.Index("ix_match_pair_need", "generation", "need_id", "score"),
        sa.Index("ix_match_pair_offering", "generation", "offering_id", "score"),
        sa.Index("ix_match_pair_score", "generation", "score"),
    )

    generation: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    need_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    offering_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    score: Mapped[float] = mapped_column(sa.Float)
