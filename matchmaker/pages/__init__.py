from flask import Blueprint

bp = Blueprint("pages", __name__)

from matchmaker.pages import routes  # noqa: E402,F401
