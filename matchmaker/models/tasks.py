"""Background jobs: the durable record of work handed to the task queue.

A `Job` row is written in the same transaction as the change that causes it and is the source of truth: the
queue's broker (Redis) only carries "run job 42" messages, which may be lost or delivered twice. A worker
claims a job by setting `owner` and a `lease_until` it keeps renewing while it runs; a job whose lease ran
out (its worker died) is claimed again and run from the start, skipping the steps it recorded in `JobStep`.
"""

import enum
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.extensions import db
from matchmaker.models.base import enum_check, utcnow


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(db.Model):
    __tablename__ = "job"
    __table_args__ = (
        enum_check("status", JobStatus),
        sa.Index("ix_job_status_not_before", "status", "not_before"),
        sa.Index("ix_job_kind_dedupe_key", "kind", "dedupe_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    status: Mapped[str] = mapped_column(sa.String(10), default=JobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    progress: Mapped[float] = mapped_column(default=0.0)
    message: Mapped[str] = mapped_column(sa.String(200), default="")
    result: Mapped[Optional[dict[str, Any]]] = mapped_column(sa.JSON)
    error: Mapped[Optional[str]] = mapped_column(sa.Text)
    # A second enqueue of the same work while this job still waits returns this job (see `enqueue`).
    dedupe_key: Mapped[Optional[str]] = mapped_column(sa.String(200))
    # At most one job ever per key (a periodic task's time slot): enforced by the database.
    once_key: Mapped[Optional[str]] = mapped_column(sa.String(200), unique=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    not_before: Mapped[Optional[datetime]]
    dispatched_at: Mapped[Optional[datetime]]
    started_at: Mapped[Optional[datetime]]
    finished_at: Mapped[Optional[datetime]]
    owner: Mapped[Optional[str]] = mapped_column(sa.String(64))
    lease_until: Mapped[Optional[datetime]]

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)


class JobStep(db.Model):
    """A step of a job that is done: committed with the step's own writes, skipped when the job runs again."""

    __tablename__ = "job_step"

    job_id: Mapped[int] = mapped_column(sa.ForeignKey("job.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    done_at: Mapped[datetime] = mapped_column(default=utcnow)


class JobFile(db.Model):
    """A file a job produced (an export, an import's report), offered for download when the job is done."""

    __tablename__ = "job_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("job.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    mimetype: Mapped[str] = mapped_column(sa.String(100))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
