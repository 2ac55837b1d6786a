"""Large-neighbourhood search: re-solve exactly the part of the schedule around a request left out.

A neighbourhood is a set N of participants (the two sides of a missing request, their meeting partners, and
theirs, up to a size cap). Every request with a side in N is free again; all other meetings stay where they
are and keep their participants' slots and their tables. HiGHS solves that small time-indexed model
with the objective M * (fair share inside N) + weight, M larger than any weight total, so the result is never
worse for the whole schedule in the lexicographic order; it is kept only if it is strictly better.
"""

from __future__ import annotations

import random
import time

import highspy
import numpy as np

from . import exact
from .heuristic import Assignment
from .model import Progress
from .problem import Problem

MAX_REQUESTS = 1200  # requests freed in one neighbourhood


def _neighbourhood(
    asg: Assignment, seeds: list[int], rng: random.Random, by_part: list[list[int]]
) -> list[int]:
    """Seeds, then breadth-first their meeting partners, while the requests touching the set stay few."""
    chosen = dict.fromkeys(seeds)
    n_requests = sum(len(by_part[p]) for p in chosen)
    frontier = list(seeds)
    while frontier and n_requests < MAX_REQUESTS:
        nxt = []
        rng.shuffle(frontier)
        for p in frontier:
            partners = [asg.rv[r] if asg.ru[r] == p else asg.ru[r] for r in by_part[p] if asg.slot_of[r] >= 0]
            rng.shuffle(partners)
            for q in partners:
                if q not in chosen and n_requests < MAX_REQUESTS:
                    chosen[q] = None
                    n_requests += len(by_part[q])
                    nxt.append(q)
        frontier = nxt
    return list(chosen)


def _subproblem(pb: Problem, asg: Assignment, members: list[int], by_part: list[list[int]]):
    """Every request touching `members` is free again; the rest of the schedule is fixed."""
    reqs = sorted({r for p in members for r in by_part[p]})
    local: dict[int, int] = {}
    for r in reqs:
        for p in (asg.ru[r], asg.rv[r]):
            if p not in local:
                local[p] = len(local)
    members = list(local)
    freed = {r for r in reqs if asg.slot_of[r] >= 0}
    n = len(members)
    fixed = np.zeros(n, dtype=np.int64)
    for p in members:
        fixed[local[p]] = sum(1 for r in asg.occ[p] if r >= 0 and r not in freed)
    slot_cap = np.array([asg.cap[s] - sum(1 for r in asg.in_slot[s] if r not in freed) for s in range(pb.S)])
    cand = []
    for r in reqs:
        ou, ov = asg.occ[asg.ru[r]], asg.occ[asg.rv[r]]
        cand.append(
            np.array(
                [
                    s
                    for s in asg.cand[r]
                    if (ou[s] < 0 or ou[s] in freed) and (ov[s] < 0 or ov[s] in freed) and slot_cap[s] > 0
                ],
                dtype=np.int64,
            )
        )
    mem = np.array(members, dtype=np.int64)
    sub = Problem(
        instance=pb.instance,
        P=n,
        S=pb.S,
        T=pb.T,
        avail=pb.avail[mem],
        max_meetings=pb.max_meetings[mem],
        target=pb.target[mem],
        locked_count=pb.locked_count[mem] + fixed,
        rem_max=pb.rem_max[mem] - fixed,
        rem_target=np.maximum(0, pb.rem_target[mem] - fixed),
        slot_cap=slot_cap,
        free_tables=[],
        ru=np.array([local[asg.ru[r]] for r in reqs], dtype=np.int64),
        rv=np.array([local[asg.rv[r]] for r in reqs], dtype=np.int64),
        rw=pb.rw[reqs] if reqs else np.zeros(0),
        rorig=np.array(reqs, dtype=np.int64),
        cand=cand,
        locked=[],
        locked_F=0,
        locked_W=0.0,
        no_common_slot=np.zeros(len(reqs), dtype=bool),
    )
    return sub, reqs, freed


