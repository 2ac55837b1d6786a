"""One mail service for the whole platform, through a transactional outbox.

`send_mail` renders the mail (in the recipient's language) and adds it as an `OutboxMail` row to the current
unit of work, with a "mail.deliver" job; it never commits: the caller's commit stores the change and its mails
together, and a change that is rolled back sends nothing. No web request talks to a mail server: the workers
deliver the rows (`deliver_mail`), retry with exponential backoff (MAIL_RETRY_SECONDS doubling, at most
MAIL_MAX_ATTEMPTS attempts) and mark the mails that keep failing `failed`; administrators see those on
/admin/mails and can queue them again. Sent mails are deleted after MAIL_RETENTION_DAYS, failed ones are kept.

Delivery guarantee: at least once, with a Message-ID fixed when the mail is created, so that the receiving
side can drop duplicates. Exactly once is impossible with SMTP: the server takes responsibility for a mail
when it answers "250" to the end of DATA, and if the connection breaks (or the worker dies) after the server
has accepted the mail but before the worker has recorded it as sent, the worker cannot tell whether the mail
went through; the only choices are to send it again (a possible duplicate, same Message-ID) or to risk
losing it. We send again.

Backends (config MAIL_BACKEND), used by the workers:
- "memory": delivered mails are recorded in `app.extensions["mail_outbox"]` (tests read them with `outbox()`);
- "console": recorded and printed to the log (development);
- "smtp": sent through the SMTP server configured by the environment (production).

Header values are made safe before they reach the mail library, by the platform's one rule for one-line text
(`textutil.one_line`): control characters (CR, LF, tabs...) become spaces, so a name with a line break in it
can neither inject a header nor make sending fail, whatever was stored. Subjects longer than SUBJECT_MAX are
shortened at a word boundary with an ellipsis (`shorten_subject`), never in the middle of a word.

What a mail carries:
- a plain-text part (the template) and an HTML alternative: `templates/email/<template>.html` when there is
  one, otherwise the text itself in `email/_layout.html` (paragraphs, lists and links, no images), so every
  mail reads the same in both parts;
- `Auto-Submitted: auto-generated` (RFC 3834) on every mail the platform writes by itself, so vacation
  responders stay quiet. The one exception is the contact form's message to the team (`automatic=False`): it
  carries a person's words, and replies to that person go through Reply-To;
- attachments (`Attachment`, e.g. a meeting's .ics), kept in the outbox row's JSON `headers` under the
  private key ATTACHMENTS (no column of their own), so a retry sends the same file.
"""

import email.policy
import logging
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import sqlalchemy as sa
from flask import Flask, current_app, render_template
from flask_babel import force_locale, get_locale
from jinja2 import TemplateNotFound
from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy.orm import Session

from matchmaker.extensions import db
from matchmaker.models import MailStatus, OutboxMail, utcnow
from matchmaker.services.kernel import commit
from matchmaker.textutil import one_line

log = logging.getLogger(__name__)

DELIVER = "mail.deliver"
SMTP_TIMEOUT = 20  # seconds for each SMTP command
# Headers are folded at RFC 5322's hard limit (998) instead of 78: a folded List-Unsubscribe URL came out as
# an RFC 2047 encoded word, which one-click unsubscribe (RFC 2369/8058) does not read, and folded subjects
# came back with a space where the fold was. Non-ASCII values are still encoded, as they must be.
HEADER_POLICY = email.policy.default.clone(max_line_length=998)
SENDING_LEASE = timedelta(minutes=5)  # a mail "sending" for longer than this: its worker died, try again
UNCOMMITTED = "mail_uncommitted"
SUBJECT_MAX = 120  # characters; a longer subject is shortened at a word boundary
ELLIPSIS = "\u2026"
AUTO_SUBMITTED = {"Auto-Submitted": "auto-generated"}
ATTACHMENTS = "__attachments__"  # private key of OutboxMail.headers: the attachments, never a header


