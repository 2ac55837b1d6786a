"""Notifications: stored in the app, mailed immediately, in a daily digest, or not at all (the user chooses).

A notification keeps its kind and parameters; its text comes from the registry below and is rendered when it
is read, in the reader's language. Another area adds a kind with one line:

    register_kind("mutual_match", _l("You and %(name)s both want to talk about %(title)s."))

The email of a kind is `templates/email/notification.txt` (the text, then the link) unless the kind names its
own template, which receives `notification`, `text`, `url` and `user`.
"""

import functools
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from matchmaker import links
from matchmaker.extensions import db
from matchmaker.models import EmailMode, Notification, NotificationPreference, User, utcnow
from matchmaker.services import ServiceError, commit, mail
from matchmaker.services.accounts import account_deletion_hook, personal_data_exporter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NotificationKind:
    name: str
    message: LazyString  # a lazy msgid with %(name)s parameters
    email_template: str = "notification"


KINDS: dict[str, NotificationKind] = {}


def register_kind(name: str, message: LazyString, email_template: str = "notification") -> NotificationKind:
    """Add (or replace) a kind of notification."""
    kind = NotificationKind(name, message, email_template)
    KINDS[name] = kind
    return kind


register_kind(
    "request_received",
    _l("%(name)s (%(organisation)s) asks you for a meeting at %(event)s."),
    "meeting_request",  # with the message, the need and offering, the match score and its reasons
)
register_kind(
    "request_accepted", _l("%(name)s accepted your meeting request for %(event)s."), "meeting_request"
)
register_kind(
    "request_declined", _l("%(name)s declined your meeting request for %(event)s."), "meeting_request"
)
register_kind(
    "request_expiring",
    _l("The meeting request of %(name)s for %(event)s expires on %(deadline)s. Please answer it."),
    "meeting_request",
)
register_kind("registration_approved", _l("Your registration for %(event)s is approved."))
register_kind("registration_refused", _l("Your registration for %(event)s was not accepted."))
register_kind("registration_received", _l("%(name)s registered for %(event)s and awaits your approval."))
register_kind(
    "agenda_published", _l("The agenda of %(event)s is published. See your meetings and their tables.")
)
register_kind(  # its mail lists the participant's meetings with their details, as the first publication's
    "event_venue_changed",
    _l("%(event)s takes place at another address: %(venue)s. Your meetings keep their times and tables."),
    "agenda_published",
)
register_kind(
    "event_nudge",
    _l("%(event)s: you have not asked anyone for a meeting yet. See who is there and send your requests."),
)


class _Params(dict):
    """Missing parameters render as empty text rather than failing (a kind's text may change)."""

    def __missing__(self, key: str) -> str:
        if key == "place" and self.get("table"):
            # Stored before meeting texts named the table in full (issue 18): "Table 3", as they said then.
            return _("Table %(table)s", table=self["table"])
        return ""


def render_text(notification: Notification) -> str:
    """The notification's text in the current locale."""
    kind = KINDS.get(notification.kind)
    if kind is None:
        return notification.kind
    try:
        return str(kind.message) % _Params(notification.params or {})
    except (TypeError, ValueError):
        log.warning("Could not render notification %s of kind %s", notification.id, notification.kind)
        return str(kind.message)


# --- preferences -------------------------------------------------------------------------------------


def email_mode(user: User) -> str:
    preference = db.session.get(NotificationPreference, user.id)
    return preference.email_mode if preference else EmailMode.IMMEDIATE


# The lead times a user may choose for the reminder before each meeting (minutes; 0 is none). Few, so the
# settings form stays a short list; an event's own default may be any number its organizer sets.
REMINDER_LEAD_TIMES = (5, 10, 15, 30, 60)


@dataclass(frozen=True)
class ReminderSettings:
    mails: bool = True
    in_app: bool = True
    minutes: int | None = None  # None: each event's default (event.reminder_minutes); 0: none


def reminder_settings(user: User) -> ReminderSettings:
    """The user's reminder choices; without a row: all reminders, in the app and by mail, at the event's
    default."""
    preference = db.session.get(NotificationPreference, user.id)
    if preference is None:
        return ReminderSettings()
    return ReminderSettings(
        preference.reminder_mails, preference.reminder_in_app, preference.reminder_minutes
    )


def _preference(user: User) -> NotificationPreference:
    preference = db.session.get(NotificationPreference, user.id)
    if preference is None:
        preference = NotificationPreference(user_id=user.id, email_mode=EmailMode.IMMEDIATE)
        db.session.add(preference)
    return preference


def set_reminder_settings(user: User, settings: ReminderSettings) -> None:
    """Save the user's reminder choices. The lead time must be one of those offered (or None, 0): the
    settings form offers no other, and the database refuses what an event could not set either."""
    if settings.minutes is not None and settings.minutes not in (0, *REMINDER_LEAD_TIMES):
        raise ServiceError(_("Choose when you want to be reminded among the times offered."))
    preference = _preference(user)
    preference.reminder_mails = bool(settings.mails)
    preference.reminder_in_app = bool(settings.in_app)
    preference.reminder_minutes = settings.minutes
    commit()


def set_email_mode(user: User, mode: str) -> None:
    try:
        mode = EmailMode(mode).value
    except ValueError:
        raise ServiceError(_("Choose how you want to receive notifications by email.")) from None
    _preference(user).email_mode = mode
    commit()


# --- sending -----------------------------------------------------------------------------------------


