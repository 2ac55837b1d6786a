"""Locked meetings are kept exactly and count toward every limit; contradictions and malformed input fail
clearly."""

from __future__ import annotations

import json

import pytest

from matchmaker.scheduling import (
    InfeasibleInstance,
    InvalidInstance,
    Meeting,
    check_schedule,
    instance_from_dict,
    instance_to_dict,
    load_instance,
    solve,
)

from .helpers import make_instance, pairs

PEOPLE = {"b": (None, 3), "c": (None, 3), "x": (None, 3), "y": (None, 3)}


def test_locked_meetings_stay_exactly_where_they_are():
    inst = make_instance(
        3, 2, PEOPLE, [("b", "x", 1), ("c", "y", 1), ("b", "y", 3)], locked=[("x", "b", 2, 2)]
    )
    sol = solve(inst)
    assert Meeting("x", "b", "s2", 2) in sol.meetings
    assert check_schedule(inst, sol.meetings)[2] == []
    assert len(sol.meetings) == 3


def test_locked_meetings_count_toward_max_meetings():
    people = {"b": (None, 1), "x": (None, 3), "y": (None, 3)}
    inst = make_instance(3, 2, people, [("b", "x", 1), ("b", "y", 3)], locked=[("b", "x", 0, 1)])
    sol = solve(inst)
    assert pairs(sol.meetings) == {frozenset(("b", "x"))}
    assert sol.unscheduled[0].reason == "max meetings reached"


def test_locked_meetings_take_their_table_and_their_participants_slot():
    people = {"b": (None, 3), "x": (None, 3), "c": (None, 3), "y": (None, 3)}
    # One table, two slots: the locked meeting holds table 1 in s0, so c-y must go to s1; b is busy in s0.
    inst = make_instance(
        2, 1, people, [("b", "x", 1), ("c", "y", 1), ("b", "y", 1)], locked=[("b", "x", 0, 1)]
    )
    sol = solve(inst)
    assert check_schedule(inst, sol.meetings)[2] == []
    by_pair = {frozenset((m.a, m.b)): m for m in sol.meetings}
    assert by_pair[frozenset(("b", "x"))] == Meeting("b", "x", "s0", 1)
    assert len(sol.meetings) == 2
    assert all(m.slot == "s1" for k, m in by_pair.items() if k != frozenset(("b", "x")))


def test_locked_meetings_count_toward_the_fair_share():
    inst = make_instance(2, 2, PEOPLE, [("b", "x", 2)], locked=[("b", "x", 1, 1)])
    sol = solve(inst)
    assert sol.meetings == [Meeting("b", "x", "s1", 1)]
    assert (sol.certificate.F, sol.certificate.W, sol.certificate.optimal) == (2, 2, True)


@pytest.mark.parametrize(
    ("locked", "message"),
    [
        ([("b", "x", 0, 1), ("c", "y", 0, 1)], "another locked meeting uses table 1"),
        ([("b", "x", 0, 1), ("b", "y", 0, 2)], "b has another locked meeting in s0"),
        ([("b", "x", 0, 3)], "there is no table 3"),
        ([("b", "x", 0, 0)], "there is no table 0"),
        ([("c", "x", 0, 1)], "did not request this meeting"),
        ([("b", "x", 0, 1), ("x", "b", 1, 1)], "locked more than once"),
        ([("b", "y", 2, 1)], "y is not available in s2"),
        ([("b", "x", 0, 1), ("b", "y", 1, 1)], "more than max_meetings"),
    ],
)
def test_contradictory_locks_raise_infeasible_instance(locked, message):
    people = {"b": (None, 1 if "max" in message else 3), "c": (None, 3), "x": (None, 3), "y": ([0, 1], 3)}
    inst = make_instance(3, 2, people, [("b", "x", 1), ("b", "y", 1), ("c", "y", 1)], locked=locked)
    with pytest.raises(InfeasibleInstance, match=message):
        solve(inst)


def good_dict() -> dict:
    return {
        "slots": [{"id": "s0"}, {"id": "s1"}],
        "tables": 2,
        "fairness_target": 2,
        "participants": [
            {"id": "b", "role": "buyer", "available": ["s0", "s1"], "max_meetings": 2},
            {"id": "x", "role": "supplier", "available": ["s1"], "max_meetings": 2},
        ],
        "requests": [{"a": "b", "b": "x", "weight": 3}],
        "locked": [],
    }


def test_a_well_formed_dict_round_trips():
    inst = instance_from_dict(good_dict())
    assert instance_from_dict(instance_to_dict(inst)) == inst
    assert solve(inst).meetings == [Meeting("b", "x", "s1", 1)]


def _break(path: str, value):
    data = good_dict()
    *keys, last = path.split(".")
    node = data
    for k in keys:
        node = node[int(k)] if k.isdigit() else node[k]
    if value is KeyError:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("slots", KeyError, "has no 'slots'"),
        ("tables", "many", "tables must be an integer"),
        ("tables", -1, "tables must be at least 0"),
        ("participants.0.max_meetings", -2, "max_meetings must be at least 0"),
        ("participants.1.available", ["s9"], "unknown slot 's9'"),
        ("participants.1.id", "b", "participant 'b' is listed twice"),
        ("slots.1", {"id": "s0"}, "slot 's0' is listed twice"),
        ("requests.0.b", "nobody", "unknown participant 'nobody'"),
        ("requests.0.b", "b", "with itself"),
        ("requests.0.weight", 0, "weight must be positive"),
        ("requests.0.weight", "3", "weight must be a number"),
        ("requests.0", "b-x", "must be a JSON object"),
        ("participants.0.available", "s0", "must be a list"),
        ("locked", [{"a": "b", "b": "x", "slot": "s7", "table": 1}], "unknown slot 's7'"),
        ("locked", [{"a": "b", "b": "x", "slot": "s1"}], "has no 'table'"),
    ],
)
def test_malformed_input_raises_invalid_instance_naming_the_problem(path, value, message):
    with pytest.raises(InvalidInstance, match=message):
        solve(instance_from_dict(_break(path, value)))


def test_duplicate_requests_are_rejected():
    data = good_dict()
    data["requests"].append({"a": "x", "b": "b", "weight": 1})
    with pytest.raises(InvalidInstance, match="listed twice"):
        solve(instance_from_dict(data))


def test_load_instance_rejects_a_file_that_is_not_json(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidInstance, match="not valid JSON"):
        load_instance(bad)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(good_dict()), encoding="utf-8")
    assert load_instance(good) == instance_from_dict(good_dict())


def test_reasons_name_what_the_locked_meetings_took():
    people = {"a": ([0], 2), "b": ([0, 1], 2), "c": ([0, 1], 2), "d": ([0, 1], 2), "x": ([0], 2)}
    reqs = [("a", "b", 1), ("c", "d", 1), ("c", "x", 1)]
    # One table: c-d holds it in s0, the only slot a and b share; c is also x's only chance, in s0.
    sol = solve(make_instance(2, 1, people, reqs, locked=[("c", "d", 0, 1)]))
    why = {frozenset((u.request.a, u.request.b)): u.reason for u in sol.unscheduled}
    assert why == {
        frozenset(("a", "b")): "no free table in a common free slot",
        frozenset(("c", "x")): "no common free slot",
    }
