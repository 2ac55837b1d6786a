"""The aggregated relaxation: which requests to schedule, forgetting which slot each one takes.

Variables y[r] in [0, 1] (request r meets) and g[p] <= remaining fairness target. A participant meets at most
min(max_meetings left, free available slots) times, a request needs a common free slot, and all meetings
together fit in the free tables of all slots. For requests between two disjoint sides (buyers and suppliers)
the rows form a network matrix, so the optimum is integral and cheap; in general it is still a valid
upper bound.
Every schedule is feasible here, so its optima bound F* and W* from above.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from .exact import column_wise
from .problem import Problem

INF = highspy.kHighsInf
IPM_FROM = 20_000  # requests; below, dual simplex from scratch is as fast


@dataclass
class Relaxation:
    highs: highspy.Highs
    reqs: np.ndarray  # free requests with at least one candidate slot (the y columns)
    g_part: np.ndarray
    n_y: int
    by_part: list[list[int]]  # y columns of each participant's requests
    f_row: int = -1  # the row sum g >= min_F of the weight stage


def usable_slots(problem: Problem) -> np.ndarray:
    """(P, S) bool: the free slots each participant shares with at least one of its requests' other sides."""
    counts = np.array([len(c) for c in problem.cand], dtype=np.int64)
    usable = np.zeros((problem.P, problem.S), dtype=bool)
    if counts.sum():
        slots = np.concatenate(problem.cand)
        usable[np.repeat(problem.ru, counts), slots] = True
        usable[np.repeat(problem.rv, counts), slots] = True
    return usable


def capacity(problem: Problem) -> np.ndarray:
    """How many more meetings each participant can have: max_meetings left, and its usable slots."""
    return np.minimum(problem.rem_max, usable_slots(problem).sum(axis=1))


def build(problem: Problem, cap: np.ndarray | None = None) -> Relaxation:
    cap = capacity(problem) if cap is None else cap
    reqs = np.flatnonzero([len(c) > 0 for c in problem.cand]) if problem.R else np.zeros(0, dtype=np.int64)
    n_y = len(reqs)
    u, v = problem.ru[reqs], problem.rv[reqs]
    P = problem.P
    touched = np.zeros(P, dtype=bool)
    touched[u] = True
    touched[v] = True
    g_part = np.flatnonzero((problem.rem_target > 0) & touched)
    n_cols = n_y + len(g_part)
    ys = np.arange(n_y)
    # rows 0..P-1: capacity per participant; rows P..P+ng-1: g_p - sum y <= 0; last row: tables overall.
    g_row = np.full(P, -1, dtype=np.int64)
    g_row[g_part] = P + np.arange(len(g_part))
    ends = np.concatenate([u, v])
    yy = np.concatenate([ys, ys])
    has_g = g_row[ends] >= 0
    total_row = P + len(g_part)
    i = np.concatenate([ends, g_row[ends[has_g]], g_row[g_part], np.full(n_y, total_row)])
    j = np.concatenate([yy, yy[has_g], n_y + np.arange(len(g_part)), ys])
    val = np.concatenate([np.ones(2 * n_y), -np.ones(has_g.sum()), np.ones(len(g_part)), np.ones(n_y)])
    n_rows = total_row + 1
    start, index, value = column_wise(i, j, val, n_cols)
    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = n_rows
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.concatenate([np.zeros(n_y), np.ones(len(g_part))])
    lp.col_lower_ = np.zeros(n_cols)
    lp.col_upper_ = np.concatenate([np.ones(n_y), problem.rem_target[g_part].astype(float)])
    lp.row_lower_ = np.full(n_rows, -INF)
    lp.row_upper_ = np.concatenate(
        [cap.astype(float), np.zeros(len(g_part)), [float(problem.slot_cap.sum())]]
    )
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = start
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    lp.a_matrix_.num_col_ = n_cols
    lp.a_matrix_.num_row_ = n_rows
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    by_part: list[list[int]] = [[] for _ in range(P)]
    for j, (a, b) in enumerate(zip(u.tolist(), v.tolist(), strict=True)):
        by_part[a].append(j)
        by_part[b].append(j)
    return Relaxation(h, reqs, g_part, n_y, by_part)


def _solve(rel: Relaxation, deadline: float) -> tuple[float, np.ndarray | None]:
    h = rel.highs
    h.setOptionValue("time_limit", max(0.01, deadline - time.monotonic()))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return float("inf"), None
    return h.getInfo().objective_function_value, np.array(h.getSolution().col_value)


def _set_objective(rel: Relaxation, weights: np.ndarray | None) -> None:
    """Objective F (sum g) when weights is None, else W (sum of the weights of the y columns)."""
    ng = len(rel.g_part)
    n = rel.n_y + ng
    cost = (
        np.concatenate([np.zeros(rel.n_y), np.ones(ng)])
        if weights is None
        else np.concatenate([weights[rel.reqs], np.zeros(ng)])
    )
    rel.highs.changeColsCost(n, np.arange(n, dtype=np.int32), cost)


