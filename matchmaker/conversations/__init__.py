from flask import Blueprint

bp = Blueprint("conversations", __name__, url_prefix="/messages")

from matchmaker.conversations import routes  # noqa: E402,F401
