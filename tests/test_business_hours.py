"""Business-hours arithmetic, table-driven. Times written in Berlin local time for readability."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from dtc_tui.services.tickets.business_hours import BusinessCalendar, CalendarError, add_minutes, minutes_between

BERLIN = ZoneInfo("Europe/Berlin")
LUNCH_WEEK = json.dumps({str(d): [["09:00", "12:00"], ["13:00", "18:00"]] for d in range(1, 6)})
CAL = BusinessCalendar.from_json("Europe/Berlin", LUNCH_WEEK, {date(2026, 12, 25), date(2026, 12, 28)})


def b(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("start", "minutes", "expected", "why"),
    [
        (b(2026, 11, 23, 10, 0), 60, b(2026, 11, 23, 11, 0), "inside a period"),
        (b(2026, 11, 23, 11, 30), 60, b(2026, 11, 23, 13, 30), "across the lunch gap"),
        (b(2026, 11, 23, 12, 30), 30, b(2026, 11, 23, 13, 30), "created during lunch"),
        (b(2026, 11, 23, 7, 0), 30, b(2026, 11, 23, 9, 30), "created before opening"),
        (b(2026, 11, 20, 22, 0), 720, b(2026, 11, 24, 14, 0), "Fri 22:00 + 12 business h: Mon 8 h, Tue 3 h + 1 h"),
        (b(2026, 11, 21, 10, 0), 60, b(2026, 11, 23, 10, 0), "created on a Saturday"),
        (b(2026, 12, 24, 17, 0), 120, b(2026, 12, 29, 10, 0), "Christmas and the 28th are holidays"),
        (b(2026, 3, 27, 17, 0), 120, b(2026, 3, 30, 10, 0), "over the spring DST weekend"),
        (b(2026, 11, 23, 18, 0), 0, b(2026, 11, 24, 9, 0), "zero minutes at closing: next opening"),
    ],
)
def test_add_business_minutes(start: datetime, minutes: int, expected: datetime, why: str) -> None:
    result = CAL.add_minutes(start.astimezone(UTC), minutes)
    assert result == expected.astimezone(UTC), why
    assert result.tzinfo is not None


@pytest.mark.parametrize(
    ("a", "b_", "expected"),
    [
        (b(2026, 11, 23, 9, 0), b(2026, 11, 23, 18, 0), 480),  # a full day less lunch
        (b(2026, 11, 20, 17, 0), b(2026, 11, 23, 10, 0), 120),  # Friday hour + Monday hour
        (b(2026, 11, 21, 9, 0), b(2026, 11, 22, 18, 0), 0),  # the weekend
        (b(2026, 12, 24, 9, 0), b(2026, 12, 26, 9, 0), 480),  # the 25th is a holiday
        (b(2026, 11, 23, 18, 0), b(2026, 11, 23, 9, 0), -480),  # reversed order is negative
    ],
)
def test_business_minutes_between(a: datetime, b_: datetime, expected: float) -> None:
    assert CAL.minutes_between(a.astimezone(UTC), b_.astimezone(UTC)) == pytest.approx(expected)


def test_dst_day_keeps_its_wall_clock_hours() -> None:
    # 24/7 calendar in Berlin: the night of 2026-03-29 has only 23 hours.
    every_day = json.dumps({str(d): [["00:00", "24:00"]] for d in range(1, 8)})
    always = BusinessCalendar.from_json("Europe/Berlin", every_day)
    minutes = always.minutes_between(b(2026, 3, 29, 0, 0).astimezone(UTC), b(2026, 3, 30, 0, 0).astimezone(UTC))
    assert minutes == 23 * 60
    # A 09:00-18:00 day on the switch day in autumn is still 9 hours (the switch is at 03:00).
    day = BusinessCalendar.from_json("Europe/Berlin", json.dumps({"7": [["09:00", "18:00"]]}))
    assert day.minutes_between(b(2026, 10, 25, 0, 0).astimezone(UTC), b(2026, 10, 26, 0, 0).astimezone(UTC)) == 540


def test_calendar_hours_are_plain_wall_clock() -> None:
    start = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    assert add_minutes(None, start, 90) == datetime(2026, 11, 21, 11, 30, tzinfo=UTC)
    assert minutes_between(None, start, datetime(2026, 11, 22, 10, 0, tzinfo=UTC)) == 1440


def test_bad_calendars_are_refused() -> None:
    with pytest.raises(CalendarError):
        BusinessCalendar.from_json("UTC", json.dumps({"1": [["18:00", "09:00"]]}))
    with pytest.raises(CalendarError):
        BusinessCalendar.from_json("UTC", json.dumps({"1": [["9am", "5pm"]]}))
    with pytest.raises(CalendarError, match="no opening hours"):
        BusinessCalendar.from_json("UTC", "{}").add_minutes(datetime(2026, 1, 1, tzinfo=UTC), 5)


def _day_walk_add(cal: BusinessCalendar, start: datetime, minutes: float) -> datetime:
    """The day-by-day walk the cached arrays replaced: the reference they must agree with."""
    from datetime import timedelta

    remaining = timedelta(minutes=minutes)
    day = start.astimezone(cal.zone).date() - timedelta(days=1)
    for offset in range(60):
        for period_start, period_end in cal.periods_on(day + timedelta(days=offset)):
            if period_end <= start or period_end <= period_start:
                continue
            begin = max(period_start, start)
            if remaining <= timedelta(0):
                return begin
            if remaining <= period_end - begin:
                return begin + remaining
            remaining -= period_end - begin
    raise AssertionError("not found")


def test_cached_walk_agrees_with_the_day_walk() -> None:
    """Random starts over a year with DST switches, holidays and a lunch gap, on two zones: the
    binary search over built periods gives exactly the day walk's answers (to the microsecond)."""
    import random
    from datetime import timedelta

    rng = random.Random(17)
    calendars = [
        CAL,
        BusinessCalendar.from_json(
            "America/Los_Angeles",
            json.dumps({"mon": [["08:00", "17:00"]], "tue": [["08:00", "17:00"]], "sat": [["22:00", "24:00"]]}),
            {date(2026, 11, 26), date(2026, 7, 3)},
        ),
    ]
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for cal in calendars:
        for _ in range(400):
            start = base + timedelta(minutes=rng.randrange(0, 365 * 24 * 60), microseconds=rng.randrange(10**6))
            minutes = rng.choice([0, 1, 30, 59.5, 240, 720, 2880, 137.25])
            assert cal.add_minutes(start, minutes) == _day_walk_add(cal, start, minutes), (cal.timezone, start, minutes)
            later = start + timedelta(minutes=rng.randrange(0, 20000))
            due = cal.add_minutes(start, minutes)
            if minutes and due > start:
                assert cal.minutes_between(start, due) == pytest.approx(minutes, abs=1e-6)
            assert cal.minutes_between(start, later) == pytest.approx(-cal.minutes_between(later, start))
