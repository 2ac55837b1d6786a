"""Agendas: a participant's personal agenda (web, print, PDF, iCalendar feed) and the organizer's
table sheets, master grid and CSV export of the scheduled meetings."""

from flask import Blueprint

bp = Blueprint("agendas", __name__)

from matchmaker.agendas import routes  # noqa: E402,F401
