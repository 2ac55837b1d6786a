"""What a new web worker process does before its first request, instead of during it.

A gunicorn worker starts cold: the CPV vocabulary (9,454 codes in three languages) is read on first use, the
Markdown converters are built, the cross-language bridge (issue 17) is read by the first search or explanation
(about 0.8 s and 12 MB), and the first job a request stores opens the connection to the broker. Together
100-450 ms of the first request that writes, and the bridge's time of the first search; gunicorn replaces
every worker after about 1,000 requests (`--max-requests`), so a deployment meets cold workers all day.
gunicorn.conf.py calls `warm_up` once a worker has loaded the app.
"""

import gc
import logging

from flask import Flask

log = logging.getLogger(__name__)


def warm_up(app) -> list[str]:
    """Load what the first requests would load; returns what was warmed. Any other WSGI app (the
    benchmark's hello world) is left alone, and a broker that cannot be reached is left to the first job,
    which stores it in the database for the sweeper as always."""
    if not isinstance(app, Flask) or "TASK_MODE" not in app.config:
        return []
    from matchmaker.markdown import markdown_to_text, render_markdown
    from matchmaker.matching.bridge import load_bridge
    from matchmaker.reference.cpv import vocabulary
    from matchmaker.tasks.dispatch import mode

    warmed = []
    with app.app_context():
        vocabulary()
        warmed.append("cpv")
        markdown_to_text("*warm*")
        render_markdown("*warm*")
        warmed.append("markdown")
        load_bridge().equivalents("fietsers", "nl")  # the table, and its first lookup's own index
        warmed.append("bridge")
        if mode(app) == "celery":
            from matchmaker.tasks.celery_app import celery_of

            try:
                with celery_of(app).producer_or_acquire() as producer:  # back into the pool, connected
                    producer.connection.ensure_connection(max_retries=1)
                warmed.append("broker")
            except Exception as error:  # noqa: BLE001 - the worker must start without the broker
                log.warning("The broker could not be reached while warming up: %s", error)
    return warmed


def freeze_heap() -> int:
    """Collect once, then leave everything loaded so far out of the garbage collector's future passes
    (gc.freeze): the modules, the compiled templates, the CPV vocabulary and the app live as long as the
    worker. Without this, a full collection walked them all (about 270,000 objects, 130 ms of CPU at 50,000
    items), inside whichever request triggered it, every few dozen requests: the slowest answers of a
    page. Afterwards a full collection takes under a millisecond. Returns the number of objects frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
