"""Downloads of stored documents (issue 19): one address per document and per version, whose access rule is
decided by what owns the document (services.documents)."""

from flask import Blueprint

bp = Blueprint("documents", __name__, url_prefix="/documents")

from matchmaker.documents import routes  # noqa: E402,F401
