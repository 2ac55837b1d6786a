"""Error pages: translated, in the site layout, never a stack trace."""

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Forbidden, HTTPException, InternalServerError
from werkzeug.exceptions import NotFound as PageNotFound

from matchmaker.services import NotAllowed, NotFound, discard

TEMPLATED = {400, 403, 404, 405, 413, 429, 500}  # 413: a file larger than the form accepts


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def render_error(error: HTTPException, status: int | None = None):
    status = status or error.code or 500
    if _wants_json():
        return jsonify(error=error.name, status=status), status
    template = f"errors/{status}.html" if status in TEMPLATED else "errors/generic.html"
    return render_template(template, error=error, status=status), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_template("errors/csrf.html", error=error, status=400), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code and error.code < 400:
            return error
        return render_error(error)

    @app.errorhandler(NotAllowed)
    def not_allowed(refusal: NotAllowed):
        discard()
        return render_error(Forbidden(refusal.message))

    @app.errorhandler(NotFound)
    def not_found(refusal: NotFound):
        discard()
        return render_error(PageNotFound(refusal.message))

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        discard()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(InternalServerError(), 500)
