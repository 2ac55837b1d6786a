"""Housekeeping of the queue itself."""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from matchmaker.extensions import db
from matchmaker.models import Job, JobStatus, utcnow
from matchmaker.services.kernel import commit
from matchmaker.tasks.registry import task


@task("tasks.purge", every=timedelta(days=1))
def purge_finished_jobs(ctx) -> dict:
    """Delete finished jobs (and their steps and files) older than TASK_RETENTION_DAYS."""
    cutoff = utcnow() - timedelta(days=current_app.config["TASK_RETENTION_DAYS"])
    deleted = db.session.execute(
        sa.delete(Job).where(
            Job.status.in_([JobStatus.DONE, JobStatus.FAILED]),
            Job.finished_at < cutoff,
            Job.id != ctx.job_id,
        )
    ).rowcount
    commit()
    return {"deleted": deleted}
