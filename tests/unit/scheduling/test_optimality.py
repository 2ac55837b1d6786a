"""The engine's optimum and its certificate checked against independent solvers: brute force on tiny
instances, a direct MILP (scipy.optimize.milp, written here from the rules) on small random events."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

from matchmaker.scheduling import Instance, Meeting, Participant, Request, Slot, check_schedule, solve


def random_instance(rnd: random.Random, n_buyers, n_suppliers, n_slots, tables, req_per_supplier, locks=0):
    slots = tuple(Slot(f"s{i}") for i in range(n_slots))
    parts = []
    for role, n in (("b", n_buyers), ("x", n_suppliers)):
        for i in range(n):
            avail = tuple(s.id for s in slots if rnd.random() < 0.75)
            parts.append(Participant(f"{role}{i}", avail, rnd.choice([1, 2, 3, n_slots])))
    buyers = [p.id for p in parts if p.id.startswith("b")]
    seen, reqs = set(), []
    for p in parts:
        if p.id.startswith("x"):
            for b in rnd.sample(buyers, min(req_per_supplier, len(buyers))):
                if (b, p.id) not in seen:
                    seen.add((b, p.id))
                    reqs.append(Request(b, p.id, rnd.choice([1, 2, 3])))
    inst = Instance(slots, tables, tuple(parts), tuple(reqs), (), rnd.choice([1, 2]))
    # A few locked meetings, added one by one while they stay consistent.
    avail = {p.id: set(p.available) for p in parts}
    maxm = {p.id: p.max_meetings for p in parts}
    locked: list[Meeting] = []
    for r in rnd.sample(reqs, min(locks, len(reqs))):
        common = sorted(avail[r.a] & avail[r.b])
        if not common:
            continue
        s = rnd.choice(common)
        t = rnd.randint(1, tables)
        trial = [*locked, Meeting(r.a, r.b, s, t)]
        test = Instance(slots, tables, tuple(parts), tuple(reqs), tuple(trial), inst.fairness_target)
        if not check_schedule(test, trial)[2] and all(
            sum(1 for m in trial if p in (m.a, m.b)) <= maxm[p] for p in (r.a, r.b)
        ):
            locked = trial
    return Instance(slots, tables, tuple(parts), tuple(reqs), tuple(locked), inst.fairness_target)


def brute_force(inst: Instance) -> tuple[int, float]:
    """Best (F, W) by trying every slot (or none) for every request."""
    locked = {frozenset((m.a, m.b)): m.slot for m in inst.locked}
    avail = {p.id: set(p.available) for p in inst.participants}
    options = []
    for r in inst.requests:
        key = frozenset((r.a, r.b))
        if key in locked:
            options.append([locked[key]])
        else:
            options.append([None, *sorted(avail[r.a] & avail[r.b])])
    best = (-1, -1.0)
    for choice in itertools.product(*options):
        meetings, per_slot = [], {}
        for r, s in zip(inst.requests, choice, strict=True):
            if s is not None:
                per_slot[s] = per_slot.get(s, 0) + 1
                meetings.append(Meeting(r.a, r.b, s, per_slot[s]))
        if any(n > inst.tables for n in per_slot.values()):
            continue
        # Tables of locked meetings are fixed; any numbering of the others works, so check slots and limits.
        f, w, problems = check_schedule(inst, meetings)
        if [p for p in problems if "locked" not in p and "table" not in p]:
            continue
        best = max(best, (f, w))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_optimum_equals_brute_force_on_tiny_instances(seed):
    rnd = random.Random(seed)
    inst = random_instance(rnd, 2, 4, 3, rnd.choice([1, 2]), 2, locks=seed % 3)
    if len(inst.requests) > 8:
        inst = Instance(
            inst.slots, inst.tables, inst.participants, inst.requests[:8], (), inst.fairness_target
        )
    sol = solve(inst, time_limit=10)
    f, w, problems = check_schedule(inst, sol.meetings)
    assert problems == []
    assert (f, w) == brute_force(inst)
    assert (f, w) == (sol.certificate.F, sol.certificate.W)
    assert sol.certificate.optimal
    assert set(inst.locked) <= set(sol.meetings)


def direct_milp(inst: Instance) -> tuple[int, float]:
    """max M*F + W over x[request, slot], written from the README's rules (M exceeds any total weight)."""
    avail = {p.id: set(p.available) for p in inst.participants}
    part = {p.id: p for p in inst.participants}
    pid = {p.id: i for i, p in enumerate(inst.participants)}
    cols = [(k, s) for k, r in enumerate(inst.requests) for s in sorted(avail[r.a] & avail[r.b])]
    n_x, n_p = len(cols), len(inst.participants)
    n = n_x + n_p  # x columns, then f_p
    rows = []  # (coefficients dict, lower, upper)
    by_req, by_ps, by_slot, by_p = {}, {}, {}, {}
    for j, (k, s) in enumerate(cols):
        r = inst.requests[k]
        by_req.setdefault(k, []).append(j)
        by_slot.setdefault(s, []).append(j)
        for p in (r.a, r.b):
            by_ps.setdefault((p, s), []).append(j)
            by_p.setdefault(p, []).append(j)
    for group, cap in [(by_req, lambda _k: 1), (by_ps, lambda _k: 1), (by_slot, lambda _k: inst.tables)]:
        for key, js in group.items():
            rows.append((dict.fromkeys(js, 1), -np.inf, cap(key)))
    for p, js in by_p.items():
        rows.append((dict.fromkeys(js, 1), -np.inf, part[p].max_meetings))
        rows.append(({**dict.fromkeys(js, -1), n_x + pid[p]: 1}, -np.inf, 0))
    locked = {(frozenset((m.a, m.b)), m.slot) for m in inst.locked}
    lower = np.zeros(n)
    for j, (k, s) in enumerate(cols):
        r = inst.requests[k]
        if (frozenset((r.a, r.b)), s) in locked:
            lower[j] = 1
    a = lil_matrix((len(rows), n))
    for i, (coef, _lo, _hi) in enumerate(rows):
        for j, v in coef.items():
            a[i, j] = v
    # f_p <= min(target, max_meetings), and 0 for someone who cannot meet anybody (no row ties it to x).
    upper = np.concatenate(
        [
            np.ones(n_x),
            [min(inst.fairness_target, p.max_meetings) if p.id in by_p else 0 for p in inst.participants],
        ]
    )
    weights = np.array([inst.requests[k].weight for k, _ in cols])
    big = weights.sum() + 1
    c = -np.concatenate([weights, np.full(n_p, big)])
    res = milp(
        c,
        constraints=LinearConstraint(a.tocsr(), [r[1] for r in rows], [r[2] for r in rows]),
        integrality=np.concatenate([np.ones(n_x), np.zeros(n_p)]),
        bounds=Bounds(lower, upper),
        options={"mip_rel_gap": 0},
    )
    assert res.success
    x = res.x[:n_x] > 0.5
    f = round(float(res.x[n_x:].sum()))
    return f, float(weights[x].sum())


