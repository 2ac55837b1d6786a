"""One mail service for the whole platform.

Backends (config MAIL_BACKEND):
- "memory": messages are recorded in `app.extensions["mail_outbox"]` (tests read them);
- "console": recorded and printed to the log (development);
- "smtp": sent through the SMTP server configured by the environment (production).

Mails are rendered from `templates/email/<name>.txt` (and `.html` when present) in the recipient's language.
"""

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import Flask, current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound

log = logging.getLogger(__name__)


@dataclass
class SentMail:
    to: str
    subject: str
    body: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def init_app(app: Flask) -> None:
    app.extensions["mail_outbox"] = []


def outbox() -> list[SentMail]:
    return current_app.extensions["mail_outbox"]


def send_mail(
    to: str,
    template: str,
    language: str | None = None,
    headers: dict[str, str] | None = None,
    **context,
) -> SentMail:
    """Render `templates/email/<template>.txt` (first line `Subject: ...`) and deliver it."""
    language = language or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):
        text = render_template(f"email/{template}.txt", **context)
        try:
            html = render_template(f"email/{template}.html", **context)
        except TemplateNotFound:  # the HTML part is optional
            html = None
    subject_line, _, body = text.partition("\n")
    subject = subject_line.removeprefix("Subject:").strip()
    mail = SentMail(to=to, subject=subject, body=body.strip() + "\n", html=html, headers=dict(headers or {}))
    deliver(mail)
    return mail


def deliver(mail: SentMail) -> None:
    backend = current_app.config["MAIL_BACKEND"]
    if backend in ("memory", "console"):
        outbox().append(mail)
        if backend == "console":
            log.warning("Mail to %s: %s\n%s", mail.to, mail.subject, mail.body)
        return
    if backend != "smtp":
        raise RuntimeError(f"Unknown MAIL_BACKEND {backend!r}")
    _send_smtp(mail)


def _send_smtp(mail: SentMail) -> None:
    cfg = current_app.config
    message = EmailMessage()
    message["From"] = cfg["MAIL_SENDER"]
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=cfg["MAIL_SENDER"].rsplit("@", 1)[-1].strip(">"))
    for name, value in mail.headers.items():
        message[name] = value
    message.set_content(mail.body)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    context = ssl.create_default_context()
    if cfg["MAIL_USE_SSL"]:
        server = smtplib.SMTP_SSL(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], context=context, timeout=20)
    else:
        server = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=20)
    with server:
        if cfg["MAIL_USE_TLS"] and not cfg["MAIL_USE_SSL"]:
            server.starttls(context=context)
        if cfg["MAIL_USERNAME"]:
            server.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        server.send_message(message)
