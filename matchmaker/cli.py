"""Flask commands, grouped per area. They stay thin and call services."""

import click
from flask import Flask


def init_app(app: Flask) -> None:
    app.cli.add_command(__import__("matchmaker.matches.cli", fromlist=["match"]).match)
    app.cli.add_command(__import__("matchmaker.content.commands", fromlist=["seed_pages"]).seed_pages)

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Create the demo organisations, users and content (safe to run again)."""
        from matchmaker.services.demo import seed_demo_data

        report = seed_demo_data(progress=lambda message: click.echo(message))
        click.echo(report)