@pytest.mark.parametrize("seed", range(3))
def test_optimum_equals_a_direct_milp_on_small_events(seed):
    rnd = random.Random(100 + seed)
    inst = random_instance(rnd, 8, 24, 6, 6, 3, locks=4)
    sol = solve(inst, time_limit=20)
    f, w, problems = check_schedule(inst, sol.meetings)
    assert problems == []
    assert (f, w) == direct_milp(inst)
    assert sol.certificate.optimal
    assert (sol.certificate.F_bound, sol.certificate.W_bound) == (f, w)


@pytest.mark.parametrize("seed", range(4))
def test_certificate_bounds_are_never_below_the_achieved_values(seed):
    rnd = random.Random(200 + seed)
    inst = random_instance(rnd, 10, 40, 6, 4, 4, locks=3)
    sol = solve(inst, time_limit=0.5)
    cert = sol.certificate
    f, w, problems = check_schedule(inst, sol.meetings)
    assert problems == []
    assert (f, w) == (cert.F, cert.W)
    assert cert.F_bound >= cert.F
    assert cert.W_bound >= cert.W
    assert cert.optimal == (cert.F_bound == cert.F and cert.W_bound == cert.W)


@pytest.mark.parametrize("seed", [2049, 2054, 2061])
def test_optimum_equals_a_direct_milp_with_peer_requests_and_fractional_weights(seed):
    rnd = random.Random(seed)
    base = random_instance(
        rnd, rnd.randint(3, 8), rnd.randint(8, 25), rnd.randint(3, 7), rnd.randint(1, 6), 3, 4
    )
    ids = [p.id for p in base.participants]
    have = {frozenset((r.a, r.b)) for r in base.requests}
    extra = []
    for _ in range(12):  # suppliers and buyers asking each other: the relaxation is no longer integral
        a, b = rnd.sample(ids, 2)
        if frozenset((a, b)) not in have:
            have.add(frozenset((a, b)))
            extra.append(Request(a, b, rnd.choice([1, 1.5, 4])))
    inst = Instance(base.slots, base.tables, base.participants, base.requests + tuple(extra), base.locked, 2)
    sol = solve(inst, time_limit=20)
    f, w, problems = check_schedule(inst, sol.meetings)
    assert problems == []
    best_f, best_w = direct_milp(inst)
    assert f == best_f
    assert w == pytest.approx(best_w)
    assert sol.certificate.optimal
    assert sol.certificate.W_bound == pytest.approx(w)
