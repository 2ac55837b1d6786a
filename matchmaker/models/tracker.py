"""The 3%-norm tracker: per government organisation and year, the procurement budget and the projects of
procurement of innovation that count towards the norm.

The innovation spend of a year is the SUM of its projects' amounts: it is never entered separately, so the
figure and the list of what makes it up cannot disagree. The budget is entered once per year.
Money is stored as whole euro cents in BIGINT columns (never floats); one row per organisation and year.
"""

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import enum_check, utcnow
from matchmaker.models.catalogue import Need, ProcurementRoute
from matchmaker.models.organisation import Organisation
from matchmaker.models.user import User

FIRST_YEAR = 2000
LAST_YEAR = 2100


class ProcurementYear(db.Model):
    """What a government organisation spent on procurement in one year (its budget) and, through its
    projects, on procurement of innovation."""

    __tablename__ = "procurement_year"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "year", name="uq_procurement_year_organisation_year"),
        sa.CheckConstraint(f"year >= {FIRST_YEAR} AND year <= {LAST_YEAR}", name="year_range"),
        sa.CheckConstraint("budget_cents >= 0", name="budget_positive"),
        sa.Index("ix_procurement_year_year", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int]
    budget_cents: Mapped[int] = mapped_column(sa.BigInteger)  # total procurement budget, euro cents
    # Innovation spend above the budget is refused unless the organisation explains it; the year then waits
    # for a platform administrator's review and stays out of the public figures until it is accepted.
    explanation: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    needs_review: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    reviewed_at: Mapped[Optional[datetime]]
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    updated_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
    updated_by: Mapped[Optional[User]] = relationship(foreign_keys=[updated_by_id])
    projects: Mapped[list["InnovationProject"]] = relationship(
        back_populates="procurement_year",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="InnovationProject.id",
    )

    def __repr__(self) -> str:
        return f"<ProcurementYear {self.organisation_id} {self.year} budget={self.budget_cents}>"

    @property
    def spend_cents(self) -> int:
        """The innovation spend: the sum of the projects."""
        return sum(project.amount_cents for project in self.projects)

    @classmethod
    def of(cls, organisation_id: int, year: int) -> "ProcurementYear | None":
        return db.session.scalar(
            sa.select(cls).where(cls.organisation_id == organisation_id, cls.year == year)
        )

    def settle_review(self, spend_cents: int) -> None:
        """Spend above the budget waits for a platform administrator's review, a new one after every change;
        back within the budget, the explanation and the flag go."""
        if spend_cents <= self.budget_cents:
            self.explanation = ""
            self.needs_review = False
            return
        self.needs_review = True
        self.reviewed_at = None
        self.reviewed_by_id = None


class InnovationProject(db.Model):
    """A procurement of innovation that counts towards an organisation's 3% in a year."""

    __tablename__ = "innovation_project"
    __table_args__ = (
        enum_check("procurement_route", ProcurementRoute),
        sa.CheckConstraint("amount_cents >= 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procurement_year_id: Mapped[int] = mapped_column(
        sa.ForeignKey("procurement_year.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    procurement_route: Mapped[str] = mapped_column(sa.String(40))
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    # Optional: the need on the platform the project answers (of the same organisation).
    need_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("need.id", ondelete="SET NULL"), index=True)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    procurement_year: Mapped[ProcurementYear] = relationship(back_populates="projects")
    need: Mapped[Optional[Need]] = relationship()

    def __repr__(self) -> str:
        return f"<InnovationProject {self.id} {self.title!r} {self.amount_cents}>"
