"""Routes of the auth area: register, confirm, log in and out, reset password."""

from flask import redirect, render_template, url_for
from flask_login import logout_user

from matchmaker.auth import bp


@bp.route("/login", methods=["GET", "POST"])
def login():
    return render_template("auth/login.html")


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("pages.home"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    return render_template("auth/register.html")
