"""The time-indexed mixed-integer program, solved lexicographically with HiGHS.

Variables: x[r, s] = 1 when free request r meets in candidate slot s; g[p] <= the meetings of p, at most its
remaining fairness target. Rows: a request meets at most once; a participant meets at most once per slot;
a slot holds at most its free tables; a participant meets at most max_meetings (minus locked) times.
Stage 1 maximises F = sum g (plus a tie-break on W worth less than 1); stage 2 keeps F and maximises
W. The LNS solves the same model on neighbourhoods.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from .problem import Problem

INF = highspy.kHighsInf


def column_wise(
    rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n_cols: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A sparse matrix given entry by entry (no duplicates) as column-wise start/index/value arrays."""
    order = np.lexsort((rows, cols))
    cols = cols[order]
    start = np.searchsorted(cols, np.arange(n_cols + 1)).astype(np.int32)
    return start, rows[order].astype(np.int32), vals[order].astype(float)


@dataclass
class Model:
    highs: highspy.Highs
    var_r: np.ndarray  # request of each x column
    var_s: np.ndarray  # slot of each x column
    g_part: np.ndarray  # participant of each g column (columns n_x..)
    n_x: int
    integer: bool

    @property
    def n_cols(self) -> int:
        return self.n_x + len(self.g_part)


def build(problem: Problem, integer: bool, threads: int = 1, tie_weights: np.ndarray | None = None) -> Model:
    """The time-indexed model with the stage-1 objective F; with tie_weights, F + eps * W where eps * W < 1,
    so that among the fairest schedules the MILP already prefers heavier ones (the objective's floor is F).
    """
    counts = np.array([len(c) for c in problem.cand], dtype=np.int64)
    var_r = np.repeat(np.arange(problem.R, dtype=np.int64), counts)
    var_s = np.concatenate(problem.cand).astype(np.int64) if problem.R else np.zeros(0, dtype=np.int64)
    n_x = len(var_r)
    P, S = problem.P, problem.S
    vu, vv = problem.ru[var_r], problem.rv[var_r]

    # Participants who can still gain fair share.
    has_cand = np.zeros(P, dtype=bool)
    has_cand[vu] = True
    has_cand[vv] = True
    g_part = np.flatnonzero((problem.rem_target > 0) & has_cand)
    g_col = np.full(P, -1, dtype=np.int64)
    g_col[g_part] = n_x + np.arange(len(g_part))
    n_cols = n_x + len(g_part)

    rows_i: list[np.ndarray] = []
    rows_j: list[np.ndarray] = []
    rows_v: list[np.ndarray] = []
    upper: list[np.ndarray] = []
    n_rows = 0

    def add(group_of_var: np.ndarray, cols: np.ndarray, n_groups: int, cap: np.ndarray, vals=None) -> None:
        """Rows sum_{cols in group} val * x <= cap[group], only for groups whose sum could exceed cap."""
        nonlocal n_rows
        size = np.bincount(group_of_var, minlength=n_groups)
        keep = size > cap
        ids = np.cumsum(keep) - 1 + n_rows
        sel = keep[group_of_var]
        rows_i.append(ids[group_of_var[sel]])
        rows_j.append(cols[sel])
        rows_v.append(np.ones(sel.sum()) if vals is None else vals[sel])
        upper.append(cap[keep].astype(float))
        n_rows += int(keep.sum())

    xs = np.arange(n_x, dtype=np.int64)
    add(var_r, xs, problem.R, np.ones(problem.R, dtype=np.int64))  # a request meets at most once
    # A participant meets at most once per slot.
    ps = np.concatenate([vu * S + var_s, vv * S + var_s])
    add(ps, np.concatenate([xs, xs]), P * S, np.ones(P * S, dtype=np.int64))
    add(var_s, xs, S, problem.slot_cap)  # tables per slot
    # Max meetings: the row is needed only if the participant could exceed it.
    part = np.concatenate([vu, vv])
    add(part, np.concatenate([xs, xs]), P, problem.rem_max)
    # Fair share: g_p - sum x_p <= 0.
    if len(g_part):
        mask = g_col[part] >= 0
        pp = part[mask]
        # Rows: one per g participant; entries -1 on x of p, +1 on g_p.
        row_of = np.full(P, -1, dtype=np.int64)
        row_of[g_part] = n_rows + np.arange(len(g_part))
        rows_i.append(np.concatenate([row_of[pp], row_of[g_part]]))
        rows_j.append(np.concatenate([np.concatenate([xs, xs])[mask], g_col[g_part]]))
        rows_v.append(np.concatenate([-np.ones(mask.sum()), np.ones(len(g_part))]))
        upper.append(np.zeros(len(g_part)))
        n_rows += len(g_part)

    start, index, value = column_wise(
        np.concatenate(rows_i), np.concatenate(rows_j), np.concatenate(rows_v), n_cols
    )
    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = n_rows
    lp.sense_ = highspy.ObjSense.kMaximize
    cost = np.zeros(n_cols)
    cost[n_x:] = 1.0
    if tie_weights is not None and n_x:
        cost[:n_x] = tie_weights[var_r] / (float(tie_weights.sum()) + 1.0)
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(n_cols)
    lp.col_upper_ = np.concatenate([np.ones(n_x), problem.rem_target[g_part].astype(float)])
    lp.row_lower_ = np.full(n_rows, -INF)
    lp.row_upper_ = np.concatenate(upper) if upper else np.zeros(0)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = start
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    lp.a_matrix_.num_col_ = n_cols
    lp.a_matrix_.num_row_ = n_rows
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n_x + [highspy.HighsVarType.kContinuous] * len(
            g_part
        )
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", threads)
    h.passModel(lp)
    return Model(h, var_r, var_s, g_part, n_x, integer)


@dataclass
class StageResult:
    value: float  # objective of the best solution found (nan if none)
    bound: float  # proven upper bound of the stage
    optimal: bool
    x: np.ndarray | None  # column values of the best solution


def _run(model: Model, deadline: float, start: np.ndarray | None) -> StageResult:
    h = model.highs
    h.setOptionValue("time_limit", max(0.01, deadline - time.monotonic()))
    if model.integer:
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 1e-6)
        if start is not None:
            sol = highspy.HighsSolution()
            sol.col_value = list(start)
            sol.value_valid = True
            h.setSolution(sol)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.array(h.getSolution().col_value) if has_sol else None
    value = info.objective_function_value if has_sol else float("nan")
    optimal = status == highspy.HighsModelStatus.kOptimal
    bound = info.mip_dual_bound if model.integer else (value if optimal else float("inf"))
    return StageResult(value, bound, optimal, x)


def fix_F_and_maximise_W(model: Model, weights: np.ndarray, min_F: float) -> None:
    """Turn the model into stage 2: add sum g >= min_F and make the objective the weight of the x columns."""
    h = model.highs
    ng = len(model.g_part)
    if ng:
        h.addRow(min_F - 1e-6, INF, ng, np.arange(model.n_x, model.n_x + ng, dtype=np.int32), np.ones(ng))
    cost = np.concatenate([weights[model.var_r], np.zeros(ng)])
    h.changeColsCost(model.n_cols, np.arange(model.n_cols, dtype=np.int32), cost)


def run_stage(model: Model, deadline: float, start: np.ndarray | None = None) -> StageResult:
    """Solve the model as it stands (stage 1 after build, stage 2 after fix_F_and_maximise_W)."""
    return _run(model, deadline, start)
