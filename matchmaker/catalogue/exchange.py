"""Exchange the catalogue (organizers and administrators): CSV/JSON export, CSV import with a row report."""

from functools import wraps

from flask import Response, abort, flash, render_template, request, stream_with_context
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectChoice, SelectField

from matchmaker.auth.sessions import acting_user
from matchmaker.catalogue import bp
from matchmaker.csvfiles import MIMETYPE, csv_stream_response
from matchmaker.models import utcnow
from matchmaker.services import ServiceError
from matchmaker.services import exchange as service

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


@bp.post("/exchange/import")
@organizers_only
def import_items():
    form = ImportForm()
    if not form.validate_on_submit():
        return _render(form, status=400)
    data = request.files["file"].read(service.MAX_FILE_BYTES + 1)
    try:
        report = service.import_csv(acting_user(), form.kind.data, data)
    except ServiceError as refusal:
        flash(refusal.message, "error")
        return _render(form, status=400)
    if report.ok:
        return _render(ImportForm(formdata=None, kind=form.kind.data), report=report)
    return _render(form, report=report, status=422)
