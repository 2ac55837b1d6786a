"""The web side of accounts (matchmaker.auth.sessions): routes hand services a User or None."""

import pytest
from flask import session
from flask_login import current_user

from matchmaker.auth import sessions
from matchmaker.models import User
from matchmaker.services import ServiceError, accounts
from tests.factories import PASSWORD


def test_an_anonymous_visitor_acts_as_none(app):
    with app.test_request_context("/"):
        assert not current_user.is_authenticated
        assert sessions.acting_user() is None


def test_a_logged_in_person_acts_as_their_user_not_as_the_login_proxy(app, make_user):
    user = make_user()
    with app.test_request_context("/"):
        sessions.log_in(user.email, PASSWORD)
        acting = sessions.acting_user()
        assert type(acting) is User and acting.id == user.id
        sessions.log_out()
        assert sessions.acting_user() is None


def test_refused_credentials_start_no_session(app, make_user):
    user = make_user()
    with app.test_request_context("/"):
        with pytest.raises(ServiceError):
            sessions.log_in(user.email, "not the password")
        assert sessions.acting_user() is None


def test_the_service_checks_credentials_without_a_request(app, make_user):
    user = make_user()
    assert accounts.authenticate(user.email, PASSWORD).id == user.id  # a bare app context: no request at all
    with pytest.raises(ServiceError):
        accounts.authenticate(user.email, "not the password")


def test_the_language_of_the_session_is_remembered(app):
    with app.test_request_context("/"):
        sessions.remember_language("fr")
        assert session["language"] == "fr"
