"""The newsletter: subscriptions with double opt-in, and announcements of events to the subscribers of
their themes.

- Subscribing answers the same way whatever the address's state (no enumeration): a new or pending address
  gets a confirmation link (signed, expiring), an address that is already confirmed gets a mail with its
  manage link, so only the owner of the mailbox learns anything.
- Consent: the version of the consent text shown on the form and the time are recorded; the confirmation
  time is recorded separately (double opt-in).
- Every newsletter mail carries a per-subscriber link to manage themes and unsubscribe (a signed token
  bound to `token_nonce`), and List-Unsubscribe / List-Unsubscribe-Post headers for one-click unsubscribe
  (RFC 8058).
- A subscriber without themes hears about events of every theme.
"""

import logging
import secrets
import smtplib
import threading
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    EventAnnouncement,
    EventStatus,
    Subscriber,
    SubscriberStatus,
    Theme,
    User,
    event_theme,
    subscriber_theme,
    utcnow,
)
from matchmaker.services import ServiceError, mail
from matchmaker.services.accounts import normalize_email
from matchmaker.services.events import can_manage
from matchmaker.services.tokens import absolute_url

log = logging.getLogger(__name__)

LANGUAGES = ("nl", "fr", "en")

# The consent text shown on the subscription form, by version. A new wording gets a new version, so what
# each subscriber agreed to stays known.
CONSENT_VERSION = "2026-11"
CONSENT_TEXTS = {
    "2026-11": _l(
        "I want to receive the newsletter of overheidsopdrachten voor innovatie by email: announcements of "
        "meet & greets in the themes I choose, and news about the initiative. I can unsubscribe at any time "
        "with the link in every mail."
    ),
}


class InvalidLink(ServiceError):
    """A confirmation or manage link that is forged, truncated, expired or no longer valid."""


def consent_text(version: str = CONSENT_VERSION) -> str:
    return str(CONSENT_TEXTS[version])


# --- tokens ----------------------------------------------------------------------------------------------


def _confirm_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="matchmaker.newsletter-confirm")


def _manage_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="matchmaker.newsletter-manage")


def confirm_max_age() -> timedelta:
    return current_app.config.get("NEWSLETTER_CONFIRM_MAX_AGE") or current_app.config["EMAIL_CONFIRM_MAX_AGE"]


def confirmation_token(subscriber: Subscriber) -> str:
    return _confirm_serializer().dumps({"s": subscriber.id, "n": subscriber.token_nonce})


def manage_token(subscriber: Subscriber) -> str:
    """The subscriber's own link token: does not expire; changes when they unsubscribe or subscribe again."""
    return _manage_serializer().dumps({"s": subscriber.id, "n": subscriber.token_nonce})


def _load(payload) -> Subscriber:
    if not isinstance(payload, dict):
        raise InvalidLink(_("This link is not valid."))
    subscriber = db.session.get(Subscriber, payload.get("s")) if isinstance(payload.get("s"), int) else None
    if subscriber is None or not secrets.compare_digest(str(payload.get("n", "")), subscriber.token_nonce):
        raise InvalidLink(_("This link is no longer valid."))
    return subscriber


def subscriber_from_confirmation(token: str) -> Subscriber:
    try:
        payload = _confirm_serializer().loads(token, max_age=int(confirm_max_age().total_seconds()))
    except SignatureExpired:
        raise InvalidLink(_("This confirmation link has expired. Please subscribe again.")) from None
    except BadSignature:
        raise InvalidLink(_("This link is not valid.")) from None
    return _load(payload)


def subscriber_from_manage_token(token: str) -> Subscriber:
    try:
        payload = _manage_serializer().loads(token)
    except BadSignature:
        raise InvalidLink(_("This link is not valid.")) from None
    return _load(payload)


def manage_url(subscriber: Subscriber) -> str:
    return absolute_url("newsletter.manage", token=manage_token(subscriber))


def unsubscribe_url(subscriber: Subscriber) -> str:
    return absolute_url("newsletter.unsubscribe", token=manage_token(subscriber))


def unsubscribe_headers(subscriber: Subscriber) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(subscriber)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# --- subscribing -------------------------------------------------------------------------------------


