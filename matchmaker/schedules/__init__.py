"""Schedules: the organizer runs the scheduler for an event, reviews and corrects the meetings, and publishes
the agenda (and later its changes). Participants' agendas are in the agendas area."""

from flask import Blueprint

# cli_group=None: the blueprint's command is `flask schedule-event`, not `flask schedules schedule-event`.
bp = Blueprint("schedules", __name__, cli_group=None)

from matchmaker.schedules import commands, routes  # noqa: E402,F401
