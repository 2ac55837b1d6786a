"""`flask notifications ...` commands (the blueprint's CLI group)."""

import click

from matchmaker.notifications import bp


@bp.cli.command("send-digests")
def send_digests() -> None:
    """Mail the daily digest to users who chose it (each notification is mailed once: safe to rerun)."""
    from matchmaker.services.notifications import send_digests as send

    click.echo(f"{send()} digest(s) sent.")
