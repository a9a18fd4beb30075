"""Business-hours arithmetic: "t plus N business minutes" and "business minutes between".

A calendar has a time zone, weekly opening periods per ISO weekday (several a day, so a
lunch break is a gap) and holidays. Periods are written in local wall time and turned into
UTC one by one, so a day on which daylight saving time changes has its real length: a
09:00-17:00 day is still 8 hours, and a period crossing the 02:00 jump is one hour shorter.
A time outside opening hours (created on a Saturday, at night) starts counting at the next
opening. ``CALENDAR_HOURS`` (``None``) means 24/7 wall-clock time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dtc_tui.errors import InvalidInput

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

    def _periods_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        local_day = moment.astimezone(self.zone).date() - timedelta(days=1)
        for offset in range(MAX_SEARCH_DAYS):
            for start, end in self.periods_on(local_day + timedelta(days=offset)):
                if end > moment:
                    yield max(start, moment), end

    def add_minutes(self, start: datetime, minutes: float) -> datetime:
        if not self.has_hours():
            raise CalendarError("calendar has no opening hours")
        remaining = timedelta(minutes=minutes)
        if remaining <= timedelta(0):
            # Zero minutes from a closed moment is the next opening, as help desks count it.
            for period_start, _end in self._periods_from(start):
                return period_start
        for period_start, period_end in self._periods_from(start):
            length = period_end - period_start
            if remaining <= length:
                return period_start + remaining
            remaining -= length
        raise CalendarError(f"no business time within {MAX_SEARCH_DAYS} days")

    def minutes_between(self, a: datetime, b: datetime) -> float:
        if b <= a:
            return -self.minutes_between(b, a) if b < a else 0.0
        total = timedelta(0)
        for period_start, period_end in self._periods_from(a):
            if period_start >= b:
                break
            total += min(period_end, b) - period_start
        return total.total_seconds() / 60


CALENDAR_HOURS = None


def add_minutes(calendar: BusinessCalendar | None, start: datetime, minutes: float) -> datetime:
    if calendar is None:
        return start + timedelta(minutes=minutes)
    return calendar.add_minutes(start, minutes)


def minutes_between(calendar: BusinessCalendar | None, a: datetime, b: datetime) -> float:
    if calendar is None:
        return (b - a).total_seconds() / 60
    return calendar.minutes_between(a, b)
