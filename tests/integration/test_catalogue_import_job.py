"""Catalogue imports run as background jobs: the upload request only checks the file and stores it with its
job; the job writes the rows in committed chunks, survives a killed worker without losing or repeating rows,
and leaves its report as its result and a downloadable CSV."""

import csv
import io
import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Job, JobFile, JobStatus, JobStep, Offering, utcnow
from matchmaker.services import imports
from matchmaker.services.themes import ensure_default_themes
from matchmaker.tasks import dispatch
from matchmaker.tasks.runner import run_job

HEADER = "organisation,title,summary,description,status,themes,cpv_codes\n"


@pytest.fixture
def supplier(make_organisation):
    ensure_default_themes()
    return make_organisation(name="Hydrosense", kind="sme", enterprise_number="0260763912")


@pytest.fixture
def organizer(auth):
    return auth.login_as("organizer")


@pytest.fixture
def held_jobs(monkeypatch) -> list[int]:
    """Jobs committed while this fixture is active are recorded instead of run: what a web process does
    in production, where a worker elsewhere runs them."""
    held: list[int] = []
    monkeypatch.setattr(dispatch, "_run_eagerly", lambda app, job_id: held.append(job_id))
    return held


def _rows(count: int, start: int = 0) -> str:
    return HEADER + "".join(
        f"Hydrosense,Boei {n},Samenvatting {n},Beschrijving {n},published,water,35125100\n"
        for n in range(start, start + count)
    )


def _upload(client, content: str, kind: str = "offerings"):
    return client.post(
        "/catalogue/exchange/import",
        data={"kind": kind, "file": (io.BytesIO(content.encode("utf-8")), "boeien.csv")},
        content_type="multipart/form-data",
    )


def _job_id(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].split("/")[2])


def _offering_titles() -> list[str]:
    return list(db.session.scalars(sa.select(Offering.title).order_by(Offering.title)))


class _Statements:
    def __init__(self):
        self.sql: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.sql.append(statement)


