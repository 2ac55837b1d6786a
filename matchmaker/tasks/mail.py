"""Job kinds of the mail outbox (`matchmaker.services.mail`): delivery, upkeep, and the password-reset mail.

A delivery job carries the mail's Message-ID; a failed attempt is recorded on the mail and queues a later job
(the mail's own backoff), so the job itself succeeds and the mail, not the job, says what happened.
"""

from datetime import timedelta

from matchmaker.services import mail
from matchmaker.tasks.registry import task


@task(mail.DELIVER, max_attempts=3)
def deliver(ctx, message_id: str) -> dict:
    return {"outcome": mail.deliver_mail(message_id)}


@task("mail.requeue", every=timedelta(minutes=10))
def requeue(ctx) -> dict:
    """The safety net: mails whose delivery job was lost, or whose worker died while sending."""
    return {"queued": mail.requeue_stale()}


@task("mail.purge", every=timedelta(days=1))
def purge(ctx) -> dict:
    """Delete sent mails older than MAIL_RETENTION_DAYS; failed mails stay until an administrator acts."""
    return {"deleted": mail.purge_sent()}


@task("accounts.password_reset", max_attempts=3)
def password_reset(ctx, email: str) -> dict:
    """Decided here, not in the request: whether the address has an account, and the mail if it has."""
    from matchmaker.services.accounts import mail_password_reset

    return {"mailed": mail_password_reset(email)}


@task("accounts.resend_confirmation", max_attempts=3)
def resend_confirmation(ctx, email: str) -> dict:
    from matchmaker.services.accounts import mail_confirmation_again

    return {"mailed": mail_confirmation_again(email)}
