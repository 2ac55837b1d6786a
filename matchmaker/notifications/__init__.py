from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

from matchmaker.notifications import commands, routes  # noqa: E402,F401
