"""The newsletter: subscriptions with double opt-in, and announcements of events to the subscribers of
their themes.

- Subscribing answers the same way whatever the address's state (no enumeration): a new or pending address
  gets a confirmation link (signed, expiring), an address that is already confirmed gets a mail with its
  manage link, so only the owner of the mailbox learns anything. Asking again for a pending address mails
  another link and leaves the earlier ones valid (a third party cannot void the owner's link).
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
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy.orm import selectinload

from matchmaker.csvfiles import csv_text, local_text, utc
from matchmaker.extensions import db
from matchmaker.i18n import current_language
from matchmaker.links import external_url
from matchmaker.models import (
    AnnouncementDelivery,
    DeliveryStatus,
    ErasedConsent,
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
from matchmaker.models.labels import CONTENT_LANGUAGES, label
from matchmaker.services import Conflict, InvalidLink, ServiceError, claimed, commit, discard, mail
from matchmaker.services.accounts import normalize_email
from matchmaker.services.event_rules import can_manage

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


def consent_text(version: str = CONSENT_VERSION) -> str:
    return str(CONSENT_TEXTS[version])


# --- tokens ----------------------------------------------------------------------------------------------


def _confirm_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="matchmaker.newsletter-confirm")


def _manage_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="matchmaker.newsletter-manage")


def confirm_max_age() -> timedelta:
    return current_app.config["NEWSLETTER_CONFIRM_MAX_AGE"] or current_app.config["EMAIL_CONFIRM_MAX_AGE"]


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
    return external_url("newsletter.manage", token=manage_token(subscriber))


def unsubscribe_url(subscriber: Subscriber) -> str:
    return external_url("newsletter.unsubscribe", token=manage_token(subscriber))


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
        commit()
        return
    if subscriber is None:
        subscriber = Subscriber(email=email)
        db.session.add(subscriber)
    if subscriber.status != SubscriberStatus.PENDING or not subscriber.token_nonce:
        # New links for a new opt-in. A pending address keeps its nonce: anyone may type it into the form,
        # and a new nonce voided the link its owner had been sent (issue 14). Both links confirm; the
        # confirmation page shows the choices it confirms.
        subscriber.token_nonce = secrets.token_hex(16)
    subscriber.status = SubscriberStatus.PENDING
    subscriber.language = language
    subscriber.themes = themes
    subscriber.consent_version = CONSENT_VERSION
    subscriber.consent_at = utcnow()
    subscriber.confirmed_at = None
    subscriber.unsubscribed_at = None
    if not claimed():  # the same address subscribed at the same moment: that one mails
        return
    mail.send_mail(
        subscriber.email,
        "newsletter_confirm",
        language=subscriber.language,
        confirm_url=external_url("newsletter.confirm", token=confirmation_token(subscriber)),
        max_age_hours=int(confirm_max_age().total_seconds() // 3600),
        themes=[t.name(subscriber.language) for t in subscriber.themes],
    )
    commit()


def confirm(subscriber: Subscriber) -> Subscriber:
    if subscriber.status == SubscriberStatus.PENDING:
        subscriber.status = SubscriberStatus.CONFIRMED
        subscriber.confirmed_at = utcnow()
        commit()
    return subscriber


def update_preferences(subscriber: Subscriber, language: str, theme_ids: list[int]) -> Subscriber:
    if subscriber.status == SubscriberStatus.UNSUBSCRIBED:
        raise ServiceError(_("You have unsubscribed. Subscribe again to receive the newsletter."))
    language, themes = _language(language), _themes(theme_ids)  # refuse before anything changes
    subscriber.language, subscriber.themes = language, themes
    commit()
    return subscriber


def unsubscribe(subscriber: Subscriber) -> Subscriber:
    """Stop all mail to this address. The token stays valid, so the page can confirm it (and a second click
    changes nothing); subscribing again makes new links."""
    if subscriber.status != SubscriberStatus.UNSUBSCRIBED:
        subscriber.status = SubscriberStatus.UNSUBSCRIBED
        subscriber.unsubscribed_at = utcnow()
        subscriber.themes = []
        commit()
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


ANNOUNCE_JOB = "newsletter.announce"


def _job_key(event_id: int) -> str:
    return f"announcement-{event_id}"


def _enqueue_delivery(user: User, event_id: int) -> None:
    from matchmaker.tasks import enqueue

    enqueue(ANNOUNCE_JOB, event_id=event_id, user=user, dedupe_key=_job_key(event_id))


def announce_event(user: User, event: Event) -> EventAnnouncement:
    """Announce the event to the confirmed subscribers of its themes, once.

    The announcement and the job that mails it ("newsletter.announce") are stored in one transaction (the
    primary key on event_id refuses a second announcement, even from a double click handled by another
    worker); a worker then sends the mails, each in the subscriber's language, while the announcement's
    `sent` counter shows the progress. A worker that dies half-way leaves the job to another one, which goes
    on with the subscribers not reached yet."""
    _require_announceable(user, event)
    announcement = EventAnnouncement(
        event_id=event.id, announced_by_id=user.id, announced_at=utcnow(), recipients=count_recipients(event)
    )
    db.session.add(announcement)
    _enqueue_delivery(user, event.id)
    commit(_("This event has already been announced to the subscribers."))
    db.session.refresh(announcement)  # a job that ran at once (eager mode) has sent it
    return announcement


# --- interrupted sendings ----------------------------------------------------------------------------


def stall_after() -> timedelta:
    """A sending without progress for this long and without a job going on has stopped: it may be resumed."""
    return timedelta(minutes=int(current_app.config["NEWSLETTER_STALL_MINUTES"]))


def _has_live_job(event_id: int) -> bool:
    """A job queued or running for the announcement: it will go on by itself (a job whose worker died is run
    again by another one), so there is nothing for the organizer to resume."""
    from matchmaker.models import Job, JobStatus

    return bool(
        db.session.scalar(
            sa.select(sa.func.count(Job.id)).where(
                Job.kind == ANNOUNCE_JOB,
                Job.dedupe_key == _job_key(event_id),
                Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
            )
        )
    )


def is_interrupted(announcement: EventAnnouncement | None, now=None) -> bool:
    """Stopped for good: unfinished, no progress for a while, and no job left to go on with it (its job gave
    up after its retries, or the sending started before the task queue)."""
    return bool(
        announcement is not None
        and not announcement.finished
        and announcement.progress_at < (now or utcnow()) - stall_after()
        and not _has_live_job(announcement.event_id)
    )


def resume_announcement(user: User, event: Event) -> EventAnnouncement:
    """Go on sending an announcement that stopped, to the subscribers it has not reached: a new job.

    Taking over is a conditional update on `progress_at`, so when two organizers click at once only one
    job is queued."""
    if not can_manage(user, event):
        raise ServiceError(_("Only the organizer of this event may announce it."))
    announcement = announcement_of(event)
    if announcement is None:
        raise ServiceError(_("This event has not been announced yet."))
    if not is_interrupted(announcement):
        raise ServiceError(
            _("The announcement is still being sent or has been sent: there is nothing to resume.")
        )
    now = utcnow()
    taken = db.session.execute(
        sa.update(EventAnnouncement)
        .where(
            EventAnnouncement.event_id == event.id,
            EventAnnouncement.progress_at == announcement.progress_at,
            EventAnnouncement.finished_at.is_(None),
        )
        .values(progress_at=now, resumed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        discard()
        raise Conflict(_("Someone else has just resumed this announcement."))
    _enqueue_delivery(user, event.id)
    commit()
    db.session.refresh(announcement)
    log.info("announcement of event %s resumed by user %s", event.id, user.id)
    return announcement


# --- sending -------------------------------------------------------------------------------------------


BATCH = 100  # subscribers read at a time


def _not_reached(event: Event, limit: int) -> list[Subscriber]:
    """The next recipients without a delivery row (never mailed by any sending), by id."""
    claimed = sa.exists().where(
        AnnouncementDelivery.event_id == event.id, AnnouncementDelivery.subscriber_id == Subscriber.id
    )
    return list(db.session.scalars(recipients_query(event).where(~claimed).limit(limit)))


def _settle_legacy_claims(event_id: int) -> None:
    """Rows left "sending" by a sending of before the task queue, which claimed each mail before it went
    out: perhaps sent, so counted as unknown and never sent again. (The queue's sendings write none.)"""
    unknown = db.session.execute(
        sa.update(AnnouncementDelivery)
        .where(
            AnnouncementDelivery.event_id == event_id,
            AnnouncementDelivery.status == DeliveryStatus.SENDING,
        )
        .values(status=DeliveryStatus.UNKNOWN)
        .execution_options(synchronize_session=False)
    ).rowcount
    if unknown:
        db.session.execute(
            sa.update(EventAnnouncement)
            .where(EventAnnouncement.event_id == event_id)
            .values(unknown=EventAnnouncement.unknown + unknown)
            .execution_options(synchronize_session=False)
        )
    commit()


def _deliver_one(event: Event, subscriber: Subscriber, **context) -> bool:
    """Mail one subscriber, as one transaction: the delivery row, the counter and the mail (a row of the
    mail outbox) are committed together, so a worker killed at any moment has either done all of it or
    none, and the job run again mails nobody twice. False when another sending got there first.

    (While mails are still sent over SMTP inside `send_mail`, a kill between the server's acceptance and
    this commit, a few milliseconds, would send that one mail again.)"""
    now = utcnow()
    delivery = AnnouncementDelivery(
        event_id=event.id, subscriber_id=subscriber.id, status=DeliveryStatus.SENT, at=now
    )
    db.session.add(delivery)
    try:
        mail.send_mail(
            subscriber.email,
            "newsletter_event",
            language=subscriber.language,
            headers=unsubscribe_headers(subscriber),
            manage_url=manage_url(subscriber),
            unsubscribe_url=unsubscribe_url(subscriber),
            themes=context["themes_by_language"].get(subscriber.language, []),
            event=event,
            first_day=event.first_day,
            event_url=context["event_url"],
        )
    except (OSError, smtplib.SMTPException):
        log.warning("announcement of event %s: mail to subscriber %s failed", event.id, subscriber.id)
        delivery.status = DeliveryStatus.FAILED
    announcement = db.session.get(EventAnnouncement, event.id)
    counter = EventAnnouncement.sent if delivery.status == DeliveryStatus.SENT else EventAnnouncement.failed
    setattr(announcement, counter.key, counter + 1)  # counted in the database, at the commit
    announcement.progress_at = now
    return claimed()


def deliver_announcement(event_id: int, progress=lambda done, total: None) -> EventAnnouncement:
    """Send the announcement's mails to the recipients it has not reached yet (the job's work; safe to run
    again at any point: every subscriber with a delivery row is skipped). A mail that cannot be delivered
    is counted and logged, not fatal."""
    _settle_legacy_claims(event_id)
    announcement = db.session.get(EventAnnouncement, event_id)
    event = db.session.get(Event, event_id)
    already = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AnnouncementDelivery)
        .where(AnnouncementDelivery.event_id == event_id)
    )
    announcement.recipients = already + count_unreached(event)
    announcement.progress_at = utcnow()
    commit()
    total = announcement.recipients
    context = {
        "event_url": external_url("events.detail", event_id=event.id),
        "themes_by_language": {lang: [t.name(lang) for t in event.themes] for lang in LANGUAGES},
    }
    done = already
    while batch := _not_reached(event, BATCH):
        for subscriber in batch:
            if _deliver_one(event, subscriber, **context):
                done += 1
                progress(done, total)
    announcement = db.session.get(EventAnnouncement, event_id)
    db.session.refresh(announcement)
    announcement.recipients = announcement.sent + announcement.failed + announcement.unknown
    announcement.finished_at = announcement.finished_at or utcnow()
    commit()
    return announcement


