"""Routes of the admin area."""

from flask import render_template

from matchmaker.admin import bp


@bp.get("/")
def index():
    return render_template("admin/index.html")
