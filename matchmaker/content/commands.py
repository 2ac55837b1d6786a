"""`flask content seed-pages` (also `flask seed-pages`): load the default texts of the initiative's pages."""

import click
from flask.cli import AppGroup

cli = AppGroup("content", help="The initiative's public pages.")


@cli.command("seed-pages")
def seed_pages() -> None:
    """Create the initiative's public pages that are missing, from matchmaker/content/defaults."""
    from matchmaker.services.content import seed_default_pages

    click.echo(seed_default_pages(progress=click.echo))
