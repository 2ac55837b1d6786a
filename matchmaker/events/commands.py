"""`flask events ...`: the events area's commands."""

import click
from flask.cli import AppGroup

cli = AppGroup("events", help="Events: expire unanswered meeting requests.")


@cli.command("expire-requests")
def expire_requests() -> None:
    """Expire unanswered requests past their event's deadline and remind recipients the day before.

    Beat runs this every hour (job kind events.expire_requests); safe to run again by hand."""
    from matchmaker.services.meeting_requests import expire_overdue, send_expiry_reminders

    reminded = send_expiry_reminders()
    expired = expire_overdue()
    click.echo(f"{expired} request(s) expired, {reminded} reminder(s) sent.")
