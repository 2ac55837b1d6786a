"""Pages of background jobs: a job's progress and result for the user who started it, and the failed jobs
for administrators."""

from flask import Blueprint

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

from matchmaker.jobs import routes  # noqa: E402,F401
