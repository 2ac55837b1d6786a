"""`solve(instance)`: the engine's entry point.

1. The aggregated relaxation (relax.py) gives F_bound and, with F held at its best, the requests to schedule;
   Hall cuts (a participant cannot meet more people than it has slots for them) are added until none is
   violated.
2. Those requests get slots and tables (heuristic.py: colouring, ejection-chain repair, then a greedy fill).
3. If the schedule does not reach the bounds and the time-indexed model is small, HiGHS solves it whole
   (exact.py) from the schedule so far; otherwise (or if time ran out) a large-neighbourhood search
   (lns.py) re-solves exactly the neighbourhoods of the participants that fell short, then of the chosen
   requests left out.
4. The certificate compares F and W with the best bounds proven on the way; a weight bound is only used
   for a schedule at least as fair as the one it was proven for.
"""

from __future__ import annotations

import math
import random
import statistics
import time

import numpy as np

from . import exact, relax
from .heuristic import Assignment, colour, fill, repair
from .lns import improve
from .model import (
    REASON_LOWER_PRIORITY,
    REASON_MAX_REACHED,
    REASON_NO_COMMON_SLOT,
    REASON_NO_TABLE,
    Certificate,
    Instance,
    Meeting,
    Progress,
    Solution,
    Stats,
    Unscheduled,
)
from .problem import Problem, build_problem
from .validate import check_schedule

DEFAULT_TIME_LIMIT = 60.0
# Time-indexed models up to this many columns are solved whole when the bound is not reached; bigger ones
# only by neighbourhoods (a whole big model may gain a unit of F but lose much weight in the time left).
EXACT_MAX_COLUMNS = 16_000


def _quiet(_fraction: float, _message: str) -> None:
    return None


def free_F(pb: Problem, asg: Assignment) -> int:
    return int(np.minimum(np.array(asg.count, dtype=np.int64), pb.rem_target).sum())


def free_W(pb: Problem, asg: Assignment) -> float:
    return float(sum(pb.rw[r] for r in asg.placed()))


def combinatorial_F_bound(pb: Problem) -> int:
    """F* (free part) <= sum over p of min(remaining target, capacity, requests with a candidate slot)."""
    has = np.array([len(c) > 0 for c in pb.cand], dtype=bool)
    deg = np.bincount(pb.ru[has], minlength=pb.P) + np.bincount(pb.rv[has], minlength=pb.P)
    return int(np.minimum(np.minimum(pb.rem_target, relax.capacity(pb)), deg).sum())


