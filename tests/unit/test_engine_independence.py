"""The engines are plain Python: running them loads neither Flask nor SQLAlchemy (DESIGN.md)."""

import subprocess
import sys

import pytest

CHECK = (
    "import sys, importlib; importlib.import_module(sys.argv[1]); "
    "web = ('flask', 'sqlalchemy', 'flask_sqlalchemy'); "
    "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in web)))"
)


@pytest.mark.parametrize(
    "module",
    [
        "matchmaker.matching",
        "matchmaker.matching.__main__",
        "matchmaker.scheduling",
        "matchmaker.scheduling.__main__",
    ],
)
def test_engine_loads_without_flask_or_sqlalchemy(module):
    result = subprocess.run(
        [sys.executable, "-c", CHECK, module], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "", f"{module} pulled in: {result.stdout.strip()}"
