"""`flask admin create-admin` and `flask admin set-up` (also `flask create-admin`, `flask set-up`): what a new
(production) platform needs before anyone uses it."""

import click
from email_validator import EmailNotValidError, validate_email
from flask.cli import AppGroup

from matchmaker.services import ServiceError

cli = AppGroup("admin", help="Platform administration: set up a new platform, make administrators.")


@cli.command("create-admin")
@click.argument("email")
@click.option("--name", default="", help="Display name of a new account (default: the part before the @).")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    default="",
    envvar="MATCHMAKER_ADMIN_PASSWORD",
    help="Asked for unless given (or in MATCHMAKER_ADMIN_PASSWORD); an existing account keeps its own.",
)
def create_admin(email: str, name: str, password: str) -> None:
    """Make EMAIL a platform administrator (and organizer), creating the account if it does not exist."""
    from matchmaker.services.admin import make_administrator

    try:
        email = validate_email(email, check_deliverability=False).normalized
        user, created = make_administrator(email, name, password)
    except EmailNotValidError as error:
        raise click.UsageError(f"not an email address: {error}") from None
    except ServiceError as refusal:
        raise click.ClickException(refusal.message) from None
    what = "created as administrator" if created else "is now an administrator (password unchanged)"
    click.echo(f"{user.email} {what}")


@cli.command("set-up")
def set_up() -> None:
    """Create the default themes and the initiative's public pages that are missing (safe to run again)."""
    from matchmaker.services.admin import set_up_platform

    click.echo(set_up_platform(progress=click.echo))
