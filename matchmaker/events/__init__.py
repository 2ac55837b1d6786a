from flask import Blueprint

bp = Blueprint("events", __name__, url_prefix="/events")

from matchmaker.events import materials, online, routes, team  # noqa: E402,F401
