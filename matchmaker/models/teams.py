"""An event's team (issue 16): the people besides its organizer who help run it.

A co-organizer manages the event as its organizer does; check-in staff only check participants in at the
door (services.event_rules). The organizer (`Event.organizer_id`) is not a row here: they cannot be removed
from their own event. One row per (event, user), unique in the database, so that two co-organizers adding the
same person at once record one membership and the second is told so.
"""

import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import enum_check, utcnow
from matchmaker.models.user import User


class StaffRole(enum.StrEnum):
    CO_ORGANIZER = "co_organizer"
    CHECK_IN = "check_in"


class EventStaff(db.Model):
    __tablename__ = "event_staff"
    __table_args__ = (
        enum_check("role", StaffRole),
        sa.UniqueConstraint("event_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(20), default=StaffRole.CHECK_IN)
    added_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f"<EventStaff event={self.event_id} user={self.user_id} {self.role}>"