def solve(
    instance: Instance,
    time_limit: float = DEFAULT_TIME_LIMIT,
    progress: Progress | None = None,
    seed: int = 0,
) -> Solution:
    """Schedule the instance's requests (see the module docstring).

    Raises InvalidInstance for malformed input and InfeasibleInstance for contradictory locked meetings.
    """
    started = time.monotonic()
    deadline = started + max(0.1, time_limit)
    report = progress or _quiet
    rng = random.Random(seed)
    report(0.0, "checking the instance")
    pb = build_problem(instance)
    report(0.05, f"{pb.P} participants, {pb.R} open requests, {len(pb.locked)} locked meetings")

    asg = Assignment(pb)
    method = "relaxation+colouring"
    F_bound = combinatorial_F_bound(pb)
    W_bound = float(sum(pb.rw[r] for r, c in enumerate(pb.cand) if len(c)))
    # Weight bounds as (value, F level): each holds for every schedule whose free F is at least its level.
    w_bounds: list[tuple[float, int]] = [(W_bound, 0)]
    rel = relax.build(pb) if pb.R else None
    chosen: list[int] = []
    w_row_ok = False
    if rel is not None:
        report(0.1, "bounding the fair share and choosing the meetings (relaxation)")
        F_rel, W_rel, y, n_cuts = relax.lexicographic(rel, pb, deadline - 0.3 * time_limit)
        if math.isfinite(F_rel):
            F_bound = min(F_bound, math.floor(F_rel + 1e-6))
        if math.isfinite(W_rel):
            w_row_ok = True
            W_bound = min(W_bound, _round_bound(pb, W_rel))
            w_bounds.append((W_bound, F_bound))
        if y is not None:
            chosen = _feasible_choice(pb, rel.reqs[y > 0.5])
        report(0.4, f"fair share bound {F_bound + pb.locked_F} ({n_cuts} cuts)")
    report(0.45, f"placing {len(chosen)} meetings in slots and tables")
    left = colour(asg, chosen)
    if left:
        left = repair(
            asg, left, min(deadline, time.monotonic() + 0.2 * time_limit), rng, 200 * len(left) + 20_000
        )
    fill(asg)
    report(0.6, f"placed: fair share {free_F(pb, asg) + pb.locked_F} of at most {F_bound + pb.locked_F}")

    def at_bound() -> bool:
        return free_F(pb, asg) >= F_bound and _at_least(free_W(pb, asg), W_bound)

    # Short of the F bound, bound W now at this F (improvements never lower F), so the bound does not depend
    # on time left at the end.
    F_placed = free_F(pb, asg)
    if F_placed < F_bound and rel is not None and w_row_ok:
        W_rel, _ = relax.relax_W_bound(rel, pb, F_placed, max(deadline, time.monotonic() + 5.0))
        if math.isfinite(W_rel):
            w_bounds.append((_round_bound(pb, W_rel), F_placed))

    if not at_bound() and time.monotonic() < deadline:
        exact_fits = sum(len(c) for c in pb.cand) <= EXACT_MAX_COLUMNS
        # Keep time for the final bound (a warm re-solve of the relaxation).
        end = deadline - min(5.0, 0.1 * time_limit)
        if exact_fits:
            method += "+exact MILP"
            report(0.65, "solving the time-indexed model exactly")
            asg, F_bound, W_exact = _exact(pb, asg, F_bound, end)
            w_bounds.extend(W_exact)
            W_bound = min(v for v, level in w_bounds if level <= free_F(pb, asg))
        if not at_bound() and time.monotonic() < end:
            method += "+LNS"
            report(0.8, "improving the neighbourhoods that fell short")
            improve(pb, asg, F_bound, W_bound, end, rng, report, chosen, span=(0.8, 0.97))
            fill(asg)
    # Keep the best weight bound that holds at this schedule's F; bound W again at this F if time is left.
    F_now = free_F(pb, asg)
    W_bound = min(v for v, level in w_bounds if level <= F_now)
    best_level = max(level for v, level in w_bounds if level <= F_now)
    if best_level < F_now and rel is not None and w_row_ok and time.monotonic() < deadline:
        W_rel, _ = relax.relax_W_bound(rel, pb, F_now, deadline)
        if math.isfinite(W_rel):
            W_bound = min(W_bound, _round_bound(pb, W_rel))

    meetings = _meetings(pb, asg)
    F_checked, _, problems = check_schedule(instance, meetings)
    if problems:  # a bug in the engine: never hand out a schedule that breaks a rule
        raise RuntimeError(f"the engine produced an invalid schedule: {problems[:5]}")
    F = F_now + pb.locked_F
    assert F_checked == F
    W = free_W(pb, asg) + pb.locked_W
    W_bound_total = max(W, _round_bound(pb, W_bound) + pb.locked_W)
    cert = Certificate(
        F=F,
        F_bound=max(F, F_bound + pb.locked_F),
        W=W,
        W_bound=W_bound_total,
        optimal=F_bound + pb.locked_F <= F and _at_least(W, W_bound_total),
        seconds=time.monotonic() - started,
        method=method,
    )
    report(1.0, f"done: F {cert.F}/{cert.F_bound}, W {cert.W:g}/{cert.W_bound:g}")
    return Solution(meetings, cert, _unscheduled(pb, asg), _stats(pb, asg, len(meetings)))


_TOL = 1e-6


def _weight_grid(pb: Problem) -> int | None:
    """The smallest k in a few usual ones such that every weight times k is whole, or None."""
    for k in (1, 2, 4, 5, 10, 20, 100, 1000):
        scaled = pb.rw * k
        if np.all(np.abs(scaled - np.round(scaled)) < 1e-9):
            return k
    return None


def _round_bound(pb: Problem, value: float) -> float:
    """A solver's bound, freed of its tolerance: rounded down to the grid of the weights when there is one
    (every W is on it), else raised by a relative hair so that it stays an upper bound."""
    k = _weight_grid(pb)
    if k is not None:
        return math.floor(value * k + 1e-6) / k
    return value + 1e-9 * max(1.0, abs(value))


def _at_least(value: float, bound: float) -> bool:
    return value >= bound - _TOL * max(1.0, abs(bound))


def _exact(pb: Problem, asg: Assignment, F_bound: int, deadline: float):
    """Both stages of the time-indexed MILP from the current schedule.

    Returns the better schedule, the F bound and the weight bounds proved, as (value, F level)."""
    model = exact.build(pb, integer=True, tie_weights=pb.rw)
    st1 = exact.run_stage(model, deadline, _columns(model, pb, asg))
    best = asg
    if st1.x is not None:
        cand = _from_columns(pb, model, st1.x)
        if (free_F(pb, cand), free_W(pb, cand)) > (free_F(pb, best), free_W(pb, best)):
            best = cand
    if math.isfinite(st1.bound):
        F_bound = min(F_bound, math.floor(st1.bound + 1e-6))
    F_fix = free_F(pb, best)
    w_bounds = []
    now = time.monotonic()
    if now < deadline:
        exact.fix_F_and_maximise_W(model, pb.rw, F_fix)
        st2 = exact.run_stage(model, deadline, _columns(model, pb, best))
        if st2.x is not None:
            cand = _from_columns(pb, model, st2.x)
            if free_F(pb, cand) >= F_fix and free_W(pb, cand) > free_W(pb, best):
                best = cand
        if math.isfinite(st2.bound):
            w_bounds.append((_round_bound(pb, st2.bound), F_fix))
    fill(best)
    return best, F_bound, w_bounds


