"""Check-in on the event day (issue 16): the organizer's check-in page (scan, type or search, undo), the
no-show action after the doors, and the printable name badges."""

from flask import Blueprint

bp = Blueprint("checkin", __name__)

from matchmaker.checkin import routes  # noqa: E402,F401
