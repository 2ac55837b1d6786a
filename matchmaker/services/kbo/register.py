"""Loading the KBO/BCE register from a full extract of the open data, in the background or from the CLI.

`start_import(path)` checks the extract (a full one, with every file and column) and queues the job
`kbo.import`; `import_register(path)` does the work, for that job or for `flask kbo import` in the
foreground. An import replaces the previous register: it empties the tables, then streams the files into
them in batches of BATCH_ROWS rows (one bulk INSERT and one commit each), so memory stays flat and the
progress shows while it runs. Until the import is done the register counts as not loaded (the checks say
"not checked"): a half-loaded register would call real enterprises unknown. A job that runs again after its
worker died starts over, on the same `KboImport` row.

The extract's path is read by the process that runs the job: with workers on other hosts it must be on a
disk they share. Update extracts (the monthly changes) are refused: import the full extract.
"""

import time
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from itertools import islice
from pathlib import Path

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import (
    Job,
    KboAddress,
    KboCode,
    KboDenomination,
    KboEnterprise,
    KboImport,
    KboImportStatus,
    User,
    utcnow,
)
from matchmaker.services.kbo import files
from matchmaker.services.kernel import Conflict, Invalid, commit, discard
from matchmaker.tasks import enqueue, task
from matchmaker.tasks.runner import JobContext, LeaseLost

KIND = "kbo.import"
BATCH_ROWS = 5000
# A running import whose row has not moved for this long died with its process.
STALE_AFTER = timedelta(minutes=15)

Progress = Callable[[float, str], None]

# (file, reader, model, the import row's counter), in the order they are read.
TABLES = (
    (files.CODES, files.codes, KboCode, "codes"),
    (files.ENTERPRISES, files.enterprises, KboEnterprise, "enterprises"),
    (files.DENOMINATIONS, files.denominations, KboDenomination, "denominations"),
    (files.ADDRESSES, files.addresses, KboAddress, "addresses"),
)


def _refusal(error: files.ExtractError) -> Invalid:
    if error.problem == "missing_file":
        return Invalid(_("The extract has no file %(name)s: is it the KBO open data?", name=error.name))
    if error.problem == "missing_columns":
        return Invalid(
            _("%(name)s lacks the columns %(columns)s.", name=error.name, columns=", ".join(error.columns))
        )
    if error.problem == "no_header":
        return Invalid(_("%(name)s is empty: it has no header row.", name=error.name))
    return Invalid(_("%(name)s is neither a ZIP file nor a folder that can be read.", name=error.name))


def _open(path: str | Path) -> tuple[files.Extract, files.Meta]:
    """The extract and its meta, once it is known to be a full extract with every file and column."""
    try:
        extract = files.Extract(path)
    except files.ExtractError as error:
        raise _refusal(error) from None
    try:
        meta = extract.check()
    except files.ExtractError as error:
        extract.close()
        raise _refusal(error) from None
    except (OSError, UnicodeDecodeError, ValueError) as error:  # a damaged ZIP, a file that is not text
        extract.close()
        raise Invalid(_("%(name)s cannot be read: %(error)s", name=extract.name, error=error)) from None
    if not meta.is_full:
        extract.close()
        raise Invalid(
            _(
                "This is an extract of type “%(type)s”: only a full extract (KboOpenData_…_Full.zip) can be "
                "imported, since an import replaces the whole register.",
                type=meta.extract_type or "?",
            )
        )
    return extract, meta


def start_import(path: str | Path, user: User | None = None, language: str = "en") -> Job:
    """Check the extract and queue its import (a second one while the first still waits is the same job).
    The job's messages are in `language`."""
    extract, _meta = _open(path)
    extract.close()
    job = enqueue(KIND, user=user, dedupe_key=KIND, path=str(Path(path).resolve()), language=language)
    commit()
    return job


def latest_import() -> KboImport | None:
    return db.session.scalar(sa.select(KboImport).order_by(KboImport.id.desc()).limit(1))


def loaded_import() -> KboImport | None:
    """The import the register holds now: the newest one, if it is done (None while one runs or after a
    failed one: the tables are half full then)."""
    latest = latest_import()
    return latest if latest is not None and latest.status == KboImportStatus.DONE else None


