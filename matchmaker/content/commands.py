"""`flask seed-pages`: load the default texts of the initiative's pages (safe to run again)."""

import click
from flask.cli import with_appcontext


@click.command("seed-pages")
@with_appcontext
def seed_pages() -> None:
    """Create the initiative's public pages that are missing, from matchmaker/content/defaults."""
    from matchmaker.services.content import seed_default_pages

    click.echo(seed_default_pages(progress=click.echo))
