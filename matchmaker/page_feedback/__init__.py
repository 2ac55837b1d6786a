""" "Did you find what you were looking for?" at the foot of the public pages, its overview for
administrators, and the "Share this page" block (issue 19)."""

from flask import Blueprint

bp = Blueprint("page_feedback", __name__)

from matchmaker.page_feedback import routes  # noqa: E402,F401
