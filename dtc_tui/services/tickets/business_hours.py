"""Business-hours arithmetic: "t plus N business minutes" and "business minutes between".

A calendar has a time zone, weekly opening periods per ISO weekday (several a day, so a
lunch break is a gap) and holidays. Periods are written in local wall time and turned into
UTC one by one, so a day on which daylight saving time changes has its real length: a
09:00-17:00 day is still 8 hours, and a period crossing the 02:00 jump is one hour shorter.
A time outside opening hours (created on a Saturday, at night) starts counting at the next
opening. ``CALENDAR_HOURS`` (``None``) means 24/7 wall-clock time.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from dtc_tui.errors import InvalidInput
from dtc_tui.i18n import _

MAX_SEARCH_DAYS = 800  # a calendar with hours finds any target within two years


class CalendarError(InvalidInput):
    """Business hours or holidays that cannot be read; the message says which."""


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "UTC"
    weekly: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    # What was repaired when the row was read (overlapping periods merged): shown as warnings.
    notes: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_json(cls, timezone: str, weekly_hours: str, holidays: set[date] | None = None) -> BusinessCalendar:
        """A calendar from its stored row; raises ``CalendarError`` naming every problem.

        The rules are ``sla_validation``'s; overlapping periods are merged (and noted), not refused,
        so a row an older version accepted still counts each minute once.
        """
        from dtc_tui.services.tickets.sla_validation import check_timezone, check_weekly_json

        checked = check_weekly_json(weekly_hours, merge=True)
        zone_problem = check_timezone(timezone)
        errors = ([zone_problem] if zone_problem else []) + checked.errors
        if errors:
            raise CalendarError("; ".join(errors))
        return cls(
            timezone=timezone, weekly=checked.week, holidays=frozenset(holidays or ()), notes=tuple(checked.notes)
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def has_hours(self) -> bool:
        return any(self.weekly.values())

    def periods_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """Opening periods of a local date, as UTC intervals."""
        if day in self.holidays:
            return []
        zone = self.zone
        result = []
        for start, end in self.weekly.get(day.isoweekday(), ()):
            local_start = datetime.combine(day, start, zone)
            local_end = (
                datetime.combine(day + timedelta(days=1), time(0), zone)
                if end == time.max
                else datetime.combine(day, end, zone)
            )
            result.append((local_start.astimezone(UTC), local_end.astimezone(UTC)))
        return result

    @cached_property
    def walk(self) -> _Walk:
        """The cached period arrays behind the arithmetic (built on first use, per calendar)."""
        return _Walk(self)

    def add_minutes(self, start: datetime, minutes: float) -> datetime:
        if not self.has_hours():
            raise CalendarError(_("calendar has no opening hours"))
        return self.walk.add(start, minutes)

    def minutes_between(self, a: datetime, b: datetime) -> float:
        if b <= a:
            return -self.minutes_between(b, a) if b < a else 0.0
        if not self.has_hours():
            return 0.0
        return self.walk.between(a, b)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_DAY_MARGIN = 45  # days built beyond what a call needs: later calls near it find them ready


def _micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("business-hours arithmetic needs aware datetimes")
    return (moment - EPOCH) // _MICRO


def micros_of(moment: datetime | None) -> int | None:
    """An aware moment as UTC microseconds since 1970 (what ``add_micros`` and the re-apply count in)."""
    return None if moment is None else _micros(moment)


def moment_of(micros: int | None) -> datetime | None:
    """The aware UTC moment of ``micros_of``'s number."""
    return None if micros is None else EPOCH + timedelta(microseconds=micros)


