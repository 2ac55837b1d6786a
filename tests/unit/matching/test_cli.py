"""The command line, end to end in a subprocess: JSONL in, JSONL out, progress on stderr."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def rank(tmp_path, needs, offerings, *extra):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "matchmaker.matching",
            "rank",
            "--needs",
            str(write_jsonl(tmp_path / "n.jsonl", needs)),
            "--offerings",
            str(write_jsonl(tmp_path / "o.jsonl", offerings)),
            *extra,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


NEEDS = [
    {
        "id": "n1",
        "title": "Levering van elektrische bussen",
        "description": "Voor de stadsdienst.",
        "language": "nl",
    },
    {"id": "n2", "title": "Repas scolaires", "description": "", "language": "fr", "cpv": ["15894200-3"]},
    {"id": 3, "title": "", "description": "", "budget": 1000},
]
OFFERINGS = [
    {"id": "o-bus", "title": "Electric buses", "description": "Battery city buses.", "language": "en"},
    {
        "id": "o-meals",
        "title": "Maaltijden voor scholen",
        "description": "Gezonde schoolmaaltijden.",
        "cpv": ["15894200"],
    },
    {"id": "o-chairs", "title": "Office chairs", "description": "Ergonomic seating.", "unknown": {"x": 1}},
]


def test_rank_prints_one_json_line_per_need_best_first(tmp_path):
    result = rank(tmp_path, NEEDS, OFFERINGS, "--top-k", "2")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["need_id"] for line in lines] == ["n1", "n2", 3]
    assert lines[0]["offerings"][0]["id"] == "o-bus"
    assert lines[1]["offerings"][0]["id"] == "o-meals"
    assert lines[2]["offerings"] == []  # nothing to go on: no guesses
    for line in lines:
        scores = [o["score"] for o in line["offerings"]]
        assert len(scores) <= 2 and scores == sorted(scores, reverse=True)
        assert all(
            0 <= s <= 1 and isinstance(o["why"], list) for s, o in zip(scores, line["offerings"], strict=True)
        )
    assert any("CPV 34144910" in why for why in lines[0]["offerings"][0]["why"])
    assert "ranking" in result.stderr  # progress goes to stderr, stdout stays JSONL


def test_rank_with_no_offerings_gives_empty_lists(tmp_path):
    result = rank(tmp_path, NEEDS[:1], [], "--top-k", "3")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"need_id": "n1", "offerings": []}


@pytest.mark.parametrize(
    ("offerings", "message"),
    [(["not an object"], "expected a JSON object"), ([{"title": "no id"}], "needs an 'id'")],
)
def test_rank_rejects_bad_input_with_a_message(tmp_path, offerings, message):
    result = rank(tmp_path, NEEDS, offerings)
    assert result.returncode != 0 and message in result.stderr
    assert result.stdout == ""


def test_rank_rejects_a_bad_top_k(tmp_path):
    result = rank(tmp_path, NEEDS, OFFERINGS, "--top-k", "0")
    assert result.returncode != 0 and "--top-k" in result.stderr
