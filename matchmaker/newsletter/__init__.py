"""The newsletter: subscribing with double opt-in, managing themes and unsubscribing through the link in every
mail, and announcing events to the subscribers of their themes (organizers)."""

from flask import Blueprint

bp = Blueprint("newsletter", __name__, url_prefix="/newsletter")

from matchmaker.newsletter import routes  # noqa: E402,F401
