"""Cross-language development set: does a Dutch need find the French and English offerings that fit it?

The set is built from the demo catalogue (matchmaker/demo/catalogue.json: 96 needs and offerings that we wrote
in Dutch, French and English, each with the CPV codes its author chose). As in ../shared/eval/matching, every
item is both a query and a candidate, and relevance does not come from the text but from the declared CPV
codes: grade 2 = the two items share a CPV group (first 3 digits), grade 1 = only a division (first 2 digits).
The engine never sees the CPV codes (nor the themes). Cross-language: a query in one language is ranked
against the items in the other two languages only; queries without a grade-2 item there are left out.

The same measure on ../shared/eval/matching/ted-multi (when present): each notice against the notices in
other languages only.

Reports nDCG@10 (the scorer's formula) with the bridge (the default configuration) and without it
(bridge_weight=0), and the same-language nDCG@10 on the demo set, which the bridge must not lower.

    python -m bench crosslanguage
"""

from __future__ import annotations

import json
import math
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "matchmaker" / "demo" / "catalogue.json"
EVAL = REPO.parent / "shared" / "eval" / "matching"
K = 10


def demo_items() -> list[dict]:
    """The demo's needs and offerings as plain dicts: id, title, description, language, cpv."""
    content = json.loads(DEMO.read_text(encoding="utf-8"))
    items = []
    for kind, key in (("need", "needs"), ("offering", "offerings")):
        for number, item in enumerate(content[key]):
            if kind == "need":
                body = (item.get("challenge", ""), item.get("expected_outcome", ""))
            else:
                body = (item.get("description", ""),)
            items.append(
                {
                    "id": f"{kind}-{number}",
                    "title": item["title"],
                    "summary": item.get("summary", ""),
                    "description": "\n\n".join(text for text in body if text),
                    "keywords": [k.strip() for k in item.get("keywords", "").split(",") if k.strip()],
                    "language": item["language"],
                    "cpv": item["cpv"],
                }
            )
    return items


def cpv_grades(items: list[dict]) -> dict[str, dict[str, int]]:
    """Relevance from the declared CPV codes only: 2 = a shared group, 1 = a shared division."""
    groups = {item["id"]: {code[:3] for code in item["cpv"]} for item in items}
    divisions = {item["id"]: {code[:2] for code in item["cpv"]} for item in items}
    grades: dict[str, dict[str, int]] = {}
    for a in items:
        for b in items:
            if a["id"] == b["id"]:
                continue
            if groups[a["id"]] & groups[b["id"]]:
                grades.setdefault(a["id"], {})[b["id"]] = 2
            elif divisions[a["id"]] & divisions[b["id"]]:
                grades.setdefault(a["id"], {})[b["id"]] = 1
    return grades


def ndcg(ranked: list[str], relevant: dict[str, int], k: int = K) -> float:
    dcg = sum((2 ** relevant.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def evaluate(
    items: list[dict],
    grades: dict[str, dict[str, int]],
    bridge_weight: float | None,
    cross: bool,
    cpv_links_only: bool = False,
):
    """Mean nDCG@10 of every item ranked against the items in the other languages (cross) or its own; with
    `cpv_links_only`, the bridge learned from the CPV labels alone (without our glossary)."""
    from matchmaker.matching import Document, MatchingConfig, MatchingEngine
    from matchmaker.matching import bridge as bridge_module

    if cpv_links_only:
        saved = bridge_module.load_bridge()
        bridge_module._BRIDGE = bridge_module.build_bridge(glossary=None)
        try:
            return evaluate(items, grades, bridge_weight, cross)
        finally:
            bridge_module._BRIDGE = saved

    config = MatchingConfig() if bridge_weight is None else MatchingConfig(bridge_weight=bridge_weight)
    # The engine sees no CPV codes: the relevance comes from them.
    docs = [Document.from_mapping({**item, "cpv": []}) for item in items]
    index = MatchingEngine(config).fit(docs)
    language = {item["id"]: item["language"] for item in items}
    total, queries = 0.0, 0
    for doc in docs:
        pool = {i for i in language if i != doc.id and (language[i] != doc.language) == cross}
        relevant = {d: g for d, g in grades.get(doc.id, {}).items() if d in pool}
        if not any(g == 2 for g in relevant.values()):
            continue
        scores = index.scores(doc)
        ranked = sorted((d for d in pool if scores.get(d, 0) > 0), key=lambda d: (-scores[d], d))
        total += ndcg(ranked, relevant)
        queries += 1
    return total / max(queries, 1), queries


def ted_items() -> tuple[list[dict], dict[str, dict[str, int]]] | None:
    folder = EVAL / "ted-multi"
    if not (folder / "offerings.jsonl").exists():
        return None
    items = [json.loads(line) for line in (folder / "offerings.jsonl").open(encoding="utf-8") if line.strip()]
    grades: dict[str, dict[str, int]] = {}
    for line in (folder / "qrels.tsv").open(encoding="utf-8").readlines()[1:]:
        need, offering, grade = line.rstrip("\n").split("\t")
        grades.setdefault("o-" + need[2:], {})[offering] = int(grade)
    return items, grades


def main(argv: list[str]) -> int:
    items = demo_items()
    grades = cpv_grades(items)
    sets = [("demo, cross-language", items, grades, True), ("demo, same language", items, grades, False)]
    ted = ted_items()
    if ted is not None:
        sets.append(("ted-multi, cross-language", *ted, True))
    worse = False
    for name, set_items, set_grades, cross in sets:
        without, n = evaluate(set_items, set_grades, 0.0, cross)
        with_bridge, _ = evaluate(set_items, set_grades, None, cross)
        cpv_only, _ = evaluate(set_items, set_grades, None, cross, cpv_links_only=True)
        print(
            f"{name}: nDCG@10 {with_bridge:.4f} with the bridge, {cpv_only:.4f} with its CPV-learned links "
            f"alone (no glossary), {without:.4f} without ({n} queries)"
        )
        worse |= not cross and with_bridge < without - 0.005
    return 1 if worse else 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
