"""The rules of shared/scheduling/README.md as a function: the engine checks its own output with it."""

from __future__ import annotations

from collections.abc import Iterable

from .model import Instance, Meeting


def check_schedule(instance: Instance, meetings: Iterable[Meeting]) -> tuple[int, float, list[str]]:
    """Return (F, W, problems): the objective of a schedule and every rule it breaks (none if valid)."""
    slots = {s.id for s in instance.slots}
    parts = {p.id: p for p in instance.participants}
    available = {p.id: set(p.available) for p in instance.participants}
    weight = {frozenset((r.a, r.b)): r.weight for r in instance.requests}
    problems: list[str] = []
    busy: set[tuple[str, str]] = set()
    used: set[tuple[str, int]] = set()
    pairs: set[frozenset[str]] = set()
    count: dict[str, int] = {}
    kept: set[tuple[frozenset[str], str, int]] = set()
    w = 0.0
    for m in meetings:
        key = frozenset((m.a, m.b))
        if key not in weight:
            problems.append(f"not a requested pair: {m.a}-{m.b}")
            continue
        if key in pairs:
            problems.append(f"pair scheduled twice: {m.a}-{m.b}")
        pairs.add(key)
        kept.add((key, m.slot, m.table))
        if m.slot not in slots:
            problems.append(f"unknown slot: {m.slot}")
        for p in (m.a, m.b):
            if m.slot not in available[p]:
                problems.append(f"{p} is not available in {m.slot}")
            if (p, m.slot) in busy:
                problems.append(f"{p} has two meetings in {m.slot}")
            busy.add((p, m.slot))
            count[p] = count.get(p, 0) + 1
        if not 1 <= m.table <= instance.tables:
            problems.append(f"no such table: {m.table}")
        if (m.slot, m.table) in used:
            problems.append(f"table {m.table} used twice in {m.slot}")
        used.add((m.slot, m.table))
        w += weight[key]
    for p, c in count.items():
        if c > parts[p].max_meetings:
            problems.append(f"{p} has {c} meetings, more than max_meetings ({parts[p].max_meetings})")
    for m in instance.locked:
        if (frozenset((m.a, m.b)), m.slot, m.table) not in kept:
            problems.append(f"locked meeting moved or dropped: {m.a}-{m.b}")
    target = instance.fairness_target
    f = sum(min(c, target, parts[p].max_meetings) for p, c in count.items())
    return f, w, problems
