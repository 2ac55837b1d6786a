"""The meet & greet scheduler: a pure engine (no Flask, no SQLAlchemy) over plain dataclasses.

    from matchmaker.scheduling import load_instance, solve
    solution = solve(load_instance("event.json"), time_limit=30, progress=lambda f, msg: ...)
    solution.meetings, solution.certificate, solution.unscheduled, solution.stats

Formats, rules and objective: shared/scheduling/README.md.
Command line: python -m matchmaker.scheduling --help.
"""

from .io import instance_from_dict, instance_to_dict, load_instance, solution_to_dict
from .model import (
    REASON_LOWER_PRIORITY,
    REASON_MAX_REACHED,
    REASON_NO_COMMON_SLOT,
    REASON_NO_TABLE,
    Certificate,
    InfeasibleInstance,
    Instance,
    InvalidInstance,
    Meeting,
    Participant,
    Request,
    SchedulingError,
    Slot,
    Solution,
    Stats,
    Unscheduled,
)
from .solver import DEFAULT_TIME_LIMIT, solve
from .validate import check_schedule

__all__ = [
    "DEFAULT_TIME_LIMIT",
    "REASON_LOWER_PRIORITY",
    "REASON_MAX_REACHED",
    "REASON_NO_COMMON_SLOT",
    "REASON_NO_TABLE",
    "Certificate",
    "InfeasibleInstance",
    "Instance",
    "InvalidInstance",
    "Meeting",
    "Participant",
    "Request",
    "SchedulingError",
    "Slot",
    "Solution",
    "Stats",
    "Unscheduled",
    "check_schedule",
    "instance_from_dict",
    "instance_to_dict",
    "load_instance",
    "solution_to_dict",
    "solve",
]