@dataclass(frozen=True)
class Attachment:
    """A file sent with a mail: `content` is text (an .ics), `params` extra Content-Type parameters
    (`{"method": "REQUEST"}` for an invitation)."""

    filename: str
    content_type: str
    content: str
    params: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "content": self.content,
            "params": dict(self.params),
        }

    @classmethod
    def from_json(cls, data: dict) -> "Attachment":
        return cls(data["filename"], data["content_type"], data["content"], dict(data.get("params") or {}))


@dataclass
class SentMail:
    to: str
    subject: str
    body: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    message_id: str = ""
    attachments: list[Attachment] = field(default_factory=list)


class UncommittedMail(RuntimeError):
    """Mails were added to a unit of work that ended without a commit: they would be silently dropped."""


def init_app(app: Flask) -> None:
    app.extensions["mail_outbox"] = []

    @app.teardown_request
    def _no_mail_left_behind(exc) -> None:
        # A request that succeeded must have committed every mail it wrote. (One that failed rolls back its
        # change and its mails together, which is right.)
        pending = uncommitted()
        if pending and exc is None:
            forget_uncommitted()
            log.error("Mails added after the last commit of the request were dropped: %s", pending)
            if app.testing:
                raise UncommittedMail(f"Mails added after the last commit were dropped: {pending}")


def outbox() -> list[SentMail]:
    """The mails the memory and console backends delivered (in tests: after the commit that stored them)."""
    return current_app.extensions["mail_outbox"]


# ---------------------------------------------------------------------------------------------------------
# Header safety


def clean_header(value: object) -> str:
    """A header value on one line: every run of control characters (CR, LF, tab, ...) becomes one space."""
    return one_line(str(value))


def shorten_subject(subject: str, limit: int = SUBJECT_MAX) -> str:
    """The subject on one line, at most `limit` characters: a longer one is cut after its last whole word
    that fits, and ends with an ellipsis. Only a single word longer than the limit is cut inside."""
    subject = clean_header(subject)
    if len(subject) <= limit:
        return subject
    room = subject[: limit - len(ELLIPSIS) + 1]  # one more: a space right after the cut keeps the word
    cut = room.rsplit(" ", 1)[0] if " " in room else room[:-1]
    return cut.rstrip(" ,;:.-\u2013\u2014") + ELLIPSIS


_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]]")


def _linked(line: str) -> Markup:
    """One line of text as HTML: escaped, with its web addresses as links."""
    result, last = Markup(""), 0
    for found in _URL.finditer(line):
        result += line[last : found.start()]  # Markup escapes what is added to it
        result += Markup('<a href="{0}">{0}</a>').format(found.group(0))
        last = found.end()
    return result + line[last:]


def text_blocks(body: str) -> list[tuple[str, list[Markup]]]:
    """The text body as blocks for the HTML layout: ("p", lines) for the lines of a paragraph, ("ul", items)
    for a run of lines that start with "- " (an indented line after an item stays with it)."""
    blocks: list[tuple[str, list[Markup]]] = []
    new_block = True
    for paragraph in re.split(r"\n\s*\n", body.strip("\n")):
        for line in paragraph.split("\n"):
            if not line.strip():
                continue
            kind = "ul" if line.startswith("- ") else "p"
            if kind == "p" and line.startswith(" ") and blocks and blocks[-1][0] == "ul" and not new_block:
                blocks[-1][1][-1] += Markup("<br>") + _linked(line.strip())
                continue
            if not blocks or blocks[-1][0] != kind or new_block:
                blocks.append((kind, []))
            blocks[-1][1].append(_linked(line.removeprefix("- ").strip()))
            new_block = False
        new_block = True
    return blocks


# ---------------------------------------------------------------------------------------------------------
# Writing mails into the outbox


_subject_templates: dict[tuple[str, str], object] = {}


