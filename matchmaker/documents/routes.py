"""Serving stored documents, with the headers that keep a hostile file harmless.

Every answer names its type exactly (the type found in the content when it was uploaded) with
`X-Content-Type-Options: nosniff`, so a browser never guesses another type; it carries
`Content-Security-Policy: sandbox`, so that even a document a browser would render runs no script and has no
access to the site (no cookies, no same-origin requests); and it is an attachment (the browser saves it,
with a cleaned name in RFC 6266's `filename*`), except raster images (PNG, JPEG, WebP): they hold no script,
and with their exact type and nosniff a browser only ever shows them as pictures, so they open inline. PDFs
are attachments: they may carry JavaScript and forms, and a browser's PDF viewer is too large a surface to
show untrusted ones on the site's own origin.

A document that the user may not read, or that was removed, is missing (404): its existence is not revealed.
Public documents may be kept by caches for a few minutes; the others by none (`private, no-store`).
"""

from urllib.parse import quote

from flask import Request, abort, current_app, request
from flask_login import current_user

from matchmaker.auth.sessions import acting_user
from matchmaker.documents import bp
from matchmaker.extensions import db
from matchmaker.models import Document, DocumentVersion
from matchmaker.services import documents, filetypes

PUBLIC_MAX_AGE = 300
FORM_ROOM = 256 * 1024  # what an upload form may carry besides its file
SANDBOX = "sandbox; default-src 'none'; img-src 'self'; frame-ancestors 'none'"


def allow_large_uploads(blueprint, *endpoints: str) -> None:
    """Let these endpoints' requests carry a document of DOCUMENT_MAX_BYTES (the app's MAX_CONTENT_LENGTH
    stays as it is for every other form), from logged-in users only: nobody else may upload, so an anonymous
    request keeps the usual limit. Set before the request is parsed: url value preprocessors run before the
    CSRF check reads the form."""

    @blueprint.url_value_preprocessor
    def _raise_limit(endpoint: str | None, values) -> None:
        if endpoint in endpoints and current_user.is_authenticated:
            raise_upload_limit(request)


def raise_upload_limit(req: Request) -> None:
    req.max_content_length = documents.max_bytes() + FORM_ROOM


def content_disposition(filename: str, inline: bool = False) -> str:
    """RFC 6266: an ASCII fallback in `filename` and the exact name, UTF-8 and percent-encoded, in
    `filename*`."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\%' else "_" for ch in filename)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _readable(document_id: int) -> Document:
    document = db.get_or_404(Document, document_id)
    if not documents.can_read(acting_user(), document):
        abort(404)
    return document


def _send(document: Document, version: DocumentVersion | None):
    if version is None:
        abort(404)
    data = documents.version_data(version)
    if data is None:
        abort(404)
    response = current_app.response_class(data, mimetype=version.mime_type)
    headers = response.headers
    headers["Content-Type"] = version.mime_type  # no "; charset=" added to a binary type
    headers["Content-Disposition"] = content_disposition(
        version.filename, inline=version.mime_type in ("image/png", "image/jpeg", "image/webp")
    )
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Content-Security-Policy"] = SANDBOX
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.set_etag(version.sha256)
    response.last_modified = version.uploaded_at
    if documents.is_public(document):
        headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    else:
        headers["Cache-Control"] = "private, no-store"
        headers["X-Robots-Tag"] = "noindex"
    return response.make_conditional(request)


@bp.get("/<int:document_id>")
def download(document_id: int):
    """The document's current version."""
    document = _readable(document_id)
    return _send(document, document.current)


@bp.get("/<int:document_id>/v<int:number>")
def download_version(document_id: int, number: int):
    """One version of the document: older ones stay available to those who may read it."""
    document = _readable(document_id)
    return _send(document, document.version(number))


bp.app_template_filter("filesize")(documents.size_label)


@bp.app_template_filter("file_summary")
def file_summary(version: DocumentVersion) -> str:
    """ "PDF, 1.2 MB": the type and size of a version, for a link that downloads it."""
    kind = filetypes.BY_MIME.get(version.mime_type)
    return f"{kind.label if kind else version.mime_type}, {documents.size_label(version.size)}"
