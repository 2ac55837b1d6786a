"""The engine's parts: relaxation cuts, colouring with repair, the exact fallback, the neighbourhood search,
re-solving around a published schedule, and the time limit."""

from __future__ import annotations

import random

import numpy as np
import pytest

from matchmaker.scheduling import Instance, Meeting, Request, check_schedule, solve
from matchmaker.scheduling import solver as solver_module
from matchmaker.scheduling.heuristic import Assignment, colour, fill, repair
from matchmaker.scheduling.lns import improve
from matchmaker.scheduling.problem import build_problem
from matchmaker.scheduling.relax import build, hall_cuts, lexicographic

from .helpers import make_instance, pairs
from .test_optimality import random_instance


def triangle() -> Instance:
    # Three people who all want to meet each other, in two slots: a triangle needs three slots, so one of the
    # three meetings cannot happen, although no single participant is over its limits.
    return make_instance(2, 3, dict.fromkeys("abc", (None, 2)), [("a", "b", 1), ("b", "c", 1), ("a", "c", 1)])


def test_hall_cut_removes_requests_that_need_the_same_slot():
    # b could meet x, y and z, but x and y are only there in s0: at most one of them can meet b.
    people = {"b": (None, 3), "x": ([0], 1), "y": ([0], 1), "z": ([1], 1)}
    pb = build_problem(make_instance(2, 3, people, [("b", "x", 1), ("b", "y", 1), ("b", "z", 1)]))
    rel = build(pb)
    cuts = hall_cuts(rel, pb, np.ones(rel.n_y))
    assert [(sorted(rel.reqs[m].tolist()), rhs) for m, rhs in cuts] == [([0, 1], 1.0)]
    F, W, y, n_cuts = lexicographic(rel, pb, deadline=float("inf"))
    # b counts 2 (target), and two of x, y, z can meet it: F = 2 + 2, W = 2.
    assert (round(F), round(W)) == (4, 2)
    assert n_cuts <= 1
    assert y is not None and y[2] == pytest.approx(1.0)


def test_colouring_and_repair_place_a_feasible_choice_without_breaking_rules():
    rnd = random.Random(5)
    inst = random_instance(rnd, 6, 20, 5, 3, 3)
    pb = build_problem(inst)
    asg = Assignment(pb)
    chosen = list(range(pb.R))  # more than fits: whatever is left over is reported, never forced in
    left = repair(asg, colour(asg, chosen), deadline=float("inf"), rng=rnd, max_moves=5000)
    assert set(left) | set(asg.placed()) == set(chosen)
    for r in asg.placed():  # placed meetings obey availability, one per slot, tables
        assert asg.slot_of[r] in pb.cand[r].tolist()
    assert all(len(m) <= pb.T for m in asg.in_slot)
    occupied = [(p, asg.slot_of[r]) for r in asg.placed() for p in (asg.ru[r], asg.rv[r])]
    assert len(occupied) == len(set(occupied))


def test_exact_model_proves_what_the_relaxation_cannot():
    sol = solve(triangle())
    assert len(sol.meetings) == 2
    assert (sol.certificate.F, sol.certificate.W) == (4, 2)
    assert sol.certificate.optimal
    assert sol.certificate.method.endswith("exact MILP")
    assert [u.reason for u in sol.unscheduled] == ["lower priority than others"]


def test_without_the_exact_model_the_certificate_shows_the_gap(monkeypatch):
    monkeypatch.setattr(solver_module, "EXACT_MAX_COLUMNS", 0)
    sol = solve(triangle(), time_limit=2)
    cert = sol.certificate
    assert cert.method == "relaxation+colouring+LNS"
    assert (cert.F, cert.W) == (4, 2)
    assert (cert.F_bound, cert.optimal) == (6, False)
    assert cert.W_bound >= cert.W
    assert check_schedule(triangle(), sol.meetings)[2] == []