def _render(template: str, context: dict) -> tuple[str, str, str | None]:
    """(subject, body, html) of `templates/email/<template>.txt`, whose first line is `Subject: ...`.

    The subject line is rendered on its own, so a value with a line break in it (a name) cannot end the
    subject early and push the rest of it into the body."""
    name = f"email/{template}.txt"
    env = current_app.jinja_env
    text = render_template(name, **context)
    source = env.loader.get_source(env, name)[0]
    first_line = source.split("\n", 1)[0]
    key = (name, first_line)
    if key not in _subject_templates:
        _subject_templates[key] = env.from_string(first_line)
    subject_context = dict(context)
    current_app.update_template_context(subject_context)
    subject_line = _subject_templates[key].render(subject_context)
    if first_line.startswith("Subject:") and text.startswith(subject_line):
        body = text[len(subject_line) :]
    else:  # a template without a subject line of its own
        subject_line, _, body = text.partition("\n")
    subject = shorten_subject(subject_line.removeprefix("Subject:"))
    body = body.strip("\r\n") + "\n"
    try:
        html = render_template(f"email/{template}.html", **context)
    except TemplateNotFound:  # the text itself, in the plain layout
        html = render_template(
            "email/_layout.html", subject=subject, blocks=text_blocks(body), lang=str(get_locale() or "en")
        )
    return subject, body, html


def _domain() -> str:
    return current_app.config["MAIL_SENDER"].rsplit("@", 1)[-1].strip(" >") or "localhost"


def send_mail(
    to: str,
    template: str,
    language: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[Attachment] | None = None,
    automatic: bool = True,
    **context,
) -> SentMail:
    """Render `templates/email/<template>.txt` (first line `Subject: ...`) and put it in the outbox.

    `automatic`: the mail says `Auto-Submitted: auto-generated` (all but a person's own message relayed).
    The mail is added to the current session with its delivery job and goes out only when the caller
    commits (the caller must: a mail added after the last commit is dropped, and a check at the end of each
    request and test says so). Never talks to a mail server; never commits."""
    language = language or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):
        subject, body, html = _render(template, context)
    # Content-Language (RFC 3282): the language the mail is written in, for mail clients and screen readers.
    all_headers = {**(AUTO_SUBMITTED if automatic else {}), "Content-Language": language, **(headers or {})}
    safe_headers: dict = {clean_header(name): clean_header(value) for name, value in all_headers.items()}
    safe_headers.pop(ATTACHMENTS, None)
    if attachments:
        safe_headers[ATTACHMENTS] = [attachment.as_json() for attachment in attachments]
    message_id = make_msgid(domain=_domain())
    row = OutboxMail(
        message_id=message_id,
        to=clean_header(to),
        subject=subject,
        body=body,
        html=html,
        headers=safe_headers,
        template=template,
        language=language,
        status=MailStatus.QUEUED,
        attempts=0,
        created_at=utcnow(),
    )
    db.session.add(row)
    from matchmaker.tasks import enqueue

    enqueue(DELIVER, message_id=message_id)
    db.session.info.setdefault(UNCOMMITTED, []).append(f"{template} {message_id}")
    return _as_sent(row)


def uncommitted() -> list[str]:
    """The mails added to the session since its last commit or rollback ("template message-id")."""
    return list(db.session.info.get(UNCOMMITTED, []))


def forget_uncommitted() -> None:
    db.session.info.pop(UNCOMMITTED, None)


@event.listens_for(Session, "after_commit")
def _mails_committed(session: Session) -> None:
    session.info.pop(UNCOMMITTED, None)


