"""Working hours across time zones and DST, and ticket routing (accountable, backup, nobody)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from dtc_tui import db
from dtc_tui.models import Assignment, Duty, Person, RoutingRule
from dtc_tui.services.team import matrix as team
from dtc_tui.services.team.hours import WorkHoursError, is_on_duty, parse_days, parse_hours, validate
from dtc_tui.services.team.matrix import PersonInfo, Route


def person(
    tz: str = "Europe/Berlin", hours: str = "09:00-18:00", days: str = "12345", active: bool = True
) -> PersonInfo:
    return PersonInfo(1, "P", "p", None, tz, hours, days, active, 1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# (description, time zone, hours, days, moment in UTC, expected)
ON_DUTY_CASES = [
    # Berlin is UTC+1 in winter, UTC+2 in summer: the same UTC minute is in or out of 09:00-18:00.
    ("berlin winter 08:59 local", "Europe/Berlin", "09:00-18:00", "12345", utc(2026, 1, 14, 7, 59), False),
    ("berlin winter 09:00 local", "Europe/Berlin", "09:00-18:00", "12345", utc(2026, 1, 14, 8, 0), True),
    ("berlin summer 09:00 local", "Europe/Berlin", "09:00-18:00", "12345", utc(2026, 7, 15, 7, 0), True),
    ("berlin summer 17:59 local", "Europe/Berlin", "09:00-18:00", "12345", utc(2026, 7, 15, 15, 59), True),
    (
        "berlin summer 18:00 local: end is exclusive",
        "Europe/Berlin",
        "09:00-18:00",
        "12345",
        utc(2026, 7, 15, 16, 0),
        False,
    ),
    # DST change days: Sunday 2026-03-29 (spring forward) is off; Monday 30 is the first summer day.
    (
        "berlin first summer monday 09:00 = 07:00 UTC",
        "Europe/Berlin",
        "09:00-18:00",
        "12345",
        utc(2026, 3, 30, 7, 0),
        True,
    ),
    (
        "berlin first summer monday 07:30 UTC = 09:30 local",
        "Europe/Berlin",
        "09:00-18:00",
        "12345",
        utc(2026, 3, 30, 6, 59),
        False,
    ),
    (
        "new york after fall back 2026-11-02 09:00 = 14:00 UTC",
        "America/New_York",
        "09:00-17:00",
        "12345",
        utc(2026, 11, 2, 14, 0),
        True,
    ),
    (
        "new york before fall back 2026-10-30 09:00 = 13:00 UTC",
        "America/New_York",
        "09:00-17:00",
        "12345",
        utc(2026, 10, 30, 13, 0),
        True,
    ),
    (
        "new york 13:30 UTC in november is 08:30 local",
        "America/New_York",
        "09:00-17:00",
        "12345",
        utc(2026, 11, 2, 13, 30),
        False,
    ),
    # The date line: Friday 22:00 UTC is Saturday 06:00 in Shanghai.
    ("shanghai saturday works 123456", "Asia/Shanghai", "06:00-12:00", "123456", utc(2026, 11, 20, 22, 0), True),
    ("shanghai saturday off 12345", "Asia/Shanghai", "06:00-12:00", "12345", utc(2026, 11, 20, 22, 0), False),
    # Dubai works Sunday to Thursday: Sunday is 7.
    ("dubai sunday", "Asia/Dubai", "09:00-18:00", "71234", utc(2026, 11, 22, 6, 0), True),
    ("dubai friday", "Asia/Dubai", "09:00-18:00", "71234", utc(2026, 11, 20, 6, 0), False),
    # A night shift belongs to the day it starts: Friday 22:00 to Saturday 06:00.
    ("night shift friday 23:00", "UTC", "22:00-06:00", "12345", utc(2026, 11, 20, 23, 0), True),
    ("night shift saturday 03:00 (started friday)", "UTC", "22:00-06:00", "12345", utc(2026, 11, 21, 3, 0), True),
    ("night shift saturday 23:00 (saturday off)", "UTC", "22:00-06:00", "12345", utc(2026, 11, 21, 23, 0), False),
    ("night shift monday 03:00 (sunday off)", "UTC", "22:00-06:00", "12345", utc(2026, 11, 23, 3, 0), False),
    ("night shift 06:00 is the end", "UTC", "22:00-06:00", "12345", utc(2026, 11, 20, 6, 0), False),
    # Night shift across the autumn DST change in Berlin (Sat 2026-10-24 22:00 -> Sun 06:00, wall clock).
    (
        "berlin night shift across fall back, 04:30 UTC = 05:30 local",
        "Europe/Berlin",
        "22:00-06:00",
        "6",
        utc(2026, 10, 25, 4, 30),
        True,
    ),
    (
        "berlin night shift across fall back, 05:00 UTC = 06:00 local",
        "Europe/Berlin",
        "22:00-06:00",
        "6",
        utc(2026, 10, 25, 5, 0),
        False,
    ),
    ("split shift lunch gap", "UTC", "09:00-12:00,13:00-17:00", "12345", utc(2026, 11, 20, 12, 30), False),
    ("split shift afternoon", "UTC", "09:00-12:00,13:00-17:00", "12345", utc(2026, 11, 20, 13, 0), True),
    ("all day", "UTC", "00:00-24:00", "1234567", utc(2026, 11, 22, 23, 59), True),
    ("unreadable time zone counts as off", "Mars/Olympus", "09:00-18:00", "12345", utc(2026, 11, 20, 12), False),
]


@pytest.mark.parametrize(
    ("tz", "hours", "days", "at", "expected"),
    [case[1:] for case in ON_DUTY_CASES],
    ids=[case[0] for case in ON_DUTY_CASES],
)
def test_is_on_duty(tz: str, hours: str, days: str, at: datetime, expected: bool) -> None:
    assert is_on_duty(person(tz, hours, days), at) is expected


def test_inactive_person_is_never_on_duty() -> None:
    assert is_on_duty(person(active=True), utc(2026, 11, 20, 10)) is True
    assert is_on_duty(person(active=False), utc(2026, 11, 20, 10)) is False


def test_naive_moment_is_utc() -> None:
    assert is_on_duty(person("UTC", "09:00-10:00"), datetime(2026, 11, 20, 9, 30)) is True
    assert is_on_duty(person("UTC", "09:00-10:00"), datetime(2026, 11, 20, 10, 30)) is False


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("", "empty"),
        ("9-18", "HH:MM"),
        ("09:00", "09:00-18:00"),
        ("25:00-26:00", "00-23"),
        ("09:00-09:00", "no length"),
        ("09:60-10:00", "00-59"),
    ],
)
def test_bad_hours_are_refused_with_a_plain_message(hours: str, message: str) -> None:
    with pytest.raises(WorkHoursError, match=message):
        parse_hours(hours)


def test_days_and_zone_validation() -> None:
    assert parse_days("712") == frozenset({7, 1, 2})
    for bad in ("", "0", "8", "mon"):
        with pytest.raises(WorkHoursError):
            parse_days(bad)
    with pytest.raises(WorkHoursError, match="time zone"):
        validate("Europe/Nowhere", "09:00-18:00", "12345")
    validate("America/Mexico_City", "22:00-06:00", "12345")


# --- route() on a database ----------------------------------------------------------------------

FRIDAY_1400_UTC = utc(2026, 11, 20, 14, 0)  # Berlin 15:00, New York 09:00, Shanghai 22:00, Manila 22:00


def build_team(
    engine: Engine, *, accountable: list[str], backup: str | None, rule: bool = True, duty_active: bool = True
) -> dict[str, int]:
    people = {
        "ana": ("Europe/Berlin", "09:00-18:00", True),
        "ben": ("America/New_York", "09:00-17:00", True),
        "chen": ("Asia/Shanghai", "09:00-18:00", True),
        "gone": ("Europe/Berlin", "09:00-18:00", False),
        "night": ("Asia/Manila", "21:00-05:00", True),
    }
    ids: dict[str, int] = {}
    with db.write_session(engine) as session:
        for handle, (tz, hours, active) in people.items():
            row = Person(name=handle.title(), handle=handle, timezone=tz, work_hours=hours, active=active)
            session.add(row)
            session.flush()
            ids[handle] = row.id or 0
        duty = Duty(code="site_build", name="Site", function="tech", active=duty_active)
        session.add(duty)
        session.flush()
        for handle in accountable:
            session.add(Assignment(person_id=ids[handle], duty_id=duty.id or 0, role="A"))
        session.add(Assignment(person_id=ids["ben"], duty_id=duty.id or 0, role="C"))
        if rule:
            session.add(
                RoutingRule(category="site_incident", duty_id=duty.id, backup_person_id=ids[backup] if backup else None)
            )
    return ids


# (description, accountable, backup, at, via, handle, on_duty, words in the reason)
ROUTE_CASES = [
    (
        "owner on duty",
        ["ana"],
        "ben",
        FRIDAY_1400_UTC,
        "accountable",
        "ana",
        True,
        "ana is accountable for site_build and on duty (09:00-18:00 Europe/Berlin)",
    ),
    (
        "owner off duty, backup on duty",
        ["chen"],
        "ben",
        FRIDAY_1400_UTC,
        "backup",
        "ben",
        True,
        "backup ben is on duty",
    ),
    (
        "owner off duty, backup off duty",
        ["chen"],
        "ben",
        utc(2026, 11, 21, 2, 0),
        "accountable",
        "chen",
        False,
        "nobody is on duty",
    ),
    (
        "owner off duty, no backup",
        ["chen"],
        None,
        FRIDAY_1400_UTC,
        "accountable",
        "chen",
        False,
        "no backup is set: nobody is on duty",
    ),
    ("owner inactive, backup on duty", ["gone"], "ana", FRIDAY_1400_UTC, "backup", "ana", True, "inactive"),
    (
        "night shift owner on duty after midnight",
        ["night"],
        "ana",
        utc(2026, 11, 20, 19, 30),
        "accountable",
        "night",
        True,
        "on duty",
    ),
    (
        "two accountable: the one on duty",
        ["chen", "ana"],
        None,
        FRIDAY_1400_UTC,
        "accountable",
        "ana",
        True,
        "one of 2 accountable",
    ),
    (
        "backup is the owner: no real backup",
        ["chen"],
        "chen",
        FRIDAY_1400_UTC,
        "accountable",
        "chen",
        False,
        "nobody is on duty",
    ),
]


@pytest.mark.parametrize(
    ("accountable", "backup", "at", "via", "handle", "on_duty", "words"),
    [case[1:] for case in ROUTE_CASES],
    ids=[case[0] for case in ROUTE_CASES],
)
def test_route(
    engine: Engine,
    accountable: list[str],
    backup: str | None,
    at: datetime,
    via: str,
    handle: str,
    on_duty: bool,
    words: str,
) -> None:
    ids = build_team(engine, accountable=accountable, backup=backup)
    with db.read_session(engine) as session:
        result = team.route(session, "site_incident", at)
        table = {row.category: row.route for row in team.routing_table(session, at)}
    assert result == Route("site_incident", "site_build", ids[handle], handle, via, result.reason, on_duty)
    assert words in result.reason
    assert table["site_incident"] == result  # the bulk path agrees with the single path


@pytest.mark.parametrize(
    ("kwargs", "category", "words"),
    [
        ({"accountable": ["ana"], "backup": None, "rule": False}, "site_incident", "no routing rule"),
        ({"accountable": [], "backup": "ana"}, "site_incident", "nobody is accountable for site_build"),
        ({"accountable": ["ana"], "backup": None, "duty_active": False}, "site_incident", "inactive"),
        (
            {"accountable": ["ana"], "backup": None},
            "no_such_category",
            "no routing rule for category 'no_such_category'",
        ),
    ],
)
def test_route_goes_nowhere(engine: Engine, kwargs: dict, category: str, words: str) -> None:
    build_team(engine, **kwargs)
    with db.read_session(engine) as session:
        result = team.route(session, category, FRIDAY_1400_UTC)
    assert result.via == "none"
    assert result.person_id is None and result.person_handle is None
    assert result.on_duty is False
    assert words in result.reason
