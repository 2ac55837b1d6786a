"""Reading and writing the JSON formats of shared/scheduling/README.md.

`instance_from_dict` checks the shape of its input and raises InvalidInstance with a message that names the
offending entry; contradictions between locked meetings are found later, by the solver (InfeasibleInstance).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .model import Instance, InvalidInstance, Meeting, Participant, Request, Slot, Solution


def _require(obj: Any, key: str, where: str) -> Any:
    if not isinstance(obj, dict):
        raise InvalidInstance(f"{where} must be a JSON object, not {type(obj).__name__}")
    if key not in obj:
        raise InvalidInstance(f"{where} has no {key!r}")
    return obj[key]


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInstance(f"{where} must be a non-empty string, not {value!r}")
    return value


def _int(value: Any, where: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInstance(f"{where} must be an integer, not {value!r}")
    if value < minimum:
        raise InvalidInstance(f"{where} must be at least {minimum}, not {value}")
    return value


def _list(value: Any, where: str) -> list:
    if not isinstance(value, list):
        raise InvalidInstance(f"{where} must be a list, not {type(value).__name__}")
    return value


def instance_from_dict(data: Any) -> Instance:
    """Build an Instance from the parsed JSON of an instance file; InvalidInstance if it is malformed."""
    if not isinstance(data, dict):
        raise InvalidInstance("an instance must be a JSON object")
    slots = []
    for i, s in enumerate(_list(_require(data, "slots", "the instance"), "slots")):
        where = f"slots[{i}]"
        slots.append(Slot(_str(_require(s, "id", where), f"{where}.id"), s.get("start"), s.get("end")))
    tables = _int(_require(data, "tables", "the instance"), "tables")
    target = _int(data.get("fairness_target", 2), "fairness_target")
    participants = []
    for i, p in enumerate(_list(_require(data, "participants", "the instance"), "participants")):
        where = f"participants[{i}]"
        pid = _str(_require(p, "id", where), f"{where}.id")
        where = f"participant {pid!r}"
        available = tuple(
            _str(s, f"{where}.available[{j}]")
            for j, s in enumerate(_list(_require(p, "available", where), f"{where}.available"))
        )
        max_meetings = _int(_require(p, "max_meetings", where), f"{where}.max_meetings")
        role = p.get("role")
        participants.append(
            Participant(pid, available, max_meetings, role if isinstance(role, str) else None)
        )
    requests = []
    for i, r in enumerate(_list(_require(data, "requests", "the instance"), "requests")):
        where = f"requests[{i}]"
        if not isinstance(r, dict):
            raise InvalidInstance(f"{where} must be a JSON object, not {type(r).__name__}")
        weight = r.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not math.isfinite(weight):
            raise InvalidInstance(f"{where}.weight must be a number, not {weight!r}")
        if weight <= 0:
            raise InvalidInstance(f"{where}.weight must be positive, not {weight}")
        a = _str(_require(r, "a", where), f"{where}.a")
        b = _str(_require(r, "b", where), f"{where}.b")
        requests.append(Request(a, b, weight))
    locked = []
    for i, m in enumerate(_list(data.get("locked", []), "locked")):
        where = f"locked[{i}]"
        locked.append(
            Meeting(
                _str(_require(m, "a", where), f"{where}.a"),
                _str(_require(m, "b", where), f"{where}.b"),
                _str(_require(m, "slot", where), f"{where}.slot"),
                _int(_require(m, "table", where), f"{where}.table", minimum=-(2**31)),
            )
        )
    return Instance(tuple(slots), tables, tuple(participants), tuple(requests), tuple(locked), target)


def load_instance(path: str | Path) -> Instance:
    """Read an instance file; InvalidInstance if it is not JSON or not an instance."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except json.JSONDecodeError as exc:
        raise InvalidInstance(f"{path} is not valid JSON: {exc}") from exc
    return instance_from_dict(data)


def instance_to_dict(instance: Instance) -> dict:
    return {
        "slots": [{"id": s.id, "start": s.start, "end": s.end} for s in instance.slots],
        "tables": instance.tables,
        "fairness_target": instance.fairness_target,
        "participants": [
            {"id": p.id, "role": p.role, "available": list(p.available), "max_meetings": p.max_meetings}
            for p in instance.participants
        ],
        "requests": [{"a": r.a, "b": r.b, "weight": r.weight} for r in instance.requests],
        "locked": [meeting_to_dict(m) for m in instance.locked],
    }


def meeting_to_dict(m: Meeting) -> dict:
    return {"a": m.a, "b": m.b, "slot": m.slot, "table": m.table}


def solution_to_dict(solution: Solution) -> dict:
    """The schedule as the checker reads it ({"meetings": [...]}), with the certificate, reasons and stats."""
    c = solution.certificate
    out: dict[str, Any] = {
        "meetings": [meeting_to_dict(m) for m in solution.meetings],
        "certificate": {
            "F": c.F,
            "F_bound": c.F_bound,
            "W": c.W,
            "W_bound": c.W_bound,
            "optimal": c.optimal,
            "seconds": round(c.seconds, 3),
            "method": c.method,
        },
        "unscheduled": [
            {"a": u.request.a, "b": u.request.b, "weight": u.request.weight, "reason": u.reason}
            | ({"detail": u.detail} if u.detail else {})
            for u in solution.unscheduled
        ],
    }
    if solution.stats is not None:
        out["stats"] = dict(solution.stats.__dict__)
    return out
