"""Scheduling engine benchmark: quality and speed per event size, each schedule checked by the shared checker.

For each size and seed: `instance_tools.py gen SIZE SEED`, then `python -m matchmaker.scheduling solve` in its
own process (wall time and peak memory of that process), then `instance_tools.py check`. Targets (issue 6):
  small, medium   proven optimum (F = F_bound, W = W_bound) in seconds (<= 10 s wall)
  large           <= 30 s, F >= 0.995 F_bound, W >= 0.99 W_bound
  xl              <= 120 s, F and W each within 2% of the bound
  every size      the checker finds no broken rule; peak memory < 2 GB

Options: --sizes=small,medium,large,xl  --seeds=N (default 3)  --seed0=K (first seed, default 1)
         --hard=1: harder variants (availability 0.4, a third of the tables, fairness target 3), where the
         relaxation is not always tight: small and medium must still be proven optimal.
Instance tools: ../shared/scheduling/instance_tools.py, or MATCHMAKER_INSTANCE_TOOLS.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOOLS = Path(
    os.environ.get("MATCHMAKER_INSTANCE_TOOLS", REPO.parent / "shared" / "scheduling" / "instance_tools.py")
)

# size: (engine time limit, max wall seconds, min F/F_bound, min W/W_bound, must be proven optimal)
TARGETS = {
    "small": (30.0, 10.0, 1.0, 1.0, True),
    "medium": (30.0, 10.0, 1.0, 1.0, True),
    "large": (28.0, 30.0, 0.995, 0.99, False),
    "xl": (115.0, 120.0, 0.98, 0.98, False),
}
MEMORY_LIMIT_MB = 2048


def _options(argv: list[str]) -> dict[str, str]:
    out = {}
    for a in argv:
        if a.startswith("--") and "=" in a:
            k, v = a[2:].split("=", 1)
            out[k] = v
    return out


def run_one(size: str, seed: int, workdir: Path, hard: bool = False) -> dict:
    limit, max_wall, min_f, min_w, must_be_optimal = TARGETS[size]
    instance = workdir / f"{size}-{seed}.json"
    schedule = workdir / f"{size}-{seed}.out.json"
    gen = [sys.executable, str(TOOLS), "gen", size, str(seed), *(["--avail", "0.4"] if hard else [])]
    data = json.loads(subprocess.run(gen, capture_output=True, text=True, check=True).stdout)
    if hard:
        data["tables"] = max(1, data["tables"] // 3)
        data["fairness_target"] = 3
    instance.write_text(json.dumps(data), encoding="utf-8")
    started = time.perf_counter()
    with (
        open(schedule, "w", encoding="utf-8") as out,
        open(workdir / "stderr.txt", "w", encoding="utf-8") as err,
    ):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "matchmaker.scheduling",
                "solve",
                str(instance),
                "--time-limit",
                str(limit),
            ],
            cwd=REPO,
            stdout=out,
            stderr=err,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    peak_mb = usage.ru_maxrss / 1024  # Linux reports KiB
    row = {"size": size, "seed": seed, "wall": wall, "peak_mb": peak_mb, "failures": []}
    if proc.returncode != 0:
        row["failures"].append(
            f"engine exit {proc.returncode}: {(workdir / 'stderr.txt').read_text()[-500:]}"
        )
        return row
    check = subprocess.run(
        [sys.executable, str(TOOLS), "check", str(instance), str(schedule)], capture_output=True, text=True
    )
    verdict = json.loads(check.stdout)
    cert = json.loads(schedule.read_text(encoding="utf-8"))["certificate"]
    row.update(
        F=verdict["F"],
        W=verdict["W"],
        F_bound=cert["F_bound"],
        W_bound=cert["W_bound"],
        optimal=cert["optimal"],
        engine_s=cert["seconds"],
        method=cert["method"],
    )
    row["F_ratio"] = verdict["F"] / cert["F_bound"] if cert["F_bound"] else 1.0
    row["W_ratio"] = verdict["W"] / cert["W_bound"] if cert["W_bound"] else 1.0
    if check.returncode != 0:
        row["failures"].append(f"checker: {verdict['first_problems']}")
    if (verdict["F"], verdict["W"]) != (cert["F"], cert["W"]):
        row["failures"].append("certificate disagrees with the checker")
    if wall > max_wall:
        row["failures"].append(f"{wall:.1f} s > {max_wall:.0f} s")
    if row["F_ratio"] < min_f or row["W_ratio"] < min_w:
        row["failures"].append(f"F/F_bound {row['F_ratio']:.4f}, W/W_bound {row['W_ratio']:.4f} below target")
    if must_be_optimal and not cert["optimal"]:
        row["failures"].append("not proven optimal")
    if peak_mb > MEMORY_LIMIT_MB:
        row["failures"].append(f"peak memory {peak_mb:.0f} MB")
    return row


def main(argv: list[str]) -> int:
    opts = _options(argv)
    sizes = opts.get("sizes", "small,medium,large,xl").split(",")
    seeds = range(int(opts.get("seed0", "1")), int(opts.get("seed0", "1")) + int(opts.get("seeds", "3")))
    if not TOOLS.exists():
        print(f"instance tools not found at {TOOLS}; set MATCHMAKER_INSTANCE_TOOLS")
        return 1
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            rows = []
            for seed in seeds:
                row = run_one(size, seed, Path(tmp), hard=opts.get("hard", "0") == "1")
                rows.append(row)
                if "F" in row:
                    print(
                        f"{size:6} seed {seed}: F {row['F']}/{row['F_bound']} ({row['F_ratio']:.4f})  "
                        f"W {row['W']:g}/{row['W_bound']:g} ({row['W_ratio']:.4f})  "
                        f"{'optimal' if row['optimal'] else 'gap'}  wall {row['wall']:.1f} s "
                        f"(engine {row['engine_s']:.1f} s)  peak {row['peak_mb']:.0f} MB  [{row['method']}]",
                        flush=True,
                    )
                for f in row["failures"]:
                    print(f"  FAIL {size} seed {seed}: {f}", flush=True)
                failures += bool(row["failures"])
            walls = [r["wall"] for r in rows]
            ok = [r for r in rows if "F" in r]
            if ok:
                print(
                    f"{size:6} median wall {statistics.median(walls):.1f} s, "
                    f"min F/F_bound {min(r['F_ratio'] for r in ok):.4f}, "
                    f"min W/W_bound {min(r['W_ratio'] for r in ok):.4f}, "
                    f"proven optimal {sum(r['optimal'] for r in ok)}/{len(ok)}, "
                    f"max peak {max(r['peak_mb'] for r in ok):.0f} MB",
                    flush=True,
                )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
