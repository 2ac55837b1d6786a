"""Catalogue CSV import of 5,000 rows: how long the upload request takes to accept the file, and how long the
background job takes to check and write every row.

The upload goes through the real route (test client, logged in as an organizer) with TASK_MODE "thread": the
request checks the file, stores it with its job and hands the job to the in-process worker pool, as the
embedded `make run` does (with Celery the request is the same and a worker process does the job). The job's
row is then polled until it is done. Two imports of the same file: the first creates every item, the second
updates them all. SQLite in a temporary file, and PostgreSQL when reachable at 127.0.0.1:5432 (database
`test`, in a throwaway schema).

    python -m bench import [--rows=5000] [--sqlite-only] [--postgres-only]

Fails (exit status 1) when an upload takes 1 s or more to be accepted, or a job does not finish.
"""

import io
import sys
import tempfile
import time
from pathlib import Path

from bench.common import POSTGRES_URL, int_option, postgres_reachable, throwaway_schema

TARGET_ACCEPT_S = 1.0
FINISH_TIMEOUT_S = 900.0
PASSWORD = "bench-password-1234"  # noqa: S105 - a throwaway account in a throwaway database


def _csv(rows: int, organisations: list[str]) -> bytes:
    """`rows` offerings spread over the organisations, with themes, CPV codes and some Markdown."""
    themes = ["water", "energy", "mobility", "health-care", "digital-government"]
    codes = ["72000000", "48000000", "34996000", "35125100", "90733000", "09331000"]
    lines = [
        "organisation,title,summary,description,innovation_type,trl,keywords,language,status,themes,cpv_codes"
    ]
    for number in range(rows):
        lines.append(
            f"{organisations[number % len(organisations)]},Bench offering {number},"
            f'Samenvatting van aanbod {number}.,"Een **beschrijving** van aanbod {number}, met details.",'
            f'technological,{1 + number % 9},"sensoren, data",nl,published,'
            f"{themes[number % len(themes)]},{codes[number % len(codes)]}; {codes[(number + 1) % len(codes)]}"
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


def _setup(app) -> list[str]:
    from matchmaker.extensions import db
    from matchmaker.models import Organisation
    from matchmaker.services import accounts
    from matchmaker.services.themes import ensure_default_themes

    ensure_default_themes()
    names = [f"Bench supplier {number}" for number in range(40)]
    for name in names:
        db.session.add(Organisation(name=name, kind="sme", description=""))
    db.session.commit()
    accounts.create_user(
        "organizer@bench.example",
        PASSWORD,
        "Bench Organizer",
        roles=("organizer",),
        language="en",
        confirmed=True,
    )
    db.session.commit()
    return names


def _import_once(app, client, data: bytes) -> tuple[float, float, dict]:
    from matchmaker.extensions import db
    from matchmaker.models import Job

    started, started_cpu = time.perf_counter(), time.thread_time()
    response = client.post(
        "/catalogue/exchange/import",
        data={"kind": "offerings", "file": (io.BytesIO(data), "bench.csv")},
        content_type="multipart/form-data",
    )
    accepted = time.perf_counter() - started
    # The request runs in this thread (test client): its CPU time, which a loaded machine does not inflate.
    cpu = time.thread_time() - started_cpu
    if response.status_code != 303:
        raise RuntimeError(f"upload answered {response.status_code}: {response.get_data(as_text=True)[:500]}")
    job_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    print(f"    accepted in {accepted * 1000:.0f} ms ({cpu * 1000:.0f} ms CPU), job {job_id}…", flush=True)
    with app.app_context():
        while True:
            job = db.session.get(Job, job_id)
            if job.finished:
                finished = time.perf_counter() - started
                result = dict(job.result or {}, status=job.status, error=job.error)
                break
            db.session.remove()
            if time.perf_counter() - started > FINISH_TIMEOUT_S:
                raise RuntimeError(f"job {job_id} did not finish in {FINISH_TIMEOUT_S:.0f} s")
            time.sleep(0.5)
        db.session.remove()
    return accepted, finished, result


def _bench(label: str, url: str, options: dict, rows: int) -> bool:
    from flask_migrate import upgrade

    from config import TestConfig
    from matchmaker import create_app
    from matchmaker.extensions import db

    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=url,
        SQLALCHEMY_ENGINE_OPTIONS=options,
        TASK_MODE="thread",
        TASKS_PROPAGATE=False,
        BABEL_DEFAULT_LOCALE="en",
    )
    with app.app_context():
        upgrade()
        names = _setup(app)
        db.session.remove()
    data = _csv(rows, names)
    client = app.test_client()
    login = client.post("/auth/login", data={"email": "organizer@bench.example", "password": PASSWORD})
    if login.status_code != 302:
        raise RuntimeError(f"login answered {login.status_code}: {login.get_data(as_text=True)}")
    ok = True
    print(f"{label}: a file of {rows} rows, {len(data) / 1024:.0f} KB")
    for run in ("first import (creates)", "same file again (updates)"):
        accepted, finished, result = _import_once(app, client, data)
        counts = f"{result.get('created', 0)} created, {result.get('updated', 0)} updated"
        print(
            f"  {run}: accepted in {accepted * 1000:.0f} ms (target < {TARGET_ACCEPT_S * 1000:.0f} ms), "
            f"done in {finished:.1f} s ({rows / max(finished, 1e-9):.0f} rows/s): "
            f"{result['status']}, {counts}"
        )
        ok = ok and accepted < TARGET_ACCEPT_S and result["status"] == "done" and result.get("ok")
        if result["status"] != "done":
            print(result.get("error"))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return ok


def main(argv: list[str]) -> int:
    rows = int_option(argv, "rows", 5000)
    results = []
    if "--postgres-only" not in argv:
        with tempfile.TemporaryDirectory() as directory:
            results.append(_bench("SQLite", f"sqlite:///{Path(directory) / 'bench.db'}", {}, rows))
    if "--sqlite-only" not in argv:
        if postgres_reachable():
            with throwaway_schema() as options:
                results.append(_bench("PostgreSQL", POSTGRES_URL, options, rows))
        else:
            print("PostgreSQL: not reachable at 127.0.0.1:5432, skipped.")
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
