"""The contact form: a visitor's message is mailed to the platform administrators, each in their language."""

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import Role, User, UserRole
from matchmaker.services import ServiceError, mail
from matchmaker.services.kernel import commit
from matchmaker.textutil import one_line

NAME_MAX = 200
MESSAGE_MAX = 5000


def contact_recipients() -> list[tuple[str, str]]:
    """(email, language) of whoever receives contact messages: the active, confirmed administrators,
    and the address in CONTACT_EMAIL when configured."""
    admins = db.session.scalars(
        sa.select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.ADMIN)
        .order_by(User.id)
    ).unique()
    recipients = [(u.email, u.language) for u in admins if u.is_active and u.email_confirmed]
    extra = current_app.config["CONTACT_EMAIL"]
    if extra and extra not in {email for email, _lang in recipients}:
        recipients.append((extra, current_app.config["BABEL_DEFAULT_LOCALE"]))
    return recipients


def send_contact_message(name: str, email: str, message: str, language: str) -> int:
    """Mail the message to the recipients; returns how many got it. Replies go to the visitor."""
    name, email, message = one_line(name), one_line(email), (message or "").strip()
    if not name or not email or not message:
        raise ServiceError(_("Fill in your name, your email address and your message."))
    if len(name) > NAME_MAX or len(message) > MESSAGE_MAX:
        raise ServiceError(_("Your name or your message is too long."))
    recipients = contact_recipients()
    if not recipients:
        raise ServiceError(_("Your message could not be delivered. Please try again later."))
    for address, recipient_language in recipients:
        mail.send_mail(
            address,
            "contact_message",
            language=recipient_language,
            automatic=False,  # a person's message, relayed: not auto-submitted (RFC 3834)
            headers={"Reply-To": email},
            name=name,
            email=email,
            message=message,
            language_of_visitor=language,
        )
    commit()
    return len(recipients)
