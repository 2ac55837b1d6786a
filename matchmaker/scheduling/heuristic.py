"""From a chosen set of requests to slots: list edge colouring with table capacities, then repair and fill.

`Assignment` holds the free part of a schedule (the locked meetings are already subtracted in Problem).
`colour` places the chosen requests most constrained first, each in the candidate slot its two sides' other
pending requests want least; `repair` places what is left by ejection chains (place a request in the slot
where it conflicts least, move the conflicting meetings out and queue them, with a tabu tenure against
cycling);
`fill` then adds any request that still fits, fair share first, then weight.
"""

from __future__ import annotations

import random
import time
from collections import deque

import numpy as np

from .problem import Problem


class Assignment:
    def __init__(self, problem: Problem) -> None:
        self.pb = problem
        self.occ = [[-1] * problem.S for _ in range(problem.P)]  # request meeting p in s, or -1
        self.in_slot: list[set[int]] = [set() for _ in range(problem.S)]
        self.slot_of = [-1] * problem.R
        self.count = [0] * problem.P
        self.cap = [int(c) for c in problem.slot_cap]
        self.ru = problem.ru.tolist()
        self.rv = problem.rv.tolist()
        self.cand = [c.tolist() for c in problem.cand]

    def place(self, r: int, s: int) -> None:
        u, v = self.ru[r], self.rv[r]
        self.occ[u][s] = r
        self.occ[v][s] = r
        self.in_slot[s].add(r)
        self.slot_of[r] = s
        self.count[u] += 1
        self.count[v] += 1

    def remove(self, r: int) -> None:
        s = self.slot_of[r]
        u, v = self.ru[r], self.rv[r]
        self.occ[u][s] = -1
        self.occ[v][s] = -1
        self.in_slot[s].discard(r)
        self.slot_of[r] = -1
        self.count[u] -= 1
        self.count[v] -= 1

    def free_slots(self, r: int) -> list[int]:
        ou, ov = self.occ[self.ru[r]], self.occ[self.rv[r]]
        return [s for s in self.cand[r] if ou[s] < 0 and ov[s] < 0 and len(self.in_slot[s]) < self.cap[s]]

    def placed(self) -> list[int]:
        return [r for r, s in enumerate(self.slot_of) if s >= 0]


def colour(asg: Assignment, chosen: list[int]) -> list[int]:
    """Place the chosen requests greedily; return those that found no free slot."""
    pb = asg.pb
    S = pb.S
    # demand[p][s]: how many of p's chosen, unplaced requests could use slot s.
    demand = np.zeros((pb.P, S), dtype=np.int64)
    deg = np.zeros(pb.P, dtype=np.int64)
    for r in chosen:
        for p in (asg.ru[r], asg.rv[r]):
            demand[p, pb.cand[r]] += 1
            deg[p] += 1
    slack = pb.avail.sum(axis=1) - deg
    order = sorted(chosen, key=lambda r: (min(slack[asg.ru[r]], slack[asg.rv[r]]), len(asg.cand[r])))
    dem = demand.tolist()
    left = []
    for r in order:
        u, v = asg.ru[r], asg.rv[r]
        du, dv = dem[u], dem[v]
        for s in asg.cand[r]:
            du[s] -= 1
            dv[s] -= 1
        free = asg.free_slots(r)
        if not free:
            left.append(r)
            continue
        best = min(free, key=lambda s: (du[s] + dv[s], len(asg.in_slot[s]) / max(1, asg.cap[s])))
        asg.place(r, best)
    return left


def repair(
    asg: Assignment, pending: list[int], deadline: float, rng: random.Random, max_moves: int
) -> list[int]:
    """Place pending requests by ejection chains; return those still unplaced when moves or time run out."""
    queue = deque(pending)
    tabu: dict[tuple[int, int], int] = {}
    stuck: list[int] = []
    it = 0
    while queue and it < max_moves:
        it += 1
        if it % 256 == 0 and time.monotonic() > deadline:
            break
        r = queue.popleft()
        if asg.slot_of[r] >= 0:
            continue
        u, v = asg.ru[r], asg.rv[r]
        ou, ov = asg.occ[u], asg.occ[v]
        best, best_cost = -1, 1e9
        for s in asg.cand[r]:
            cost = (ou[s] >= 0) + (ov[s] >= 0)
            if cost == 0 and len(asg.in_slot[s]) < asg.cap[s]:
                best, best_cost = s, 0
                break
            if len(asg.in_slot[s]) - cost >= asg.cap[s]:
                cost += 1
            if tabu.get((r, s), -1) >= it:
                cost += 3
            cost += rng.random()
            if cost < best_cost:
                best, best_cost = s, cost
        if best < 0:  # no candidate slot at all
            stuck.append(r)
            continue
        ejected = {ou[best], ov[best]} - {-1}
        for f in ejected:
            asg.remove(f)
        if len(asg.in_slot[best]) >= asg.cap[best]:
            f = rng.choice(tuple(asg.in_slot[best]))
            asg.remove(f)
            ejected.add(f)
        asg.place(r, best)
        for f in ejected:
            tabu[(f, best)] = it + 7 + rng.randrange(8)
            queue.append(f)
    return stuck + [r for r in queue if asg.slot_of[r] < 0]


def fill(asg: Assignment, candidates: list[int] | None = None) -> int:
    """Add every request that still fits (sides free in a common slot, a table, max_meetings left).

    Requests that raise the fair share come first, then heavier ones; returns how many were added.
    """
    pb = asg.pb
    rem_max = pb.rem_max.tolist()
    rem_target = pb.rem_target.tolist()
    rw = pb.rw.tolist()
    pool = range(pb.R) if candidates is None else candidates
    added = 0
    changed = True
    while changed:
        changed = False
        items = []
        for r in pool:
            if asg.slot_of[r] >= 0:
                continue
            u, v = asg.ru[r], asg.rv[r]
            if asg.count[u] >= rem_max[u] or asg.count[v] >= rem_max[v]:
                continue
            gain = (asg.count[u] < rem_target[u]) + (asg.count[v] < rem_target[v])
            items.append((-gain, -rw[r], len(asg.cand[r]), r))
        items.sort()
        for neg_gain, _w, _n, r in items:
            u, v = asg.ru[r], asg.rv[r]
            if asg.count[u] >= rem_max[u] or asg.count[v] >= rem_max[v]:
                continue
            gain = (asg.count[u] < rem_target[u]) + (asg.count[v] < rem_target[v])
            if gain < -neg_gain:
                changed = True  # its priority fell: look again in the next round
                continue
            free = asg.free_slots(r)
            if free:
                asg.place(r, free[0])
                added += 1
    return added