@event.listens_for(Session, "after_soft_rollback")
def _mails_rolled_back(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:  # refused with its change: nothing to send
        session.info.pop(UNCOMMITTED, None)


def _as_sent(row: OutboxMail) -> SentMail:
    headers = dict(row.headers or {})
    attachments = [Attachment.from_json(data) for data in headers.pop(ATTACHMENTS, None) or []]
    return SentMail(
        to=row.to,
        subject=row.subject,
        body=row.body,
        html=row.html,
        headers=headers,
        message_id=row.message_id,
        attachments=attachments,
    )


# ---------------------------------------------------------------------------------------------------------
# Delivery (the workers)


def backoff(attempt: int) -> timedelta:
    """Wait after the `attempt`-th failure: MAIL_RETRY_SECONDS doubling each time, at most six hours."""
    base = current_app.config["MAIL_RETRY_SECONDS"]
    return timedelta(seconds=min(6 * 3600, base * 2 ** max(0, attempt - 1)))


def _claim(message_id: str) -> bool:
    """Take the mail for one attempt (a conditional UPDATE, committed): False when it is not due, already
    sent or failed, or held by a live worker."""
    now = utcnow()
    due = sa.or_(
        sa.and_(
            OutboxMail.status == MailStatus.QUEUED,
            sa.or_(OutboxMail.next_attempt_at.is_(None), OutboxMail.next_attempt_at <= now),
        ),
        sa.and_(OutboxMail.status == MailStatus.SENDING, OutboxMail.lease_until < now),
    )
    matched = db.session.execute(
        sa.update(OutboxMail)
        .where(OutboxMail.message_id == message_id, due)
        .values(status=MailStatus.SENDING, attempts=OutboxMail.attempts + 1, lease_until=now + SENDING_LEASE)
        .execution_options(synchronize_session=False)
    ).rowcount
    commit()
    return bool(matched)


def _permanent(error: Exception) -> bool:
    """A refusal that another attempt cannot change (a 5xx reply, e.g. an unknown recipient)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _msg in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and 500 <= error.smtp_code < 600


def deliver_mail(message_id: str) -> str:
    """One delivery attempt of an outbox mail: "sent", "retry" (queued again with backoff), "failed", or
    "skipped" (not due, already handled, or being sent by another worker)."""
    if not _claim(message_id):
        return "skipped"
    row = db.session.scalar(
        sa.select(OutboxMail)
        .where(OutboxMail.message_id == message_id)
        .execution_options(populate_existing=True)
    )
    try:
        transmit(_as_sent(row), row.created_at)
    except Exception as error:  # noqa: BLE001  (any failure is recorded on the mail, never lost)
        log.warning("Mail %s to %s: attempt %s failed: %s", message_id, row.to, row.attempts, error)
        row.last_error = f"{type(error).__name__}: {error}"[:2000]
        row.lease_until = None
        if row.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"] or _permanent(error):
            row.status = MailStatus.FAILED
            row.failed_at = utcnow()
            outcome = "failed"
        else:
            wait = backoff(row.attempts)
            row.status = MailStatus.QUEUED
            row.next_attempt_at = utcnow() + wait
            _enqueue_delivery(message_id, delay=wait)
            outcome = "retry"
        commit()
        return outcome
    row.status = MailStatus.SENT
    row.sent_at = utcnow()
    row.lease_until = None
    commit()
    return "sent"


def _enqueue_delivery(message_id: str, delay: timedelta | None = None) -> None:
    from matchmaker.tasks import enqueue

    enqueue(DELIVER, message_id=message_id, delay=delay)


def transmit(mail: SentMail, created_at: datetime | None = None) -> None:
    """Hand one mail to the configured backend (raises when the mail server refuses or cannot be reached)."""
    backend = current_app.config["MAIL_BACKEND"]
    if backend in ("memory", "console"):
        outbox().append(mail)
        if backend == "console":
            log.warning("Mail to %s: %s\n%s", mail.to, mail.subject, mail.body)
        return
    if backend != "smtp":
        raise RuntimeError(f"Unknown MAIL_BACKEND {backend!r}")
    _send_smtp(build_message(mail, created_at))


def build_message(mail: SentMail, created_at: datetime | None = None) -> EmailMessage:
    """The MIME message: From, To, Subject, Date, the mail's own Message-ID and its extra headers, a text
    part and, when there is one, an HTML alternative (multipart/alternative, text first), then the
    attachments (the whole in multipart/mixed). Every header value is cleaned again here."""
    cfg = current_app.config
    message = EmailMessage(policy=HEADER_POLICY)
    message["From"] = clean_header(cfg["MAIL_SENDER"])
    message["To"] = clean_header(mail.to)
    message["Subject"] = clean_header(mail.subject)
    message["Date"] = format_datetime((created_at or utcnow()).replace(tzinfo=UTC))
    message["Message-ID"] = clean_header(mail.message_id) or make_msgid(domain=_domain())
    content_headers = {}  # set_content and add_alternative would drop or move them into a part: set last
    for name, value in mail.headers.items():
        name = clean_header(name).replace(" ", "-").replace(":", "")
        if name.lower().startswith("content-"):
            content_headers[name] = clean_header(value)
        elif name and name.lower() not in {"from", "to", "subject", "date", "message-id"}:
            message[name] = clean_header(value)
    message.set_content(mail.body)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    for attachment in mail.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        if maintype != "text":
            raise ValueError(f"Only text attachments are supported, not {attachment.content_type}")
        message.add_attachment(
            attachment.content,
            subtype=subtype,
            filename=clean_header(attachment.filename),
            params={clean_header(k): clean_header(v) for k, v in attachment.params.items()},
        )
    for name, value in content_headers.items():
        if name.lower() == "content-language":  # the one a caller may set; the others describe the MIME parts
            message[name] = value
    return message


def _send_smtp(message: EmailMessage) -> None:
    cfg = current_app.config
    context = ssl.create_default_context()
    if cfg["MAIL_USE_SSL"]:
        server = smtplib.SMTP_SSL(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], context=context, timeout=SMTP_TIMEOUT)
    else:
        server = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=SMTP_TIMEOUT)
    with server:
        if cfg["MAIL_USE_TLS"] and not cfg["MAIL_USE_SSL"]:
            server.starttls(context=context)
        if cfg["MAIL_USERNAME"]:
            server.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        server.send_message(message)


# ---------------------------------------------------------------------------------------------------------
# Upkeep and administration


def requeue_stale(now: datetime | None = None) -> int:
    """Queue a delivery job for mails nobody is working on: queued and overdue for a while (their job was
    lost or gave up), or "sending" with an expired lease (their worker died mid-send). Returns how many."""
    now = now or utcnow()
    overdue = now - timedelta(minutes=5)
    stale = db.session.scalars(
        sa.select(OutboxMail.message_id)
        .where(
            sa.or_(
                sa.and_(
                    OutboxMail.status == MailStatus.QUEUED,
                    sa.func.coalesce(OutboxMail.next_attempt_at, OutboxMail.created_at) < overdue,
                ),
                sa.and_(OutboxMail.status == MailStatus.SENDING, OutboxMail.lease_until < now),
            )
        )
        .order_by(OutboxMail.id)
        .limit(1000)
    ).all()
    for message_id in stale:
        _enqueue_delivery(message_id)
    commit()
    return len(stale)


def purge_sent(now: datetime | None = None) -> int:
    """Delete sent mails older than MAIL_RETENTION_DAYS (failed and queued ones stay). Returns how many."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["MAIL_RETENTION_DAYS"])
    deleted = db.session.execute(
        sa.delete(OutboxMail).where(OutboxMail.status == MailStatus.SENT, OutboxMail.sent_at < cutoff)
    ).rowcount
    commit()
    return deleted


def counts() -> dict[str, int]:
    """How many mails are in each status (every status present, 0 when none)."""
    rows = db.session.execute(sa.select(OutboxMail.status, sa.func.count()).group_by(OutboxMail.status))
    found = dict(rows.all())
    return {status.value: found.get(status.value, 0) for status in MailStatus}


def failed_mails(limit: int = 200) -> list[OutboxMail]:
    return list(
        db.session.scalars(
            sa.select(OutboxMail)
            .where(OutboxMail.status == MailStatus.FAILED)
            .order_by(OutboxMail.failed_at.desc(), OutboxMail.id.desc())
            .limit(limit)
        )
    )


def retry_failed(mail_id: int | None = None) -> int:
    """Queue failed mails again with a fresh count of attempts: one mail, or all of them when `mail_id` is
    None. Returns how many were queued (0 when the mail is not failed any more)."""
    query = sa.select(OutboxMail.message_id).where(OutboxMail.status == MailStatus.FAILED)
    if mail_id is not None:
        query = query.where(OutboxMail.id == mail_id)
    message_ids = db.session.scalars(query.order_by(OutboxMail.id)).all()
    if not message_ids:
        return 0
    db.session.execute(
        sa.update(OutboxMail)
        .where(OutboxMail.message_id.in_(message_ids), OutboxMail.status == MailStatus.FAILED)
        .values(status=MailStatus.QUEUED, attempts=0, next_attempt_at=None, failed_at=None)
        .execution_options(synchronize_session=False)
    )
    for message_id in message_ids:
        _enqueue_delivery(message_id)
    commit()
    return len(message_ids)
