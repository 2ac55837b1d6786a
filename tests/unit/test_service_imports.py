"""No import cycle between the modules of matchmaker/services (STYLE.md, "Service kernel").

A module that many others import is a leaf: it imports none of them back. Every import counts, also one
written inside a function to dodge the cycle at import time: the modules still depend on each other.
The modules are read with `ast`, never imported, so the check sees what is written.
"""

import ast
from pathlib import Path

import matchmaker.services

SERVICES = "matchmaker.services"


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Every module of the package under `root`, by dotted name (a package is its __init__ module)."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join([package, *parts])] = path
    return modules


def _absolute(module: str, is_package: bool, target: str | None, level: int) -> str:
    """The dotted name an ImportFrom names, relative imports resolved."""
    if level == 0:
        return target or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, target] if target else base)


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """The module `name` is, or is in (`a.b.c` where c is a function of module `a.b`)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of `modules` that `module` imports anywhere in its text (module level or in functions)."""
    is_package = path.name == "__init__.py"
    found: set[str | None] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(_known(alias.name, modules) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, is_package, node.module, node.level)
            for alias in node.names:
                # `from pkg import sub` imports the submodule; `from pkg import name` the package's __init__.
                found.add(_known(f"{base}.{alias.name}", modules) or _known(base, modules))
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                or (isinstance(node.func, ast.Name) and node.func.id in ("import_module", "__import__"))
            )
        ):
            found.add(_known(node.args[0].value, modules))
    found.discard(None)
    found.discard(module)
    return found  # type: ignore[return-value]


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    modules = module_names(root, package)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a, b, ..., a) for every group of modules that import each other (Tarjan's components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_in(group, graph) for group in groups]


def _cycle_in(group: set[str], graph: dict[str, set[str]]) -> list[str]:
    """A path through the group that comes back to where it started (shortest from its first module)."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph.get(node, set()) & group):
                if nxt == start:
                    return [*paths[node], start]
                if nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # pragma: no cover - a component always has one


def test_no_import_cycle_between_services():
    root = Path(matchmaker.services.__file__).parent
    graph = import_graph(root, SERVICES)
    assert f"{SERVICES}.scheduling.runs" in graph and f"{SERVICES}.events" in graph  # it read the tree
    cycles = find_cycles(graph)
    assert not cycles, "import cycles between services:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_event_rules_are_a_leaf():
    """Every service asks the event rules (clock, paths, permissions, windows): they ask none back, only
    the refusals all services share (the package's own __init__, which re-exports the kernel, a leaf too)."""
    root = Path(matchmaker.services.__file__).parent
    graph = import_graph(root, SERVICES)
    kernel = f"{SERVICES}.kernel"
    assert graph[SERVICES] <= {kernel}
    assert graph[kernel] == set()
    assert graph[f"{SERVICES}.event_rules"] <= {SERVICES, kernel}


# --- the checker itself ---------------------------------------------------------------------------------


def test_find_cycles_names_the_cycle_and_passes_a_tree():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []
    assert find_cycles({"a": {"a"}}) == [["a", "a"]]
    two = find_cycles({"a": {"b"}, "b": {"a"}, "x": {"y"}, "y": {"x"}})
    assert sorted(two) == [["a", "b", "a"], ["x", "y", "x"]]


def test_import_graph_sees_every_form_of_import(tmp_path):
    root = tmp_path / "svc"
    (root / "pkg").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "leaf.py": "import os\nfrom svc import Error\n",
        "top.py": "import svc.leaf\n",
        "lazy.py": "def f():\n    from svc.pkg.part import g\n    return g\n",
        "relative.py": "from . import leaf\nfrom .pkg import part\n",
        "named.py": "from svc.leaf import something\n",
        "dynamic.py": "import importlib\nm = importlib.import_module('svc.top')\n",
        "outside.py": "from flask import Flask\nimport sqlalchemy.orm\n",
        "pkg/__init__.py": "from svc.pkg.part import g\n",
        "pkg/part.py": "from ..leaf import x\nfrom . import other\n",
        "pkg/other.py": "from svc import pkg\n",
    }
    for name, text in files.items():
        (root / name).write_text(text)
    graph = import_graph(root, "svc")
    assert graph == {
        "svc": set(),
        "svc.leaf": {"svc"},
        "svc.top": {"svc.leaf"},
        "svc.lazy": {"svc.pkg.part"},
        "svc.relative": {"svc.leaf", "svc.pkg.part"},
        "svc.named": {"svc.leaf"},
        "svc.dynamic": {"svc.top"},
        "svc.outside": set(),
        "svc.pkg": {"svc.pkg.part"},
        "svc.pkg.part": {"svc.leaf", "svc.pkg.other"},
        "svc.pkg.other": {"svc.pkg"},
    }
    # pkg/__init__ -> part -> other -> pkg/__init__: importing a package is importing its __init__.
    assert find_cycles(graph) == [["svc.pkg", "svc.pkg.part", "svc.pkg.other", "svc.pkg"]]