def _augment(r: int, cand: list[list[int]], owner: dict[int, int], seen: set[int]) -> bool:
    for s in cand[r]:
        if s in seen:
            continue
        seen.add(s)
        if s not in owner or _augment(owner[s], cand, owner, seen):
            owner[s] = r
            return True
    return False


def hall_cuts(rel: Relaxation, problem: Problem, y: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """Violated cuts `sum of y over p's requests whose slots all lie in Q <= |Q|`.

    For every participant, its requests in the support of y must be matched to distinct candidate slots
    (Hall's condition); when one is left over, the requests reachable from it by alternating paths need more
    slots than they have together (Q). Returns (y columns, |Q|) of the cuts that y violates.
    """
    cand = problem.cand
    by_part: dict[int, list[int]] = {}
    for j in np.flatnonzero(y > 1e-6).tolist():
        r = int(rel.reqs[j])
        by_part.setdefault(int(problem.ru[r]), []).append(j)
        by_part.setdefault(int(problem.rv[r]), []).append(j)
    cuts = []
    for p, cols in by_part.items():
        if len(cols) < 2:
            continue
        local = [cand[int(rel.reqs[j])].tolist() for j in cols]
        owner: dict[int, int] = {}
        for i in range(len(cols)):
            if _augment(i, local, owner, set()):
                continue
            # Requests reachable from i by alternating paths, and their slots Q (all matched).
            reach, slots, stack = {i}, set(), [i]
            while stack:
                k = stack.pop()
                for s in local[k]:
                    if s not in slots:
                        slots.add(s)
                        if s in owner and owner[s] not in reach:
                            reach.add(owner[s])
                            stack.append(owner[s])
            members = [j for j in rel.by_part[p] if set(cand[int(rel.reqs[j])].tolist()) <= slots]
            if y[members].sum() > len(slots) + 1e-6:
                cuts.append((np.array(members, dtype=np.int32), float(len(slots))))
            break
    return cuts


def lexicographic(
    rel: Relaxation, problem: Problem, deadline: float, max_rounds: int = 30
) -> tuple[float, float, np.ndarray | None, int]:
    """Max F, then max W with F kept, adding violated Hall cuts and re-solving until none is left.

    Returns (F bound, W bound at that F, y, cuts added). Every F optimum is an upper bound on F* (cuts only
    remove non-schedules); the W bound (inf if the weight stage was not reached) holds for schedules reaching
    the F bound. y is the last weight optimum, else the last fair-share optimum (None if no LP was solved):
    the meetings to schedule, even if rounds or time ran out before every cut was found.
    """
    h = rel.highs
    ng = len(rel.g_part)
    if rel.f_row < 0 and ng:
        rel.f_row = h.getNumRow()
        h.addRow(-INF, INF, ng, np.arange(rel.n_y, rel.n_y + ng, dtype=np.int32), np.ones(ng))
    F_bound, W_bound, y_F, y_W = float("inf"), float("inf"), None, None
    phase_F = True
    n_cuts = 0
    _set_objective(rel, None)
    if rel.n_y >= IPM_FROM:  # a cold start on a big network LP: interior point, then crossover to a vertex
        h.setOptionValue("solver", "ipm")
        h.setOptionValue("run_crossover", "on")
    for _ in range(max_rounds):
        if time.monotonic() >= deadline:
            break
        value, col = _solve(rel, deadline)
        h.setOptionValue("solver", "simplex")  # warm starts from here on
        if col is None:
            if phase_F:
                break
            # The new cuts leave no solution with that F (or time ran out): find the best F again.
            h.changeRowBounds(rel.f_row, -INF, INF)
            _set_objective(rel, None)
            phase_F, W_bound, y_W = True, float("inf"), None
            continue
        y = col[: rel.n_y]
        cuts = hall_cuts(rel, problem, y)
        for members, rhs in cuts:
            h.addRow(-INF, rhs, len(members), members, np.ones(len(members)))
        n_cuts += len(cuts)
        if phase_F:
            F_bound, y_F = min(F_bound, value), y
            if not cuts:
                if ng:
                    h.changeRowBounds(rel.f_row, np.floor(F_bound + 1e-6) - 1e-7, INF)
                _set_objective(rel, problem.rw)
                phase_F = False
        else:
            W_bound, y_W = value, y
            if not cuts:
                break
    return F_bound, W_bound, y_W if y_W is not None else y_F, n_cuts


def relax_W_bound(
    rel: Relaxation, problem: Problem, min_F: float, deadline: float
) -> tuple[float, np.ndarray | None]:
    """After lexicographic: the best W among solutions whose free F is at least min_F (lower than before)."""
    if rel.f_row >= 0:
        rel.highs.changeRowBounds(rel.f_row, min_F - 1e-7, INF)
    _set_objective(rel, problem.rw)
    value, col = _solve(rel, deadline)
    return value, None if col is None else col[: rel.n_y]
