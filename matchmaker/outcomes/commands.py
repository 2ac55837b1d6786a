"""`flask outcomes send-surveys` (also `flask send-outcome-surveys`): beat runs it daily (job kind
outcomes.send_surveys); this runs it once by hand. It mails the first
survey after an event and the second one OUTCOME_SECOND_SURVEY_DAYS days later, each once per participant."""

import click
from flask.cli import AppGroup

cli = AppGroup("outcomes", help="Outcomes of meetings: the surveys after an event.")


@cli.command("send-surveys")
def send_outcome_surveys() -> None:
    """Invite participants to rate their meetings (round 1 after the event, round 2 months later).

    Safe to run as often as you like: each participant gets each round once."""
    from matchmaker.services.outcomes import due_surveys, send_surveys

    due = len(due_surveys())
    click.echo(f"{due} survey invitation(s) due.")
    if not due:
        click.echo("0 survey invitation(s) sent, 0 failed.")
        return

    def bar(items):
        with click.progressbar(items, length=due, label="Sending", show_pos=True) as progress:
            yield from progress

    sent, failed = send_surveys(progress=bar)
    click.echo(f"{sent} survey invitation(s) sent, {failed} failed.")
    if failed:
        raise SystemExit(1)
