"""Routes of the account area: profile, password, email, delete, export."""

from flask import render_template
from flask_login import login_required

from matchmaker.account import bp


@bp.get("/")
@login_required
def profile():
    return render_template("account/profile.html")