@dataclass
class SubscriptionInput:
    email: str
    language: str
    theme_ids: list[int]


def _themes(theme_ids: list[int]) -> list[Theme]:
    ids = {int(i) for i in theme_ids or []}
    if not ids:
        return []
    themes = list(db.session.scalars(sa.select(Theme).where(Theme.id.in_(ids), Theme.active.is_(True))))
    if len(themes) != len(ids):
        raise ServiceError(_("Choose themes from the list."))
    return themes


def _language(language: str) -> str:
    if language not in LANGUAGES:
        raise ServiceError(_("Choose a language from the list."))
    return language


def get_subscriber(email: str) -> Subscriber | None:
    return db.session.scalar(sa.select(Subscriber).where(Subscriber.email == normalize_email(email)))


def subscribe(data: SubscriptionInput) -> None:
    """Start (or restart) the double opt-in for an address. Returns nothing: callers answer the same way
    whatever happened, and the mail tells the owner of the mailbox what they need to know."""
    email = normalize_email(data.email)
    if not email or "@" not in email:
        raise ServiceError(_("Enter a valid email address."))
    language = _language(data.language)
    themes = _themes(data.theme_ids)
    subscriber = get_subscriber(email)
    if subscriber is not None and subscriber.is_confirmed:
        # Someone may be trying this address: change nothing, tell its owner how to manage the subscription.
        mail.send_mail(
            subscriber.email,
            "newsletter_already_subscribed",
            language=subscriber.language,
            manage_url=manage_url(subscriber),
        )
        return
    if subscriber is None:
        subscriber = Subscriber(email=email)
        db.session.add(subscriber)
    subscriber.status = SubscriberStatus.PENDING
    subscriber.language = language
    subscriber.themes = themes
    subscriber.token_nonce = secrets.token_hex(16)
    subscriber.consent_version = CONSENT_VERSION
    subscriber.consent_at = utcnow()
    subscriber.confirmed_at = None
    subscriber.unsubscribed_at = None
    try:
        db.session.commit()
    except IntegrityError:  # the same address subscribed at the same moment: that one mails
        db.session.rollback()
        return
    mail.send_mail(
        subscriber.email,
        "newsletter_confirm",
        language=subscriber.language,
        confirm_url=absolute_url("newsletter.confirm", token=confirmation_token(subscriber)),
        max_age_hours=int(confirm_max_age().total_seconds() // 3600),
        themes=[t.name(subscriber.language) for t in subscriber.themes],
    )


def confirm(subscriber: Subscriber) -> Subscriber:
    if subscriber.status == SubscriberStatus.PENDING:
        subscriber.status = SubscriberStatus.CONFIRMED
        subscriber.confirmed_at = utcnow()
        db.session.commit()
    return subscriber


def update_preferences(subscriber: Subscriber, language: str, theme_ids: list[int]) -> Subscriber:
    if subscriber.status == SubscriberStatus.UNSUBSCRIBED:
        raise ServiceError(_("You have unsubscribed. Subscribe again to receive the newsletter."))
    subscriber.language = _language(language)
    subscriber.themes = _themes(theme_ids)
    db.session.commit()
    return subscriber


def unsubscribe(subscriber: Subscriber) -> Subscriber:
    """Stop all mail to this address. The token stays valid, so the page can confirm it (and a second click
    changes nothing); subscribing again makes new links."""
    if subscriber.status != SubscriberStatus.UNSUBSCRIBED:
        subscriber.status = SubscriberStatus.UNSUBSCRIBED
        subscriber.unsubscribed_at = utcnow()
        subscriber.themes = []
        db.session.commit()
    return subscriber


# --- announcing events -------------------------------------------------------------------------------


def announcement_of(event: Event) -> EventAnnouncement | None:
    return db.session.get(EventAnnouncement, event.id)


def recipients_query(event: Event):
    """Confirmed subscribers with a theme of the event, or without any theme (they want everything)."""
    has_no_theme = ~sa.exists().where(subscriber_theme.c.subscriber_id == Subscriber.id)
    event_themes = sa.select(event_theme.c.theme_id).where(event_theme.c.event_id == event.id)
    shares_a_theme = sa.exists().where(
        subscriber_theme.c.subscriber_id == Subscriber.id, subscriber_theme.c.theme_id.in_(event_themes)
    )
    return (
        sa.select(Subscriber)
        .where(Subscriber.status == SubscriberStatus.CONFIRMED, sa.or_(has_no_theme, shares_a_theme))
        .order_by(Subscriber.id)
    )


def count_recipients(event: Event) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(recipients_query(event).subquery())) or 0