def _try(pb: Problem, asg: Assignment, members: list[int], by_part: list[list[int]], deadline: float) -> bool:
    sub, reqs, freed = _subproblem(pb, asg, members, by_part)
    if not reqs:
        return False
    model = exact.build(sub, integer=True)
    big = float(sub.rw.sum()) + 1.0
    cost = np.concatenate([sub.rw[model.var_r], np.full(len(model.g_part), big)])
    h = model.highs
    h.changeColsCost(model.n_cols, np.arange(model.n_cols, dtype=np.int32), cost)
    # Current value of the neighbourhood, and the current solution as a start.
    counts = np.zeros(sub.P, dtype=np.int64)
    col = np.zeros(model.n_cols)
    index = {(int(r), int(s)): i for i, (r, s) in enumerate(zip(model.var_r, model.var_s, strict=True))}
    for k, r in enumerate(reqs):
        if r in freed:
            col[index[(k, asg.slot_of[r])]] = 1.0
            counts[sub.ru[k]] += 1
            counts[sub.rv[k]] += 1
    g_now = np.minimum(counts, sub.rem_target)
    col[model.n_x :] = g_now[model.g_part]
    current = big * float(g_now.sum()) + float(sum(pb.rw[r] for r in freed))
    h.setOptionValue("time_limit", max(0.05, min(3.0, deadline - time.monotonic())))
    h.setOptionValue("mip_rel_gap", 0.0)
    sol = highspy.HighsSolution()
    sol.col_value = list(col)
    sol.value_valid = True
    h.setSolution(sol)
    h.run()
    info = h.getInfo()
    if info.primal_solution_status != 2 or info.objective_function_value <= current + 1e-6 * max(
        1.0, current
    ):
        return False
    x = np.array(h.getSolution().col_value)[: model.n_x]
    for r in freed:
        asg.remove(r)
    for i in np.flatnonzero(x > 0.5):
        asg.place(reqs[int(model.var_r[i])], int(model.var_s[i]))
    return True


def improve(
    pb: Problem,
    asg: Assignment,
    F_bound: int,
    W_bound: float,
    deadline: float,
    rng: random.Random,
    report: Progress,
    chosen: list[int] | None = None,
    max_rounds: int = 3,
    span: tuple[float, float] = (0.65, 0.8),
) -> int:
    """Re-optimise neighbourhoods until the bounds or the deadline; returns how many improved.

    First the fair share: neighbourhoods of participants below their target (below what the relaxation's
    choice `chosen` gave them, when known). Then the weight: neighbourhoods of the chosen requests left out.
    A phase starts another round only while it still gains.
    """
    by_part: list[list[int]] = [[] for _ in range(pb.P)]
    for r in range(pb.R):
        if len(pb.cand[r]):
            by_part[asg.ru[r]].append(r)
            by_part[asg.rv[r]].append(r)
    wanted = pb.rem_target.copy()
    if chosen:
        deg = np.zeros(pb.P, dtype=np.int64)
        np.add.at(deg, pb.ru[chosen], 1)
        np.add.at(deg, pb.rv[chosen], 1)
        wanted = np.minimum(wanted, deg)
    rem_target = wanted.tolist()

    def fair() -> int:
        return int(np.minimum(np.array(asg.count, dtype=np.int64), pb.rem_target).sum())

    def weight() -> float:
        return float(sum(pb.rw[r] for r in asg.placed()))

    started = time.monotonic()

    def say() -> None:
        done = min(1.0, (time.monotonic() - started) / max(1e-9, deadline - started))
        report(
            span[0] + (span[1] - span[0]) * done,
            f"neighbourhood search: fair share {fair() + pb.locked_F} (bound {F_bound + pb.locked_F}), "
            f"weight {weight() + pb.locked_W:g}",
        )

    improved = 0
    for _round in range(max_rounds):
        F_start = fair()
        short = [p for p in range(pb.P) if asg.count[p] < rem_target[p] and by_part[p]]
        rng.shuffle(short)
        for p in short:
            if time.monotonic() >= deadline:
                return improved
            if asg.count[p] >= rem_target[p]:
                continue
            seeds = [p] + [
                asg.rv[r] if asg.ru[r] == p else asg.ru[r] for r in by_part[p] if asg.slot_of[r] < 0
            ]
            if _try(pb, asg, _neighbourhood(asg, seeds, rng, by_part), by_part, deadline):
                improved += 1
                say()
                if fair() >= F_bound:
                    break
        if fair() >= F_bound or fair() <= F_start:
            break
    if not chosen:
        return improved
    for _round in range(max_rounds):
        W_start = weight()
        missing = [r for r in chosen if asg.slot_of[r] < 0]
        rng.shuffle(missing)
        for r in missing:
            if time.monotonic() >= deadline:
                return improved
            if asg.slot_of[r] >= 0:
                continue
            seeds = [asg.ru[r], asg.rv[r]]
            if _try(pb, asg, _neighbourhood(asg, seeds, rng, by_part), by_part, deadline):
                improved += 1
                say()
                if weight() >= W_bound - 1e-6:
                    return improved
        if weight() <= W_start:
            break
    return improved
