"""`flask notifications ...`: mail the daily digests, purge old notifications."""

import click
from flask.cli import AppGroup

cli = AppGroup("notifications", help="In-app notifications: daily digests and purging old ones.")


@cli.command("send-digests")
def send_digests() -> None:
    """Mail the daily digest to users who chose it (each notification is mailed once: safe to rerun)."""
    from matchmaker.services.notifications import send_digests as send

    click.echo(f"{send()} digest(s) sent.")


@cli.command("purge")
def purge() -> None:
    """Delete notifications older than NOTIFICATION_RETENTION_DAYS (run it daily; safe to rerun)."""
    from matchmaker.services.notifications import delete_old_notifications, notification_retention

    days = notification_retention().days
    click.echo(f"{delete_old_notifications()} notification(s) older than {days} days deleted.")
