"""Every rule of the schedule on hand-made tiny instances, and the reasons given for what was left out."""

from __future__ import annotations

import pytest

from matchmaker.scheduling import (
    REASON_LOWER_PRIORITY,
    REASON_MAX_REACHED,
    REASON_NO_COMMON_SLOT,
    REASON_NO_TABLE,
    check_schedule,
    solve,
)

from .helpers import make_instance, pairs


def reasons(solution) -> dict[frozenset[str], str]:
    return {frozenset((u.request.a, u.request.b)): u.reason for u in solution.unscheduled}


def test_only_requested_pairs_each_at_most_once():
    inst = make_instance(3, 5, {"b": (None, 3), "x": (None, 3), "y": (None, 3)}, [("b", "x", 2)])
    sol = solve(inst)
    assert [(m.a, m.b) for m in sol.meetings] == [("b", "x")]
    assert check_schedule(inst, sol.meetings)[2] == []


def test_meetings_only_when_both_sides_are_available():
    inst = make_instance(
        4, 2, {"b": ([0, 1], 4), "x": ([1, 2], 4), "y": ([2, 3], 4)}, [("b", "x", 1), ("b", "y", 1)]
    )
    sol = solve(inst)
    assert [(m.a, m.b, m.slot) for m in sol.meetings] == [("b", "x", "s1")]
    assert reasons(sol) == {frozenset(("b", "y")): REASON_NO_COMMON_SLOT}


def test_nobody_has_two_meetings_in_one_slot():
    inst = make_instance(
        1, 5, {"b": (None, 5), "x": (None, 5), "y": (None, 5)}, [("b", "x", 1), ("b", "y", 3)]
    )
    sol = solve(inst)
    assert pairs(sol.meetings) == {frozenset(("b", "y"))}
    assert reasons(sol) == {frozenset(("b", "x")): REASON_LOWER_PRIORITY}


def test_a_table_holds_one_meeting_per_slot():
    people = dict.fromkeys(("a", "b", "c", "d"), (None, 5))
    one_slot = solve(make_instance(1, 1, people, [("a", "b", 1), ("c", "d", 2)]))
    assert pairs(one_slot.meetings) == {frozenset(("c", "d"))}
    assert reasons(one_slot) == {frozenset(("a", "b")): REASON_NO_TABLE}
    two_slots = solve(make_instance(2, 1, people, [("a", "b", 1), ("c", "d", 2)]))
    assert {(m.slot, m.table) for m in two_slots.meetings} == {("s0", 1), ("s1", 1)}


def test_tables_are_numbered_from_one():
    people = dict.fromkeys(("a", "b", "c", "d", "e", "f"), (None, 5))
    sol = solve(make_instance(1, 3, people, [("a", "b", 1), ("c", "d", 1), ("e", "f", 1)]))
    assert sorted(m.table for m in sol.meetings) == [1, 2, 3]


def test_nobody_exceeds_max_meetings():
    inst = make_instance(
        4, 5, {"b": (None, 1), "x": (None, 4), "y": (None, 4)}, [("b", "x", 1), ("b", "y", 3)], target=1
    )
    sol = solve(inst)
    assert pairs(sol.meetings) == {frozenset(("b", "y"))}
    assert reasons(sol) == {frozenset(("b", "x")): REASON_MAX_REACHED}


def test_fair_share_comes_before_weight():
    # x asks b1 and b2 (heavy); y asks only b1 (light); every buyer can meet once.
    # Giving both to x weighs more, but then y leaves with nothing: the fair share must win.
    people = {"b1": (None, 1), "b2": (None, 1), "x": (None, 2), "y": (None, 2)}
    inst = make_instance(2, 2, people, [("b1", "x", 3), ("b2", "x", 3), ("b1", "y", 1)], target=1)
    sol = solve(inst)
    assert pairs(sol.meetings) == {frozenset(("b1", "y")), frozenset(("b2", "x"))}
    assert (sol.certificate.F, sol.certificate.W) == (4, 4)
    assert sol.certificate.optimal


def test_weight_decides_between_equally_fair_schedules():
    people = {"b": (None, 1), "x": (None, 2), "y": (None, 2)}
    sol = solve(make_instance(2, 2, people, [("b", "x", 1), ("b", "y", 3)]))
    assert pairs(sol.meetings) == {frozenset(("b", "y"))}
    assert sol.certificate.W == 3


def test_fairness_target_caps_the_fair_share():
    people = {"b": (None, 5), "x": (None, 5), "y": (None, 5), "z": (None, 5)}
    reqs = [("b", "x", 1), ("b", "y", 1), ("b", "z", 1)]
    sol = solve(make_instance(3, 3, people, reqs, target=2))
    # b counts at most 2 toward F however many meetings it has.
    assert len(sol.meetings) == 3
    assert sol.certificate.F == 2 + 3


def test_zero_max_meetings_means_no_meeting():
    sol = solve(make_instance(2, 2, {"b": (None, 0), "x": (None, 2)}, [("b", "x", 1)]))
    assert sol.meetings == []
    assert reasons(sol) == {frozenset(("b", "x")): REASON_MAX_REACHED}


def test_statistics_of_meetings_per_participant():
    people = {"b": (None, 5), "x": (None, 5), "y": (None, 5), "z": (None, 5)}
    sol = solve(make_instance(3, 3, people, [("b", "x", 1), ("b", "y", 1)]))
    st = sol.stats
    assert (st.meetings, st.meetings_min, st.meetings_median, st.meetings_max) == (2, 0, 1.0, 2)
    assert st.participants_without_meeting == 1
    assert st.participants == 4
    assert st.requests == 2


def test_empty_instance_gives_empty_schedule():
    sol = solve(make_instance(2, 1, {"b": (None, 2)}, []))
    assert sol.meetings == []
    assert sol.certificate.optimal
    assert (sol.certificate.F, sol.certificate.F_bound) == (0, 0)


def test_progress_reports_fractions_up_to_done():
    calls: list[tuple[float, str]] = []
    inst = make_instance(2, 2, {"b": (None, 2), "x": (None, 2)}, [("b", "x", 1)])
    solve(inst, progress=lambda f, m: calls.append((f, m)))
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions)
    assert fractions[0] == pytest.approx(0.0)
    assert fractions[-1] == pytest.approx(1.0)
    assert all(isinstance(m, str) and m for _, m in calls)
