"""`flask knowledge seed`: load the guides shipped in matchmaker/knowledge/articles (idempotent)."""

import click
from flask.cli import AppGroup

cli = AppGroup("knowledge", help="The knowledge base of the procurement knowledge network.")


@cli.command("seed")
def seed() -> None:
    """Create the shipped knowledge-base articles that are missing; existing articles are left as they are."""
    from matchmaker.services.knowledge import seed_knowledge_base

    click.echo(seed_knowledge_base(progress=click.echo))