def _feasible_choice(pb: Problem, reqs: np.ndarray) -> list[int]:
    """The relaxation's choice kept within max_meetings: a vertex optimum of the buyer-supplier relaxation
    never exceeds it, but a fractional optimum rounded at 0.5 may."""
    room = pb.rem_max.tolist()
    out = []
    for r in sorted(reqs.tolist(), key=lambda r: -pb.rw[r]):
        u, v = int(pb.ru[r]), int(pb.rv[r])
        if room[u] > 0 and room[v] > 0:
            room[u] -= 1
            room[v] -= 1
            out.append(r)
    return out


def _columns(model: exact.Model, pb: Problem, asg: Assignment) -> np.ndarray:
    col = np.zeros(model.n_cols)
    index = {(int(r), int(s)): i for i, (r, s) in enumerate(zip(model.var_r, model.var_s, strict=True))}
    for r in asg.placed():
        col[index[(r, asg.slot_of[r])]] = 1.0
    counts = np.array(asg.count, dtype=np.int64)
    col[model.n_x :] = np.minimum(counts[model.g_part], pb.rem_target[model.g_part])
    return col


def _from_columns(pb: Problem, model: exact.Model, x: np.ndarray) -> Assignment:
    asg = Assignment(pb)
    rem_max = pb.rem_max.tolist()
    for i in np.flatnonzero(x[: model.n_x] > 0.5):
        r, s = int(model.var_r[i]), int(model.var_s[i])
        u, v = asg.ru[r], asg.rv[r]
        if (
            asg.slot_of[r] < 0
            and asg.occ[u][s] < 0
            and asg.occ[v][s] < 0
            and len(asg.in_slot[s]) < asg.cap[s]
            and asg.count[u] < rem_max[u]
            and asg.count[v] < rem_max[v]
        ):
            asg.place(r, s)
    return asg


def _meetings(pb: Problem, asg: Assignment) -> list[Meeting]:
    inst = pb.instance
    meetings = list(pb.locked)
    for s in range(pb.S):
        tables = pb.free_tables[s]
        for r, t in zip(sorted(asg.in_slot[s]), tables, strict=False):
            req = inst.requests[int(pb.rorig[r])]
            meetings.append(Meeting(req.a, req.b, inst.slots[s].id, t))
    return meetings


def _unscheduled(pb: Problem, asg: Assignment) -> list[Unscheduled]:
    inst = pb.instance
    total = (pb.locked_count + np.array(asg.count, dtype=np.int64)).tolist()
    maxm = pb.max_meetings.tolist()
    out = []
    for r in range(pb.R):
        if asg.slot_of[r] >= 0:
            continue
        req = inst.requests[int(pb.rorig[r])]
        u, v = asg.ru[r], asg.rv[r]
        full = [inst.participants[p].id for p in (u, v) if total[p] >= maxm[p]]
        if pb.no_common_slot[r]:
            out.append(
                Unscheduled(req, REASON_NO_COMMON_SLOT, f"{req.a} and {req.b} are never available together")
            )
        elif not asg.cand[r]:
            both = pb.available[u] & pb.available[v] & ~pb.busy[u] & ~pb.busy[v]
            if both.any():
                out.append(
                    Unscheduled(req, REASON_NO_TABLE, "locked meetings take every table when both are free")
                )
            else:
                out.append(
                    Unscheduled(req, REASON_NO_COMMON_SLOT, "their common slots are taken by locked meetings")
                )
        elif full:
            out.append(Unscheduled(req, REASON_MAX_REACHED, " and ".join(full) + " reached max_meetings"))
        else:
            ou, ov = asg.occ[u], asg.occ[v]
            both_free = [s for s in asg.cand[r] if ou[s] < 0 and ov[s] < 0]
            if both_free:
                out.append(Unscheduled(req, REASON_NO_TABLE, "every table is taken when both are free"))
            else:
                out.append(
                    Unscheduled(
                        req,
                        REASON_LOWER_PRIORITY,
                        "their common slots went to meetings that serve the fair share or weight better",
                    )
                )
    return out


def _stats(pb: Problem, asg: Assignment, n_meetings: int) -> Stats:
    per = (pb.locked_count + np.array(asg.count, dtype=np.int64)).tolist()
    return Stats(
        participants=pb.P,
        requests=len(pb.instance.requests),
        meetings=n_meetings,
        locked=len(pb.locked),
        meetings_min=min(per, default=0),
        meetings_median=float(statistics.median(per)) if per else 0.0,
        meetings_max=max(per, default=0),
        participants_without_meeting=sum(1 for c in per if c == 0),
        participants_below_target=int(np.sum(np.array(per, dtype=np.int64) < pb.target)) if per else 0,
    )
