"""`flask demo seed` (also `flask seed-demo`): load the demo organisations, accounts and content."""

import click
from flask import current_app
from flask.cli import AppGroup

cli = AppGroup("demo", help="Demo data for trying the platform (refused in production unless allowed).")


@cli.command("seed")
def seed() -> None:
    """Create the demo organisations, users and content (safe to run again)."""
    from matchmaker.demo import seed_demo_data

    if not current_app.config["DEMO_DATA_ALLOWED"]:
        raise click.ClickException(
            "demo data is refused here: its accounts share a published password "
            "(set DEMO_DATA_ALLOWED=1 to load it anyway, e.g. on a staging platform)"
        )

    report = seed_demo_data(progress=lambda message: click.echo(message))
    click.echo(report)
