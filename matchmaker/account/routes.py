"""Routes of the account area: profile, password, sessions, email, personal data, deletion.

Every route acts on the logged-in user only: no route takes a user id (a session's id is looked up among the
user's own sessions).
"""

from flask import Response, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext, refresh
from flask_login import current_user, login_required

from matchmaker.account import bp
from matchmaker.account.forms import ChangeEmailForm, ChangePasswordForm, DeleteAccountForm, ProfileForm
from matchmaker.auth.forms import ConfirmForm
from matchmaker.auth.sessions import acting_user, current_session, keep_session, log_out, remember_language
from matchmaker.extensions import limiter
from matchmaker.forms import form_refused
from matchmaker.models import utcnow
from matchmaker.services import ServiceError, accounts, user_sessions


def _password_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _render(template: str, form, **context):
    return render_template(template, form=form, **context), 422 if form.is_submitted() else 200


@bp.route("/", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            accounts.update_profile(acting_user(), form.display_name.data, form.language.data)
        except ServiceError as error:
            form_refused(form, error)
        else:
            remember_language(form.language.data)
            refresh()  # the confirmation is already in the language just chosen
            flash(_("Your profile has been saved."), "success")
            return redirect(url_for("account.profile"))
    return _render("account/profile.html", form)


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_password_limit, methods=["POST"])
def password():
    form = ChangePasswordForm()
    form.policy_email = current_user.email
    if form.validate_on_submit():
        try:
            accounts.change_password(
                acting_user(), form.current_password.data, form.password.data, keep_session=current_session()
            )
        except ServiceError as error:  # a wrong current password, or a new one the rules refuse
            form_refused(form, error, field="password")
        else:
            keep_session()
            flash(_("Your password has been changed. You were logged out on your other devices."), "success")
            return redirect(url_for("account.profile"))
    return _render("account/password.html", form)


@bp.get("/sessions")
@login_required
def sessions():
    """Where the account is logged in: each device, its address, when it was last used."""
    return render_template(
        "account/sessions.html",
        sessions=user_sessions.active_sessions(acting_user()),
        current_id=current_session().id,
    )


@bp.post("/sessions/<int:session_id>/sign-out")
@login_required
def sign_out_session(session_id: int):
    current_id = current_session().id
    user_sessions.sign_out_session(acting_user(), session_id)  # another user's session: not found
    if session_id == current_id:
        log_out()
        flash(_("You have been logged out."), "info")
        return redirect(url_for("pages.home"))
    flash(_("That session has been signed out: the device it was on is logged out."), "success")
    return redirect(url_for("account.sessions"))


@bp.post("/sessions/sign-out-others")
@login_required
def sign_out_other_sessions():
    ended = user_sessions.sign_out_other_sessions(acting_user(), current_session())
    flash(
        ngettext(
            "%(num)d other session has been signed out.",
            "%(num)d other sessions have been signed out.",
            ended,
        ),
        "success",
    )
    return redirect(url_for("account.sessions"))


@bp.route("/email", methods=["GET", "POST"])
@login_required
@limiter.limit(_password_limit, methods=["POST"])
def email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            accounts.request_email_change(acting_user(), form.email.data, form.current_password.data)
        except ServiceError as error:  # a wrong current password, or an address that cannot be used
            form_refused(form, error, field="email")
        else:
            flash(
                _(
                    "We have sent a link to %(email)s. Your address changes when you open it.",
                    email=accounts.normalize_email(form.email.data),
                ),
                "success",
            )
            return redirect(url_for("account.profile"))
    return _render("account/email.html", form)


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
@login_required
def confirm_email_change(token: str):
    form = ConfirmForm()
    try:
        new_email = accounts.check_email_change_token(acting_user(), token)
    except ServiceError as error:
        return _invalid_link(error)
    if form.validate_on_submit():
        try:
            accounts.change_email(acting_user(), token)
        except (accounts.ExpiredLink, accounts.InvalidLink) as error:
            return _invalid_link(error)
        except ServiceError as error:
            form_refused(form, error)
        else:
            flash(_("Your email address is now %(email)s.", email=new_email), "success")
            return redirect(url_for("account.profile"))
    return _render("account/confirm_email_change.html", form, new_email=new_email)


def _invalid_link(error: ServiceError):
    expired = isinstance(error, accounts.ExpiredLink)
    status = 410 if expired else 403 if isinstance(error, accounts.NotYourLink) else 400
    page = render_template(
        "auth/invalid_link.html", kind="change-email", expired=expired, message=error.message
    )
    return page, status


@bp.get("/data")
@login_required
def data():
    return render_template("account/data.html")


@bp.get("/data/export.json")
@login_required
def export():
    filename = f"matchmaker-personal-data-{utcnow():%Y-%m-%d}.json"
    return Response(
        accounts.personal_data_json(acting_user()),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@limiter.limit(_password_limit, methods=["POST"])
def delete():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            accounts.delete_account(acting_user(), form.current_password.data)
        except ServiceError as error:
            form_refused(form, error)
        else:
            log_out()
            flash(_("Your account and personal data have been deleted. Goodbye!"), "success")
            return redirect(url_for("pages.home"))
    return _render("account/delete.html", form)
