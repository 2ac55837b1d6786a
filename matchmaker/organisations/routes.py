"""Routes of the organisations area."""

from flask import render_template
from flask_login import login_required

from matchmaker.organisations import bp


@bp.get("/mine")
@login_required
def mine():
    return render_template("organisations/mine.html")
