"""Spam protection for public forms without third-party CAPTCHAs.

- A honeypot: a field people never see (hidden with CSS) that bots fill in.
- A time trap: the form carries a signed timestamp of when it was rendered; a submission that comes back
  sooner than FORM_MIN_SECONDS (people need longer to fill in a form) or with a missing, forged or stale
  stamp is refused.
Rate limits (Flask-Limiter) are applied on the routes.
"""

import enum
import time

from flask import current_app
from itsdangerous import BadSignature, Signer

MAX_AGE_SECONDS = 24 * 3600


class Verdict(enum.StrEnum):
    OK = "ok"
    BOT = "bot"  # the honeypot was filled in
    TOO_FAST = "too_fast"  # sent too soon after the form was shown
    STALE = "stale"  # no stamp, a forged one, or one older than a day


def _signer() -> Signer:
    return Signer(current_app.config["SECRET_KEY"], salt="matchmaker.form-stamp")


def min_seconds() -> float:
    return float(current_app.config["FORM_MIN_SECONDS"])


def make_stamp(now: float | None = None) -> str:
    """A signed timestamp to put in a hidden field of the form being rendered."""
    moment = int(now if now is not None else time.time())
    return _signer().sign(str(moment)).decode()


def check(honeypot: str | None, stamp: str | None, now: float | None = None) -> Verdict:
    if honeypot and honeypot.strip():
        return Verdict.BOT
    try:
        rendered = int(_signer().unsign(stamp or "").decode())
    except (BadSignature, ValueError):
        return Verdict.STALE
    elapsed = (now if now is not None else time.time()) - rendered
    if elapsed < 0 or elapsed > MAX_AGE_SECONDS:
        return Verdict.STALE
    if elapsed < min_seconds():
        return Verdict.TOO_FAST
    return Verdict.OK
