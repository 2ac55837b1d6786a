"""The newsletter: subscribing with double opt-in, managing themes and unsubscribing through the link in every
mail, and announcing events to the subscribers of their themes (organizers)."""

from flask import Blueprint

# cli_group=None: the commands are top-level (`flask purge-newsletter`).
bp = Blueprint("newsletter", __name__, url_prefix="/newsletter", cli_group=None)

from matchmaker.newsletter import commands, routes  # noqa: E402,F401
