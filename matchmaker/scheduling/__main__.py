"""Command line: `python -m matchmaker.scheduling solve INSTANCE.json [--time-limit S]`.

Prints {"meetings": [...], "certificate": {...}, "unscheduled": [...], "stats": {...}} on stdout (what
shared/scheduling/instance_tools.py check reads); progress and errors go to stderr. Exit status 0 on success,
2 for a malformed instance, 3 for contradictory locked meetings.
`python -m matchmaker.scheduling check INSTANCE.json SCHEDULE.json` prints F, W and every rule broken
(exit 1 if any).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time

from .io import load_instance, solution_to_dict
from .model import InfeasibleInstance, InvalidInstance, Meeting
from .solver import DEFAULT_TIME_LIMIT, solve
from .validate import check_schedule


@contextlib.contextmanager
def _stdout_to_stderr():
    """Native solvers may print banners on file descriptor 1; keep stdout for the JSON alone."""
    sys.stdout.flush()
    saved = os.dup(1)
    out = os.fdopen(os.dup(saved), "w", encoding="utf-8")
    try:
        os.dup2(2, 1)
        yield out
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        out.close()


_STARTED = time.monotonic()


def _progress(fraction: float, message: str) -> None:
    elapsed = time.monotonic() - _STARTED
    print(f"[{100 * fraction:5.1f}% {elapsed:6.1f}s] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m matchmaker.scheduling", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("solve", help="schedule an instance and print the schedule with its certificate")
    s.add_argument("instance")
    s.add_argument(
        "--time-limit", type=float, default=DEFAULT_TIME_LIMIT, help="seconds (default %(default)s)"
    )
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--quiet", action="store_true", help="no progress on stderr")
    c = sub.add_parser("check", help="check a schedule against an instance")
    c.add_argument("instance")
    c.add_argument("schedule")
    args = ap.parse_args(argv)
    try:
        instance = load_instance(args.instance)
        if args.cmd == "check":
            with open(args.schedule, encoding="utf-8") as fh:
                data = json.load(fh)
            meetings = [Meeting(m["a"], m["b"], m["slot"], m["table"]) for m in data.get("meetings", [])]
            f, w, problems = check_schedule(instance, meetings)
            print(json.dumps({"F": f, "W": w, "problems": len(problems), "first_problems": problems[:10]}))
            return 1 if problems else 0
        with _stdout_to_stderr() as out:
            solution = solve(
                instance,
                time_limit=args.time_limit,
                progress=None if args.quiet else _progress,
                seed=args.seed,
            )
            json.dump(solution_to_dict(solution), out)
            out.write("\n")
    except InvalidInstance as exc:
        print(f"invalid instance: {exc}", file=sys.stderr)
        return 2
    except InfeasibleInstance as exc:
        print(f"infeasible instance: {exc}", file=sys.stderr)
        return 3
    except OSError as exc:
        print(f"cannot read: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
