"""`flask schedules run EVENT_ID` (also `flask schedule-event`): schedule an event, with a progress bar."""

import click
from flask.cli import AppGroup

from matchmaker.extensions import db
from matchmaker.models import Event, RunMode

cli = AppGroup("schedules", help="Schedules: run the scheduler for an event.")


@cli.command("run")
@click.argument("event_id", type=int)
@click.option("--fill", is_flag=True, help="Keep every existing meeting; fill the free slots only.")
@click.option("--suggestions", is_flag=True, help="Also schedule pairs the matching engine suggests.")
@click.option("--time-limit", type=click.IntRange(1, 600), default=None, help="Seconds for the solver.")
def schedule_event(event_id: int, fill: bool, suggestions: bool, time_limit: int | None) -> None:
    """Schedule the meetings of event EVENT_ID (after publishing, always --fill)."""
    from matchmaker.services import ServiceError
    from matchmaker.services import scheduling as service

    event = db.session.get(Event, event_id)
    if event is None:
        raise click.ClickException(f"There is no event {event_id}.")
    try:
        run = service.create_run(None, event, RunMode.FILL if fill else RunMode.FULL, suggestions, time_limit)
    except ServiceError as refusal:
        raise click.ClickException(refusal.message) from None
    service.quiet_solver_banner()  # HiGHS would print its licence banner in the middle of the bar
    with click.progressbar(length=1000, label=f"Scheduling '{event.title}'", show_percent=True) as bar:
        done = [0]

        def progress(fraction: float, _message: str) -> None:
            step = int(fraction * 1000) - done[0]
            if step > 0:
                bar.update(step)
                done[0] += step

        run = service.execute_run(run.id, progress=progress)
    if run is None or run.status != "done":
        raise click.ClickException(f"The run failed: {run.error if run else 'claimed by another worker'}")
    stats = run.stats or {}
    click.echo(
        f"{stats.get('meetings', 0)} meetings for {stats.get('participants', 0)} participants "
        f"({run.mode}); {len(run.unscheduled)} request(s) left out."
    )
    click.echo(
        f"Fair share F = {run.fair_share:g} (bound {run.fair_share_bound:g}), "
        f"weight W = {run.weight:g} (bound {run.weight_bound:g})"
        + ("; proven optimal." if run.proven_optimal else ".")
    )
