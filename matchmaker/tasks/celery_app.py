"""The Celery application of a Flask app: three tasks and the beat schedule.

- `matchmaker.run_job(job_id)`: run one job (see `runner`);
- `matchmaker.periodic(kind)`: beat's tick for a periodic job kind; enqueues at most one job per period
  (`Job.once_key`), so two beat processes by mistake still run the work once;
- `matchmaker.sweep()`: every TASK_SWEEP_SECONDS, send again the jobs whose message was lost and the jobs of
  dead workers (expired leases).

Messages are acknowledged after the task ran (`acks_late`) and given back when the worker process dies, and a
worker takes one message at a time: a killed worker's job goes to another worker. The job's lease in the
database decides who may run it, so a message delivered twice runs the work once.
"""

from datetime import timedelta

from celery import Celery, Task
from flask import Flask

from matchmaker.tasks.registry import periodic_kinds

RUN_JOB = "matchmaker.run_job"
PERIODIC = "matchmaker.periodic"
SWEEP = "matchmaker.sweep"
EXTENSION_KEY = "celery"


def celery_of(app: Flask) -> Celery:
    celery = app.extensions.get(EXTENSION_KEY)
    if celery is None:
        celery = make_celery(app)
        app.extensions[EXTENSION_KEY] = celery
    return celery


def beat_schedule(app: Flask) -> dict:
    schedule = {
        "sweep": {"task": SWEEP, "schedule": timedelta(seconds=app.config["TASK_SWEEP_SECONDS"])},
    }
    for kind in periodic_kinds():
        schedule[kind.name] = {"task": PERIODIC, "schedule": kind.every, "args": [kind.name]}
    return schedule


def make_celery(app: Flask) -> Celery:
    class AppTask(Task):
        def __call__(self, *args, **kwargs):
            from matchmaker.extensions import db

            with app.app_context():
                try:
                    return self.run(*args, **kwargs)
                finally:
                    db.session.remove()

    broker = app.config["CELERY_BROKER_URL"]
    celery = Celery(app.import_name, task_cls=AppTask, broker=broker, set_as_current=False)
    celery.conf.update(
        task_ignore_result=True,
        result_backend=None,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue="matchmaker",
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": app.config["TASK_VISIBILITY_TIMEOUT"],
            "global_keyprefix": app.config["CELERY_KEY_PREFIX"],
        },
        timezone="UTC",
        enable_utc=True,
        beat_schedule=beat_schedule(app),
        worker_hijack_root_logger=False,
    )

    @celery.task(name=RUN_JOB)
    def run_job_task(job_id: int) -> str:
        from matchmaker.tasks.runner import run_job

        return run_job(job_id)

    @celery.task(name=PERIODIC)
    def periodic_task(kind: str) -> int | None:
        from matchmaker.tasks.periodic import enqueue_periodic

        return enqueue_periodic(kind)

    @celery.task(name=SWEEP)
    def sweep_task() -> int:
        from matchmaker.tasks.periodic import sweep

        return sweep()

    return celery