class _Walk:
    """A calendar's opening periods as sorted integer arrays (UTC microseconds) with the business
    time before each one, built once for a range of days and extended when a call runs past it.

    "start + N business minutes" and "business minutes between" are then two binary searches, not a
    day-by-day walk: re-applying 100k open tickets on a business-hours policy has a 2 s budget. The
    answers are the day walk's (the tests in test_business_hours.py run through here); a period that
    a DST jump makes empty (02:00-03:00 on the spring day) counts nothing.
    """

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar = calendar
        self.lock = threading.Lock()
        # starts[i], ends[i]: period i; before[i]: business micros in periods 0..i-1; after[i] = before[i+1];
        # then the first and last local day built (None: nothing yet)
        self.arrays: tuple[list[int], list[int], list[int], list[int], date | None, date | None] = (
            [],
            [],
            [],
            [],
            None,
            None,
        )

    def _build(self, first: date, last: date) -> None:
        starts: list[int] = []
        ends: list[int] = []
        before: list[int] = []
        after: list[int] = []
        total = 0
        day = first
        while day <= last:
            for period_start, period_end in self.calendar.periods_on(day):
                a, b = _micros(period_start), _micros(period_end)
                if b <= a or (ends and a < ends[-1]):
                    continue
                starts.append(a)
                ends.append(b)
                before.append(total)
                total += b - a
                after.append(total)
            day += timedelta(days=1)
        with self.lock:  # one assignment: a reader in another thread sees the old or the new arrays
            self.arrays = (starts, ends, before, after, first, last)

    def _cover(self, moment: datetime, days_after: int) -> None:
        """Make sure periods from the day before ``moment`` to ``days_after`` days after it are built."""
        local = moment.astimezone(self.calendar.zone).date()
        want_first = local - timedelta(days=1)
        want_last = local + timedelta(days=days_after)
        first_day, last_day = self.arrays[4], self.arrays[5]
        if first_day is not None and last_day is not None:
            if first_day <= want_first and want_last <= last_day:
                return
            want_first = min(want_first, first_day)
            want_last = max(want_last, last_day)
        self._build(want_first - timedelta(days=_DAY_MARGIN), want_last + timedelta(days=_DAY_MARGIN))

    @staticmethod
    def _at(arrays: tuple[list[int], list[int], list[int], list[int], Any, Any], t: int) -> tuple[int, int]:
        """(index of the first period ending after t, business micros before t)."""
        starts, ends, before, after = arrays[:4]
        i = bisect_right(ends, t)
        if i == len(ends):
            return i, after[-1] if after else 0
        return i, before[i] + max(0, t - starts[i])

    def _covered(self, t: int) -> bool:
        starts, ends = self.arrays[0], self.arrays[1]
        return bool(starts) and starts[0] <= t < ends[-1]

    def add(self, start: datetime, minutes: float) -> datetime:
        return EPOCH + timedelta(microseconds=self.add_micros(_micros(start), minutes))

    def add_micros(self, t: int, minutes: float) -> int:
        """``add`` on UTC microseconds since 1970."""
        return self._add(t, round(minutes * 60_000_000), minutes <= 0)

    def add_span(self, t: int, span: int) -> int:
        """``add_micros(t, minutes)`` for minutes > 0, given as ``round(minutes * 60_000_000)``: the bulk
        re-apply's inner call (2-3 per ticket), so the common case (periods built) is inline here."""
        arrays = self.arrays
        starts, ends = arrays[0], arrays[1]
        if starts and starts[0] <= t < ends[-1]:
            before, after = arrays[2], arrays[3]
            i = bisect_right(ends, t)
            goal = before[i] + (t - starts[i] if t > starts[i] else 0) + span
            j = bisect_left(after, goal)
            if j < len(after):
                return starts[j] + goal - before[j]
        return self._add(t, span, False)

    def _add(self, t: int, span: int, opening: bool) -> int:
        """``t`` plus ``span`` business microseconds, building periods as far as it takes; ``opening``:
        zero minutes from a closed moment is the next opening, as help desks count it."""
        days = 7
        arrays = self.arrays
        starts, ends = arrays[0], arrays[1]
        if not starts or not starts[0] <= t < ends[-1]:
            self._cover(EPOCH + timedelta(microseconds=t), days)
        while True:
            arrays = self.arrays
            starts, ends, before, after = arrays[0], arrays[1], arrays[2], arrays[3]
            i = bisect_right(ends, t)
            if i < len(ends):
                if opening:
                    return t if t > starts[i] else starts[i]
                goal = before[i] + (t - starts[i] if t > starts[i] else 0) + span
                j = bisect_left(after, goal)
                if j < len(after):
                    return starts[j] + goal - before[j]
            if days >= MAX_SEARCH_DAYS:
                raise CalendarError(_("no business time within {days} days").format(days=MAX_SEARCH_DAYS))
            days = min(days * 4, MAX_SEARCH_DAYS)
            self._cover(EPOCH + timedelta(microseconds=t), days)

    def between(self, a: datetime, b: datetime) -> float:
        ta, tb = _micros(a), _micros(b)
        if not (self._covered(ta) and self._covered(tb)):
            self._cover(a, 1)
            self._cover(b, 1)
        arrays = self.arrays
        return (self._at(arrays, tb)[1] - self._at(arrays, ta)[1]) / 10**6 / 60


CALENDAR_HOURS = None


def add_minutes(calendar: BusinessCalendar | None, start: datetime, minutes: float) -> datetime:
    if calendar is None:
        return start + timedelta(minutes=minutes)
    return calendar.add_minutes(start, minutes)


def minutes_between(calendar: BusinessCalendar | None, a: datetime, b: datetime) -> float:
    if calendar is None:
        return (b - a).total_seconds() / 60
    return calendar.minutes_between(a, b)
