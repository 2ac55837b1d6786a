"""The app factory, configuration and the shell around every page."""

import pytest

from config import ProductionConfig, TestConfig
from matchmaker.extensions import db
from tests.helpers import make_test_app


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
    # Eager jobs: the embedded mode's task ticker would outlive the test (tests/conftest.py).
    app = create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI="sqlite://", TASK_MODE="eager")
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
    assert response.headers["Location"] == "/fr/"  # the home page in the chosen language


@pytest.mark.fresh_app
def test_unexpected_error_gets_the_500_page_without_a_trace(app, client):
    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom-for-test", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    assert b"secret internals" not in response.data
    assert b"Something went wrong" in response.data


def test_template_translations_follow_the_request_and_forced_locale(app):
    # Templates translate through matchmaker.i18n's own callables, which keep the catalogue once per request:
    # a language forced for a mail inside a request, and the next request in another language, must not
    # reuse the catalogue that was kept.
    from flask import render_template_string
    from flask_babel import force_locale

    page = "{{ _('Interested') }}|{{ ngettext('%(num)d failed job', '%(num)d failed jobs', 3) }}"
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        french = render_template_string(page)
        with force_locale("nl"):
            dutch = render_template_string(page)
        again = render_template_string(page)
    with app.test_request_context("/", headers={"Accept-Language": "nl"}):
        next_request = render_template_string(page)
    assert french == "Intéressé|3 tâches échouées"
    assert dutch == "Geïnteresseerd|3 mislukte taken"
    assert again == french
    assert next_request == dutch


def test_template_translations_escape_their_arguments_only_when_autoescaping(app):
    page = (
        "{{ _('%(n)s <b>', n='<i>') }}|"
        "{% autoescape false %}{{ _('%(n)s <b>', n='<i>') }}{% endautoescape %}"
    )
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert app.jinja_env.from_string(page).render() == "&lt;i&gt; <b>|<i> <b>"


def test_template_links_are_the_links_url_for_makes(app):
    # Templates build links with integer values from a learnt pattern (matchmaker.templating): the same links
    # url_for makes, under a path prefix too, with query values, anchors and values of other types.
    from flask import url_for

    from matchmaker.templating import template_url_for

    calls = [
        ("matches.why", {"need_id": 12, "offering_id": 3}),
        ("matches.why", {"need_id": 7, "offering_id": 123456}),
        ("catalogue.need", {"need_id": 5, "page": 2}),  # a value that is not part of the path: the query
        ("catalogue.need", {"need_id": 5, "_anchor": "top"}),
        ("catalogue.browse_offerings", {"q": "bus {1}", "page": 3}),
        ("catalogue.browse_offerings", {"page": 3, "theme": 9}),
        ("catalogue.offering", {"offering_id": True}),
        ("matches.index", {}),
    ]
    for prefix in ("", "/matchmaker"):
        with app.test_request_context("/", base_url=f"http://localhost{prefix}/"):
            for endpoint, values in calls * 2:  # the second time from the learnt pattern
                assert template_url_for(endpoint, **values) == url_for(endpoint, **values), (prefix, endpoint)
            assert template_url_for("matches.why", need_id=1, offering_id=2) == f"{prefix}/matches/1/2/why"
