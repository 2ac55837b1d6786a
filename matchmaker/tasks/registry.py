"""The job kinds the platform knows: a name, the function that does the work, and how to retry it."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

Handler = Callable[..., dict[str, Any] | None]


@dataclass(frozen=True)
class TaskKind:
    name: str
    handler: Handler
    max_attempts: int
    # Periodic work: a timedelta or a celery.schedules.crontab; the beat scheduler (or the embedded ticker)
    # enqueues one job per period.
    every: Any = None
    # Called with the payload when the job is given up because its workers kept dying (see runner.run_job),
    # to release what the job held (a scheduling run that would block its event, say).
    on_give_up: Callable[..., None] | None = None


KINDS: dict[str, TaskKind] = {}


def task(
    name: str, *, max_attempts: int = 5, every: Any = None, on_give_up: Callable[..., None] | None = None
) -> Callable[[Handler], Handler]:
    """Register `handler(ctx, **payload)` as the job kind `name`.

    @task("newsletter.purge", every=timedelta(days=1))
    def purge(ctx): ...
    """

    def register(handler: Handler) -> Handler:
        existing = KINDS.get(name)
        if existing is not None and existing.handler.__qualname__ != handler.__qualname__:
            raise RuntimeError(f"Two handlers for the job kind {name!r}")
        KINDS[name] = TaskKind(name, handler, max_attempts, every, on_give_up)
        return handler

    return register


def periodic_kinds() -> list[TaskKind]:
    load_handlers()
    return [kind for kind in KINDS.values() if kind.every is not None]


def period_seconds(every: Any) -> float | None:
    """A timedelta's length (a crontab has none: it is due at its times)."""
    return every.total_seconds() if isinstance(every, timedelta) else None


# The modules that register job kinds: imported by every process that runs jobs.
HANDLER_MODULES = (
    "matchmaker.tasks.builtin",
    "matchmaker.tasks.work",
    "matchmaker.tasks.mail",
    "matchmaker.services.imports",
    "matchmaker.services.kbo.register",
    "matchmaker.services.exports",
    "matchmaker.services.badges",
    "matchmaker.services.matching.jobs",
)


def load_handlers() -> None:
    for module in HANDLER_MODULES:
        __import__(module)


def kind_of(name: str) -> TaskKind | None:
    load_handlers()
    return KINDS.get(name)