def _require_announceable(user: User, event: Event) -> None:
    if not can_manage(user, event):
        raise ServiceError(_("Only the organizer of this event may announce it."))
    if event.status == EventStatus.DRAFT:
        raise ServiceError(
            _("Publish the event before you announce it: a draft is not visible to subscribers.")
        )
    if announcement_of(event) is not None:
        raise ServiceError(_("This event has already been announced to the subscribers."))


def can_announce(user, event: Event) -> bool:
    try:
        _require_announceable(user, event)
    except ServiceError:
        return False
    return True


def announce_event(user: User, event: Event) -> EventAnnouncement:
    """Announce the event to the confirmed subscribers of its themes, once.

    The announcement is recorded first (the primary key on event_id refuses a second one, even from a
    double click handled by another worker); then the mails go out, each in the subscriber's language: at
    once when NEWSLETTER_INLINE is set (tests, and the default when testing), otherwise in a background
    thread, while the announcement's `sent` counter shows the progress."""
    _require_announceable(user, event)
    announcement = EventAnnouncement(
        event_id=event.id, announced_by_id=user.id, announced_at=utcnow(), recipients=count_recipients(event)
    )
    db.session.add(announcement)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ServiceError(_("This event has already been announced to the subscribers.")) from None
    if current_app.config.get("NEWSLETTER_INLINE", current_app.testing):
        deliver_announcement(event.id)
        db.session.refresh(announcement)
        return announcement
    app = current_app._get_current_object()
    threading.Thread(
        target=_deliver_in_thread, args=(app, event.id), name=f"announce-{event.id}", daemon=True
    ).start()
    return announcement


def _deliver_in_thread(app, event_id: int) -> None:
    with app.app_context(), app.test_request_context():
        try:
            deliver_announcement(event_id)
        except Exception:
            log.exception("announcement of event %s failed", event_id)
        finally:
            db.session.remove()


PROGRESS_EVERY = 25  # mails between two progress writes


def deliver_announcement(event_id: int, progress=lambda done, total: None) -> EventAnnouncement:
    """Send the announcement's mails; a mail that cannot be delivered is counted and logged, not fatal."""
    announcement = db.session.get(EventAnnouncement, event_id)
    event = db.session.get(Event, event_id)
    subscribers = list(db.session.scalars(recipients_query(event)))
    announcement.recipients = len(subscribers)
    db.session.commit()
    event_url = absolute_url("events.detail", event_id=event.id)
    sent = failed = 0
    for number, subscriber in enumerate(subscribers, start=1):
        try:
            mail.send_mail(
                subscriber.email,
                "newsletter_event",
                language=subscriber.language,
                headers=unsubscribe_headers(subscriber),
                event=event,
                first_day=event.first_day,
                themes=[t.name(subscriber.language) for t in event.themes],
                event_url=event_url,
                manage_url=manage_url(subscriber),
                unsubscribe_url=unsubscribe_url(subscriber),
            )
            sent += 1
        except (OSError, smtplib.SMTPException):
            failed += 1
            log.warning("announcement of event %s: mail to subscriber %s failed", event_id, subscriber.id)
        progress(number, len(subscribers))
        if number % PROGRESS_EVERY == 0:
            announcement.sent, announcement.failed = sent, failed
            db.session.commit()
    announcement.sent, announcement.failed = sent, failed
    announcement.finished_at = utcnow()
    db.session.commit()
    return announcement


def subscriber_counts() -> dict[str, int]:
    rows = db.session.execute(sa.select(Subscriber.status, sa.func.count()).group_by(Subscriber.status))
    counts = {status.value: 0 for status in SubscriberStatus}
    counts.update({row[0]: row[1] for row in rows})
    return counts
