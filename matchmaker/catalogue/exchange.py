"""Exchange the catalogue (organizers and administrators): CSV/JSON export, CSV import with a row report."""

from functools import wraps

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectChoice, SelectField

from matchmaker.auth.sessions import acting_user
from matchmaker.catalogue import bp
from matchmaker.csvfiles import MIMETYPE, csv_stream_response
from matchmaker.i18n import current_language
from matchmaker.models import utcnow
from matchmaker.services import ServiceError, exports, imports
from matchmaker.services import exchange as service
from matchmaker.services.kernel import NotFound

FORMATS = {"csv": MIMETYPE, "json": "application/json; charset=utf-8"}


class ImportForm(FlaskForm):
    kind = SelectField(
        _l("What the file contains"),
        choices=[SelectChoice("offerings", _l("Offerings")), SelectChoice("needs", _l("Needs"))],
    )
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))])


def organizers_only(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not service.can_exchange(acting_user()):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _render(form: ImportForm, report=None, status: int = 200):
    return (
        render_template(
            "catalogue/exchange.html",
            form=form,
            report=report,
            columns=service.COLUMNS,
            max_rows=service.MAX_ROWS,
        ),
        status,
    )


@bp.get("/exchange")
@organizers_only
def exchange():
    return _render(ImportForm())


@bp.get("/exchange/export/<kind>.<fmt>")
@organizers_only
def export(kind: str, fmt: str):
    if kind not in service.KINDS or fmt not in FORMATS:
        abort(404)
    filename = f"matchmaker-{kind}-{utcnow():%Y%m%d-%H%M}.{fmt}"
    if fmt == "csv":
        return csv_stream_response(service.export_csv_chunks(acting_user(), kind), filename)
    chunks = service.export_json_chunks(acting_user(), kind)
    return Response(
        stream_with_context(chunk.encode("utf-8") for chunk in chunks),
        mimetype=FORMATS[fmt].split(";")[0],
        headers={
            "Content-Type": FORMATS[fmt],
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/exchange/export/<kind>.<fmt>/background")
@organizers_only
def export_in_background(kind: str, fmt: str):
    """Prepare the file in a job (a large catalogue, a slow connection); its page offers it when ready."""
    try:
        job = exports.start_export(acting_user(), kind, fmt)
    except NotFound:
        abort(404)
    return redirect(url_for("jobs.detail", job_id=job.id), code=303)


@bp.post("/exchange/import")
@organizers_only
def import_items():
    """Check the file as a whole here; its rows are checked and written by a job, whose page shows the
    progress and then the report."""
    form = ImportForm()
    if not form.validate_on_submit():
        return _render(form, status=400)
    upload = request.files["file"]
    data = upload.read(service.MAX_FILE_BYTES + 1)
    try:
        job, report = imports.start_import(
            acting_user(), form.kind.data, data, upload.filename or "", current_language()
        )
    except ServiceError as refusal:
        flash(refusal.message, "error")
        return _render(form, status=400)
    if job is None:
        return _render(form, report=report, status=422)
    return redirect(url_for("jobs.detail", job_id=job.id), code=303)
