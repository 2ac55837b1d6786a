"""`flask tasks ...`: look at the queue's jobs, send lost ones again, retry failed ones."""

import click
from flask.cli import AppGroup

cli = AppGroup("tasks", help="The task queue: list jobs, sweep, retry.")


@cli.command("list")
@click.option("--status", type=click.Choice(["queued", "running", "done", "failed"]), default=None)
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
def list_jobs(status: str | None, limit: int) -> None:
    """The most recent jobs, newest first."""
    import sqlalchemy as sa

    from matchmaker.extensions import db
    from matchmaker.models import Job

    query = sa.select(Job).order_by(Job.id.desc()).limit(limit)
    if status:
        query = query.where(Job.status == status)
    jobs = db.session.scalars(query).all()
    if not jobs:
        click.echo(f"No {status} jobs." if status else "No jobs.")
    for job in jobs:
        line = (
            f"{job.id:>7} {job.status:<8} {job.kind:<32} attempts={job.attempts} "
            f"{job.progress:>4.0%} {job.message}"
        )
        click.echo(line.rstrip())


@cli.command("sweep")
def sweep_command() -> None:
    """Send again the jobs whose message was lost and those of dead workers (beat does this on its own)."""
    from matchmaker.tasks.periodic import sweep

    click.echo(f"{sweep()} job(s) sent again.")


@cli.command("retry")
@click.argument("job_id", type=int)
def retry_command(job_id: int) -> None:
    """Queue a failed job once more."""
    from matchmaker.services.kernel import Refusal
    from matchmaker.tasks.admin import retry_job

    try:
        retry_job(job_id)
    except Refusal as refusal:
        raise click.ClickException(refusal.message) from None
    click.echo(f"Job {job_id} queued again.")


@cli.command("enqueue-periodic")
@click.argument("kind")
def enqueue_periodic_command(kind: str) -> None:
    """Enqueue this period's job of a periodic kind now (beat does this at its times)."""
    from matchmaker.tasks.periodic import enqueue_periodic

    job_id = enqueue_periodic(kind)
    click.echo(f"Job {job_id} queued." if job_id else "This period has its job already.")
