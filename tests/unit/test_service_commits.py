"""Services end a write through the kernel (`commit()`, `unit_of_work()`, `claimed()`), which rolls back
and turns an integrity error into a refusal. A bare `db.session.commit()` is allowed only where the service
itself handles the integrity error (a race it retries or resolves), inside a `try` that catches it. Rolling
back is the kernel's `discard()`, everywhere in the app."""

import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "matchmaker" / "services"


def _is_session_commit(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
        and ast.unparse(node.func.value) == "db.session"
    )


def _is_session_rollback(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "rollback"
        and ast.unparse(node.func.value) == "db.session"
    )


def _catches_integrity_error(handler: ast.ExceptHandler) -> bool:
    return handler.type is not None and "IntegrityError" in ast.unparse(handler.type)


def bare_commits(source: str) -> list[int]:
    """Lines of `db.session.commit()` calls that no enclosing `try` guards against an IntegrityError."""
    tree = ast.parse(source)
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(_catches_integrity_error(h) for h in node.handlers):
            for statement in node.body:
                guarded |= {id(inner) for inner in ast.walk(statement)}
    return [node.lineno for node in ast.walk(tree) if _is_session_commit(node) and id(node) not in guarded]


def test_the_check_finds_a_bare_commit_and_accepts_a_guarded_one():
    source = """
def save():
    db.session.commit()

def claim():
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()

def other():
    try:
        db.session.commit()
    except ValueError:
        pass
"""
    assert bare_commits(source) == [3, 13]


def test_services_commit_through_the_kernel():
    found = {
        str(path.relative_to(SERVICES)): lines
        for path in sorted(SERVICES.rglob("*.py"))
        if path.name != "kernel.py" and (lines := bare_commits(path.read_text(encoding="utf-8")))
    }
    assert not found, f"use the kernel's commit() (matchmaker/services/kernel.py) instead of: {found}"


def test_only_the_kernel_rolls_the_session_back():
    root = SERVICES.parent
    found = {
        str(path.relative_to(root)): [
            node.lineno
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if _is_session_rollback(node)
        ]
        for path in sorted(root.rglob("*.py"))
        if path != SERVICES / "kernel.py"
    }
    found = {name: lines for name, lines in found.items() if lines}
    assert not found, f"use discard() from matchmaker.services.kernel instead of: {found}"
