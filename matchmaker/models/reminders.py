"""Reminders sent before an event and before each meeting, one row per reminder (services.reminders).

The row is written in the same transaction as the reminder's notification and outbox mail, and the database
refuses a second row with the same (registration, kind, key): two workers, two hosts or a re-run that find
the same reminder due send it once; the one that comes second rolls back its notification and mail with it.
The key names what the reminder is about: "event" for the day-before mail, "<meeting id>@<start>" for a
meeting, so that a meeting moved to a later time gets a reminder at its new time.
"""

import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.extensions import db
from matchmaker.models.base import enum_check, utcnow


class ReminderKind(enum.StrEnum):
    DAY_BEFORE = "day_before"
    MEETING = "meeting"


class ReminderSent(db.Model):
    __tablename__ = "reminder_sent"
    __table_args__ = (
        enum_check("kind", ReminderKind),
        sa.UniqueConstraint("registration_id", "kind", "key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registration.id", ondelete="CASCADE"))
    meeting_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(12))
    key: Mapped[str] = mapped_column(sa.String(40))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<ReminderSent {self.kind} {self.key} registration={self.registration_id}>"
