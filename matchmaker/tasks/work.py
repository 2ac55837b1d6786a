"""The platform's own job kinds: scheduler runs, newsletter announcements and the periodic work that cron used
to start (request expiry, digests, outcome surveys, purges).

Each handler takes ids and calls a service function; the services record their progress in their own rows,
so a job that runs again after its worker died goes on from what is stored (see each service). The CLI
commands call the same service functions, for running one by hand.
"""

import time
from datetime import timedelta

from matchmaker.tasks.registry import task

# A scheduler run or an announcement whose worker died is run again by another one. A job that kills its
# worker every time (out of memory) must not go round for ever: past this many claims the work is given up.
MAX_TAKEOVERS = 3


def _give_up_run(run_id: int) -> None:
    from matchmaker.services.scheduling import runs

    runs.give_up_run(run_id)


@task("schedules.run", max_attempts=MAX_TAKEOVERS, on_give_up=_give_up_run)
def run_scheduler(ctx, run_id: int) -> dict:
    """Solve a scheduling run and store its meetings (`services.scheduling.execute_run`). A run whose workers
    died MAX_TAKEOVERS times is failed as interrupted (`on_give_up`), so the event can be scheduled again."""
    from matchmaker.services.scheduling import runs

    # The run's row carries the progress the page polls; the job's heartbeat keeps its lease meanwhile.
    run = runs.execute_run(run_id, takeover=ctx.attempt > 1)
    return {"run_id": run_id, "status": run.status if run is not None else "skipped"}


@task("newsletter.announce", max_attempts=5)
def announce(ctx, event_id: int) -> dict:
    """Mail an announcement to the subscribers it has not reached yet (`services.newsletter`)."""
    from matchmaker.services.newsletter import deliver_announcement

    shown = [0.0]

    def progress(done: int, total: int) -> None:  # the job's own progress, twice a second at most
        if time.monotonic() - shown[0] >= 0.5:
            shown[0] = time.monotonic()
            ctx.progress(done / total if total else 1.0)

    announcement = deliver_announcement(event_id, progress=progress)
    return {"sent": announcement.sent, "failed": announcement.failed}


@task("events.expire_requests", every=timedelta(hours=1))
def expire_requests(ctx) -> dict:
    from matchmaker.services.meeting_requests import expire_overdue, send_expiry_reminders

    reminded = send_expiry_reminders()
    return {"expired": expire_overdue(), "reminded": reminded}


@task("events.send_reminders", every=timedelta(minutes=1))
def send_reminders(ctx) -> dict:
    """The day-before agenda mails and the reminders before each meeting that are due; each once."""
    from matchmaker.services.reminders import send_due_reminders

    return send_due_reminders()


@task("sessions.purge", every=timedelta(hours=1))
def purge_sessions(ctx) -> dict:
    """Delete the rows of logins that ran out (they open nothing already: every request checks the expiry)."""
    from matchmaker.services.user_sessions import purge_expired_sessions

    return {"deleted": purge_expired_sessions()}


@task("notifications.send_digests", every=timedelta(days=1))
def send_digests(ctx) -> dict:
    from matchmaker.services.notifications import send_digests as send

    return {"sent": send()}


@task("notifications.purge", every=timedelta(days=1))
def purge_notifications(ctx) -> dict:
    from matchmaker.services.notifications import delete_old_notifications

    return {"deleted": delete_old_notifications()}


@task("outcomes.send_surveys", every=timedelta(days=1))
def send_surveys(ctx) -> dict:
    from matchmaker.services.outcomes import send_surveys as send

    sent, failed = send()
    return {"sent": sent, "failed": failed}


@task("newsletter.purge", every=timedelta(days=1))
def purge_newsletter(ctx) -> dict:
    from matchmaker.services.newsletter import purge_subscribers

    return {"erased": purge_subscribers()}


@task("antispam.purge", every=timedelta(days=1))
def purge_used_stamps(ctx) -> dict:
    """Forget the public forms' used anti-spam stamps once no stamp that old is accepted any more."""
    from matchmaker.services.antispam import purge_used_stamps as purge

    return {"deleted": purge()}