def test_a_5000_row_upload_is_accepted_at_once_and_its_rows_are_left_to_the_job(
    app, client, organizer, supplier, held_jobs
):
    content = _rows(5000)
    statements = _Statements()
    sa.event.listen(db.engine, "before_cursor_execute", statements)
    try:
        started_cpu, started = time.thread_time(), time.perf_counter()
        response = _upload(client, content)
        cpu, wall = time.thread_time() - started_cpu, time.perf_counter() - started
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", statements)
    job_id = _job_id(response)
    # The request's own work (CPU of this thread, which load on a shared machine does not inflate): parsing
    # the file and storing it, not checking or writing 5,000 rows.
    assert cpu < 1.0, f"the upload took {cpu:.2f} s of CPU ({wall:.2f} s wall)"
    assert len(statements.sql) < 25, statements.sql
    assert not [s for s in statements.sql if "INTO offering" in s]
    assert held_jobs == [job_id]
    job = db.session.get(Job, job_id)
    assert (job.kind, job.status, job.created_by_id) == ("catalogue.import", JobStatus.QUEUED, organizer.id)
    assert job.payload["rows"] == 5000
    upload = db.session.scalars(sa.select(JobFile).where(JobFile.job_id == job_id)).one()
    assert upload.content == content.encode("utf-8")
    assert _offering_titles() == []

    # A worker runs the job: every row is written, in chunks, each recorded as a step.
    assert run_job(job_id) == "done"
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Offering.id))) == 5000
    job = db.session.get(Job, job_id)
    assert (job.result["created"], job.result["updated"], job.result["ok"]) == (5000, 0, True)
    steps = set(db.session.scalars(sa.select(JobStep.key).where(JobStep.job_id == job_id)))
    assert steps == {f"chunk-{n}" for n in range(-(-5000 // imports.CHUNK_ROWS))}


class Killed(BaseException):
    """Stands for kill -9: not an error the runner handles, so the job stays running under its lease."""


def test_a_killed_workers_import_is_finished_by_the_rerun_without_losing_or_repeating_rows(
    app, client, organizer, supplier, held_jobs, monkeypatch
):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    job_id = _job_id(_upload(client, _rows(5)))
    real_write = imports.exchange.write_rows
    calls = []

    def dies_in_the_second_chunk(kind, user, entries):
        calls.append(len(entries))
        created = real_write(kind, user, entries)
        if len(calls) == 2:
            raise Killed()  # the second chunk's rows are written but not committed
        return created

    monkeypatch.setattr(imports.exchange, "write_rows", dies_in_the_second_chunk)
    with pytest.raises(Killed):
        run_job(job_id)
    db.session.rollback()
    assert _offering_titles() == ["Boei 0", "Boei 1"]  # the first chunk only
    job = db.session.get(Job, job_id)
    assert job.status == JobStatus.RUNNING and job.result["created"] == 2

    # The lease runs out; another worker takes the job over and skips the chunk that is done.
    db.session.execute(
        sa.update(Job).where(Job.id == job_id).values(lease_until=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    monkeypatch.setattr(imports.exchange, "write_rows", real_write)
    assert run_job(job_id) == "done"
    db.session.expire_all()
    assert _offering_titles() == [f"Boei {n}" for n in range(5)]
    job = db.session.get(Job, job_id)
    assert (job.attempts, job.result["created"], job.result["updated"]) == (2, 5, 0)
    report = _report(job_id)
    assert [(row["Line"], row["Outcome"]) for row in report] == [(str(n), "created") for n in range(2, 7)]


def _report(job_id: int) -> list[dict]:
    file = db.session.scalars(
        sa.select(JobFile).where(JobFile.job_id == job_id, JobFile.filename == imports.REPORT_NAME)
    ).one()
    return list(csv.DictReader(io.StringIO(file.content.decode("utf-8-sig"))))


def test_the_job_page_shows_the_report_and_offers_it_as_a_file(client, organizer, supplier):
    content = _rows(2) + "Hydrosense,Boei 0,Dubbel,,draft,,\n"
    response = _upload(client, content)
    job_id = _job_id(response)
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "Catalogue import" in page and "Done" in page
    assert "Nothing was imported" in page and "already on line 2" in page
    assert '<progress id="job-progress" max="100" value="100"' in page
    assert not re.search(r"js/jobs(\.[0-9a-f]{12})?\.js", page)  # nothing left to poll for
    assert _offering_titles() == []
    report = _report(job_id)
    assert [(row["Line"], row["Title"], row["Outcome"]) for row in report] == [("4", "Boei 0", "refused")]
    assert "already on line 2" in report[0]["Why"]
    file_id = db.session.scalar(
        sa.select(JobFile.id).where(JobFile.job_id == job_id, JobFile.filename == imports.REPORT_NAME)
    )
    assert f"/jobs/{job_id}/files/{file_id}" in page
    download = client.get(f"/jobs/{job_id}/files/{file_id}")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "no-store"
    assert download.data.decode("utf-8-sig").startswith("Line,Title,Outcome,Why")


def test_the_report_of_a_good_import_lists_every_row(client, organizer, supplier, make_organisation):
    job_id = _job_id(_upload(client, _rows(3)))
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "3 rows imported: 3 created, 0 updated." in page
    assert [row["Outcome"] for row in _report(job_id)] == ["created"] * 3
    job_id = _job_id(_upload(client, _rows(4)))
    assert [row["Outcome"] for row in _report(job_id)] == ["updated"] * 3 + ["created"]


def test_a_queued_job_page_shows_progress_and_polls(client, organizer, supplier, held_jobs):
    job_id = _job_id(_upload(client, _rows(3)))
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "Waiting to start" in page
    assert '<progress id="job-progress" max="100" value="0"' in page
    assert re.search(r"js/jobs(\.[0-9a-f]{12})?\.js", page)
    assert f'data-job-status-url="/jobs/{job_id}/status.json"' in page
    assert "Refresh this page" in page  # without JavaScript
    assert "<script>" not in page  # the CSP forbids inline scripts
    state = client.get(f"/jobs/{job_id}/status.json").get_json()
    assert state == {
        "id": job_id,
        "status": "queued",
        "status_label": "Waiting to start",
        "progress": 0,
        "message": "",
        "finished": False,
    }
    assert run_job(job_id) == "done"
    state = client.get(f"/jobs/{job_id}/status.json").get_json()
    assert (state["status"], state["progress"], state["finished"]) == ("done", 100, True)


def test_the_job_page_speaks_the_users_language(client, auth, supplier):
    auth.login_as("organizer", language="nl")
    job_id = _job_id(_upload(client, HEADER + "Hydrosense,,,,,,\n"))
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "Titel is verplicht" in page  # the job's report, in the uploader's language


@pytest.mark.parametrize("path", ["", "/status.json", "/files/{file_id}"])
def test_another_user_cannot_see_a_job_or_its_files(client, auth, organizer, supplier, path):
    job_id = _job_id(_upload(client, _rows(1)))
    file_id = db.session.scalar(sa.select(JobFile.id).where(JobFile.job_id == job_id))
    url = f"/jobs/{job_id}" + path.format(file_id=file_id)
    assert client.get(url).status_code == 200
    auth.login_as("organizer")  # another organizer
    assert client.get(url).status_code == 404
    auth.login_as("admin")
    assert client.get(url).status_code == 200
    auth.logout()
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_file_of_another_job_is_not_found_through_this_one(client, organizer, supplier):
    first = _job_id(_upload(client, _rows(1)))
    second = _job_id(_upload(client, _rows(1)))
    other_file = db.session.scalar(sa.select(JobFile.id).where(JobFile.job_id == second))
    assert client.get(f"/jobs/{first}/files/{other_file}").status_code == 404
    assert client.get("/jobs/999999").status_code == 404


def test_files_are_offered_only_when_the_job_is_done(client, organizer, supplier, held_jobs):
    job_id = _job_id(_upload(client, _rows(1)))
    file_id = db.session.scalar(sa.select(JobFile.id).where(JobFile.job_id == job_id))
    assert client.get(f"/jobs/{job_id}/files/{file_id}").status_code == 404


def test_a_bad_file_is_refused_in_the_request_and_nothing_is_stored(client, organizer, supplier, held_jobs):
    response = _upload(client, "title,colour\nX,red\n")
    assert response.status_code == 422
    assert "Unknown column(s): colour" in response.get_data(as_text=True)
    assert held_jobs == []
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(JobFile.id))) == 0
