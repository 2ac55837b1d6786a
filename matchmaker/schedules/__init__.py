"""Schedules: the organizer runs the scheduler for an event, reviews and corrects the meetings, and publishes
the agenda (and later its changes). Participants' agendas are in the agendas area."""

from flask import Blueprint

bp = Blueprint("schedules", __name__)

from matchmaker.schedules import routes  # noqa: E402,F401
