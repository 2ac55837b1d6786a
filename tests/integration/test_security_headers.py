"""Security headers on every kind of response, hardened cookies of a production-configured app after a real
login (with CSRF token and the production password hash), and templates that a strict CSP can serve."""

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from config import ProductionConfig
from matchmaker import create_app
from matchmaker.extensions import db, limiter
from matchmaker.services import accounts
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def _directives(csp: str) -> dict[str, list[str]]:
    directives = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def _check_headers(response, production: bool = False) -> None:
    csp = _directives(response.headers["Content-Security-Policy"])
    for directive in ("script-src", "style-src"):
        assert csp[directive] == ["'self'"], directive  # no 'unsafe-inline', no 'unsafe-eval', no hosts
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "geolocation=()" in response.headers["Permissions-Policy"]
    assert "Server" not in response.headers and "X-Powered-By" not in response.headers
    if production:
        hsts = response.headers["Strict-Transport-Security"]
        assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 180 * 24 * 3600
    else:
        assert "Strict-Transport-Security" not in response.headers  # plain-HTTP development would be stuck


@pytest.mark.parametrize(
    "path, status",
    [
        ("/", 200),
        ("/auth/login", 200),
        ("/no-such-page", 404),
        ("/tracker/export.csv", 200),
        ("/healthz", 200),
    ],
)
def test_every_response_carries_the_security_headers(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    _check_headers(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_private_downloads_are_never_cached(client, auth):
    auth.login_as("supplier")
    response = client.get("/account/data/export.json")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


def test_static_files_keep_their_own_caching(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


@pytest.mark.fresh_app
def test_errors_carry_the_headers_too(app, client):
    @app.get("/boom-for-headers")
    def boom():
        raise RuntimeError("internal detail")

    response = client.get("/boom-for-headers")
    assert response.status_code == 500
    _check_headers(response)
    assert b"internal detail" not in response.data and b"Werkzeug" not in response.data


# --- templates a strict CSP can serve -------------------------------------------------------------------

INLINE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "<style> block": re.compile(r"<style[\s>]", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_no_template_needs_unsafe_inline():
    problems = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        if path.parent.name == "email":
            continue  # mail HTML: mail programs drop <style> sheets, so its styles are inline (no CSP there)
        text = path.read_text(encoding="utf-8")
        for what, pattern in INLINE.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not problems, "\n".join(problems)


def test_scripts_and_styles_are_served_from_the_site_itself(client):
    page = client.get("/").get_data(as_text=True)
    sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', page) + re.findall(
        r'<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"', page
    )
    assert sources
    assert all(src.startswith("/static/") for src in sources), sources


# --- cookies of a production app ---------------------------------------------------------------------------


@pytest.fixture
def production_app(app, database, monkeypatch):
    """A production-configured app on the test database (the `app` fixture empties the tables afterwards)."""
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "test-secret-key-for-the-production-cookie-test")
    production = create_app(
        ProductionConfig,
        SQLALCHEMY_DATABASE_URI=database["url"],
        SQLALCHEMY_ENGINE_OPTIONS=database["options"],
        MAIL_BACKEND="memory",
        RATELIMIT_STORAGE_URI="memory://",
        BABEL_DEFAULT_LOCALE="en",
        TASK_MODE="eager",  # the embedded mode's ticker would sweep the test database long after the test
    )
    with production.app_context():
        user = accounts.create_user(
            "prod@example.org", PASSWORD, "Prod User", roles=("supplier",), confirmed=True
        )
        db.session.commit()
        assert user.password_hash.startswith("scrypt:")
        yield production
        limiter.reset()
        db.session.remove()
        db.engine.dispose()


def _login(production_app, remember: bool):
    client = production_app.test_client()
    page = client.get("https://localhost/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert token, "the login form carries a CSRF token"
    data = {"csrf_token": token.group(1), "email": "prod@example.org", "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    # Over HTTPS Flask-WTF also wants a Referer of this site, as browsers send it.
    response = client.post(
        "https://localhost/auth/login", data=data, headers={"Referer": "https://localhost/auth/login"}
    )
    assert response.status_code == 302, response.status_code
    return client, response


def _cookie(response, name: str) -> dict[str, str]:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            attributes = {}
            for part in header.split(";")[1:]:
                key, _, value = part.strip().partition("=")
                attributes[key.lower()] = value
            return attributes
    raise AssertionError(f"no {name} cookie in {response.headers.getlist('Set-Cookie')}")


def test_production_session_and_remember_cookies_are_hardened(production_app):
    _client, response = _login(production_app, remember=True)
    for name in ("__Host-mm_session", "__Host-mm_remember"):
        cookie = _cookie(response, name)
        assert "secure" in cookie, name
        assert "httponly" in cookie, name
        assert cookie["samesite"] == "Lax", name
        assert cookie["path"] == "/" and "domain" not in cookie, name  # what the __Host- prefix demands
    expires = parsedate_to_datetime(_cookie(response, "__Host-mm_remember")["expires"])
    assert timedelta(days=1) < expires - datetime.now(UTC) <= timedelta(days=31)
    _check_headers(response, production=True)


def test_production_login_without_remember_me_sets_no_remember_cookie(production_app):
    _client, response = _login(production_app, remember=False)
    assert "expires" not in _cookie(response, "__Host-mm_session")  # ends with the browser session
    assert not any(c.startswith("__Host-mm_remember=") for c in response.headers.getlist("Set-Cookie"))


def test_production_session_settings(production_app):
    config = production_app.config
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_HTTPONLY"] and config["REMEMBER_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert config["PERMANENT_SESSION_LIFETIME"] <= timedelta(hours=24)
    assert config["REMEMBER_COOKIE_DURATION"] <= timedelta(days=30)
    assert config["SESSION_PROTECTION"] in ("basic", "strong")
    assert config["WTF_CSRF_ENABLED"] is not False
    assert config["RATELIMIT_ENABLED"] is True
    assert config["PASSWORD_HASH_METHOD"] == "scrypt"


def test_production_app_sees_the_client_behind_the_load_balancer(production_app):
    seen = {}

    @production_app.get("/whoami-for-test")
    def whoami():
        from flask import request

        seen.update(addr=request.remote_addr, scheme=request.scheme)
        return ""

    production_app.test_client().get(
        "/whoami-for-test", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    )
    assert seen == {"addr": "203.0.113.9", "scheme": "https"}


@pytest.mark.fresh_app
def test_without_a_proxy_forwarded_headers_are_ignored(app, client):
    seen = {}

    @app.get("/whoami-direct-for-test")
    def whoami():
        from flask import request

        seen.update(addr=request.remote_addr)
        return ""

    client.get("/whoami-direct-for-test", headers={"X-Forwarded-For": "203.0.113.9"})
    assert seen["addr"] != "203.0.113.9"  # anyone can send the header: trusted only when configured


def test_development_cookies_are_httponly_and_samesite(client, make_user):
    user = make_user()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    for name in ("mm_session", "mm_remember"):
        cookie = _cookie(response, name)
        assert "httponly" in cookie and cookie["samesite"] == "Lax", name


def test_a_session_ends_after_its_lifetime_even_if_the_browser_keeps_the_cookie(
    app, client, make_user, monkeypatch
):
    """The signed session cookie carries its date: older than PERMANENT_SESSION_LIFETIME, it is refused."""
    import time

    from itsdangerous.timed import TimestampSigner

    user = make_user()
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    signed_at = int(time.time() - lifetime.total_seconds() - 60)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: signed_at)
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    monkeypatch.undo()
    response = client.get("/account/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    fresh = app.test_client()
    fresh.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert fresh.get("/account/").status_code == 200  # a session within its lifetime works
