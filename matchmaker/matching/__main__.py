"""Command line: rank offerings for needs from JSONL files.

    python -m matchmaker.matching rank --needs NEEDS.jsonl --offerings OFFERINGS.jsonl --top-k K

Each input line is a JSON object {"id", "title", "description", "language"?, "cpv"?: [codes], ...} (summary,
keywords and themes are used when present, other keys ignored). Prints one JSON line per need, in input order:
{"need_id": ..., "offerings": [{"id": ..., "score": ..., "why": [...]}, ...]}, best first. Progress goes to
stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from .documents import Document, MatchingError


class ProgressBar:
    """A one-line progress bar on stderr (only drawn when stderr is a terminal, else a line per stage)."""

    def __init__(self, label: str, stream=sys.stderr):
        self.label, self.stream = label, stream
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        if self.tty:
            width = 30
            filled = width * done // max(total, 1)
            self.stream.write(f"\r{self.label:<12} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            if done >= total:
                self.stream.write(f"  {time.monotonic() - self.started:.1f} s\n")
            self.stream.flush()
        elif done >= total or (done * 10 // max(total, 1)) != self.last:
            self.last = done * 10 // max(total, 1)
            self.stream.write(f"{self.label}: {done}/{total}\n")
            self.stream.flush()


def read_jsonl(path: Path) -> list[Document]:
    documents = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                raise SystemExit(f"{path}:{number}: not JSON ({error.msg})") from None
            if not isinstance(data, dict):
                raise SystemExit(f"{path}:{number}: expected a JSON object")
            try:
                documents.append(Document.from_mapping(data))
            except MatchingError as error:
                raise SystemExit(f"{path}:{number}: {error}") from None
    return documents


def rank(args: argparse.Namespace) -> int:
    needs = read_jsonl(Path(args.needs))
    offerings = read_jsonl(Path(args.offerings))
    out = sys.stdout
    if not offerings:
        for need in needs:
            out.write(json.dumps({"need_id": need.id, "offerings": []}, ensure_ascii=False) + "\n")
        return 0
    from .engine import MatchingEngine  # scikit-learn loads slowly: only once the input is known good

    engine = MatchingEngine()
    try:
        workers = min(2, os.cpu_count() or 1) if len(offerings) > 10_000 else 1
        index = engine.fit(offerings, progress=ProgressBar("indexing"), workers=workers)
    except MatchingError as error:
        raise SystemExit(f"offerings: {error}") from None
    workers = min(2, os.cpu_count() or 1) if len(needs) * len(offerings) > 5_000_000 else 1
    results = index.top_k_many(needs, args.top_k, progress=ProgressBar("ranking"), workers=workers)
    for need, matches in zip(needs, results, strict=True):
        reader = need.language if need.language in ("nl", "fr", "en") else "en"
        whys = index.explain_many(need, [m.id for m in matches], reader) if args.why and matches else []
        ranked = [
            {"id": m.id, "score": round(m.score, 6), "why": whys[i].reasons() if whys else []}
            for i, m in enumerate(matches)
        ]
        out.write(json.dumps({"need_id": need.id, "offerings": ranked}, ensure_ascii=False) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m matchmaker.matching", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    ranking = commands.add_parser("rank", help="rank offerings for each need")
    ranking.add_argument("--needs", required=True, help="JSONL file of needs")
    ranking.add_argument("--offerings", required=True, help="JSONL file of offerings")
    ranking.add_argument("--top-k", type=int, default=10, help="offerings per need (default 10)")
    ranking.add_argument(
        "--no-why", dest="why", action="store_false", help="leave the explanations out (faster)"
    )
    args = parser.parse_args(argv)
    if args.top_k < 1:
        parser.error("--top-k must be at least 1")
    return rank(args)


if __name__ == "__main__":
    sys.exit(main())
