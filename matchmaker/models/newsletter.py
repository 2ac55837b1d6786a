"""Newsletter subscriptions (double opt-in) and the announcements of events sent to them.

A subscriber is PENDING until they follow the link in the confirmation mail. What they consented to is
recorded: the version of the consent text and when. Unsubscribing keeps the row (status UNSUBSCRIBED) so
the history of the consent stays; subscribing again starts a new opt-in. `token_nonce` is part of the
signed token in every newsletter's unsubscribe and manage link; changing it invalidates the old links.
"""

import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import enum_check, utcnow
from matchmaker.models.catalogue import ContentLanguage, Theme
from matchmaker.models.events import Event
from matchmaker.models.user import User


class SubscriberStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"


subscriber_theme = sa.Table(
    "newsletter_subscriber_theme",
    db.metadata,
    sa.Column(
        "subscriber_id", sa.ForeignKey("newsletter_subscriber.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("theme_id", sa.ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Subscriber(db.Model):
    __tablename__ = "newsletter_subscriber"
    __table_args__ = (
        enum_check("status", SubscriberStatus),
        enum_check("language", ContentLanguage),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)  # normalized (lower case)
    language: Mapped[str] = mapped_column(sa.String(2), default="nl")
    status: Mapped[str] = mapped_column(sa.String(12), default=SubscriberStatus.PENDING, index=True)
    token_nonce: Mapped[str] = mapped_column(sa.String(32))
    consent_version: Mapped[str] = mapped_column(sa.String(20))
    consent_at: Mapped[datetime] = mapped_column(default=utcnow)  # when the form with that text was sent
    confirmed_at: Mapped[Optional[datetime]]  # when the address was confirmed (double opt-in)
    unsubscribed_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    themes: Mapped[list[Theme]] = relationship(secondary=subscriber_theme, order_by=Theme.position)

    def __repr__(self) -> str:
        return f"<Subscriber {self.id} {self.status}>"

    @property
    def is_confirmed(self) -> bool:
        return self.status == SubscriberStatus.CONFIRMED


class EventAnnouncement(db.Model):
    """An event announced to the newsletter's subscribers: at most once per event (primary key).

    The mails go out after the row is written, by a job of the task queue stored with it; each one is
    committed with its row in `announcement_delivery`, so a sending that stopped half-way (a worker killed)
    goes on, run again by another worker, without mailing anyone twice. `sent` and `failed` count them as
    they go, `progress_at` is the time of the latest mail (a sending without progress for a while whose job
    gave up has stopped), `finished_at` is set when every recipient has been tried."""

    __tablename__ = "event_announcement"
    __table_args__ = (
        sa.CheckConstraint("sent >= 0 AND failed >= 0 AND unknown >= 0", name="counts_positive"),
    )

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    announced_at: Mapped[datetime] = mapped_column(default=utcnow)
    announced_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    recipients: Mapped[int] = mapped_column(default=0)  # how many subscribers it is for
    sent: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    unknown: Mapped[int] = mapped_column(default=0)  # claimed when the sending stopped: maybe sent, not again
    progress_at: Mapped[datetime] = mapped_column(default=utcnow)
    resumed_at: Mapped[Optional[datetime]]
    finished_at: Mapped[Optional[datetime]]

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    event: Mapped[Event] = relationship()
    announced_by: Mapped[Optional[User]] = relationship()


class DeliveryStatus(enum.StrEnum):
    SENDING = "sending"  # claimed by a sender, the mail is going out
    SENT = "sent"
    FAILED = "failed"  # the mail server refused it
    UNKNOWN = "unknown"  # the sending stopped while it was going out: perhaps sent, never sent again


class AnnouncementDelivery(db.Model):
    """One subscriber's mail of an announcement, committed in the same transaction as the mail (a row of the
    mail outbox), and the primary key allows one per subscriber and announcement: a resumed or concurrent
    sending skips every subscriber that has a row, so nobody gets the announcement twice. ("sending" rows
    come from sendings of before the task queue, which claimed each mail before it went out.)"""

    __tablename__ = "announcement_delivery"
    __table_args__ = (enum_check("status", DeliveryStatus),)

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event_announcement.event_id", ondelete="CASCADE"), primary_key=True
    )
    subscriber_id: Mapped[int] = mapped_column(
        sa.ForeignKey("newsletter_subscriber.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    status: Mapped[str] = mapped_column(sa.String(10), default=DeliveryStatus.SENDING)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ErasedConsent(db.Model):
    """What remains of erased subscribers (GDPR retention): an anonymous count per consent text version,
    month of consent and whether it had been confirmed, so the history of consents stays known."""

    __tablename__ = "newsletter_erased_consent"

    consent_version: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    consent_month: Mapped[str] = mapped_column(sa.String(7), primary_key=True)  # "2026-11"
    confirmed: Mapped[bool] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
