"""Shared column helpers."""

import enum
from datetime import UTC, datetime

import sqlalchemy as sa


def utcnow() -> datetime:
    """The current time in UTC, without tzinfo: every timestamp is stored that way on every database."""
    return datetime.now(UTC).replace(tzinfo=None)


def enum_check(column: str, enum_cls: type[enum.Enum]) -> sa.CheckConstraint:
    """A CHECK constraint that keeps a string column within an enum's values."""
    values = ", ".join(f"'{member.value}'" for member in enum_cls)
    return sa.CheckConstraint(f"{column} IN ({values})", name=f"{column}_valid")
