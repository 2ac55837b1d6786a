"""Who may see a background job and the files it produced, and the failed jobs administrators look after.

A job is seen by the user who started it (`Job.created_by_id`) and by platform administrators; for anyone
else it does not exist (NotFound), so its number tells nothing about other people's work."""

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import defer

from matchmaker.extensions import db
from matchmaker.models import Job, JobFile, JobStatus, Role, User
from matchmaker.services.kernel import NotFound


def can_see(user: User | None, job: Job) -> bool:
    if user is None:
        return False
    return job.created_by_id == user.id or user.has_role(Role.ADMIN)


def visible_job(user: User | None, job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or not can_see(user, job):
        raise NotFound(_("There is no such job."))
    return job


def files_of(job: Job) -> list[JobFile]:
    """The job's files, without their content (loaded on download only)."""
    return list(
        db.session.scalars(
            sa.select(JobFile)
            .where(JobFile.job_id == job.id)
            .options(defer(JobFile.content))
            .order_by(JobFile.id)
        )
    )


def job_file(user: User | None, job_id: int, file_id: int) -> JobFile:
    """A file of a finished job that `user` may see."""
    job = visible_job(user, job_id)
    file = db.session.get(JobFile, file_id)
    if file is None or file.job_id != job.id or not job.finished:
        raise NotFound(_("There is no such file."))
    return file


def failed_jobs(page: int, per_page: int):
    """Failed jobs of every kind, the latest first."""
    statement = (
        sa.select(Job)
        .where(Job.status == JobStatus.FAILED)
        .order_by(Job.finished_at.desc().nulls_last(), Job.id.desc())
    )
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)


def starters(jobs: list[Job]) -> dict[int, User]:
    """The users who started `jobs`, by id, in one query."""
    ids = {job.created_by_id for job in jobs if job.created_by_id is not None}
    if not ids:
        return {}
    return {user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}