def count_unreached(event: Event) -> int:
    claimed = sa.exists().where(
        AnnouncementDelivery.event_id == event.id, AnnouncementDelivery.subscriber_id == Subscriber.id
    )
    query = recipients_query(event).where(~claimed).order_by(None)
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def subscriber_counts() -> dict[str, int]:
    rows = db.session.execute(sa.select(Subscriber.status, sa.func.count()).group_by(Subscriber.status))
    counts = {status.value: 0 for status in SubscriberStatus}
    counts.update({row[0]: row[1] for row in rows})
    return counts


# --- administrators: overview and export -------------------------------------------------------------


@dataclass
class ThemeCount:
    theme: Theme | None  # None: subscribers without a theme (they hear about every event)
    counts: dict[str, int]


def theme_counts() -> list[ThemeCount]:
    """Subscribers per theme and status (one aggregate query each), in theme order."""
    counts: dict[int | None, dict[str, int]] = {}
    for theme_id, status, count in db.session.execute(
        sa.select(subscriber_theme.c.theme_id, Subscriber.status, sa.func.count())
        .join(Subscriber, Subscriber.id == subscriber_theme.c.subscriber_id)
        .group_by(subscriber_theme.c.theme_id, Subscriber.status)
    ).all():
        counts.setdefault(theme_id, {})[status] = count
    has_theme = sa.exists().where(subscriber_theme.c.subscriber_id == Subscriber.id)
    for status, count in db.session.execute(
        sa.select(Subscriber.status, sa.func.count()).where(~has_theme).group_by(Subscriber.status)
    ).all():
        counts.setdefault(None, {})[status] = count
    themes = db.session.scalars(sa.select(Theme).order_by(Theme.position, Theme.id)).all()
    rows = [ThemeCount(theme, counts.get(theme.id, {})) for theme in themes]
    rows.append(ThemeCount(None, counts.get(None, {})))
    for row in rows:
        row.counts = {status.value: row.counts.get(status.value, 0) for status in SubscriberStatus}
    return rows


