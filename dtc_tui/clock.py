"""Time as a parameter.

Domain logic never calls ``datetime.now()``: services take ``now`` and the app takes a
``Clock`` so tests can freeze or advance time without sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


def utcnow() -> datetime:
    """The one place the real wall clock is read (through SystemClock)."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Treat naive datetimes as UTC (that is how the database stores them)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return utcnow()


@dataclass
class FixedClock:
    """A clock for tests and snapshots: stands still until advanced."""

    current: datetime = field(default_factory=lambda: datetime(2026, 11, 20, 14, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current = self.current + timedelta(**kwargs)
