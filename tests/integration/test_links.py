"""One link builder for links outside views (matchmaker.links): no request needed, on SERVER_BASE_URL."""

from types import SimpleNamespace
from urllib.parse import parse_qs

import pytest
from flask import has_request_context, url_for
from werkzeug.routing import BuildError

from matchmaker import links
from matchmaker.services import tokens
from matchmaker.services.event_rules import EVENT_PAGES, event_path


def test_links_are_built_in_a_bare_app_context_without_a_request(app):
    assert not has_request_context()
    assert links.path("events.detail", event_id=3) == "/events/3"
    assert links.external_url("events.detail", event_id=3) == "http://localhost/events/3"
    assert links.external_url("agendas.calendar_feed", token="abc") == "http://localhost/calendar/abc.ics"


def test_a_base_url_with_a_path_prefix_is_kept_in_front_of_every_link(app, monkeypatch):
    monkeypatch.setitem(app.config, "SERVER_BASE_URL", "https://example.org/matchmaker/")
    assert links.external_url("events.requests", event_id=7) == "https://example.org/matchmaker/events/7/requests"
    assert links.external_url("newsletter.subscribe") == "https://example.org/matchmaker/newsletter/"
    assert links.absolute("/notifications/settings") == "https://example.org/matchmaker/notifications/settings"
    assert links.absolute("notifications/") == "https://example.org/matchmaker/notifications/"


def test_values_outside_the_route_become_the_query_and_the_anchor_a_fragment(app):
    url = links.external_url("auth.login", next="/events/3?tab=a b&x=1", empty=None)
    address, _, query = url.partition("?")
    assert address == "http://localhost/auth/login"
    assert parse_qs(query) == {"next": ["/events/3?tab=a b&x=1"]}  # one value, read back whole
    with app.test_request_context():
        assert url == "http://localhost" + url_for("auth.login", next="/events/3?tab=a b&x=1")
    assert links.path("matches.mutual", _anchor="match-12") == "/matches/mutual#match-12"
    assert links.path("auth.reset_password", token="a b") == "/auth/reset-password/a%20b"


def test_absolute_leaves_empty_values_and_full_addresses_alone(app):
    assert links.absolute(None) is None
    assert links.absolute("") is None
    assert links.absolute("https://elsewhere.example/x?y=http://z") == "https://elsewhere.example/x?y=http://z"


def test_inside_a_request_the_link_still_uses_the_public_address_not_the_request_host(app):
    with app.test_request_context("/", base_url="http://10.0.0.5:8000/internal/"):
        assert url_for("events.detail", event_id=3) == "/internal/events/3"  # the view's own, relative link
        assert links.external_url("events.detail", event_id=3) == "http://localhost/events/3"
        assert links.path("events.detail", event_id=3) == "/events/3"


def test_an_unknown_endpoint_or_a_missing_value_is_an_error_not_a_broken_link(app):
    with pytest.raises(BuildError):
        links.external_url("events.no_such_page", event_id=1)
    with pytest.raises(BuildError):
        links.external_url("events.detail")


def test_event_pages_keep_their_addresses(app):
    event = SimpleNamespace(id=5)
    expected = {
        "": "/events/5",
        "agenda": "/events/5/agenda",
        "dashboard": "/events/5/dashboard",
        "participants": "/events/5/participants",
        "requests": "/events/5/requests",
        "schedule": "/events/5/schedule",
    }
    assert {page: event_path(event, page) for page in EVENT_PAGES} == expected


def test_tokens_only_sign_the_links_are_built_here():
    assert not hasattr(tokens, "absolute_url")
