"""Password hashing and the password policy."""

import time

import pytest
from flask import Flask
from werkzeug.security import check_password_hash

from config import Config, ProductionConfig
from matchmaker.services import accounts


@pytest.fixture
def production_hashing():
    """An app context with the production hash settings (and nothing else: no database needed)."""
    app = Flask(__name__)
    app.config.from_object(ProductionConfig)
    with app.app_context():
        yield app


def test_production_hashes_with_scrypt():
    assert Config.PASSWORD_HASH_METHOD.startswith("scrypt")
    assert ProductionConfig.PASSWORD_HASH_METHOD == Config.PASSWORD_HASH_METHOD


def test_production_hash_is_salted_and_verifies(production_hashing):
    first = accounts.hash_password("correct-horse-battery")
    second = accounts.hash_password("correct-horse-battery")
    assert first.startswith("scrypt:")
    assert first != second
    assert check_password_hash(first, "correct-horse-battery")
    assert not check_password_hash(first, "correct-horse-batterY")


def test_production_hash_is_deliberately_slow(production_hashing):
    started = time.perf_counter()
    accounts.hash_password("correct-horse-battery")
    elapsed = time.perf_counter() - started
    # scrypt with N=2**15, r=8 needs 32 MiB and tens of milliseconds; a fast hash takes microseconds.
    assert elapsed > 0.01, f"hashing took only {elapsed * 1000:.2f} ms"


def test_verifying_an_unknown_account_still_costs_a_hash(production_hashing, monkeypatch):
    calls = []
    real_check = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda *a: calls.append(a) or real_check(*a))
    assert accounts.verify_password(None, "anything at all") is False
    assert len(calls) == 1 and calls[0][0].startswith("scrypt:")


@pytest.fixture
def in_request(app):
    """The policy's messages are translated for the current request (English here)."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.mark.parametrize(
    ("password", "email", "problem"),
    [
        ("short pass", "", "Use at least 12 characters."),
        ("x" * 129, "", "Use at most 128 characters."),
        ("Wachtwoord123", "", "This password is too easy to guess."),
        ("abababababababab", "", "This password is too easy to guess."),
        ("marie.dubois is here", "Marie.Dubois@example.be", "Do not use your email address"),
    ],
)
def test_password_policy_refuses(in_request, password, email, problem):
    assert any(problem in p for p in accounts.password_problems(password, email))


@pytest.mark.parametrize("password", ["correct-horse-battery", "Drie bruine beren in Gent", "k7#Vq!p2Lx@9"])
def test_password_policy_accepts(in_request, password):
    assert accounts.password_problems(password, "jan@example.org") == []


@pytest.mark.parametrize(
    ("password", "why"),
    [
        # Issue 14, finding 8: accepted before (12 characters or more, not in the short list).
        ("password12345", "a common word, name or password"),
        ("qwertyuiop123", "a common word, name or password"),
        ("letmein12345", "a common word, name or password"),
        ("ab1!ab1!ab1!", "repeats characters or words"),
        ("vlaanderen2025!", "a common word, name or password"),  # a local word zxcvbn's lists lack
        ("Janssens2024!", "a common word, name or password"),  # the person's own name and a year
    ],
)
def test_guessable_passwords_are_refused_with_the_reason(in_request, password, why):
    problems = accounts.password_problems(password, "jan.janssens@example.org", ("Jan Janssens",))
    assert len(problems) == 1 and "too easy to guess" in problems[0] and why in problems[0], problems


def test_the_reason_is_given_in_the_users_language(app):
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        (problem,) = accounts.password_problems("qwertyuiop123", "jan@example.org")
    assert "too easy" not in problem and "wachtwoord" in problem.lower()
