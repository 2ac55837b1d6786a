"""The history of an organisation's public record: every change to its 3%-norm figures (a year's budget, a
project), its charter signature, its meeting outcomes, its verification and (by the platform's administrators)
its details or a merge, with who made it, when, and the values before and after. Platform administrators read
it per organisation and can undo a change; an undo is a change of its own (`undo_of_id`), and the change it
reverses says when and by whom (`undone_at`).

`old` and `new` are JSON snapshots of the fields that matter (None for a creation's `old` and a deletion's
`new`); `label` names the subject for people ("2025", a project's title) as it was at the time.
"""

import enum
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import enum_check, utcnow
from matchmaker.models.user import User


class ChangeSubject(enum.StrEnum):
    YEAR = "year"
    PROJECT = "project"
    SIGNATURE = "signature"
    OUTCOME = "outcome"
    VERIFICATION = "verification"
    ORGANISATION = "organisation"  # its details changed by a platform administrator, or a duplicate merged in


class ChangeAction(enum.StrEnum):
    CREATED = "created"
    CHANGED = "changed"
    DELETED = "deleted"


class ChangeRecord(db.Model):
    __tablename__ = "change_record"
    __table_args__ = (
        enum_check("subject", ChangeSubject),
        enum_check("action", ChangeAction),
        sa.Index("ix_change_record_organisation_at", "organisation_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(sa.String(20))
    subject_id: Mapped[Optional[int]]
    action: Mapped[str] = mapped_column(sa.String(10))
    label: Mapped[str] = mapped_column(sa.String(200), default="")
    old: Mapped[Optional[dict[str, Any]]] = mapped_column(sa.JSON)
    new: Mapped[Optional[dict[str, Any]]] = mapped_column(sa.JSON)
    actor_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    # Kept as it was: the history still says who made a change after their account is gone.
    actor_name: Mapped[str] = mapped_column(sa.String(200), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
    undo_of_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("change_record.id", ondelete="SET NULL"))
    undone_at: Mapped[Optional[datetime]]
    undone_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    actor: Mapped[Optional[User]] = relationship(foreign_keys=[actor_id])

    def __repr__(self) -> str:
        return f"<ChangeRecord {self.id} org={self.organisation_id} {self.subject} {self.action}>"
