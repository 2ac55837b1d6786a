"""The mail outbox for administrators: how many mails wait, went out or failed; failed ones can be retried."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from matchmaker.admin import bp
from matchmaker.admin.forms import ActionForm
from matchmaker.services import mail as service


@bp.get("/mails")
def mails():
    return render_template(
        "admin/mails.html", counts=service.counts(), failed=service.failed_mails()
    )


def _retried(count: int):
    if count:
        flash(ngettext("%(num)d mail is queued again.", "%(num)d mails are queued again.", count), "success")
    else:
        flash(_("There was no failed mail to retry."), "info")
    return redirect(url_for(".mails"))


@bp.post("/mails/<int:mail_id>/retry")
def retry_mail(mail_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    return _retried(service.retry_failed(mail_id))


@bp.post("/mails/retry")
def retry_mails():
    if not ActionForm().validate_on_submit():
        abort(400)
    return _retried(service.retry_failed())
