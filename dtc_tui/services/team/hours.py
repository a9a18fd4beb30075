"""Working hours of a person: "is this person on duty at this moment?".

A person's hours are written in their own wall-clock time (``Person.timezone``):

- ``work_hours``: one or more shifts, comma-separated: ``"09:00-18:00"``,
  ``"09:00-12:00,13:00-17:00"`` (a lunch gap), ``"00:00-24:00"`` (all day). A shift whose end
  is not after its start crosses midnight (``"22:00-06:00"``): it belongs to the day it starts
  on, so Friday's night shift still counts on Saturday 03:00 even if Saturday is not a work day.
- ``work_days``: ISO weekday digits, Monday = 1 ... Sunday = 7 (``"12345"``).

Comparisons are made on local wall time (minute resolution), so a 09:00 start is 09:00 before
and after a daylight-saving change; ``zoneinfo`` does the conversion from UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dtc_tui.clock import as_utc
from dtc_tui.errors import InvalidInput

MINUTES_PER_DAY = 24 * 60
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class WorkHoursError(InvalidInput):
    """Working hours, days or a time zone that cannot be read (message is shown to the operator)."""


class HasHours(Protocol):
    """Anything with a person's schedule: the ``Person`` model or the service's ``PersonInfo``."""

    # Read-only members, so frozen dataclasses fit as well as the model.
    @property
    def timezone(self) -> str: ...
    @property
    def work_hours(self) -> str: ...
    @property
    def work_days(self) -> str: ...
    @property
    def active(self) -> bool: ...


@dataclass(frozen=True)
class Shift:
    start: int  # minutes after local midnight
    end: int  # minutes after local midnight; <= start means the shift ends the next day

    @property
    def overnight(self) -> bool:
        return self.end <= self.start


def _minutes(value: str, *, allow_24: bool) -> int:
    text = value.strip()
    hours, sep, minutes = text.partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise WorkHoursError(f"bad time {value.strip()!r}; write it as HH:MM")
    h, m = int(hours), int(minutes)
    if (h, m) == (24, 0) and allow_24:
        return MINUTES_PER_DAY
    if h > 23 or m > 59:
        raise WorkHoursError(f"bad time {value.strip()!r}; hours 00-23, minutes 00-59")
    return h * 60 + m


def parse_hours(value: str) -> tuple[Shift, ...]:
    """``"09:00-18:00,22:00-02:00"`` -> shifts; raises WorkHoursError with a plain message."""
    if not value or not value.strip():
        raise WorkHoursError("working hours are empty; write them like 09:00-18:00")
    shifts = []
    for part in value.split(","):
        start_text, sep, end_text = part.partition("-")
        if not sep:
            raise WorkHoursError(f"bad shift {part.strip()!r}; write it like 09:00-18:00")
        start = _minutes(start_text, allow_24=False)
        end = _minutes(end_text, allow_24=True)
        if end == start:
            raise WorkHoursError(f"shift {part.strip()!r} has no length; use 00:00-24:00 for all day")
        shifts.append(Shift(start, end % MINUTES_PER_DAY if end != MINUTES_PER_DAY else end))
    return tuple(shifts)


def parse_days(value: str) -> frozenset[int]:
    """ISO weekday digits (``"12345"``) -> {1, 2, 3, 4, 5}."""
    text = (value or "").strip()
    if not text or any(ch not in "1234567" for ch in text):
        raise WorkHoursError(f"bad work days {value!r}; use ISO weekday digits, Monday=1 ... Sunday=7, e.g. 12345")
    return frozenset(int(ch) for ch in text)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise WorkHoursError(f"unknown time zone {name!r}; use an IANA name such as Europe/Berlin") from exc


def validate(timezone: str, work_hours: str, work_days: str) -> None:
    """Raise WorkHoursError if any part of a schedule cannot be read."""
    zone(timezone)
    parse_hours(work_hours)
    parse_days(work_days)


def local_time(person: HasHours, at: datetime) -> datetime:
    return as_utc(at).astimezone(zone(person.timezone))


def is_on_duty(person: HasHours, at: datetime) -> bool:
    """True when ``person`` is active and inside one of their shifts at ``at`` (naive = UTC).

    A schedule that cannot be read counts as off duty (the team checks report it).
    """
    if not person.active:
        return False
    try:
        shifts = parse_hours(person.work_hours)
        days = parse_days(person.work_days)
        local = local_time(person, at)
    except WorkHoursError:
        return False
    minute = local.hour * 60 + local.minute
    today = local.isoweekday()
    yesterday = 7 if today == 1 else today - 1
    for shift in shifts:
        if not shift.overnight:
            if today in days and shift.start <= minute < shift.end:
                return True
            continue
        if today in days and minute >= shift.start:
            return True
        if yesterday in days and minute < shift.end:
            return True
    return False


def describe(person: HasHours) -> str:
    """``"09:00-18:00 Europe/Berlin"`` (days added when they are not Monday to Friday)."""
    days = "" if person.work_days == "12345" else f" {describe_days(person.work_days)}"
    return f"{person.work_hours}{days} {person.timezone}"


def describe_days(work_days: str) -> str:
    try:
        days = sorted(parse_days(work_days))
    except WorkHoursError:
        return work_days
    return ",".join(WEEKDAY_NAMES[d - 1] for d in days)


def local_moment(person: HasHours, at: datetime) -> str:
    """``"Fri 22:00"`` in the person's time zone (or ``"?"`` if the zone is unknown)."""
    try:
        local = local_time(person, at)
    except WorkHoursError:
        return "?"
    return f"{WEEKDAY_NAMES[local.isoweekday() - 1]} {local:%H:%M}"
