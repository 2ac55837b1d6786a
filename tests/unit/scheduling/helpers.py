"""Small builders for hand-made scheduling instances."""

from __future__ import annotations

from matchmaker.scheduling import Instance, Meeting, Participant, Request, Slot


def make_instance(
    n_slots: int,
    tables: int,
    participants: dict[str, tuple[list[int] | None, int]],
    requests: list[tuple[str, str, float]],
    locked: list[tuple[str, str, int, int]] = (),
    target: int = 2,
) -> Instance:
    """participants: id -> (available slot numbers or None for all, max_meetings); slots are s0, s1, ..."""
    slots = tuple(Slot(f"s{i}") for i in range(n_slots))
    parts = tuple(
        Participant(pid, tuple(f"s{i}" for i in (range(n_slots) if avail is None else avail)), max_m)
        for pid, (avail, max_m) in participants.items()
    )
    return Instance(
        slots=slots,
        tables=tables,
        participants=parts,
        requests=tuple(Request(a, b, w) for a, b, w in requests),
        locked=tuple(Meeting(a, b, f"s{s}", t) for a, b, s, t in locked),
        fairness_target=target,
    )


def pairs(meetings) -> set[frozenset[str]]:
    return {frozenset((m.a, m.b)) for m in meetings}
