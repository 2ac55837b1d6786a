from flask import Blueprint

bp = Blueprint("outcomes", __name__, url_prefix="/outcomes")

from matchmaker.outcomes import routes  # noqa: E402,F401
