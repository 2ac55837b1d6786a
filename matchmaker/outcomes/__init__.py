from flask import Blueprint

# cli_group=None: the blueprint's commands are top-level (`flask send-outcome-surveys`).
bp = Blueprint("outcomes", __name__, url_prefix="/outcomes", cli_group=None)

from matchmaker.outcomes import commands, routes  # noqa: E402,F401
