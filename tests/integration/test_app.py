"""The app factory, configuration and the shell around every page."""

import pytest

from config import ProductionConfig, TestConfig
from matchmaker.extensions import db
from tests.conftest import make_test_app


def test_home_page_renders_in_dutch_by_default(database):
    # The suite reads English by default (tests/conftest.py); the product's own default is Dutch.
    app = make_test_app(database, BABEL_DEFAULT_LOCALE=TestConfig.BABEL_DEFAULT_LOCALE)
    with app.app_context():
        response = app.test_client().get("/")
        db.engine.dispose()
    assert TestConfig.BABEL_DEFAULT_LOCALE == "nl"
    assert response.status_code == 200
    assert b'<html lang="nl">' in response.data
    assert b"Aanmelden" in response.data


def test_production_refuses_the_development_secret_key(monkeypatch):
    from matchmaker import create_app

    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "dev-only-secret-key-change-me")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_security_headers_are_set(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_unknown_page_gets_translated_404(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "fr"})
    assert response.status_code == 404
    assert b'<html lang="fr">' in response.data


def test_production_cookies_are_hardened(monkeypatch):
    from matchmaker import create_app

    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 48)
    app = create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert app.config["PASSWORD_HASH_METHOD"] == "scrypt"
    response = app.test_client().get("/")
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_language_switch_is_remembered_in_the_session(client):
    response = client.post("/language", data={"language": "en", "next": "/"})
    assert response.status_code == 302
    assert b'<html lang="en">' in client.get("/").data


def test_language_switch_never_redirects_to_another_site(client):
    response = client.post("/language", data={"language": "fr", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


@pytest.mark.fresh_app
def test_unexpected_error_gets_the_500_page_without_a_trace(app, client):
    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom-for-test", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    assert b"secret internals" not in response.data
    assert b"Something went wrong" in response.data
