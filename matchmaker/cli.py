"""Flask commands, grouped per area. They stay thin and call services."""

import click
from flask import Flask


def init_app(app: Flask) -> None:
    app.cli.add_command(__import__("matchmaker.matches.cli", fromlist=["match"]).match)
    app.cli.add_command(__import__("matchmaker.content.commands", fromlist=["seed_pages"]).seed_pages)
    admin_commands = __import__("matchmaker.admin.commands", fromlist=["create_admin", "set_up"])
    app.cli.add_command(admin_commands.create_admin)
    app.cli.add_command(admin_commands.set_up)

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Create the demo organisations, users and content (safe to run again)."""
        from matchmaker.demo import seed_demo_data

        if not app.config["DEMO_DATA_ALLOWED"]:
            raise click.ClickException(
                "demo data is refused here: its accounts share a published password "
                "(set DEMO_DATA_ALLOWED=1 to load it anyway, e.g. on a staging platform)"
            )

        report = seed_demo_data(progress=lambda message: click.echo(message))
        click.echo(report)
