"""Catalogue imports in the background: the upload is checked as a file and stored in the request, the rows
are checked and written by a job, which leaves its report as its result and as a CSV file.

The import keeps its all-or-nothing rule for refusals: every row is checked before anything is written, and
one refused row means nothing is imported. The rows are then written in chunks of CHUNK_ROWS, each committed
with its step (`chunk-N`) and the running tally of created and updated rows, fenced by the job's lease: a
worker killed halfway leaves whole chunks behind, and the rerun checks the file again, skips the chunks that
are done and writes the others, so no row is lost or written twice.
"""

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from matchmaker.csvfiles import BOM, MIMETYPE, csv_text, safe_filename
from matchmaker.extensions import db
from matchmaker.models import Job, JobFile, User
from matchmaker.services import exchange
from matchmaker.services.kernel import NotFound, commit, discard
from matchmaker.tasks import attach_file, enqueue, task
from matchmaker.tasks.runner import JobContext, LeaseLost

KIND = "catalogue.import"
CHUNK_ROWS = 250
UPLOAD_PREFIX = "upload-"
REPORT_NAME = "import-report.csv"
CSV_MIMETYPE = MIMETYPE


def start_import(
    user: User, kind: str, data: bytes, filename: str, language: str
) -> tuple[Job | None, exchange.ImportReport]:
    """Check the file as a whole and queue its import. Returns the job, or None and a report with the file's
    problems (nothing is stored then). The job's messages are in `language`."""
    report = exchange.ImportReport(kind=kind)
    rows = exchange.read_upload(user, kind, data, report)
    if rows is None:
        discard()
        return None, report
    report.rows = len(rows)
    job = enqueue(KIND, user=user, items=kind, language=language, rows=len(rows))
    db.session.flush()
    db.session.add(
        JobFile(
            job_id=job.id,
            filename=UPLOAD_PREFIX + safe_filename(filename or "items.csv"),
            mimetype=CSV_MIMETYPE,
            content=data,
        )
    )
    commit()
    return job, report


def _upload_of(job_id: int) -> JobFile:
    upload = db.session.scalars(
        sa.select(JobFile)
        .where(JobFile.job_id == job_id, JobFile.filename.startswith(UPLOAD_PREFIX))
        .order_by(JobFile.id)
    ).first()
    if upload is None:
        raise NotFound(_("The uploaded file of this import is gone: upload it again."))
    return upload


def _save_tally(ctx: JobContext, tally: dict) -> None:
    """Write the running tally into the job's result in the chunk's transaction, only while this worker still
    holds the job: a worker that lost its lease must not commit its chunk."""
    matched = db.session.execute(
        sa.update(Job)
        .where(Job.id == ctx.job_id, Job.owner == ctx.token)
        .values(result=tally)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not matched:
        raise LeaseLost(ctx.job_id)


def _report_file(report: exchange.ImportReport, outcomes: dict[str, list]) -> bytes:
    labels = {"created": _("created"), "updated": _("updated")}
    rows: list[list] = [[_("Line"), _("Title"), _("Outcome"), _("Why")]]
    for message in report.file_errors:
        rows.append(["", "", _("refused"), message])
    lines = {problem.line: problem for problem in report.problems}
    for line, (title, outcome) in outcomes.items():
        lines.setdefault(int(line), (title, outcome))
    for line in sorted(lines):
        entry = lines[line]
        if isinstance(entry, exchange.RowProblem):
            rows.append([line, entry.title, _("refused"), "; ".join(entry.reasons)])
        else:
            rows.append([line, entry[0], labels[entry[1]], ""])
    return (BOM + csv_text(rows)).encode("utf-8")


def _result(report: exchange.ImportReport) -> dict:
    return {
        "kind": report.kind,
        "ok": report.ok,
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "refused": len(report.problems),
        "file_errors": list(report.file_errors),
        "problems": [
            {"line": p.line, "title": p.title, "reasons": [str(reason) for reason in p.reasons]}
            for p in report.problems
        ],
    }


@task(KIND, max_attempts=3)
def import_catalogue(ctx: JobContext, items: str, language: str = "en", rows: int = 0) -> dict:
    """Import the job's uploaded file of `items` (offerings or needs); `rows` is for the job's page."""
    with force_locale(language):
        return _import(ctx, items)


def _import(ctx: JobContext, kind: str) -> dict:
    user = db.session.get(User, ctx.created_by_id) if ctx.created_by_id else None
    if user is None:
        raise NotFound(_("The account that started this import no longer exists."))
    upload = _upload_of(ctx.job_id)
    report = exchange.ImportReport(kind=kind)
    rows = exchange.read_upload(user, kind, upload.content, report)
    checked = exchange.check_rows(kind, user, rows, report) if rows is not None else []
    # A rerun continues from the tally its predecessor committed with its last chunk.
    previous = db.session.scalar(sa.select(Job.result).where(Job.id == ctx.job_id)) or {}
    tally = {
        "created": int(previous.get("created", 0)),
        "updated": int(previous.get("updated", 0)),
        "outcomes": dict(previous.get("outcomes", {})),
    }
    if report.ok:
        chunks = [checked[start : start + CHUNK_ROWS] for start in range(0, len(checked), CHUNK_ROWS)]
        for number, chunk in enumerate(chunks):
            key = f"chunk-{number}"
            if ctx.is_done(key):
                continue
            created = exchange.write_rows(kind, user, chunk)
            for entry, new in zip(chunk, created, strict=True):
                tally["created" if new else "updated"] += 1
                tally["outcomes"][str(entry.line)] = [entry.values["title"], "created" if new else "updated"]
            ctx.record(key)
            _save_tally(ctx, tally)
            commit()
            done = min(len(checked), (number + 1) * CHUNK_ROWS)
            ctx.progress(
                done / len(checked), _("%(done)d of %(total)d rows imported.", done=done, total=len(checked))
            )
        report.created, report.updated = tally["created"], tally["updated"]
    else:
        discard()  # the all-or-nothing rule: a refused row means nothing is written
    attach_file(ctx, REPORT_NAME, CSV_MIMETYPE, _report_file(report, tally["outcomes"] if report.ok else {}))
    commit()
    return _result(report)
