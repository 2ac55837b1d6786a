"""A job's page (progress, then its result and files), the JSON its script polls, downloads, and the
administrators' list of failed jobs with a retry button."""

import io

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from matchmaker.admin.forms import ActionForm
from matchmaker.auth.sessions import acting_user
from matchmaker.forms import flash_refused
from matchmaker.jobs import bp
from matchmaker.models import Job, JobStatus, Role
from matchmaker.services import jobs as service
from matchmaker.services.kernel import NotFound, Refusal
from matchmaker.tasks.admin import retry_job

# What people read for a job kind; a kind missing here shows its technical name.
KIND_LABELS = {
    "catalogue.import": _l("Catalogue import"),
    "catalogue.export": _l("Catalogue export"),
    "checkin.badges": _l("Name badges"),
    "kbo.import": _l("Import of the KBO register"),
    "tasks.purge": _l("Removal of old jobs"),
}
STATUS_LABELS = {
    JobStatus.QUEUED: _l("Waiting to start"),
    JobStatus.RUNNING: _l("In progress"),
    JobStatus.DONE: _l("Done"),
    JobStatus.FAILED: _l("Failed"),
}
# How often the page's script asks for the job's state, in milliseconds.
POLL_INTERVAL_MS = 1500


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@bp.app_template_filter("job_kind")
def _job_kind_filter(kind: str) -> str:
    return kind_label(kind)


@bp.app_template_filter("job_status")
def _job_status_filter(status: str) -> str:
    return status_label(status)


def _visible(job_id: int) -> Job:
    try:
        return service.visible_job(acting_user(), job_id)
    except NotFound:
        abort(404)


def _percent(job: Job) -> int:
    return 100 if job.status == JobStatus.DONE else round((job.progress or 0.0) * 100)


@bp.get("/<int:job_id>")
@login_required
def detail(job_id: int):
    job = _visible(job_id)
    return render_template(
        "jobs/detail.html",
        job=job,
        percent=_percent(job),
        files=service.files_of(job) if job.finished else [],
        poll_interval=POLL_INTERVAL_MS,
    )


@bp.get("/<int:job_id>/status.json")
@login_required
def status(job_id: int):
    job = _visible(job_id)
    response = jsonify(
        id=job.id,
        status=job.status,
        status_label=status_label(job.status),
        progress=_percent(job),
        message=job.message or "",
        finished=job.finished,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:job_id>/files/<int:file_id>")
@login_required
def download(job_id: int, file_id: int):
    try:
        file = service.job_file(acting_user(), job_id, file_id)
    except NotFound:
        abort(404)
    response = send_file(
        io.BytesIO(file.content),
        mimetype=file.mimetype,
        as_attachment=True,
        download_name=file.filename,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------------------------------
# Administrators


def _admin_only() -> None:
    if not current_user.has_role(Role.ADMIN):
        abort(403)


@bp.get("/failed")
@login_required
def failed():
    _admin_only()
    page = service.failed_jobs(
        page=request.args.get("page", 1, type=int) or 1, per_page=current_app.config["PAGE_SIZE"]
    )
    return render_template("jobs/failed.html", page=page, starters=service.starters(page.items))


@bp.post("/<int:job_id>/retry")
@login_required
def retry(job_id: int):
    _admin_only()
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        job = retry_job(job_id)
    except Refusal as refusal:
        flash_refused(refusal)
    else:
        flash(_("Job %(id)d is queued again.", id=job.id), "success")
    return redirect(url_for(".failed"))
