"""Outcomes of meetings: after an event each participant says, per meeting, whether it took place, how useful
it was and what came of it; a second survey some months later asks again (round 2).

One answer per (meeting, registration, round). Each answer is linked to the needs the buyer side brought to
the event (a snapshot taken when the answer is saved), so that procurements of innovation that began at a
meet & greet can be traced back to the needs on the platform. `OutcomeSurvey` records when the invitation to
answer a round was sent to a registration, so that the sending command never mails anyone twice.
"""

import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import enum_check, utcnow
from matchmaker.models.catalogue import Need
from matchmaker.models.events import Registration
from matchmaker.models.scheduling import Meeting


class FollowUp(enum.StrEnum):
    NONE = "none"
    FURTHER_CONTACT = "further_contact"
    MARKET_CONSULTATION = "market_consultation"
    PROCUREMENT_LAUNCHED = "procurement_launched"
    CONTRACT_AWARDED = "contract_awarded"


# The follow-ups that mean a procurement of innovation began.
PROCUREMENT_FOLLOW_UPS = (FollowUp.PROCUREMENT_LAUNCHED, FollowUp.CONTRACT_AWARDED)
ROUNDS = (1, 2)

meeting_outcome_need = sa.Table(
    "meeting_outcome_need",
    db.metadata,
    sa.Column("outcome_id", sa.ForeignKey("meeting_outcome.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("need_id", sa.ForeignKey("need.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class MeetingOutcome(db.Model):
    """One participant's answer about one meeting in one survey round."""

    __tablename__ = "meeting_outcome"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "registration_id", "round", name="uq_meeting_outcome_round"),
        enum_check("follow_up", FollowUp),
        sa.CheckConstraint("round IN (1, 2)", name="round_valid"),
        sa.CheckConstraint(
            "usefulness IS NULL OR (usefulness >= 1 AND usefulness <= 5)", name="usefulness_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[int] = mapped_column(default=1)
    held: Mapped[bool] = mapped_column(default=True)
    usefulness: Mapped[Optional[int]]  # 1-5; None when the meeting did not take place
    follow_up: Mapped[str] = mapped_column(sa.String(30), default=FollowUp.NONE)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    meeting: Mapped[Meeting] = relationship()
    registration: Mapped[Registration] = relationship()
    needs: Mapped[list[Need]] = relationship(secondary=meeting_outcome_need, order_by=Need.title)

    def __repr__(self) -> str:
        return (
            f"<MeetingOutcome meeting={self.meeting_id} registration={self.registration_id} "
            f"round={self.round} {self.follow_up}>"
        )


class OutcomeSurvey(db.Model):
    """The invitation to answer a survey round was sent to a registration (at most once per round)."""

    __tablename__ = "outcome_survey"
    __table_args__ = (
        sa.UniqueConstraint("registration_id", "round", name="uq_outcome_survey_registration_round"),
        sa.CheckConstraint("round IN (1, 2)", name="round_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)

    registration: Mapped[Registration] = relationship()
