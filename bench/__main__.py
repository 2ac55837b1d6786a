"""Run every benchmark module `bench/bench_*.py` (each has a `main(argv)`), or the ones named."""

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def discover() -> list[str]:
    here = Path(__file__).parent
    modules = pkgutil.iter_modules([str(here)])
    return sorted(m.name for m in modules if m.name.startswith("bench_"))


def main(argv: list[str]) -> int:
    named = [a for a in argv if not a.startswith("-")]
    names = [a if a.startswith("bench_") else f"bench_{a}" for a in named] or discover()
    failures = 0
    for name in names:
        print(f"== {name} ==", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"bench.{name}")
        result = module.main([a for a in argv if a.startswith("-")])
        failures += 1 if result else 0
        outcome = " (FAILED)" if result else ""
        print(f"-- {name}: {time.perf_counter() - started:.1f} s{outcome}\n", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
