"""`flask newsletter purge` (also `flask purge-newsletter`): beat runs it daily (job kind
newsletter.purge); this runs it once by hand. It erases the addresses of
subscribers who unsubscribed (or never confirmed) longer ago than NEWSLETTER_RETENTION_DAYS (default 365),
keeping an anonymous count of their consents."""

import click
from flask.cli import AppGroup

cli = AppGroup("newsletter", help="The newsletter: erase addresses kept past the retention period.")


@cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only say how many addresses would be erased.")
def purge_newsletter(dry_run: bool) -> None:
    """Erase newsletter addresses kept past the retention period (GDPR). Safe to run as often as you like."""
    from matchmaker.services.newsletter import count_erasable, purge_subscribers, retention

    due = count_erasable()
    click.echo(f"{due} address(es) unsubscribed or unconfirmed for more than {retention().days} days.")
    if dry_run or not due:
        click.echo("0 address(es) erased.")
        return
    with click.progressbar(length=due, label="Erasing", show_pos=True) as bar:
        erased = purge_subscribers(progress=bar.update)
    click.echo(f"{erased} address(es) erased; an anonymous count of their consents is kept.")
