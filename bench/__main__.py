"""Run every benchmark module `bench/bench_*.py` (each has a `main(argv)`), or the ones named first.

    python -m bench                                   every module but the ones in ON_REQUEST
    python -m bench matching --quick                  the named modules, with the options after them
    python -m bench platform --items 2000             options may take a value (--items 2000 or --items=2000)

The names come first; everything from the first option on is passed to each named module's `main`.
"""

import importlib
import pkgutil
import sys
import time
from pathlib import Path

# Run only when named: the platform benchmark needs PostgreSQL, Redis and the machine to itself for a while;
# Lighthouse needs Chromium and npm's lighthouse (`make lighthouse`); page_cpu and cpu_split need the platform
# benchmark's database.
ON_REQUEST = {"bench_platform", "bench_lighthouse", "bench_page_cpu", "bench_cpu_split"}


def discover() -> list[str]:
    here = Path(__file__).parent
    modules = pkgutil.iter_modules([str(here)])
    return sorted(m.name for m in modules if m.name.startswith("bench_") and m.name not in ON_REQUEST)


def main(argv: list[str]) -> int:
    named: list[str] = []
    options = list(argv)
    while options and not options[0].startswith("-"):
        named.append(options.pop(0))
    names = [a if a.startswith("bench_") else f"bench_{a}" for a in named] or discover()
    failures = 0
    for name in names:
        print(f"== {name} ==", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"bench.{name}")
        result = module.main(options)
        failures += 1 if result else 0
        outcome = " (FAILED)" if result else ""
        print(f"-- {name}: {time.perf_counter() - started:.1f} s{outcome}\n", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
