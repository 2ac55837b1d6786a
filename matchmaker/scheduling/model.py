"""The scheduling engine's vocabulary: plain dataclasses in, plain dataclasses out, and its exceptions.

Nothing here knows about Flask or a database. Identifiers are the strings of the JSON formats described in
shared/scheduling/README.md (slots and participants by id, tables numbered 1..tables).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


class SchedulingError(Exception):
    """Base class of the engine's errors."""


class InvalidInstance(SchedulingError):
    """The input is malformed: a missing key, an unknown id, a negative limit, a duplicate request, ..."""


class InfeasibleInstance(SchedulingError):
    """The locked meetings contradict the rules or each other, so no schedule can keep them all."""


@dataclass(frozen=True)
class Slot:
    id: str
    start: str | None = None
    end: str | None = None


@dataclass(frozen=True)
class Participant:
    id: str
    available: tuple[str, ...]
    max_meetings: int
    role: str | None = None


@dataclass(frozen=True)
class Request:
    """A meeting that may be scheduled between participants `a` and `b` (unordered), worth `weight`."""

    a: str
    b: str
    weight: float = 1


@dataclass(frozen=True)
class Meeting:
    a: str
    b: str
    slot: str
    table: int


@dataclass(frozen=True)
class Instance:
    slots: tuple[Slot, ...]
    tables: int
    participants: tuple[Participant, ...]
    requests: tuple[Request, ...]
    locked: tuple[Meeting, ...] = ()
    fairness_target: int = 2


@dataclass
class Certificate:
    """The achieved objective beside the best bound the engine proved.

    F and W are the fair share and the weight of the returned schedule. F_bound >= F* (the best possible F);
    W_bound >= the best W of any schedule whose F is at least this one's. `optimal` means both were proven.
    """

    F: int
    F_bound: int
    W: float
    W_bound: float
    optimal: bool
    seconds: float
    method: str = ""

    @property
    def F_gap(self) -> float:
        return 0.0 if self.F_bound == 0 else (self.F_bound - self.F) / self.F_bound

    @property
    def W_gap(self) -> float:
        return 0.0 if self.W_bound == 0 else (self.W_bound - self.W) / self.W_bound


@dataclass
class Stats:
    participants: int
    requests: int
    meetings: int
    locked: int
    meetings_min: int
    meetings_median: float
    meetings_max: int
    participants_without_meeting: int
    participants_below_target: int


# Reasons a request was left out (stable codes; the web app translates them).
REASON_NO_COMMON_SLOT = "no common free slot"
REASON_MAX_REACHED = "max meetings reached"
REASON_LOWER_PRIORITY = "lower priority than others"
REASON_NO_TABLE = "no free table in a common free slot"


@dataclass
class Unscheduled:
    request: Request
    reason: str
    detail: str = ""


@dataclass
class Solution:
    meetings: list[Meeting]
    certificate: Certificate
    unscheduled: list[Unscheduled] = field(default_factory=list)
    stats: Stats | None = None


Progress = Callable[[float, str], None]
