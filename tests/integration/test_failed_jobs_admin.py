"""Administrators list the jobs that failed on every attempt, of every kind, and queue them again."""

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Job, JobStatus, utcnow
from tests.integration import task_kinds
from tests.integration.task_kinds import RAN


@pytest.fixture(autouse=True)
def _forget_runs():
    RAN.clear()
    yield
    RAN.clear()


def _failed_job(kind: str = "test.echo", **payload) -> Job:
    """A job as the runner leaves it after its last attempt failed."""
    assert task_kinds  # registers the test kinds
    job = Job(
        kind=kind,
        payload=payload,
        status=JobStatus.FAILED,
        attempts=5,
        max_attempts=5,
        error="Traceback (most recent call last):\n  ...\nRuntimeError: SMTP server down",
        finished_at=utcnow(),
    )
    db.session.add(job)
    db.session.commit()
    return job


@pytest.mark.parametrize("role", ["organizer", "supplier"])
def test_only_administrators_see_the_failed_jobs(client, auth, role):
    auth.login_as(role)
    assert client.get("/jobs/failed").status_code == 403
    job = _failed_job(value=1)
    assert client.post(f"/jobs/{job.id}/retry").status_code == 403
    db.session.refresh(job)
    assert job.status == JobStatus.FAILED


def test_the_failed_jobs_page_lists_failed_jobs_with_their_error(client, auth):
    auth.login_as("admin")
    assert "No failed jobs" in client.get("/jobs/failed").get_data(as_text=True)
    failed = _failed_job(value=1)
    done = Job(kind="test.echo", payload={"value": 2}, status=JobStatus.DONE, finished_at=utcnow())
    db.session.add(done)
    db.session.commit()
    page = client.get("/jobs/failed").get_data(as_text=True)
    assert f"/jobs/{failed.id}/retry" in page and f"/jobs/{done.id}/retry" not in page
    assert "RuntimeError: SMTP server down" in page
    assert "1 failed job" in page


def test_the_admin_navigation_links_the_failed_jobs(client, auth):
    auth.login_as("admin")
    assert 'href="/jobs/failed"' in client.get("/admin/").get_data(as_text=True)


def test_an_administrator_retries_a_failed_job(client, auth):
    auth.login_as("admin")
    job = _failed_job(value=7)
    response = client.post(f"/jobs/{job.id}/retry")
    assert response.status_code == 302 and response.headers["Location"].endswith("/jobs/failed")
    assert RAN == [("echo", 7)]  # queued again and (eager mode) run after the commit
    db.session.refresh(job)
    assert (job.status, job.attempts, job.error) == (JobStatus.DONE, 1, None)
    page = client.get("/jobs/failed").get_data(as_text=True)
    assert f"Job {job.id} is queued again." in page


def test_retrying_a_job_that_is_not_failed_is_refused(client, auth):
    auth.login_as("admin")
    job = Job(kind="test.echo", payload={"value": 3}, status=JobStatus.DONE, finished_at=utcnow())
    db.session.add(job)
    db.session.commit()
    response = client.post(f"/jobs/{job.id}/retry", follow_redirects=True)
    assert "Only a failed job can be retried." in response.get_data(as_text=True)
    assert RAN == []
    assert client.post("/jobs/999999/retry").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 1


def test_a_failed_import_tells_its_starter_what_happened(client, auth):
    user = auth.login_as("organizer")
    job = _failed_job(kind="catalogue.import", items="offerings")
    job.created_by_id = user.id
    job.message = "The uploaded file of this import is gone: upload it again."
    db.session.commit()
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "Failed" in page and "The uploaded file of this import is gone" in page
    assert "SMTP server down" not in page  # the traceback is for administrators