def notify(
    user: User,
    kind: str,
    url: str | None = None,
    always_mail: bool = False,
    mail_context: dict[str, Any] | None = None,
    attachments: list[mail.Attachment] | None = None,
    mail_now: bool | None = None,
    in_app: bool = True,
    **params: Any,
) -> Notification:
    """Store a notification for `user` and mail it now if they chose immediate mail (or `always_mail`).

    Parameters must be JSON values (strings, numbers). `mail_context` (more for the kind's mail template,
    e.g. a meeting's details) and `attachments` (e.g. its .ics) go with the immediate mail only; the daily
    digest lists the text. `mail_now` overrides the user's email mode for a notification that cannot wait
    for a digest (a reminder): True mails it now, False never (not in a digest either). `in_app=False`
    stores nothing (for a user who wants a kind by mail only): the returned notification is not saved, and
    is mailed only if `mail_now` says so. Commits."""
    if kind not in KINDS:
        raise ValueError(f"Unknown notification kind {kind!r}; add it with register_kind()")
    notification = Notification(user_id=user.id, kind=kind, params=dict(params), url=url)
    if not in_app:
        if mail_now and user.active:
            _mail_one(user, notification, mail_context, attachments)
        commit()
        return notification
    db.session.add(notification)
    db.session.flush()
    if mail_now is False:
        notification.emailed_at = utcnow()  # kept out of the daily digest
    elif user.active and (mail_now or always_mail or email_mode(user) == EmailMode.IMMEDIATE):
        _mail_one(user, notification, mail_context, attachments)
    commit()
    return notification


def _mail_one(
    user: User,
    notification: Notification,
    mail_context: dict[str, Any] | None = None,
    attachments: list[mail.Attachment] | None = None,
) -> None:
    kind = KINDS[notification.kind]
    with force_locale(user.language):
        text = render_text(notification)
    mail.send_mail(
        user.email,
        kind.email_template,
        language=user.language,
        user=user,
        notification=notification,
        text=text,
        url=links.absolute(notification.url),
        settings_url=links.external_url("notifications.settings"),
        attachments=attachments,
        **(mail_context or {}),
    )
    notification.emailed_at = utcnow()


def send_digests(now=None) -> int:
    """Mail each user who chose the daily digest the notifications not mailed yet, in one message.
    Safe to run more than once: a notification is mailed once. Returns the number of mails sent."""
    now = now or utcnow()
    users = db.session.scalars(
        sa.select(User)
        .join(NotificationPreference, NotificationPreference.user_id == User.id)
        .where(NotificationPreference.email_mode == EmailMode.DAILY, User.active.is_(True))
        .where(
            sa.exists().where(
                Notification.user_id == User.id,
                Notification.emailed_at.is_(None),
                Notification.read_at.is_(None),
            )
        )
    ).all()
    sent = 0
    for user in users:
        pending = db.session.scalars(
            sa.select(Notification)
            .where(
                Notification.user_id == user.id,
                Notification.emailed_at.is_(None),
                Notification.read_at.is_(None),
            )
            .order_by(Notification.created_at)
        ).all()
        with force_locale(user.language):
            items = [(render_text(n), links.absolute(n.url)) for n in pending]
        mail.send_mail(
            user.email,
            "notification_digest",
            language=user.language,
            user=user,
            items=items,
            list_url=links.external_url("notifications.index"),
            settings_url=links.external_url("notifications.settings"),
        )
        for notification in pending:
            notification.emailed_at = now
        preference = db.session.get(NotificationPreference, user.id)
        if preference:
            preference.last_digest_at = now
        commit()
        sent += 1
    return sent


# --- reading -----------------------------------------------------------------------------------------


def unread_count(user: User) -> int:
    return db.session.scalar(unread_query(), {"user_id": user.id}) or 0


@functools.cache
def unread_query() -> sa.Select:
    """The count of the unread notifications of `user_id`, for the menu of every page: built once."""
    return sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == sa.bindparam("user_id", type_=sa.Integer), Notification.read_at.is_(None)
    )


def notifications_of(user: User, page: int = 1, per_page: int = 20):
    return db.paginate(
        sa.select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        page=page,
        per_page=per_page,
        error_out=False,
    )


def get_own_notification(user: User, notification_id: int) -> Notification | None:
    """The notification if it belongs to `user`; None otherwise (routes answer 404)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        return None
    return notification


def mark_read(user: User, notification: Notification) -> None:
    if notification.user_id != user.id:
        raise ServiceError(_("This notification is not yours."))
    if notification.read_at is None:
        notification.read_at = utcnow()
        commit()


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    commit()
    return result.rowcount or 0


def notification_retention() -> timedelta:
    return timedelta(days=current_app.config["NOTIFICATION_RETENTION_DAYS"])


def delete_old_notifications(older_than: timedelta | None = None) -> int:
    """Delete the notifications, read or not, older than NOTIFICATION_RETENTION_DAYS (`flask notifications
    purge`, daily); returns how many."""
    older_than = notification_retention() if older_than is None else older_than
    result = db.session.execute(
        sa.delete(Notification).where(Notification.created_at < utcnow() - older_than)
    )
    commit()
    return result.rowcount or 0


@personal_data_exporter("notifications")
def _export_notifications(user: User) -> dict:
    notifications = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.created_at)
    ).all()
    reminder = reminder_settings(user)
    return {
        "email_mode": email_mode(user),
        "reminder_mails": reminder.mails,
        "reminder_in_app": reminder.in_app,
        "reminder_minutes": reminder.minutes,
        "notifications": [
            {
                "kind": n.kind,
                "text": render_text(n),
                "url": n.url,
                "created_at": n.created_at,
                "read_at": n.read_at,
            }
            for n in notifications
        ],
    }


@account_deletion_hook("notifications")
def _forget_notifications(user: User) -> None:
    db.session.execute(sa.delete(Notification).where(Notification.user_id == user.id))
    db.session.execute(sa.delete(NotificationPreference).where(NotificationPreference.user_id == user.id))
