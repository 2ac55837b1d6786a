"""Routes of the auth area: register, confirm, log in and out, reset password.

Pages that take an email address (register, forgot password, new confirmation link) answer the same way
whether or not the address has an account; the mails say what the owner of the mailbox needs to know.
Links in mails open a page whose button does the change (a POST), so mail scanners that follow links
change nothing.
"""

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.auth import bp, sessions
from matchmaker.auth.forms import ConfirmForm, EmailForm, LoginForm, RegisterForm, ResetPasswordForm
from matchmaker.extensions import limiter
from matchmaker.forms import form_refused
from matchmaker.i18n import current_language
from matchmaker.links import safe_next
from matchmaker.services import ServiceError, accounts
from matchmaker.services.accounts import ExpiredLink, InvalidLink

CHECK_EMAIL_FLOWS = ("register", "reset", "resend")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_login_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _login_account() -> str:
    """Rate-limit key of failed logins per account (the address typed), wherever they come from."""
    return "login:" + accounts.normalize_email(request.form.get("email", ""))


def _failed(response) -> bool:
    return response.status_code == 422  # the form shown again: a refused login (a success redirects)


def _reset_limit() -> str:
    return current_app.config["RESET_RATE_LIMIT"]


def _submitted_email() -> str:
    """Rate-limit key for forms that mail an address: protects one mailbox from floods sent from many IPs."""
    return "email:" + accounts.normalize_email(request.form.get("email", ""))


def _check_email(flow: str, email: str):
    session["check_email"] = accounts.normalize_email(email)
    return redirect(url_for("auth.check_email", flow=flow))


# Where to go once a newly registered person has confirmed their address and logged in.
AFTER_CONFIRM_KEY = "after_confirm_next"

@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_account_login_limit, methods=["POST"], key_func=_login_account, deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), url_for("pages.home")))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            user = sessions.log_in(form.email.data, form.password.data, remember=form.remember.data)
        except ServiceError as error:
            form_refused(form, error)
        else:
            # In the language of the pages from now on (the user's), not the one this request began in (the
            # browser's): an English browser showed an English welcome on a Dutch page.
            with force_locale(user.language or current_language()):
                if sessions.is_first_visit():
                    welcome = _("Welcome to Matchmaker, %(name)s. You are logged in.", name=user.display_name)
                else:
                    welcome = _("Welcome, %(name)s. You are logged in.", name=user.display_name)
            flash(welcome, "success")
            return redirect(safe_next(form.next.data, url_for("pages.home")))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    sessions.remember_language(current_language())  # the pages go on in the language the user was reading
    sessions.log_out()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("pages.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
@limiter.limit(_reset_limit, methods=["POST"], key_func=_submitted_email)
def register():
    if current_user.is_authenticated:
        flash(_("You already have an account and are logged in."), "info")
        return redirect(url_for("pages.home"))
    form = RegisterForm()
    if request.method == "GET":
        form.language.data = current_language()
        # Coming from an invitation: the invited address is filled in, and after confirming the address and
        # logging in the person lands back on the invitation.
        form.email.data = request.args.get("email", "")[:254]
        # The home page's "Register as a supplier" and "as a public buyer" links choose the role.
        role = request.args.get("role", "")
        if role in {choice.value for choice in form.role.choices}:
            form.role.data = role
        follow = safe_next(request.args.get("next"), "")
        if follow:
            session[AFTER_CONFIRM_KEY] = follow
    if form.validate_on_submit():
        try:
            accounts.register_user(
                form.email.data,
                form.password.data,
                form.display_name.data,
                role=form.role.data,
                language=form.language.data,
            )
        except ServiceError as error:
            form_refused(form, error)
        else:
            return _check_email("register", form.email.data)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/register.html", form=form), status


@bp.get("/check-your-mailbox/<flow>")
def check_email(flow: str):
    if flow not in CHECK_EMAIL_FLOWS:
        abort(404)
    return render_template("auth/check_email.html", flow=flow, email=session.get("check_email"))


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    form = ConfirmForm()
    try:
        user = accounts.check_confirmation_token(token)
    except ServiceError as error:
        return _invalid_link("confirm", error)
    if user.email_confirmed:
        flash(_("Your email address is already confirmed. You can log in."), "info")
        return redirect(url_for("auth.login"))
    if form.validate_on_submit():
        try:
            user = accounts.confirm_email(token)
        except ServiceError as error:
            return _invalid_link("confirm", error)
        follow = session.pop(AFTER_CONFIRM_KEY, None)
        if not user.active:
            flash(
                _(
                    "Your email address is confirmed, but this account has been deactivated, so you cannot "
                    "log in. Contact the platform administrators if you think this is a mistake."
                ),
                "warning",
            )
            return redirect(url_for("pages.home"))
        if current_user.is_authenticated:
            # Someone else is logged in in this browser: their session is not switched under them.
            flash(
                _(
                    "The email address %(email)s is confirmed. You are still logged in as %(name)s: log out, "
                    "then log in with the confirmed address.",
                    email=user.email,
                    name=current_user.display_name,
                ),
                "info",
            )
            return redirect(url_for("pages.home"))
        # Confirming logs the person in, also in another browser than the one they registered in: the link
        # is a secret mailed to the address, as a password reset's is, and it works once (a confirmed
        # address's link only says so and sends to the login page).
        sessions.log_in_user(user)
        flash(
            _("Your email address is confirmed. Welcome to Matchmaker, %(name)s: you are logged in.",
              name=user.display_name),
            "success",
        )
        return redirect(safe_next(follow, url_for("pages.home")))
    return render_template("auth/confirm_email.html", form=form, user=user)


@bp.route("/confirm/new-link", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
@limiter.limit(_reset_limit, methods=["POST"], key_func=_submitted_email)
def resend_confirmation():
    form = EmailForm()
    if form.validate_on_submit():
        accounts.resend_confirmation(form.email.data)
        return _check_email("resend", form.email.data)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/resend_confirmation.html", form=form), status


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
@limiter.limit(_reset_limit, methods=["POST"], key_func=_submitted_email)
def forgot_password():
    form = EmailForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        return _check_email("reset", form.email.data)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/forgot_password.html", form=form), status


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def reset_password(token: str):
    try:
        user = accounts.check_reset_token(token)
    except ServiceError as error:
        return _invalid_link("reset", error)
    form = ResetPasswordForm()
    form.policy_email = user.email
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data)
        except (ExpiredLink, InvalidLink) as error:
            return _invalid_link("reset", error)
        except ServiceError as error:
            form_refused(form, error, field="password")
        else:
            if current_user.is_authenticated:  # the session of whoever was logged in here has ended
                sessions.log_out()
            flash(_("Your password has been changed. You can now log in with it."), "success")
            return redirect(url_for("auth.login"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/reset_password.html", form=form, user=user), status


def _invalid_link(kind: str, error: ServiceError):
    """An expired or broken link: say so plainly and offer the way to a new one."""
    expired = isinstance(error, ExpiredLink)
    form = EmailForm() if kind == "confirm" else None
    page = render_template(
        "auth/invalid_link.html", kind=kind, expired=expired, message=error.message, form=form
    )
    return page, 410 if expired else 400
