"""Every write is protected against cross-site request forgery."""

import pytest
from werkzeug.routing import Rule

from matchmaker.extensions import db
from matchmaker.services import user_sessions
from tests.helpers import make_test_app, sample_url


@pytest.fixture
def csrf_app(database):
    app = make_test_app(database, WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app
        db.session.remove()
        # Close this app's pooled connections now, not whenever the garbage collector gets to them.
        db.engine.dispose()


def _write_rules(app) -> list[Rule]:
    return [
        r
        for r in app.url_map.iter_rules()
        if r.methods & {"POST", "PUT", "PATCH", "DELETE"} and r.endpoint != "static"
    ]


def test_there_are_write_routes_to_check(csrf_app):
    assert len(_write_rules(csrf_app)) >= 3


def test_every_write_route_refuses_a_request_without_csrf_token(csrf_app, make_user):
    client = csrf_app.test_client()
    user = make_user()
    with client.session_transaction() as session:
        session["_user_id"] = user_sessions.start_session(user)
    unprotected = []
    for rule in _write_rules(csrf_app):
        method = sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"})[0]
        response = client.open(sample_url(rule), method=method, data={})
        if response.status_code != 400:
            unprotected.append((rule.rule, response.status_code))
    assert not unprotected, f"write routes accepted a request without CSRF token: {unprotected}"


def test_csrf_error_page_is_translated(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/language", data={"language": "fr"}, headers={"Accept-Language": "fr"})
    assert response.status_code == 400
    assert b'<html lang="fr">' in response.data
