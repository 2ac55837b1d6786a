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
import scipy.sparse as sp

from .problem import Problem

INF = highspy.kHighsInf


@dataclass
class Relaxation:
    highs: highspy.Highs
    reqs: np.ndarray  # free requests with at least one candidate slot (the y columns)
    g_part: np.ndarray
    n_y: int
    f_row: int = -1  # the row sum g >= min_F added by max_W


def capacity(problem: Problem) -> np.ndarray:
    """How many more meetings each participant can have: max_meetings left, and free available slots."""
    return np.minimum(problem.rem_max, problem.avail.sum(axis=1))


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
    a = sp.csc_matrix((val, (i, j)), shape=(n_rows, n_cols))
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
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    lp.a_matrix_.num_col_ = n_cols
    lp.a_matrix_.num_row_ = n_rows
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    return Relaxation(h, reqs, g_part, n_y)


def _solve(rel: Relaxation, deadline: float) -> tuple[float, np.ndarray | None]:
    h = rel.highs
    h.setOptionValue("time_limit", max(0.01, deadline - time.monotonic()))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return float("inf"), None
    return h.getInfo().objective_function_value, np.array(h.getSolution().col_value)


def max_F(rel: Relaxation, deadline: float) -> tuple[float, np.ndarray | None]:
    """Best F of the relaxation (without the locked part) and the y values of an optimum."""
    value, col = _solve(rel, deadline)
    return value, None if col is None else col[: rel.n_y]


def max_W(
    rel: Relaxation, weights: np.ndarray, min_F: float, deadline: float
) -> tuple[float, np.ndarray | None]:
    """Best W of the relaxation among solutions whose free F is at least min_F (once, after max_F)."""
    h = rel.highs
    ng = len(rel.g_part)
    if ng:
        rel.f_row = h.getNumRow()
        h.addRow(min_F - 1e-7, INF, ng, np.arange(rel.n_y, rel.n_y + ng, dtype=np.int32), np.ones(ng))
    n = rel.n_y + ng
    h.changeColsCost(n, np.arange(n, dtype=np.int32), np.concatenate([weights[rel.reqs], np.zeros(ng)]))
    value, col = _solve(rel, deadline)
    return value, None if col is None else col[: rel.n_y]


def relax_W_bound(rel: Relaxation, min_F: float, deadline: float) -> tuple[float, np.ndarray | None]:
    """After max_W: the best W among solutions whose free F is at least min_F (lower than before)."""
    if rel.f_row >= 0:
        rel.highs.changeRowBounds(rel.f_row, min_F - 1e-7, INF)
    value, col = _solve(rel, deadline)
    return value, None if col is None else col[: rel.n_y]
