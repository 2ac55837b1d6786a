"""Signed, expiring tokens for the links we send by mail (the links themselves: matchmaker.links).

A token is a JSON payload signed with the app's SECRET_KEY and a salt per purpose, so a token made for one
purpose (confirming an address) can never be used for another (resetting a password). Tokens carry their
issue time; the reader decides how old they may be. Nothing is stored: a token stops working when what it
was bound to changes (the password hash, the email address), which the payload records as a fingerprint.
"""

import hashlib
import hmac
from datetime import timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

CONFIRM_EMAIL = "confirm-email"
RESET_PASSWORD = "reset-password"  # noqa: S105  (a salt name, not a password)
CHANGE_EMAIL = "change-email"
PURPOSES = (CONFIRM_EMAIL, RESET_PASSWORD, CHANGE_EMAIL)


class TokenError(Exception):
    """The token cannot be used."""


class TokenInvalid(TokenError):
    """Tampered with, truncated, or made for another purpose."""


class TokenExpired(TokenError):
    """Genuine but too old. `payload` is what it said, so the page can offer a fresh link."""

    def __init__(self, payload: Any):
        super().__init__("token expired")
        self.payload = payload


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    if purpose not in PURPOSES:
        raise ValueError(f"Unknown token purpose {purpose!r}")
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"matchmaker.{purpose}")


def make_token(purpose: str, payload: dict[str, Any]) -> str:
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, max_age: timedelta) -> dict[str, Any]:
    """The payload of a genuine token of this purpose issued at most `max_age` ago."""
    serializer = _serializer(purpose)
    try:
        payload = serializer.loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired as error:
        try:
            old = serializer.load_payload(error.payload) if error.payload is not None else None
        except BadSignature:
            old = None
        raise TokenExpired(old if isinstance(old, dict) else {}) from None
    except BadSignature:
        raise TokenInvalid() from None
    if not isinstance(payload, dict):
        raise TokenInvalid()
    return payload


def fingerprint(*parts: str) -> str:
    """A short keyed digest of secret-ish values (a password hash, an address) to bind a token to them.

    Keyed with SECRET_KEY so the token (which is only signed, not encrypted) reveals nothing usable.
    """
    key = current_app.config["SECRET_KEY"].encode()
    message = "\x1f".join(parts).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:24]


def same_fingerprint(expected: str, given: Any) -> bool:
    return isinstance(given, str) and hmac.compare_digest(expected, given)

