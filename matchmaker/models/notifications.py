"""In-app notifications and how each user wants to hear about them by email.

A notification stores its kind and parameters, not its text: the text is rendered when it is read, in the
reader's language, from the registry in `services.notifications`.
"""

import enum
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import enum_check, utcnow
from matchmaker.models.user import User


class EmailMode(enum.StrEnum):
    IMMEDIATE = "immediate"
    DAILY = "daily"
    NONE = "none"


class Notification(db.Model):
    __tablename__ = "notification"
    __table_args__ = (sa.Index("ix_notification_user_id_read_at", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    url: Mapped[Optional[str]] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[Optional[datetime]]
    # Set once the notification went out by mail (immediately or in a digest), so it is never mailed twice.
    emailed_at: Mapped[Optional[datetime]]

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} user={self.user_id}>"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(db.Model):
    """A user's choice of email for notifications, and of reminders; users without a row get immediate mail
    and every reminder, in the app and by mail, at the event's lead time."""

    __tablename__ = "notification_preference"
    __table_args__ = (
        enum_check("email_mode", EmailMode),
        sa.CheckConstraint(
            "reminder_minutes IS NULL OR (reminder_minutes >= 0 AND reminder_minutes <= 1440)",
            name="reminder_minutes_range",
        ),
    )

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    email_mode: Mapped[str] = mapped_column(sa.String(10), default=EmailMode.IMMEDIATE)
    last_digest_at: Mapped[Optional[datetime]]
    # Reminder mails (the day before an event, minutes before each meeting), and the same in the app.
    reminder_mails: Mapped[bool] = mapped_column(default=True)
    reminder_in_app: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Minutes before each meeting: None follows each event's default (event.reminder_minutes), 0 is none.
    reminder_minutes: Mapped[Optional[int]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
