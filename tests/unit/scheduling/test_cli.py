"""`python -m matchmaker.scheduling` end to end, checked by the shared checker (shared/scheduling)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from matchmaker.scheduling.__main__ import main

REPO = Path(__file__).resolve().parents[3]
TOOLS = REPO.parent / "shared" / "scheduling" / "instance_tools.py"
needs_tools = pytest.mark.skipif(
    not TOOLS.exists(), reason="shared/scheduling/instance_tools.py is not beside the repo"
)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "matchmaker.scheduling", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@needs_tools
def test_solve_prints_a_schedule_the_checker_accepts_with_its_certificate(tmp_path):
    instance = tmp_path / "small.json"
    gen = subprocess.run(
        [sys.executable, str(TOOLS), "gen", "small", "7"], capture_output=True, text=True, check=True
    )
    instance.write_text(gen.stdout, encoding="utf-8")
    done = run("solve", str(instance), "--time-limit", "30")
    assert done.returncode == 0, done.stderr
    assert "100.0%" in done.stderr  # progress goes to stderr
    out = json.loads(done.stdout)  # and nothing but the JSON to stdout
    schedule = tmp_path / "schedule.json"
    schedule.write_text(done.stdout, encoding="utf-8")
    check = subprocess.run(
        [sys.executable, str(TOOLS), "check", str(instance), str(schedule)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout
    verdict = json.loads(check.stdout)
    cert = out["certificate"]
    assert (verdict["F"], verdict["W"]) == (cert["F"], cert["W"])
    assert cert["F_bound"] >= cert["F"] and cert["W_bound"] >= cert["W"]
    assert cert["optimal"] is True
    assert out["stats"]["meetings"] == len(out["meetings"])
    assert {u["reason"] for u in out["unscheduled"]} <= {
        "no common free slot",
        "max meetings reached",
        "lower priority than others",
        "no free table in a common free slot",
    }
    # The engine's own check subcommand agrees with the shared checker.
    own = run("check", str(instance), str(schedule))
    assert own.returncode == 0
    assert json.loads(own.stdout)["F"] == verdict["F"]


def test_malformed_instance_exits_2_with_a_message(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"slots": [], "tables": 1, "participants": []}), encoding="utf-8")
    assert main(["solve", str(bad)]) == 2
    out, err = capsys.readouterr()
    assert "invalid instance" in err and "'requests'" in err
    assert out == ""


def test_contradictory_locks_exit_3_with_a_message(tmp_path, capsys):
    inst = {
        "slots": [{"id": "s0"}],
        "tables": 1,
        "participants": [{"id": p, "available": ["s0"], "max_meetings": 1} for p in "abcd"],
        "requests": [{"a": "a", "b": "b"}, {"a": "c", "b": "d"}],
        "locked": [
            {"a": "a", "b": "b", "slot": "s0", "table": 1},
            {"a": "c", "b": "d", "slot": "s0", "table": 1},
        ],
    }
    path = tmp_path / "locked.json"
    path.write_text(json.dumps(inst), encoding="utf-8")
    assert main(["solve", str(path)]) == 3
    out, err = capsys.readouterr()
    assert "infeasible instance" in err and "table 1" in err
    assert out == ""


def test_check_subcommand_reports_broken_rules(tmp_path, capsys):
    inst = {
        "slots": [{"id": "s0"}],
        "tables": 1,
        "participants": [{"id": p, "available": ["s0"], "max_meetings": 1} for p in "ab"],
        "requests": [{"a": "a", "b": "b"}],
    }
    (tmp_path / "i.json").write_text(json.dumps(inst), encoding="utf-8")
    (tmp_path / "s.json").write_text(
        json.dumps({"meetings": [{"a": "a", "b": "b", "slot": "s0", "table": 2}]})
    )
    assert main(["check", str(tmp_path / "i.json"), str(tmp_path / "s.json")]) == 1
    assert "no such table: 2" in capsys.readouterr().out
