"""Public pages of the initiative (and their editing by administrators), events by theme, the contact form."""

from flask import Blueprint

bp = Blueprint("content", __name__)

from matchmaker.content import routes  # noqa: E402,F401
