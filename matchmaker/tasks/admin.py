"""What administrators do with jobs: retry a failed one."""

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import Job, JobStatus
from matchmaker.services.kernel import Conflict, NotFound, commit


def retry_job(job_id: int) -> Job:
    """Queue a failed job again with a fresh count of attempts (steps it recorded stay done)."""
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFound(_("There is no such job."))
    if job.status != JobStatus.FAILED:
        raise Conflict(_("Only a failed job can be retried."))
    matched = db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.FAILED)
        .values(status=JobStatus.QUEUED, attempts=0, not_before=None, finished_at=None, error=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not matched:
        raise Conflict(_("Only a failed job can be retried."))
    # Dispatched after the commit like a new job.
    from matchmaker.tasks.dispatch import PENDING

    db.session.info.setdefault(PENDING, []).append(job_id)
    commit()
    db.session.refresh(job)
    return job
