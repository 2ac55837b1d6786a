"""The task-queue jobs that keep the shared matching index (services.matching.index), and the one call the
catalogue makes at each change of a need or offering.

- `item_changed(item)`: in the transaction of the change, queue "matching.refresh_item" for the item (a
  job for the same item still waiting absorbs it: it reads the item when it starts; one already running
  does not, so a change made meanwhile gets its own job). Inside `one_refit_after()` (a catalogue seeded
  in bulk) nothing is queued per item: one refit at the end indexes them all.
- "matching.refresh_item": apply the item's current state to the served generation; queue a refit when the
  index drifted past the configured limits.
- "matching.refit": the full refit (a new generation, switched in when complete); it steps aside when another
  refit is running.
- "matching.upkeep" (periodic): queue refreshes for items whose indexed state differs from the catalogue's
  (a job lost, a deletion the database cascaded), and a refit when the index drifted.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app

import matchmaker.services.matching.index as index
from matchmaker.extensions import db
from matchmaker.models import Need
from matchmaker.services.kernel import commit
from matchmaker.services.matching.documents import is_proposable
from matchmaker.tasks import JobContext, enqueue, task

REFIT_KEY = "matching.refit"
_bulk = threading.local()


def item_changed(item) -> None:
    """Queue the refresh of a need or offering changed in the current transaction (not yet committed)."""
    if getattr(_bulk, "depth", 0):
        _bulk.changed = True
        return
    if item.id is None:
        if not is_proposable(item):  # a new draft: nothing to index until it is published
            return
        db.session.flush()  # created published (an import): the job needs its id
    kind = index.NEED if isinstance(item, Need) else index.OFFERING
    enqueue(
        "matching.refresh_item",
        item_kind=kind,
        item_id=item.id,
        dedupe_key=f"matching.refresh:{kind}:{item.id}",
    )


def queue_refit() -> None:
    enqueue("matching.refit", dedupe_key=REFIT_KEY)


@contextmanager
def one_refit_after() -> Iterator[None]:
    """Changes to needs and offerings inside the block queue no refresh of their own; if there were any, one
    refit is queued and committed at the end, which indexes them all. For a catalogue made in bulk (the
    demo's): a refresh per item of an index that is being born, and the refit their drift then asked for,
    were half the demo's seeding. Until the refit has run, the items wait for their proposals."""
    depth = getattr(_bulk, "depth", 0)
    if depth == 0:
        _bulk.changed = False
    _bulk.depth = depth + 1
    try:
        yield
    finally:
        _bulk.depth = depth
    if depth == 0 and _bulk.changed:
        queue_refit()
        commit()


@task("matching.refresh_item", max_attempts=5)
def refresh_item_job(ctx: JobContext, item_kind: str, item_id: int) -> dict:
    # The payload says item_kind: `kind` is enqueue()'s own first argument (the job kind).
    report = index.refresh_item(item_kind, int(item_id))
    min_changes = current_app.config["MATCHES_REFIT_MIN_CHANGES"]
    if not report.refit and index.needs_refit(min_changes, measured=report.drift):
        queue_refit()
        commit()
    return {"generation": report.generation, "live": report.live, "pairs": report.pairs,
            "repaired": report.repaired, "refit": report.refit}  # fmt: skip


@task("matching.refit", max_attempts=3)
def refit_job(ctx: JobContext) -> dict:
    # A refit already running elsewhere (the command line's, or a worker's) catches up with every change
    # made before it switches: this one steps aside rather than fit the same catalogue a second time.
    report = index.refit(lambda stage, done, total: ctx.progress(done / max(total, 1), stage), wait=False)
    return {"generation": report.generation, "pairs": report.pairs, "seconds": round(report.seconds, 2),
            "skipped": report.skipped}  # fmt: skip


@task("matching.upkeep", every=timedelta(minutes=10))
def upkeep_job(ctx: JobContext) -> dict:
    stale = index.out_of_date()
    for kind, item_id in stale:
        enqueue(
            "matching.refresh_item",
            item_kind=kind,
            item_id=item_id,
            dedupe_key=f"matching.refresh:{kind}:{item_id}",
        )
    refit = index.served_generation() is None or index.needs_refit()
    if refit:
        queue_refit()
    commit()
    return {"refreshes": len(stale), "refit": refit}