def test_neighbourhood_search_repairs_an_unfair_greedy_schedule():
    people = {"b1": (None, 1), "b2": (None, 1), "x": (None, 2), "y": (None, 2)}
    inst = make_instance(2, 2, people, [("b1", "x", 3), ("b2", "x", 3), ("b1", "y", 1)], target=1)
    pb = build_problem(inst)
    asg = Assignment(pb)
    fill(asg)  # greedy: the heavy b1-x goes first, and y is left with nothing
    assert sorted(asg.count) == [0, 1, 1, 2]
    quiet = lambda f, m: None  # noqa: E731
    assert improve(pb, asg, F_bound=4, W_bound=4, deadline=float("inf"), rng=random.Random(0), report=quiet)
    assert sorted(asg.count) == [1, 1, 1, 1]


def test_fill_free_slots_only_keeps_a_published_schedule():
    rnd = random.Random(11)
    inst = random_instance(rnd, 8, 30, 6, 5, 3)
    first = solve(inst)
    # Publish: lock every meeting; then new requests arrive, and some people give up a slot they had free.
    new_requests = []
    have = pairs(first.meetings) | {frozenset((r.a, r.b)) for r in inst.requests}
    for p in inst.participants[8:20]:
        for b in inst.participants[:8]:
            if frozenset((b.id, p.id)) not in have and rnd.random() < 0.3:
                new_requests.append(Request(b.id, p.id, 2))
    again = Instance(
        inst.slots,
        inst.tables,
        inst.participants,
        inst.requests + tuple(new_requests),
        tuple(first.meetings),
        inst.fairness_target,
    )
    second = solve(again)
    assert set(first.meetings) <= set(second.meetings)
    assert check_schedule(again, second.meetings)[2] == []
    assert len(second.meetings) >= len(first.meetings)
    assert second.certificate.F >= first.certificate.F
    assert second.stats.locked == len(first.meetings)


def test_a_tiny_time_limit_still_returns_a_valid_schedule():
    rnd = random.Random(3)
    inst = random_instance(rnd, 20, 80, 8, 10, 4, locks=5)
    sol = solve(inst, time_limit=0.01)
    f, w, problems = check_schedule(inst, sol.meetings)
    assert problems == []
    assert (f, w) == (sol.certificate.F, sol.certificate.W)
    assert sol.certificate.F_bound >= f and sol.certificate.W_bound >= w
    assert set(inst.locked) <= set(sol.meetings)


def test_meetings_keep_the_request_orientation_and_locked_tables():
    inst = make_instance(2, 2, {"b": (None, 2), "x": (None, 2)}, [("x", "b", 1)], locked=[])
    assert solve(inst).meetings == [Meeting("x", "b", "s0", 1)]


def test_fractional_relaxation_between_peers_is_rounded_and_proven():
    # Three peers who may each meet once: the relaxation meets everyone "half" with both others (F = 3),
    # only one real meeting is possible (F = 2); the engine must neither exceed max_meetings nor stop at 3.
    inst = make_instance(3, 3, dict.fromkeys("abc", (None, 1)), [("a", "b", 1), ("b", "c", 2), ("a", "c", 1)])
    sol = solve(inst)
    assert check_schedule(inst, sol.meetings)[2] == []
    assert pairs(sol.meetings) == {frozenset(("b", "c"))}
    assert (sol.certificate.F, sol.certificate.F_bound, sol.certificate.optimal) == (2, 2, True)


def test_a_rounded_choice_is_cut_down_to_max_meetings():
    people = {"b": (None, 2), "x": (None, 3), "y": (None, 3), "z": (None, 3)}
    pb = build_problem(make_instance(4, 4, people, [("b", "x", 1), ("b", "y", 3), ("b", "z", 2)]))
    chosen = solver_module._feasible_choice(pb, np.arange(pb.R))
    assert sorted(chosen) == [1, 2]  # b can meet two: the heavier requests stay


def test_progress_never_goes_back_through_every_phase():
    calls: list[float] = []
    sol = solve(triangle(), progress=lambda f, m: calls.append(f))
    assert "exact MILP" in sol.certificate.method  # relaxation, colouring, LNS and the exact model all ran
    assert calls == sorted(calls)
    assert calls[-1] == 1.0
