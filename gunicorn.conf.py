"""gunicorn's settings file, read from the working directory (the units and the Procfile run gunicorn in the
project's folder): hooks only; the command lines hold the settings."""

import gunicorn.http.wsgi


def _without_server_header(default_headers):
    """gunicorn writes `Server: gunicorn` before the app's headers and has no setting to leave it out (setting
    `gunicorn.SERVER` to "" would still send an empty, invalid Server line): the line is dropped from the
    response's own headers. No answer names the server software (issue 14)."""
    if getattr(default_headers, "drops_server_header", False):  # this file is read again on a reload (HUP)
        return default_headers

    def headers(self) -> list[str]:
        return [line for line in default_headers(self) if not line.lower().startswith("server:")]

    headers.drops_server_header = True
    return headers


gunicorn.http.wsgi.Response.default_headers = _without_server_header(
    gunicorn.http.wsgi.Response.default_headers
)


def post_worker_init(worker):
    """A new worker loads what its first request would, then freezes what it loaded out of the garbage
    collector's passes (matchmaker/warmup.py)."""
    from matchmaker.warmup import freeze_heap, warm_up

    if warm_up(worker.wsgi):
        freeze_heap()
