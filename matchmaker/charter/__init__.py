"""The charter: its text, the public list of signatories, signing and withdrawing for an organisation."""

from flask import Blueprint

bp = Blueprint("charter", __name__, url_prefix="/charter")

from matchmaker.charter import routes  # noqa: E402,F401
