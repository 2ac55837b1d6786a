"""Security headers on every response, no server software banner, and the client's real address behind a
proxy."""

from flask import Flask, Response, request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.serving import WSGIRequestHandler


def init_app(app: Flask) -> None:
    hide_development_server_banner()
    hops = app.config["PROXY_FIX_X_FOR"]
    if hops:
        # Rate limits count per client address and url_for(_external) needs the scheme the client used.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    @app.before_request
    def strip_nul_characters() -> None:
        """No one means a NUL character, and PostgreSQL refuses to store one (a 500 deep inside any form).
        They are dropped from query strings and form fields before a view sees them, so what the person typed
        is kept rather than refused."""
        current = request._get_current_object()
        for name in ("args", "form"):
            cleaned = _without_nul(getattr(current, name))
            if cleaned is not None:
                setattr(current, name, cleaned)

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        for name, value in security_headers(app.config).items():
            headers.setdefault(name, value)
        if request.endpoint != "static":
            # Pages, exports (CSV, PDF, .ics, JSON) may hold personal data: never kept by browsers or proxies.
            headers.setdefault("Cache-Control", "no-store")
        # Say nothing about the software behind the site.
        headers.pop("Server", None)
        headers.pop("X-Powered-By", None)
        return response


def security_headers(config) -> dict[str, str]:
    """The headers every answer carries, the static files' too (matchmaker/static_files.py serves the
    compressed ones before Flask sees the request)."""
    headers = {
        "Content-Security-Policy": config["CONTENT_SECURITY_POLICY"],
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    }
    if config["HSTS"]:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


def _without_nul(values: MultiDict) -> ImmutableMultiDict | None:
    """The values without NUL characters, or None when there were none."""
    pairs = list(values.items(multi=True))
    if not any("\x00" in key or "\x00" in value for key, value in pairs):
        return None
    # The request's own class: matchmaker.routing.BoundedArgs keeps numbers in the database's range.
    storage = type(values) if isinstance(values, ImmutableMultiDict) else ImmutableMultiDict
    return storage([(key.replace("\x00", ""), value.replace("\x00", "")) for key, value in pairs])


def hide_development_server_banner() -> None:
    """Werkzeug's development server (`flask run`, `make run`) writes `Server: Werkzeug/<version>
    Python/<version>` on every answer, its own error answers included, before the app's headers and whatever
    the app says: its request handler drops that header here. (gunicorn's is dropped by gunicorn.conf.py.)
    Idempotent: every app the process creates calls it."""
    send_header = WSGIRequestHandler.send_header
    if getattr(send_header, "drops_server_header", False):
        return

    def send_header_but_server(self, keyword: str, value: str) -> None:
        if keyword.lower() != "server":
            send_header(self, keyword, value)

    send_header_but_server.drops_server_header = True  # type: ignore[attr-defined]
    WSGIRequestHandler.send_header = send_header_but_server  # type: ignore[method-assign]
