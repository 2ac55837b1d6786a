"""Services know nothing of the web request (STYLE.md, "Service kernel").

They take a `User` or None, never Flask-Login's proxy, and never read the request, the session, cookies or
`g`; links outside a view come from matchmaker.links. Read from the source (ast), so a web import in any
service module fails here even when no test exercises that line.
"""

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "matchmaker" / "services"

# What a service may take from flask: the app (config, extensions) and templates (mails, rendered anywhere).
FLASK_ALLOWED = {"Flask", "current_app", "render_template"}
FORBIDDEN_MODULES = {"flask_login", "flask_wtf"}
# Names and attributes that only make sense inside a request or a login session.
FORBIDDEN_NAMES = {
    "current_user",
    "login_user",
    "logout_user",
    "test_request_context",
    "has_request_context",
    "request_ctx",
    "is_authenticated",
    "is_anonymous",
}


def web_uses(source: str) -> list[str]:
    """The request-bound things a module's source uses, as 'line: what'."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            root = node.module.split(".")[0]
            if root in FORBIDDEN_MODULES:
                found.append(f"{node.lineno}: from {node.module} import ...")
            elif node.module == "flask":
                found += [
                    f"{node.lineno}: from flask import {alias.name}"
                    for alias in node.names
                    if alias.name not in FLASK_ALLOWED
                ]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in FORBIDDEN_MODULES or alias.name == "flask":
                    found.append(f"{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            found.append(f"{node.lineno}: {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_NAMES | {"request", "session", "g"}:
            value = node.value
            # flask.request, app.test_request_context...; not db.session, nor a row's .request
            if node.attr in FORBIDDEN_NAMES or (isinstance(value, ast.Name) and value.id == "flask"):
                found.append(f"{node.lineno}: .{node.attr}")
    return found


def _service_modules() -> list[Path]:
    return sorted(SERVICES.rglob("*.py"))


def test_there_are_service_modules_to_check():
    names = {path.relative_to(SERVICES).as_posix() for path in _service_modules()}
    assert {"accounts.py", "organisations.py", "newsletter.py"} <= names
    assert any(name.startswith("scheduling/") for name in names)


@pytest.mark.parametrize("path", _service_modules(), ids=lambda path: path.relative_to(SERVICES).as_posix())
def test_service_module_uses_nothing_of_the_request(path: Path):
    assert web_uses(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from flask import request", "1: from flask import request"),
        ("from flask import current_app, session", "1: from flask import session"),
        ("from flask import g", "1: from flask import g"),
        ("from flask import url_for", "1: from flask import url_for"),
        ("from flask_login import current_user", "1: from flask_login import ..."),
        ("import flask_login", "1: import flask_login"),
        ("import flask\nflask.request.cookies", "1: import flask"),
        ("with app.test_request_context():\n    pass", "1: .test_request_context"),
        ("def f(user):\n    return user.is_authenticated", "2: .is_authenticated"),
    ],
)
def test_the_check_finds_each_kind_of_web_use(source, expected):
    assert expected in web_uses(source)


def test_the_check_leaves_database_sessions_and_mails_alone():
    source = (
        "from flask import current_app, render_template\n"
        "db.session.commit()\n"
        "request = db.session.get(MeetingRequest, 1)\n"
        "other = request.from_registration\n"
    )
    assert web_uses(source) == []
