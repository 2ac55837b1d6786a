"""Conversations between organisations about a need or an offering, and a need's public questions.

A conversation is between the organisation of the user who started it and the organisation of its subject (a
need or an offering: exactly one is set). Members of both organisations share it. Each user keeps how far they
read (`ConversationRead`); an organisation can block a user from writing to it (`ConversationBlock`); any
participant can report a conversation to the administrators (`ConversationReport`), who may then read it.

A buyer can choose that the questions about a need are answered publicly (`Need.public_questions`): then
`NeedQuestion` rows take the place of private conversations, and the need's page shows the answered ones
without saying who asked.
"""

import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import enum_check, utcnow
from matchmaker.models.catalogue import Need, Offering
from matchmaker.models.organisation import Organisation
from matchmaker.models.user import User

BODY_MAX = 5000


class ConversationStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Conversation(db.Model):
    __tablename__ = "conversation"
    __table_args__ = (
        enum_check("status", ConversationStatus),
        sa.CheckConstraint(
            "(need_id IS NULL AND offering_id IS NOT NULL) OR (need_id IS NOT NULL AND offering_id IS NULL)",
            name="one_subject",
        ),
        sa.CheckConstraint("starter_organisation_id <> recipient_organisation_id", name="two_organisations"),
        # One thread per organisation and subject: starting again continues it.
        sa.UniqueConstraint("starter_organisation_id", "need_id", name="uq_conversation_starter_need"),
        sa.UniqueConstraint(
            "starter_organisation_id", "offering_id", name="uq_conversation_starter_offering"
        ),
        sa.Index("ix_conversation_recipient_last_message", "recipient_organisation_id", "last_message_at"),
        sa.Index("ix_conversation_starter_last_message", "starter_organisation_id", "last_message_at"),
        sa.Index("ix_conversation_created_by_created_at", "created_by_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    starter_organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id", ondelete="CASCADE"))
    recipient_organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE")
    )
    need_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("need.id", ondelete="CASCADE"), index=True)
    offering_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("offering.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(10), default=ConversationStatus.OPEN)

    starter_organisation: Mapped[Organisation] = relationship(foreign_keys=[starter_organisation_id])
    recipient_organisation: Mapped[Organisation] = relationship(foreign_keys=[recipient_organisation_id])
    need: Mapped[Optional[Need]] = relationship()
    offering: Mapped[Optional[Offering]] = relationship()
    created_by: Mapped[Optional[User]] = relationship()
    messages: Mapped[list["Message"]] = relationship(
        back_populates="conversation", order_by="Message.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Conversation {self.id} {self.starter_organisation_id}->{self.recipient_organisation_id}>"

    @property
    def subject(self) -> Need | Offering:
        return self.need if self.need_id is not None else self.offering

    def other_organisation(self, organisation_id: int | None) -> Organisation:
        if organisation_id == self.starter_organisation_id:
            return self.recipient_organisation
        return self.starter_organisation


class Message(db.Model):
    __tablename__ = "conversation_message"
    __table_args__ = (
        sa.CheckConstraint(f"length(body) <= {BODY_MAX}", name="body_length"),
        sa.Index("ix_conversation_message_conversation_id_id", "conversation_id", "id"),
        sa.Index("ix_conversation_message_author_id_created_at", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(sa.ForeignKey("conversation.id", ondelete="CASCADE"))
    author_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    author_organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    author: Mapped[Optional[User]] = relationship()
    author_organisation: Mapped[Organisation] = relationship()


class ConversationRead(db.Model):
    """How far a user read a conversation: the last message they saw."""

    __tablename__ = "conversation_read"

    conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conversation.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    last_read_message_id: Mapped[int] = mapped_column(default=0)
    read_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConversationBlock(db.Model):
    """An organisation no longer accepts messages from a user (of another organisation)."""

    __tablename__ = "conversation_block"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "blocked_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id", ondelete="CASCADE"))
    blocked_user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    blocked_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    blocked_user: Mapped[User] = relationship(foreign_keys=[blocked_user_id])


class ConversationReport(db.Model):
    """A participant asks the administrators to look at a conversation; only then may they read it."""

    __tablename__ = "conversation_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conversation.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[Optional[datetime]] = mapped_column(index=True)
    handled_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    conversation: Mapped[Conversation] = relationship()
    reporter: Mapped[Optional[User]] = relationship(foreign_keys=[reporter_id])


class NeedQuestion(db.Model):
    """A question about a need whose answer is public; who asked is never shown to others."""

    __tablename__ = "need_question"
    __table_args__ = (
        sa.CheckConstraint(f"length(question) <= {BODY_MAX}", name="question_length"),
        sa.CheckConstraint(f"answer IS NULL OR length(answer) <= {BODY_MAX}", name="answer_length"),
        sa.Index("ix_need_question_asked_by_id_created_at", "asked_by_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("need.id", ondelete="CASCADE"), index=True)
    asked_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    asker_organisation_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="SET NULL")
    )
    question: Mapped[str] = mapped_column(sa.Text)
    answer: Mapped[Optional[str]] = mapped_column(sa.Text)
    answered_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[Optional[datetime]]

    need: Mapped[Need] = relationship()
