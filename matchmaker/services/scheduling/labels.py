"""The phases of a run and the reasons a request was left out, shown in the reader's language.

The engine reports its progress in English words (it knows nothing of Flask); the page shows a phase of
the run in the reader's language instead. A run row keeps the phase's code, translated when shown.
"""

from flask_babel import lazy_gettext as _l

from matchmaker import scheduling as engine

# The engine reports its progress in English words (it knows nothing of Flask); the page shows a phase of
# the run in the reader's language instead. A run row keeps the phase's code, translated when shown.
PHASES = {
    "queued": _l("Waiting to start"),
    "starting": _l("Starting"),
    "checking": _l("Checking the participants, requests and slots"),
    "bounding": _l("Working out how many people can get meetings"),
    "placing": _l("Placing the meetings in slots and tables"),
    "exact": _l("Looking for the best possible schedule"),
    "improving": _l("Improving the schedule"),
    "saving": _l("Saving the meetings"),
    "done": _l("Finished"),
}


_ENGINE_PHASES = (
    ("checking", "checking"),
    ("bounding", "bounding"),
    ("fair share bound", "bounding"),
    ("placing", "placing"),
    ("placed", "placing"),
    ("solving", "exact"),
    ("improving", "improving"),
    ("done", "done"),
)


def engine_phase(message: str) -> str:
    """The phase code of one of the engine's progress messages ("" when it says nothing we know)."""
    text = (message or "").strip().lower()
    if text in PHASES:
        return text
    for prefix, phase in _ENGINE_PHASES:
        if text.startswith(prefix):
            return phase
    if " participants, " in text:  # "12 participants, 30 open requests, 0 locked meetings"
        return "checking"
    return ""


def phase_label(code: str) -> str:
    label = PHASES.get(code)
    return str(label) if label is not None else ""


REASONS = {
    engine.REASON_NO_COMMON_SLOT: _l("No common free slot"),
    engine.REASON_MAX_REACHED: _l("One of them reached their maximum number of meetings"),
    engine.REASON_LOWER_PRIORITY: _l("Other meetings came first (fair share and weight)"),
    engine.REASON_NO_TABLE: _l("No free table in a common free slot"),
}


def reason_label(code: str) -> str:
    return str(REASONS.get(code, code))
