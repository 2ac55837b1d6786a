"""Security headers on every response, and the client's real address behind a proxy."""

from flask import Flask, Response, abort, request
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    hops = app.config.get("PROXY_FIX_X_FOR", 0)
    if hops:
        # Rate limits count per client address and url_for(_external) needs the scheme the client used.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    @app.before_request
    def refuse_nul_characters() -> None:
        """No one types a NUL character; PostgreSQL refuses to store one (a 500 deep inside any form)."""
        for values in (request.args, request.form):
            for _key, value in values.items(multi=True):
                if "\x00" in value or "\x00" in _key:
                    abort(400)

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", app.config["CONTENT_SECURITY_POLICY"])
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
        )
        if app.config.get("HSTS"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "static":
            # Pages, exports (CSV, PDF, .ics, JSON) may hold personal data: never kept by browsers or proxies.
            headers.setdefault("Cache-Control", "no-store")
        # Say nothing about the software behind the site.
        headers.pop("Server", None)
        headers.pop("X-Powered-By", None)
        return response