def _claim(meta: files.Meta, source: str, job_id: int | None) -> KboImport:
    """The import's row: a job that runs again finds its own; another import running is refused, unless it
    has not moved for STALE_AFTER (its process died)."""
    now = utcnow()
    row = None
    if job_id is not None:
        row = db.session.scalar(sa.select(KboImport).where(KboImport.job_id == job_id))
    mine = row.id if row is not None else 0
    running = db.session.scalars(
        sa.select(KboImport).where(KboImport.status == KboImportStatus.RUNNING, KboImport.id != mine)
    ).all()
    alive = [other for other in running if other.updated_at > now - STALE_AFTER]
    if alive:
        raise Conflict(
            _("Another import of the register is under way (since %(when)s UTC).",
              when=alive[0].started_at.strftime("%Y-%m-%d %H:%M"))
        )  # fmt: skip
    for other in running:
        other.status, other.finished_at = KboImportStatus.FAILED, now
        other.error = "It stopped without finishing."
    if row is None:
        row = KboImport(job_id=job_id)
        db.session.add(row)
    row.status, row.source, row.error = KboImportStatus.RUNNING, source[:300], ""
    row.snapshot_date, row.extract_number = meta.snapshot_date, meta.extract_number
    row.extract_timestamp, row.version = meta.extract_timestamp, meta.version
    row.started_at = row.updated_at = now
    row.finished_at = None
    row.enterprises = row.denominations = row.addresses = row.codes = 0
    return row


def _batches(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def import_register(
    path: str | Path, progress: Progress | None = None, job_id: int | None = None
) -> KboImport:
    """Replace the register with the full extract at `path` (a ZIP as published or a folder of its files).
    `progress(fraction, message)` is called after each batch. Returns the import's row, done."""
    extract, meta = _open(path)
    with extract:
        row = _claim(meta, extract.name, job_id)
        for model in (KboAddress, KboDenomination, KboEnterprise, KboCode):
            db.session.execute(sa.delete(model))
        commit()
        import_id = row.id
        try:
            _load(extract, import_id, progress)
        except LeaseLost:  # another worker runs the job now, on this same row
            discard()
            raise
        except Exception as error:
            discard()
            _fail(import_id, error)
            raise
    row = db.session.get(KboImport, import_id)
    row.status, row.finished_at = KboImportStatus.DONE, utcnow()
    commit()
    return row


def _load(extract: files.Extract, import_id: int, progress: Progress | None) -> None:
    counts = dict.fromkeys((counter for *_, counter in TABLES), 0)
    for name, reader, model, counter in TABLES:
        for batch in _batches(reader(extract), BATCH_ROWS):
            db.session.execute(sa.insert(model), batch)
            counts[counter] += len(batch)
            db.session.execute(
                sa.update(KboImport).where(KboImport.id == import_id).values(updated_at=utcnow(), **counts)
            )
            commit()
            if progress is not None:
                progress(
                    extract.fraction_read,
                    _("%(file)s: %(count)s rows loaded.", file=name, count=f"{counts[counter]:,}"),
                )


def _fail(import_id: int, error: Exception) -> None:
    message = error.message if hasattr(error, "message") else f"{type(error).__name__}: {error}"
    db.session.execute(
        sa.update(KboImport)
        .where(KboImport.id == import_id)
        .values(status=KboImportStatus.FAILED, finished_at=utcnow(), error=str(message)[:2000])
    )
    commit()


def _give_up(path: str, language: str = "en") -> None:
    """The job's workers kept dying: its import, left running, failed."""
    db.session.execute(
        sa.update(KboImport)
        .where(KboImport.status == KboImportStatus.RUNNING)
        .values(status=KboImportStatus.FAILED, finished_at=utcnow(), error="Its worker stopped too often.")
    )
    commit()


@task(KIND, max_attempts=3, on_give_up=_give_up)
def import_job(ctx: JobContext, path: str, language: str = "en") -> dict:
    """Import the full extract at `path` (`import_register`); the job's page shows how far it is."""
    shown = [0.0]

    def report(fraction: float, message: str) -> None:  # twice a second at most
        if time.monotonic() - shown[0] >= 0.5:
            shown[0] = time.monotonic()
            ctx.progress(fraction, message)

    with force_locale(language):
        row = import_register(path, progress=report, job_id=ctx.job_id)
    return {
        "snapshot_date": row.snapshot_date.isoformat() if row.snapshot_date else None,
        "extract_number": row.extract_number,
        "enterprises": row.enterprises,
        "denominations": row.denominations,
        "addresses": row.addresses,
        "codes": row.codes,
    }