def language_counts() -> dict[str, int]:
    """Confirmed subscribers per language of the mails."""
    counts = dict.fromkeys(LANGUAGES, 0)
    counts.update(
        dict(
            db.session.execute(
                sa.select(Subscriber.language, sa.func.count())
                .where(Subscriber.status == SubscriberStatus.CONFIRMED)
                .group_by(Subscriber.language)
            ).all()
        )
    )
    return counts


def erased_count() -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(ErasedConsent.count), 0))) or 0


def confirmed_subscribers_csv() -> str:
    """The confirmed subscribers as CSV, with what they consented to and when (Brussels time, to the second),
    for an administrator who has to show the consent or move the list; languages and themes in the reader's
    language."""
    return csv_text(_subscriber_rows())


def _subscriber_rows() -> Iterator[list]:
    yield [
        _("Email address"),
        _("Language"),
        _("Themes"),
        _("Consent given"),
        _("Version of the consent text"),
        _("Consent text"),
        _("Confirmed"),
    ]
    language = current_language()
    query = (
        sa.select(Subscriber)
        .where(Subscriber.status == SubscriberStatus.CONFIRMED)
        .order_by(Subscriber.id)
        .options(selectinload(Subscriber.themes))
        .execution_options(yield_per=500)
    )
    texts: dict[str, str] = {}
    for subscriber in db.session.scalars(query):
        version = subscriber.consent_version
        if version not in texts:
            texts[version] = consent_text(version) if version in CONSENT_TEXTS else ""
        yield [
            subscriber.email,
            label(CONTENT_LANGUAGES, subscriber.language),
            "; ".join(t.name(language) for t in subscriber.themes) or _("all themes"),
            local_text(utc(subscriber.consent_at), seconds=True),
            version,
            texts[version],
            local_text(utc(subscriber.confirmed_at), seconds=True),
        ]


