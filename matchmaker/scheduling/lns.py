"""Large-neighbourhood search: re-solve exactly the part of the schedule around a request left out.

A neighbourhood is a set N of participants (the two sides of a missing request, their meeting partners, and
theirs, up to a size cap). Meetings with someone outside N stay where they are and keep their participants'
slots and their tables; every request inside N is free again. HiGHS solves that small time-indexed model
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

MAX_NEIGHBOURHOOD = 120


def _neighbourhood(
    asg: Assignment, seeds: list[int], rng: random.Random, by_part: list[list[int]]
) -> list[int]:
    chosen = dict.fromkeys(seeds)
    frontier = list(seeds)
    while frontier and len(chosen) < MAX_NEIGHBOURHOOD:
        nxt = []
        rng.shuffle(frontier)
        for p in frontier:
            partners = [asg.rv[r] if asg.ru[r] == p else asg.ru[r] for r in by_part[p]]
            rng.shuffle(partners)
            for q in partners:
                if q not in chosen and len(chosen) < MAX_NEIGHBOURHOOD:
                    chosen[q] = None
                    nxt.append(q)
        frontier = nxt
    return list(chosen)


def _subproblem(pb: Problem, asg: Assignment, members: list[int], by_part: list[list[int]]):
    local = {p: i for i, p in enumerate(members)}
    inside = set()
    for p in members:
        for r in by_part[p]:
            if asg.ru[r] in local and asg.rv[r] in local:
                inside.add(r)
    reqs = sorted(inside)
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
    if info.primal_solution_status != 2 or info.objective_function_value <= current + 0.5:
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
    deadline: float,
    rng: random.Random,
    report: Progress,
    wanted: np.ndarray | None = None,
) -> int:
    """Re-optimise the neighbourhoods of participants below their target (below what the relaxation gave them,
    `wanted`, when known) until the bound or the deadline; returns how many neighbourhoods improved."""
    by_part: list[list[int]] = [[] for _ in range(pb.P)]
    for r in range(pb.R):
        if len(pb.cand[r]):
            by_part[asg.ru[r]].append(r)
            by_part[asg.rv[r]].append(r)
    rem_target = (pb.rem_target if wanted is None else np.minimum(pb.rem_target, wanted)).tolist()
    improved = 0
    rounds = 0
    while time.monotonic() < deadline:
        short = [p for p in range(pb.P) if asg.count[p] < rem_target[p] and by_part[p]]
        if not short:
            break
        rng.shuffle(short)
        progress = False
        for p in short:
            if time.monotonic() >= deadline:
                break
            if asg.count[p] >= rem_target[p]:
                continue
            # Seed: p and the partners of its open requests.
            seeds = [p] + [
                asg.rv[r] if asg.ru[r] == p else asg.ru[r] for r in by_part[p] if asg.slot_of[r] < 0
            ]
            members = _neighbourhood(asg, seeds, rng, by_part)
            if _try(pb, asg, members, by_part, deadline):
                improved += 1
                progress = True
                F_now = int(np.minimum(np.array(asg.count), pb.rem_target).sum())
                report(
                    0.7,
                    f"neighbourhood search: fair share {F_now + pb.locked_F} (bound {F_bound + pb.locked_F})",
                )
                if F_now >= F_bound:
                    return improved
        rounds += 1
        if not progress:
            break
    return improved
