"""Catalogue exports prepared in the background: the same file as the streamed download, made by a worker
with its progress on the job's page, and kept as the job's file until the queue's retention removes it."""

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from matchmaker.csvfiles import BOM, MIMETYPE
from matchmaker.extensions import db
from matchmaker.i18n import current_language
from matchmaker.models import Job, User, utcnow
from matchmaker.services import exchange
from matchmaker.services.kernel import NotAllowed, NotFound, commit
from matchmaker.tasks import JobContext, attach_file, enqueue, task

KIND = "catalogue.export"
MIMETYPES = {"csv": MIMETYPE, "json": "application/json; charset=utf-8"}


def start_export(user: User | None, kind: str, fmt: str, language: str | None = None) -> Job:
    """Queue the export of `kind` (offerings or needs) as `fmt` (csv or json) for `user`, written for a
    spreadsheet in `language` (the current one by default) as the download would be."""
    if not exchange.can_exchange(user):
        raise NotAllowed(_("Only organizers and administrators can export or import the catalogue."))
    if kind not in exchange.KINDS or fmt not in MIMETYPES:
        raise NotFound(_("There is no such export."))
    job = enqueue(KIND, user=user, items=kind, fmt=fmt, language=language or current_language())
    commit()
    return job


@task(KIND, max_attempts=3)
def export_job(ctx: JobContext, items: str, fmt: str, language: str | None = None) -> dict:
    """Write the whole file (its pieces as the download streams them) and attach it to the job, in the
    language of the person who asked for it (labels, separator and decimal mark: csvfiles.convention)."""
    with force_locale(language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _export(ctx, items, fmt)


def _export(ctx: JobContext, items: str, fmt: str) -> dict:
    user = db.session.get(User, ctx.created_by_id) if ctx.created_by_id else None
    if not exchange.can_exchange(user):  # the role was taken away since
        raise NotAllowed(_("Only organizers and administrators can export or import the catalogue."))
    model = exchange._model(items)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 1
    chunks = (
        exchange.export_csv_chunks(user, items) if fmt == "csv" else exchange.export_json_chunks(user, items)
    )
    pieces = [BOM.encode("utf-8")] if fmt == "csv" else []
    for number, chunk in enumerate(chunks, start=1):
        pieces.append(chunk.encode("utf-8"))
        done = min(1.0, number * exchange.EXPORT_BATCH / total)
        ctx.progress(
            done * 0.95,
            _("%(rows)s of %(total)s rows", rows=min(number * exchange.EXPORT_BATCH, total), total=total),
        )
    content = b"".join(pieces)
    filename = f"matchmaker-{items}-{utcnow():%Y%m%d-%H%M}.{fmt}"
    attach_file(ctx, filename, MIMETYPES[fmt], content)
    commit()
    return {"items": items, "format": fmt, "bytes": len(content)}
