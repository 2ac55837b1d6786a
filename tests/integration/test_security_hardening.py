"""Open redirects, rate limits on the forms that send mail, password hashing and its upgrade on login."""

import os
import uuid

import pytest
from werkzeug.security import generate_password_hash

from config import Config, ProductionConfig
from matchmaker.extensions import db, limiter
from matchmaker.links import safe_next
from matchmaker.services import accounts, user_sessions
from tests.factories import PASSWORD
from tests.helpers import sample_url

# --- open redirects --------------------------------------------------------------------------------------

# Each of these is taken by some browser as a link to another site.
FOREIGN = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",  # browsers read a backslash as a slash: //evil.example
    "\\\\evil.example/",
    "/\t/evil.example/",  # browsers drop tabs and newlines in URLs: //evil.example
    "/\n/evil.example/",
    "/\r/evil.example/",
    " //evil.example/",
    "javascript:alert(1)",
    "http:evil.example",
    "evil.example",
]


@pytest.mark.parametrize("target", FOREIGN)
def test_safe_next_refuses_every_way_to_another_site(target):
    assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/", "/events/3?tab=requests#r-2", "/catalogue/needs?q=a%20b"])
def test_safe_next_keeps_a_local_path(target):
    assert safe_next(target, "/home") == target


def test_safe_next_ignores_what_is_not_text():
    assert safe_next(["/x"], "/home") == "/home"  # type: ignore[arg-type]


@pytest.mark.parametrize("target", FOREIGN)
def test_login_never_sends_to_another_site(client, make_user, target):
    user = make_user()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", FOREIGN)
def test_language_switch_never_sends_to_another_site(client, target):
    response = client.post("/language", data={"language": "en", "next": target})
    assert response.headers["Location"] == "/en/"  # the home page in the chosen language


@pytest.mark.parametrize("target", ["/\\evil.example/", "/\t/evil.example/"])
def test_match_answer_never_sends_to_another_site(client, auth, target):
    auth.login_as("supplier")
    response = client.post("/matches/999/999/interest", data={"decision": "bogus", "next": target})
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"]


