from flask import Blueprint

bp = Blueprint("organisations", __name__, url_prefix="/organisations")

from matchmaker.organisations import joining, routes  # noqa: E402,F401
