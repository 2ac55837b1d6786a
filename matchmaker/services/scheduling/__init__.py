"""Scheduling an event: from the database to the engine (matchmaker.scheduling) and back, the organizer's
review and corrections, publishing, and the changes after publishing.

One module per job; callers use the package (`from matchmaker.services import scheduling`), which
re-exports the public functions. Modules import their siblings directly, never through this package.

- `meetings`: the stored meetings, the requested pairs and the writes every change shares;
- `instance`: the engine's instance built from the database (`build_instance`) and read back;
- `runs`: queued runs, solved by a job of the task queue or at once, and their progress (`start_run`);
- `labels`: the phases of a run and the reasons a request was left out, translated when shown;
- `stats`: the schedule as it stands, for the organizer's review;
- `corrections`: the organizer's corrections by hand (lock, move, swap, remove, add);
- `publishing`: the one way to publish the agenda and the changes since (`publish`);
- `cancellations`: after publishing, participants cancel meetings or their participation, the organizer
  withdraws a registration or marks a no-show;
- `late_participants`: someone added after publishing.

Progress. The run row holds a phase code (labels.PHASES), shown translated; the engine's own English
messages stay in the engine.
"""

from matchmaker.services.scheduling.cancellations import (
    REASON_MAX,
    cancel_own_meeting,
    mark_absent,
    may_cancel,
    withdraw_from_event,
    withdraw_participant,
)
from matchmaker.services.scheduling.corrections import (
    add_meeting,
    move_meeting,
    remove_meeting,
    set_locked,
    swap_meetings,
)
from matchmaker.services.scheduling.instance import (
    SUGGESTIONS_PER_PARTICIPANT,
    Context,
    build_instance,
    suggested_pairs,
)
from matchmaker.services.scheduling.labels import PHASES, REASONS, engine_phase, phase_label, reason_label
from matchmaker.services.scheduling.late_participants import add_late_participant
from matchmaker.services.scheduling.meetings import (
    FAIRNESS_TARGET,
    SCHEDULABLE,
    Candidate,
    absent_ids,
    active_meetings,
    get_meeting,
    new_uid,
    requested_pairs,
    schedulable_registrations,
    sweep_departed,
)
from matchmaker.services.scheduling.notices import tell_about_new_venue
from matchmaker.services.scheduling.publishing import PublishReport, publish
from matchmaker.services.scheduling.runs import (
    MAX_TIME_LIMIT,
    PROGRESS_EVERY,
    create_run,
    execute_run,
    get_run,
    latest_finished_run,
    latest_run,
    quiet_solver_banner,
    run_status,
    start_run,
)
from matchmaker.services.scheduling.stats import ScheduleStats, grid, participant_day, schedule_stats

__all__ = [
    "FAIRNESS_TARGET",
    "MAX_TIME_LIMIT",
    "PHASES",
    "PROGRESS_EVERY",
    "REASONS",
    "REASON_MAX",
    "SCHEDULABLE",
    "SUGGESTIONS_PER_PARTICIPANT",
    "Candidate",
    "Context",
    "PublishReport",
    "ScheduleStats",
    "absent_ids",
    "active_meetings",
    "add_late_participant",
    "add_meeting",
    "build_instance",
    "cancel_own_meeting",
    "create_run",
    "engine_phase",
    "execute_run",
    "get_meeting",
    "get_run",
    "grid",
    "latest_finished_run",
    "latest_run",
    "mark_absent",
    "may_cancel",
    "move_meeting",
    "new_uid",
    "participant_day",
    "phase_label",
    "publish",
    "quiet_solver_banner",
    "reason_label",
    "remove_meeting",
    "requested_pairs",
    "run_status",
    "schedulable_registrations",
    "schedule_stats",
    "set_locked",
    "start_run",
    "suggested_pairs",
    "swap_meetings",
    "sweep_departed",
    "tell_about_new_venue",
    "withdraw_from_event",
    "withdraw_participant",
]
