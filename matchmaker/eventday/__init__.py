"""The event day area: the organizers' live board (/events/<id>/live) and a participant's "now" view
(/events/<id>/now)."""

from flask import Blueprint

bp = Blueprint("eventday", __name__)

from matchmaker.eventday import routes  # noqa: E402,F401
