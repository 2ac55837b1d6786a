"""An Instance turned into integer-indexed arrays, with its locked meetings checked and subtracted.

Everything downstream (bounds, exact model, heuristic) works on `Problem`: participants 0..P-1, slots 0..S-1,
the free requests (not locked) with their candidate slots (both sides available and not busy with a locked
meeting, and a table left in the slot), and the capacities that remain once the locked meetings are counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import InfeasibleInstance, Instance, InvalidInstance, Meeting


@dataclass
class Problem:
    instance: Instance
    P: int
    S: int
    T: int
    avail: np.ndarray  # (P, S) bool, minus the slots taken by locked meetings
    max_meetings: np.ndarray  # (P,) int
    target: np.ndarray  # (P,) int: min(fairness_target, max_meetings)
    locked_count: np.ndarray  # (P,) int
    rem_max: np.ndarray  # (P,) int: max_meetings - locked
    rem_target: np.ndarray  # (P,) int: max(0, target - locked)
    slot_cap: np.ndarray  # (S,) int: tables not taken by locked meetings
    free_tables: list[list[int]]  # per slot, the table numbers left, ascending
    ru: np.ndarray  # (R,) participant index of side a of each free request
    rv: np.ndarray  # (R,) side b
    rw: np.ndarray  # (R,) float weight
    rorig: np.ndarray  # (R,) index into instance.requests
    cand: list[np.ndarray]  # per free request, its candidate slots (ascending)
    locked: list[Meeting]
    locked_F: int
    locked_W: float
    no_common_slot: np.ndarray  # (R,) bool: the two sides share no available slot at all (locks aside)
    busy: np.ndarray | None = None  # (P, S) bool: slots taken by locked meetings
    available: np.ndarray | None = None  # (P, S) bool: availability as given

    @property
    def R(self) -> int:
        return len(self.ru)


def build_problem(instance: Instance) -> Problem:
    """Index the instance; InvalidInstance for malformed ids, InfeasibleInstance for contradictory locks."""
    if instance.tables < 0:
        raise InvalidInstance("tables must not be negative")
    sidx: dict[str, int] = {}
    for s in instance.slots:
        if s.id in sidx:
            raise InvalidInstance(f"slot {s.id!r} is listed twice")
        sidx[s.id] = len(sidx)
    pidx: dict[str, int] = {}
    for p in instance.participants:
        if p.id in pidx:
            raise InvalidInstance(f"participant {p.id!r} is listed twice")
        if p.max_meetings < 0:
            raise InvalidInstance(f"participant {p.id!r} has a negative max_meetings")
        pidx[p.id] = len(pidx)
    P, S, T = len(pidx), len(sidx), instance.tables
    avail = np.zeros((P, S), dtype=bool)
    for i, p in enumerate(instance.participants):
        for s in p.available:
            if s not in sidx:
                raise InvalidInstance(f"participant {p.id!r} is available in unknown slot {s!r}")
            avail[i, sidx[s]] = True
    max_meetings = np.array([p.max_meetings for p in instance.participants], dtype=np.int64)
    target = np.minimum(max_meetings, max(0, instance.fairness_target))

    pair_index: dict[frozenset[str], int] = {}
    for k, r in enumerate(instance.requests):
        for side in (r.a, r.b):
            if side not in pidx:
                raise InvalidInstance(f"request {r.a!r}-{r.b!r} names unknown participant {side!r}")
        if r.a == r.b:
            raise InvalidInstance(f"request {r.a!r}-{r.b!r} is a meeting of a participant with itself")
        key = frozenset((r.a, r.b))
        if key in pair_index:
            raise InvalidInstance(f"request {r.a!r}-{r.b!r} is listed twice")
        pair_index[key] = k

    # Locked meetings: every one must be keepable, alone and together.
    locked_count = np.zeros(P, dtype=np.int64)
    busy = np.zeros((P, S), dtype=bool)
    used_tables: set[tuple[int, int]] = set()
    locked_req: set[int] = set()
    locked_W = 0.0
    for m in instance.locked:
        name = f"locked meeting {m.a}-{m.b} in {m.slot} at table {m.table}"
        for side in (m.a, m.b):
            if side not in pidx:
                raise InvalidInstance(f"{name} names unknown participant {side!r}")
        if m.slot not in sidx:
            raise InvalidInstance(f"{name} is in unknown slot {m.slot!r}")
        k = pair_index.get(frozenset((m.a, m.b)))
        if k is None:
            raise InfeasibleInstance(f"{name}: {m.a} and {m.b} did not request this meeting")
        if k in locked_req:
            raise InfeasibleInstance(f"{name}: this pair is locked more than once")
        locked_req.add(k)
        s = sidx[m.slot]
        if not 1 <= m.table <= T:
            raise InfeasibleInstance(f"{name}: there is no table {m.table} (tables are 1..{T})")
        if (s, m.table) in used_tables:
            raise InfeasibleInstance(f"{name}: another locked meeting uses table {m.table} in {m.slot}")
        used_tables.add((s, m.table))
        for side in (m.a, m.b):
            i = pidx[side]
            if not avail[i, s]:
                raise InfeasibleInstance(f"{name}: {side} is not available in {m.slot}")
            if busy[i, s]:
                raise InfeasibleInstance(f"{name}: {side} has another locked meeting in {m.slot}")
            busy[i, s] = True
            locked_count[i] += 1
        locked_W += instance.requests[k].weight
    over = np.nonzero(locked_count > max_meetings)[0]
    if len(over):
        i = int(over[0])
        raise InfeasibleInstance(
            f"{instance.participants[i].id} has {locked_count[i]} locked meetings, "
            f"more than max_meetings ({max_meetings[i]})"
        )

    slot_cap = np.full(S, T, dtype=np.int64)
    for s, _t in used_tables:
        slot_cap[s] -= 1
    free_tables = [[t for t in range(1, T + 1) if (s, t) not in used_tables] for s in range(S)]
    rem_max = max_meetings - locked_count
    rem_target = np.maximum(0, target - locked_count)
    locked_F = int(np.minimum(locked_count, target).sum())
    free_avail = avail & ~busy & (slot_cap > 0)[None, :]

    open_reqs = [k for k in range(len(instance.requests)) if k not in locked_req]
    reqs = [instance.requests[k] for k in open_reqs]
    ru = np.array([pidx[r.a] for r in reqs], dtype=np.int64)
    rv = np.array([pidx[r.b] for r in reqs], dtype=np.int64)
    rw = np.array([float(r.weight) for r in reqs], dtype=float)
    common = free_avail[ru] & free_avail[rv]  # (R, S)
    cols = np.nonzero(common)[1]
    cand = np.split(cols.astype(np.int64), np.cumsum(common.sum(axis=1))[:-1]) if len(reqs) else []
    nocommon = ~(avail[ru] & avail[rv]).any(axis=1) if len(reqs) else np.zeros(0, dtype=bool)
    rorig = np.array(open_reqs, dtype=np.int64)
    return Problem(
        instance=instance,
        P=P,
        S=S,
        T=T,
        avail=free_avail,
        max_meetings=max_meetings,
        target=target,
        locked_count=locked_count,
        rem_max=rem_max,
        rem_target=rem_target,
        slot_cap=slot_cap,
        free_tables=free_tables,
        ru=ru,
        rv=rv,
        rw=rw,
        rorig=rorig,
        cand=list(cand),
        locked=list(instance.locked),
        locked_F=locked_F,
        locked_W=locked_W,
        no_common_slot=nocommon,
        busy=busy,
        available=avail,
    )
