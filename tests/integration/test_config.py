"""Configuration: every key the application reads is declared on `config.Config` and documented in the README,
and the settings that say what they do really do it (SESSION_PROTECTION)."""

import ast
import re
from pathlib import Path

import pytest

import config
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
KEY = re.compile(r"^[A-Z][A-Z0-9_]+$")
TEMPLATE_KEY = re.compile(r"\bconfig(?:\.|\[[\"'])([A-Z][A-Z0-9_]+)")


def _is_config(node: ast.expr) -> bool:
    """`app.config`, `current_app.config`, `self.app.config` or a local alias named `cfg` / `config`."""
    return (isinstance(node, ast.Attribute) and node.attr == "config") or (
        isinstance(node, ast.Name) and node.id in {"cfg", "config"}
    )


def _key(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and KEY.match(node.value):
        return node.value
    return None


def keys_read_in(source: str) -> set[str]:
    keys = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Subscript) and _is_config(node.value):
            keys.add(_key(node.slice))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"get", "setdefault"}
            and _is_config(node.func.value)
            and node.args
        ):
            keys.add(_key(node.args[0]))
    keys.discard(None)
    return keys


def keys_read_by_the_app() -> dict[str, str]:
    """Every configuration key read in matchmaker/, wsgi.py and the templates, with a file that reads it."""
    found = {}
    for path in [*sorted((ROOT / "matchmaker").rglob("*.py")), ROOT / "wsgi.py"]:
        for key in keys_read_in(path.read_text(encoding="utf-8")):
            found.setdefault(key, str(path.relative_to(ROOT)))
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for key in TEMPLATE_KEY.findall(path.read_text(encoding="utf-8")):
            found.setdefault(key, str(path.relative_to(ROOT)))
    return found


def test_the_scanner_finds_reads_of_every_form():
    source = (
        'a = current_app.config["ONE"]\nb = app.config.get("TWO", 2)\ncfg = app.config\nc = cfg["THREE"]\n'
        'd = self.app.config.setdefault("FOUR", 4)\ne = config.text_weight\nf = other["FIVE"]\n'
    )
    assert keys_read_in(source) == {"ONE", "TWO", "THREE", "FOUR"}
    assert TEMPLATE_KEY.findall("{{ config.PASSWORD_MIN_LENGTH }} {{ config['PAGE_SIZE'] }}") == [
        "PASSWORD_MIN_LENGTH",
        "PAGE_SIZE",
    ]


def test_every_key_the_app_reads_is_declared_in_config():
    found = keys_read_by_the_app()
    assert {"SCHEDULER_TIME_LIMIT", "TASK_MODE", "SECRET_KEY", "MAIL_SERVER"} <= set(found)  # it scans
    undeclared = {key: where for key, where in found.items() if not hasattr(config.Config, key)}
    assert not undeclared, f"declare these on config.Config (with a comment): {undeclared}"


def test_every_key_the_app_reads_is_in_the_readme_configuration_section():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    missing = sorted(key for key in keys_read_by_the_app() if f"`{key}`" not in section)
    assert not missing, f"document these in the README's configuration tables: {missing}"


def test_no_setting_is_assigned_twice_in_a_config_class():
    tree = ast.parse((ROOT / "config.py").read_text(encoding="utf-8"))
    for cls in (node for node in tree.body if isinstance(node, ast.ClassDef)):
        names = [
            target.id
            for statement in cls.body
            if isinstance(statement, ast.Assign | ast.AnnAssign)
            for target in (statement.targets if isinstance(statement, ast.Assign) else [statement.target])
            if isinstance(target, ast.Name)
        ]
        twice = {name for name in names if names.count(name) > 1}
        assert not twice, f"{cls.name} assigns {twice} twice"


@pytest.mark.parametrize(
    ("app_overrides", "still_logged_in"),
    [({"SESSION_PROTECTION": "basic"}, True), ({"SESSION_PROTECTION": "strong"}, False)],
)
def test_session_protection_follows_the_configuration(client, make_user, still_logged_in):
    make_user(email="moving@example.org")
    browser = {"User-Agent": "Firefox on a laptop"}
    login = {"email": "moving@example.org", "password": PASSWORD}
    assert client.post("/auth/login", data=login, headers=browser).status_code == 302
    assert client.get("/account/", headers=browser).status_code == 200
    # The same session cookie, seen from another browser (a stolen cookie): "strong" ends the session.
    elsewhere = client.get("/account/", headers={"User-Agent": "curl"})
    assert (elsewhere.status_code == 200) is still_logged_in
    if not still_logged_in:
        assert elsewhere.status_code == 302 and "/auth/login" in elsewhere.location


def test_a_declared_key_is_read_without_a_second_default():
    """`config.get("KEY", default)` would keep a default of its own beside the one in config.py."""
    repeated = []
    for path in sorted((ROOT / "matchmaker").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and _is_config(node.func.value)
                and node.args
                and _key(node.args[0])
                and len(node.args) + len(node.keywords) > 1
            ):
                repeated.append(f"{path.relative_to(ROOT)}:{node.lineno} {_key(node.args[0])}")
    assert repeated == []
