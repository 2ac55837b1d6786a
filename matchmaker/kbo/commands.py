"""`flask kbo import PATH` and `flask kbo status`: load the KBO/BCE open data that organisations are checked
against, and say which snapshot is loaded."""

import click
from flask.cli import AppGroup
from flask_babel import force_locale

cli = AppGroup("kbo", help="The KBO/BCE register: import the open data, show what is loaded.")


@cli.command("import")
@click.argument("path", type=click.Path(exists=True, readable=True))
@click.option(
    "--background", is_flag=True,
    help="Queue the import for the workers (they must be able to read PATH) instead of running it here.",
)  # fmt: skip
def import_command(path: str, background: bool) -> None:
    """Replace the register with the full extract at PATH: the ZIP as published (KboOpenData_…_Full.zip) or
    a folder of its CSV files. Runs here with a progress bar (a full extract takes minutes)."""
    from matchmaker.services import ServiceError, kbo

    with force_locale("en"):  # messages of the services need a locale outside a request
        try:
            if background:
                job = kbo.start_import(path)
                click.echo(f"Job {job.id} queued: follow it with `flask tasks list` or at /jobs/{job.id}.")
                return
            with click.progressbar(length=1000, label="Importing the KBO register", show_percent=True) as bar:
                done = [0]

                def progress(fraction: float, _message: str) -> None:
                    step = int(fraction * 1000) - done[0]
                    if step > 0:
                        bar.update(step)
                        done[0] += step

                row = kbo.import_register(path, progress=progress)
        except ServiceError as refusal:
            raise click.ClickException(refusal.message) from None
    click.echo(_describe(row))


@cli.command("status")
def status_command() -> None:
    """Which snapshot of the register is loaded, and how much of it."""
    from matchmaker.models import KboImportStatus
    from matchmaker.services import kbo

    latest = kbo.latest_import()
    if latest is None:
        click.echo("No KBO register is loaded. Import a full extract with: flask kbo import PATH")
        return
    if latest.status == KboImportStatus.RUNNING:
        click.echo(
            f"An import of {latest.source} is under way since {latest.started_at:%Y-%m-%d %H:%M} UTC "
            f"({latest.enterprises:,} enterprises so far); organisations are not checked until it is done."
        )
        return
    if latest.status == KboImportStatus.FAILED:
        click.echo(f"The last import ({latest.source}) failed, so no register is loaded: {latest.error}")
        return
    click.echo(_describe(latest))
    for code, label, count in kbo.public_form_counts():
        click.echo(f"Public-sector form {code} {label or '(no label)'}: {count:,} enterprises.")


def _describe(row) -> str:
    snapshot = row.snapshot_date.isoformat() if row.snapshot_date else "unknown"
    return (
        f"KBO register: snapshot of {snapshot}, extract {row.extract_number or '?'} ({row.source}), "
        f"imported {row.finished_at:%Y-%m-%d %H:%M} UTC.\n"
        f"{row.enterprises:,} enterprises, {row.denominations:,} names, {row.addresses:,} registered seats, "
        f"{row.codes:,} code labels."
    )