# --- erasing old addresses (GDPR) --------------------------------------------------------------------


def retention() -> timedelta:
    return timedelta(days=int(current_app.config["NEWSLETTER_RETENTION_DAYS"]))


def _erasable(now):
    """Unsubscribed longer ago than the retention period, or never confirmed and asked that long ago."""
    limit = now - retention()
    return sa.or_(
        sa.and_(Subscriber.status == SubscriberStatus.UNSUBSCRIBED, Subscriber.unsubscribed_at < limit),
        sa.and_(Subscriber.status == SubscriberStatus.PENDING, Subscriber.consent_at < limit),
    )


def count_erasable(now=None) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Subscriber).where(_erasable(now or utcnow()))
        )
        or 0
    )


def purge_subscribers(now=None, batch: int = 500, progress=lambda done: None) -> int:
    """Erase the addresses kept past the retention period; keep an anonymous count of their consents
    (per consent version, month and whether it was confirmed). Each batch is one transaction: the count
    and the deletion are committed together. Returns how many were erased."""
    now = now or utcnow()
    erased = 0
    while True:
        rows = db.session.execute(
            sa.select(
                Subscriber.id, Subscriber.consent_version, Subscriber.consent_at, Subscriber.confirmed_at
            )
            .where(_erasable(now))
            .order_by(Subscriber.id)
            .limit(batch)
        ).all()
        if not rows:
            break
        tally: Counter = Counter(
            (version, consent_at.strftime("%Y-%m"), confirmed_at is not None)
            for _id, version, consent_at, confirmed_at in rows
        )
        for (version, month, confirmed), count in tally.items():
            row = db.session.get(ErasedConsent, (version, month, confirmed))
            if row is None:
                db.session.add(
                    ErasedConsent(
                        consent_version=version, consent_month=month, confirmed=confirmed, count=count
                    )
                )
            else:
                row.count += count
        db.session.execute(
            sa.delete(Subscriber)
            .where(Subscriber.id.in_([row[0] for row in rows]))
            .execution_options(synchronize_session=False)
        )
        commit()
        erased += len(rows)
        progress(len(rows))
    return erased
