"""Spam protection for public forms without third-party CAPTCHAs.

- A honeypot: a field people never see (hidden with CSS) that bots fill in.
- A time trap: the form carries a signed stamp of when it was rendered, with a random part of its own; a
  submission that comes back sooner than FORM_MIN_SECONDS (people need longer to fill in a form) or with a
  missing, forged or stale stamp is refused.
- One use: the route spends the stamp (`spend`) when it acts on the form; a stamp that was spent already
  (the same form sent again: a replay, a double click) is not acted on again. Spent stamps are rows of
  `used_stamp`, so this holds on every database, with or without Redis, and for concurrent requests; they
  are purged once they are older than any stamp that is still accepted (`purge_used_stamps`, daily).
Rate limits (Flask-Limiter) are applied on the routes.
"""

import enum
import secrets
import time
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, Signer

from matchmaker.extensions import db
from matchmaker.models import UsedStamp, utcnow
from matchmaker.services.kernel import claimed, commit

MAX_AGE_SECONDS = 24 * 3600
NONCE_BYTES = 12  # 16 URL-safe characters


class Verdict(enum.StrEnum):
    OK = "ok"
    BOT = "bot"  # the honeypot was filled in
    TOO_FAST = "too_fast"  # sent too soon after the form was shown
    STALE = "stale"  # no stamp, a forged one, or one older than a day


def _signer() -> Signer:
    return Signer(current_app.config["SECRET_KEY"], salt="matchmaker.form-stamp")


def min_seconds() -> float:
    return float(current_app.config["FORM_MIN_SECONDS"])


def refusal_message(verdict: Verdict) -> str:
    """What a person whose form was refused as too fast or stale reads: what happened and what to do. The form
    is shown again with what they wrote."""
    if verdict == Verdict.TOO_FAST:
        return _(
            "The form was sent less than %(seconds)d seconds after it was opened, which is what spam robots "
            "do. Your text is kept below: check it and send it again.",
            seconds=max(1, round(min_seconds())),
        )
    return _("This form has expired. Your text is kept below: send it again.")


def attempt_limit() -> str:
    """The limit on every submission of a public form, refused ones too (PUBLIC_FORM_ATTEMPT_LIMIT)."""
    return current_app.config["PUBLIC_FORM_ATTEMPT_LIMIT"]


def attempt_key() -> str:
    """Rate-limit key of `attempt_limit`: the client's address, counted apart from the form's own limit."""
    return "form-attempt:" + get_remote_address()


def counts_against_limit(response) -> bool:
    """Flask-Limiter's `deduct_when` for public forms: only a submission that was acted on (not one shown
    again to be corrected) counts, so that a fast typist who is refused and tries again keeps their message
    instead of meeting the rate limit's page."""
    return response.status_code != 422


def make_stamp(now: float | None = None) -> str:
    """A signed "time.random" stamp to put in a hidden field of the form being rendered: two forms shown in
    the same second get stamps of their own, so each can be used once."""
    moment = int(now if now is not None else time.time())
    return _signer().sign(f"{moment}.{secrets.token_urlsafe(NONCE_BYTES)}").decode()


def _read(stamp: str | None) -> tuple[int, str] | None:
    """(time, random part) of a genuine stamp, or None (missing, forged, or of the old form without a random
    part, which could not be told apart from another stamp of the same second)."""
    try:
        moment, _, nonce = _signer().unsign(stamp or "").decode().partition(".")
        return (int(moment), nonce) if nonce else None
    except (BadSignature, ValueError):
        return None


def check(honeypot: str | None, stamp: str | None, now: float | None = None) -> Verdict:
    if honeypot and honeypot.strip():
        return Verdict.BOT
    read = _read(stamp)
    if read is None:
        return Verdict.STALE
    elapsed = (now if now is not None else time.time()) - read[0]
    if elapsed < 0 or elapsed > MAX_AGE_SECONDS:
        return Verdict.STALE
    if elapsed < min_seconds():
        return Verdict.TOO_FAST
    return Verdict.OK


def spend(stamp: str | None) -> bool:
    """Use the stamp of a form that is about to be acted on (committed at once, in a unit of work of its own):
    False when it cannot be used, because it was used before (also by a request at the same moment: the
    primary key lets one of them through) or is not a genuine stamp."""
    read = _read(stamp)
    if read is None:
        return False
    db.session.add(UsedStamp(nonce=read[1][:32], used_at=utcnow()))
    return claimed()


def purge_used_stamps(now=None) -> int:
    """Delete the used stamps that are older than any stamp still accepted (a day, and an hour for clocks).
    Returns how many."""
    cutoff = (now or utcnow()) - timedelta(seconds=MAX_AGE_SECONDS) - timedelta(hours=1)
    deleted = db.session.execute(sa.delete(UsedStamp).where(UsedStamp.used_at < cutoff)).rowcount
    commit()
    return deleted
