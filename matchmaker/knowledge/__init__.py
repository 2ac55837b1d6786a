"""The knowledge base of the public-procurement knowledge network (public guides, the editors' area) and the
support requests of buyers about their needs (issue 19)."""

from flask import Blueprint

bp = Blueprint("knowledge", __name__, url_prefix="/knowledge")

from matchmaker.knowledge import routes  # noqa: E402,F401
