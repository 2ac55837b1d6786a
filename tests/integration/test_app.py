"""The app factory, configuration and the shell around every page."""

import pytest

from config import ProductionConfig


def test_home_page_renders_in_dutch_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b'<html lang="nl">' in response.data


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
