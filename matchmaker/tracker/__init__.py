from flask import Blueprint

bp = Blueprint("tracker", __name__, url_prefix="/tracker")

from matchmaker.tracker import routes  # noqa: E402,F401
