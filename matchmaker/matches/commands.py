"""`flask match ...`: refit the shared matching index and explain a pair, from the command line."""

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from matchmaker.services import ServiceError
from matchmaker.services import matching as service

cli = AppGroup("match", help="The matching engine: rebuild the index, explain a need x offering pair.")

RELATIONS = {
    "shared": "declared by both",
    "same group": "same CPV group",
    "same division": "same CPV division",
    "inferred": "recognised in the text",
}


class _Stages:
    """One click progress bar per stage of a refit ("fit", "rank needs", "store pairs", ...)."""

    def __init__(self):
        self.stage, self.bar, self.done = None, None, 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage, self.done = stage, 0
            self.bar = click.progressbar(length=max(total, 1), label=stage.ljust(14))
            self.bar.__enter__()
        self.bar.update(max(done - self.done, 0))
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@cli.command("rebuild")
@click.option(
    "--refresh-matches", is_flag=True, help="Store the current score and explanation in every answered match."
)
def rebuild(refresh_matches: bool) -> None:
    """Refit the shared matching index now: a new generation from every open need and published offering,
    switched in for every process once complete.

    The workers keep the index up to date by themselves (a job per change, a refit when the vocabulary
    drifts); use this after an upgrade of the engine, to check how long a refit takes, or to refresh the
    scores stored in answered matches."""
    stages = _Stages()
    with force_locale("en"):  # messages of the services need a locale outside a request
        try:
            report = service.rebuild(
                refresh_matches=refresh_matches,
                progress=stages,
                waiting=lambda: click.echo("Another refit is running: this one starts when it is done."),
            )
        finally:
            stages.close()
    click.echo(
        f"Indexed {report.needs} open needs and {report.offerings} published offerings "
        f"in {report.seconds:.2f} s (generation {report.generation}, {report.pairs_stored} pairs stored); "
        f"{report.pairs_above_threshold} stored pairs score above the proposal threshold."
    )
    if refresh_matches:
        click.echo(f"Refreshed the score and explanation of {report.matches_refreshed} matches.")


@cli.command("explain")
@click.argument("need_id", type=int)
@click.argument("offering_id", type=int)
@click.option(
    "--language", "-l", type=click.Choice(["nl", "fr", "en"]), default="en", show_default=True,
    help="Language of CPV labels and theme names.",
)  # fmt: skip
def explain(need_id: int, offering_id: int, language: str) -> None:
    """Explain the score of NEED_ID x OFFERING_ID (also for drafts: this is for administrators)."""
    with force_locale(language):  # messages of the services need a locale outside a request
        try:
            need, offering, explanation = service.explain_pair(need_id, offering_id, language)
        except ServiceError as refusal:
            raise click.ClickException(refusal.message) from None
    click.echo(f"Need {need.id} [{need.status}] {need.title} ({need.organisation.name})")
    click.echo(f"Offering {offering.id} [{offering.status}] {offering.title} ({offering.organisation.name})")
    if not (service.is_proposable(need) and service.is_proposable(offering)):
        click.echo("Note: proposed to nobody (the need is not open or the offering is not published).")
    click.echo(f"Score: {explanation.score:.4f} ({explanation.percent} %)")
    parts = ", ".join(f"{name} {value:.4f}" for name, value in sorted(explanation.components.items()))
    click.echo(f"  components: {parts}")
    if explanation.shared_terms:
        click.echo("Shared words: " + ", ".join(str(term) for term in explanation.shared_terms))
    else:
        click.echo("Shared words: none")
    if explanation.cpv:
        click.echo("CPV:")
        for link in explanation.cpv:
            click.echo(f"  {link.code} {link.label} ({RELATIONS.get(link.relation, link.relation)})")
    else:
        click.echo("CPV: none in common")
    click.echo("Shared themes: " + (", ".join(t.name for t in explanation.themes) or "none"))
