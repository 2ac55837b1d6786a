from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from matchmaker.admin import mails, routes  # noqa: E402,F401
