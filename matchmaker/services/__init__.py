"""Use cases: load models, call engines, persist, notify. Routes and commands call these.

The refusals they raise and the commit helper live in `matchmaker.services.kernel`; the names are here too.
"""

from matchmaker.services.kernel import (
    Conflict,
    EditConflict,
    ExpiredLink,
    Invalid,
    InvalidLink,
    NotAllowed,
    NotFound,
    Refusal,
    ServiceError,
    claimed,
    commit,
    discard,
    unit_of_work,
)

__all__ = [
    "Conflict",
    "EditConflict",
    "ExpiredLink",
    "Invalid",
    "InvalidLink",
    "NotAllowed",
    "NotFound",
    "Refusal",
    "ServiceError",
    "claimed",
    "commit",
    "discard",
    "unit_of_work",
]