def test_every_redirect_to_a_next_goes_through_safe_next():
    """A grep: views follow a `next` only through pages.routes.safe_next (or a url_for of their own)."""
    root = os.path.join(os.path.dirname(__file__), "..", "..", "matchmaker")
    offenders = []
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as source:
                for number, line in enumerate(source, 1):
                    followed = "redirect(" in line and any(
                        word in line for word in ("next", "referrer", "request.args", "request.form")
                    )
                    if followed and "safe_next(" not in line and "url_for(" not in line:
                        offenders.append(f"{os.path.relpath(path, root)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


# --- rate limits --------------------------------------------------------------------------------------------


@pytest.fixture
def app_overrides(request):
    overrides = {"RATELIMIT_ENABLED": True}
    if request.node.name == "test_limits_are_shared_through_redis":
        url = os.environ.get("TEST_REDIS_URL")
        if not url:
            pytest.skip("TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379/15)")
        overrides["RATELIMIT_STORAGE_URI"] = url
        overrides["RATELIMIT_KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    return overrides


@pytest.fixture(autouse=True)
def fresh_limits(app):
    limiter.reset()
    yield
    limiter.reset()


def _posts_until_limited(client, path: str, data_of, limit: int = 40) -> int:
    """POST (as from one address) until a 429; the number of the refused attempt, or 0 if none was."""
    for n in range(1, limit + 1):
        response = client.post(path, data=data_of(n))
        assert response.status_code < 500, (path, response.status_code)
        if response.status_code == 429:
            return n
    return 0


MAIL_FORMS = {
    "register": (
        "/auth/register",
        lambda n: {
            "email": f"new{n}@example.org",
            "display_name": "New",
            "password": PASSWORD,
            "password_repeat": PASSWORD,
            "role": "supplier",
            "language": "en",
        },
    ),
    "reset": ("/auth/forgot-password", lambda n: {"email": f"someone{n}@example.org"}),
    "resend confirmation": ("/auth/confirm/new-link", lambda n: {"email": f"someone{n}@example.org"}),
    "contact": (
        "/contact",
        lambda n: {
            "name": "Someone",
            "email": f"someone{n}@example.org",
            "subject": "Hi",
            "message": "Hello " * 5,
        },
    ),
    "newsletter": ("/newsletter/", lambda n: {"email": f"someone{n}@example.org", "language": "en"}),
}


@pytest.mark.parametrize("form", sorted(MAIL_FORMS))
def test_every_public_form_that_sends_mail_is_rate_limited(client, form):
    path, data_of = MAIL_FORMS[form]
    refused_at = _posts_until_limited(client, path, data_of)
    assert 2 <= refused_at <= 25, f"{form}: refused at attempt {refused_at}"
    assert client.get(path).status_code == 200  # reading the form stays possible


def test_invitations_are_rate_limited_per_inviter(client, auth, make_organisation, app):
    user = auth.login_as("supplier", with_organisation=False)
    organisation = make_organisation(admins=(user,), kind="startup")
    path = f"/organisations/{organisation.id}/invitations/new"
    refused_at = _posts_until_limited(
        client, path, lambda n: {"email": f"colleague{n}@example.org", "role": "member"}, limit=60
    )
    assert 2 <= refused_at <= 50


def test_login_limit_counts_per_address_behind_the_proxy(database):
    """Behind the load balancer every request comes from its address: the limit must count the client's."""
    from tests.helpers import make_test_app

    app = make_test_app(database, RATELIMIT_ENABLED=True, PROXY_FIX_X_FOR=1, LOGIN_RATE_LIMIT="2 per minute")
    with app.app_context():
        limiter.reset()
        client = app.test_client()

        def attempt(ip: str) -> int:
            data = {"email": "nobody@example.org", "password": "wrong-password-123"}
            return client.post("/auth/login", data=data, headers={"X-Forwarded-For": ip}).status_code

        assert [attempt("198.51.100.1") for _ in range(3)] == [422, 422, 429]
        assert attempt("198.51.100.2") == 422  # another client is not locked out by the first one
        limiter.reset()
        db.session.remove()
        db.engine.dispose()


def test_failed_logins_are_limited_per_account_from_any_address(database):
    """Issue 14, finding 8: failed logins were limited per client address only, so guesses spread over many
    addresses were never stopped. Now an account takes a few failures a minute from anywhere; successful
    logins do not count, and another account is not affected."""
    from tests.factories import PASSWORD
    from tests.helpers import make_test_app

    app = make_test_app(
        database, RATELIMIT_ENABLED=True, PROXY_FIX_X_FOR=1, LOGIN_ACCOUNT_RATE_LIMIT="3 per minute"
    )
    with app.app_context():
        limiter.reset()
        client = app.test_client()
        for email in ("target@example.org", "other@example.org"):
            accounts.create_user(email, PASSWORD, "Someone", ("buyer",), language="en", confirmed=True)
        db.session.commit()

        def attempt(email: str, password: str, n: int) -> int:
            data = {"email": email, "password": password}
            headers = {"X-Forwarded-For": f"203.0.113.{n}"}
            status = client.post("/auth/login", data=data, headers=headers).status_code
            client.post("/auth/logout", headers=headers)
            return status

        assert attempt("target@example.org", PASSWORD, 1) == 302  # a success is not counted
        assert [attempt("target@example.org", "wrong guess number", n) for n in range(2, 6)] == [
            422,
            422,
            422,
            429,
        ]
        assert attempt("target@example.org", PASSWORD, 9) == 429  # locked for now, from a new address too
        assert attempt("other@example.org", "wrong guess number", 10) == 422
        limiter.reset()
        db.session.remove()
        db.engine.dispose()


def test_limits_are_shared_through_redis(app, client):
    """With REDIS_URL set the counters live in Redis, so every worker on every host sees them."""
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("redis://")
    assert type(limiter.storage).__name__ == "RedisStorage"
    path, data_of = MAIL_FORMS["reset"]
    assert 2 <= _posts_until_limited(client, path, data_of) <= 25


def test_redis_url_selects_redis_storage(monkeypatch):
    import importlib

    import config

    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/0")
    try:
        reloaded = importlib.reload(config)
        assert reloaded.Config.RATELIMIT_STORAGE_URI == "redis://cache.internal:6379/0"
        assert reloaded.ProductionConfig.RATELIMIT_STORAGE_URI == "redis://cache.internal:6379/0"
    finally:
        monkeypatch.delenv("REDIS_URL")
        importlib.reload(config)
    assert Config.RATELIMIT_STORAGE_URI in ("memory://", os.environ.get("REDIS_URL"))


# --- password hashing --------------------------------------------------------------------------------------


def test_production_hash_is_slow_scrypt():
    method = ProductionConfig.PASSWORD_HASH_METHOD
    hashed = generate_password_hash("a long enough password", method=method)
    name, *params = hashed.split("$", 1)[0].split(":")
    assert name == "scrypt"
    n, r, p = (int(x) for x in params)
    assert n >= 2**15 and r >= 8 and p >= 1  # about 32 MiB of memory per hash: slow to guess


@pytest.mark.parametrize(
    "old_method",
    ["pbkdf2:sha256:1000", "pbkdf2:sha256:600000", "scrypt:16384:8:1"],
    ids=["pbkdf2", "pbkdf2-high", "weak-scrypt"],
)
def test_login_upgrades_a_hash_made_with_other_settings(app, client, make_user, old_method):
    app.config["PASSWORD_HASH_METHOD"] = "scrypt"
    user = make_user()
    user.password_hash = generate_password_hash(PASSWORD, method=old_method)
    db.session.commit()
    user_sessions.start_session(user)  # logged in elsewhere
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.password_hash.startswith("scrypt:32768:8:1$")
    assert len(user_sessions.active_sessions(user)) == 2  # an upgrade does not end other sessions


def test_login_keeps_a_hash_that_is_current(app, client, make_user):
    user = make_user()
    before = user.password_hash
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    db.session.refresh(user)
    assert user.password_hash == before


# --- input no one sends by hand ----------------------------------------------------------------------------


def test_a_nul_character_is_dropped_before_any_view(client, outbox, make_user):
    """PostgreSQL cannot store NUL: without this guard any text field would answer 500 there. The character is
    dropped, so the rest of what was typed still counts."""
    make_user(email="someone@example.org")
    response = client.post("/auth/forgot-password", data={"email": "some\x00one@example.org"})
    assert response.status_code == 302
    assert [m.to for m in outbox] == ["someone@example.org"]
    assert client.get("/catalogue/offerings?q=a%00b").status_code == 200


def test_an_oversized_request_is_refused(app, client):
    body = {"email": "someone@example.org", "padding": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)}
    response = client.post("/auth/forgot-password", data=body)
    assert response.status_code == 413


# Anonymous POST routes without a rate limit, and why none is needed. A new public POST route must either be
# rate limited or be added here with its reason.
UNLIMITED_PUBLIC_POSTS = {
    "pages.set_language": "changes only the visitor's own session",
    "auth.logout": "ends the visitor's own session",
    "auth.confirm_email": "needs a signed link; sends nothing",
    "newsletter.confirm": "needs a signed link; sends nothing",
    "newsletter.manage": "needs the subscriber's signed link; sends nothing",
    "organisations.invitation": "needs the invitation's secret token; joining needs a login",
}


def test_every_public_post_route_is_rate_limited_or_says_why_not(app):
    client = app.test_client()
    unlimited = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "POST" not in rule.methods:
            continue
        url = sample_url(rule)
        limited = needs_login = False
        for _attempt in range(30):
            response = client.post(url, data={})
            assert response.status_code < 500, (url, response.status_code)
            if response.status_code == 429:
                limited = True
                break
            refused = response.status_code in (401, 403, 404)
            if refused or (response.status_code == 302 and "/auth/login" in response.headers["Location"]):
                needs_login = True  # not for visitors
                break
        if not limited and not needs_login and rule.endpoint not in UNLIMITED_PUBLIC_POSTS:
            unlimited.append(rule.endpoint)
    assert not unlimited, f"public POST routes without a rate limit: {sorted(set(unlimited))}"


def test_dropping_a_nul_keeps_numbers_within_the_database_range(client, auth):
    # A NUL anywhere in the query string used to swap the request's bounded arguments for plain ones.
    auth.login_as("admin")
    response = client.get("/admin/users?q=%00&page=99999999999999999999999")
    assert response.status_code == 200
