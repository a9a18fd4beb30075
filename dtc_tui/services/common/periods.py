"""The one period language of every ``--period``, ``--since``, ``--at`` option and date box.

    7d  12h  30m  2w  1d12h       a duration: that long before now (rolling)
    2026-11-20  today  yesterday  a whole day (UTC)
    2026-11-20T09:00[+01:00]      a moment (no zone = UTC); as a period, from then until now
    2026-11-01..2026-11-15        a range of whole days, both ends included
    2026-11-01..today  7d..today  either end may be any of the above

Everything is relative to the ``now`` the caller passes in (never the wall clock). ``parse_period``
returns a ``Period`` (start, end, label, and the ``duration`` when the text was one), so a caller
that works in whole days (the SLA report's "today and the 6 days before", the ads report's "last 7
complete days") reads ``period.whole_days()`` and keeps its own day rule. ``parse_moment`` is for
options that name one point in time (``--since``, ``--at``), ``parse_day`` for date boxes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from dtc_tui.errors import InvalidInput
from dtc_tui.i18n import _

# The one description of the syntax: every option's help and every error message quotes it.
SYNTAX = "7d, 12h, 30m, 2w, 2026-11-20, today, yesterday, 2026-11-20T09:00, or a range 2026-11-01..today"
MOMENT_SYNTAX = "2026-11-20T22:00, 2026-11-20T22:00+01:00, 2026-11-20, today, yesterday, now or 2h (ago)"
DOCS = "docs/filters.md#periods"


class PeriodError(InvalidInput):
    """Text that is not a period; the message shows what is."""


_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_UNIT_WORDS = {"m": "minute", "h": "hour", "d": "day", "w": "week"}
_DURATION = re.compile(r"(?:\d+[mhdw])+")
_PART = re.compile(r"(\d+)([mhdw])")


@dataclass(frozen=True)
class Period:
    """From ``start`` (included) to ``end`` (excluded), both UTC; ``label`` says it in words."""

    start: datetime
    end: datetime
    label: str
    kind: Literal["duration", "day", "moment", "range"]
    duration: timedelta | None = None  # set when the text was a duration ("7d")

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        """The last day the period touches (``end`` is excluded)."""
        return (self.end - timedelta(microseconds=1)).date()

    def whole_days(self) -> int | None:
        """The number of days of a duration made of whole days (7d, 2w); None for anything else."""
        if self.duration is None or self.duration % timedelta(days=1):
            return None
        return self.duration // timedelta(days=1)


def parse_duration(text: str) -> timedelta:
    """``7d``, ``12h``, ``30m``, ``2w``, ``1d12h`` -> a positive timedelta."""
    value = text.strip().lower()
    if not _DURATION.fullmatch(value):
        raise PeriodError(_("{text!r} is not a duration like 7d, 12h, 30m or 2w").format(text=text.strip()))
    total = sum((int(n) * _UNITS[unit] for n, unit in _PART.findall(value)), timedelta())
    if total <= timedelta():
        raise PeriodError(_("{text!r} is no time at all; use at least 1m").format(text=text.strip()))
    return total


def _duration_label(value: str) -> str:
    parts = []
    for n, unit in _PART.findall(value):
        word = _UNIT_WORDS[unit]
        parts.append(word if n == "1" else f"{int(n)} {word}s")
    return "last " + " ".join(parts)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _one(text: str, now: datetime) -> Period:
    """One end of a range, or a whole period: a duration, a day or a moment."""
    value = text.strip().lower()
    now = _as_utc(now)
    if _DURATION.fullmatch(value):
        duration = parse_duration(value)
        return Period(now - duration, now, _duration_label(value), "duration", duration)
    if value in ("today", "yesterday"):
        day = now.date() - timedelta(days=1 if value == "yesterday" else 0)
        return Period(_midnight(day), _midnight(day + timedelta(days=1)), value, "day")
    if value == "now":
        return Period(now, now, "now", "moment")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        pass
    else:
        return Period(_midnight(day), _midnight(day + timedelta(days=1)), day.isoformat(), "day")
    try:
        moment = _as_utc(datetime.fromisoformat(text.strip().replace(" ", "T", 1)))
    except ValueError:
        raise PeriodError(
            _("{text!r} is not a period: use {syntax}").format(text=text.strip(), syntax=SYNTAX)
        ) from None
    return Period(moment, max(moment, now), f"since {moment:%Y-%m-%d %H:%M} UTC", "moment")


def parse_period(text: str, now: datetime) -> Period:
    """Any text of the period language (see the module doc) -> a ``Period``."""
    if not text.strip():
        raise PeriodError(_("a period is needed: {syntax}").format(syntax=SYNTAX))
    if ".." not in text:
        return _one(text, now)
    left, right = text.split("..", 1)
    if not left.strip() or not right.strip():
        raise PeriodError(_("{text!r}: a range needs both ends, e.g. 2026-11-01..today").format(text=text.strip()))
    first, last = _one(left, now), _one(right, now)
    # A duration or a moment ends a range at its moment; a day ends it at the end of that day.
    end = last.end if last.kind == "day" else last.start
    if end < first.start:
        raise PeriodError(_("{text!r} ends before it starts").format(text=text.strip()))
    return Period(first.start, end, f"{left.strip()} .. {right.strip()}", "range")


def parse_moment(text: str, now: datetime) -> datetime:
    """One point in time: ``now``, an ISO time or date (its midnight), ``today``, ``yesterday``, or a
    duration meaning that long ago (``2h``)."""
    if ".." in text:
        raise PeriodError(
            _("{text!r} is a range; a time like 2026-11-20T22:00, today or 2h is needed").format(text=text.strip())
        )
    try:
        return _one(text, now).start
    except PeriodError:
        raise PeriodError(
            _("{text!r} is not a time like {syntax}").format(text=text.strip(), syntax=MOMENT_SYNTAX)
        ) from None


def parse_day(text: str, now: datetime) -> date:
    """A day for a date box: ``2026-10-31``, ``today``, ``yesterday`` or ``7d`` (seven days ago)."""
    try:
        return parse_moment(text, now).date()
    except PeriodError:
        raise PeriodError(
            _("{text!r} is not a date like 2026-10-31, today, yesterday or 7d (ago)").format(text=text.strip())
        ) from None
