"""The one set of rules for calendars and policies (issue 17): table-driven, messages included."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time

import pytest

from dtc_tui.services.tickets.business_hours import BusinessCalendar, CalendarError
from dtc_tui.services.tickets.sla_validation import (
    calendar_problems,
    check_weekly_json,
    check_weekly_text,
    policy_problems,
    week_to_json,
    week_to_text,
)

NINE_TO_FIVE = ((time(9), time(17)),)


@pytest.mark.parametrize(
    ("stored", "week", "error"),
    [
        ('{"1": [["09:00", "17:00"]]}', {1: NINE_TO_FIVE}, None),
        ('{"mon": [["09:00", "17:00"]]}', {1: NINE_TO_FIVE}, None),
        ('{"Mon": [["09:00", "17:00"]]}', {1: NINE_TO_FIVE}, None),  # names in any case
        ('{"sun": [["9:00", "17:00"]]}', {7: NINE_TO_FIVE}, None),  # one-digit hour
        ('{"fri": [["18:00", "24:00"]]}', {5: ((time(18), time.max),)}, None),  # 24:00 as an end
        ('{"0": [["09:00", "17:00"]]}', {}, "unknown weekday '0'; use mon..sun or 1 (Monday) .. 7 (Sunday)"),
        ('{"8": [["09:00", "17:00"]]}', {}, "unknown weekday '8'"),
        ('{"monday": [["09:00", "17:00"]]}', {}, "unknown weekday 'monday'"),
        ('{"mon": [["9am", "5pm"]]}', {1: ()}, "mon: bad time '9am'; use HH:MM on a 24-hour clock"),
        ('{"mon": [["09:00", "25:00"]]}', {1: ()}, "mon: bad time '25:00'"),
        ('{"mon": [["24:00", "09:00"]]}', {1: ()}, "mon: bad time '24:00'"),
        ('{"mon": [["17:00", "09:00"]]}', {1: ()}, "mon: period 17:00-09:00 ends before it starts"),
        ('{"mon": [["09:00", "09:00"]]}', {1: ()}, "mon: period 09:00-09:00 ends before it starts"),
        ('{"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}', None, "mon: periods 09:00-13:00 and 12:00-17:00 overlap"),
        ('{"mon": ["09:00-17:00"]}', {1: ()}, "mon: '09:00-17:00' is not a period"),
        ('{"mon": "09:00-17:00"}', {}, "mon: must be a list of periods"),
        ("mon 09:00-17:00", {}, "not JSON (Expecting value at character 0)"),
        ('[["09:00", "17:00"]]', {}, "must be a JSON object keyed by weekday"),
        ("", {}, None),  # no hours at all is valid (and a business-hours policy then refuses it)
    ],
)
def test_stored_weekly_hours(stored: str, week: dict | None, error: str | None) -> None:
    checked = check_weekly_json(stored)
    if error is None:
        assert checked.errors == []
        assert checked.week == week
    else:
        assert len(checked.errors) == 1 and checked.errors[0].startswith(error), checked.errors
        if week is not None:
            assert checked.week == week


def test_overlap_read_from_an_old_row_is_merged_and_said_so() -> None:
    stored = '{"mon": [["09:00", "13:00"], ["12:00", "17:00"]], "tue": [["09:00", "12:00"], ["12:00", "17:00"]]}'
    checked = check_weekly_json(stored, merge=True)
    assert checked.errors == []
    assert checked.week == {1: NINE_TO_FIVE, 2: NINE_TO_FIVE}
    assert checked.notes == [
        "mon: periods 09:00-13:00 and 12:00-17:00 overlap; merged into 09:00-17:00",
        "tue: periods 09:00-12:00 and 12:00-17:00 overlap; merged into 09:00-17:00",
    ]
    # Monday 2026-11-23 in UTC: 09:00-17:00 counts 8 h once, not 9 h (the overlap hour twice).
    calendar = BusinessCalendar.from_json("UTC", stored)
    monday, tuesday = datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 24, tzinfo=UTC)
    assert calendar.minutes_between(monday, tuesday) == 480
    assert calendar.add_minutes(datetime(2026, 11, 23, 9, tzinfo=UTC), 480) == datetime(2026, 11, 23, 17, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "hours", "message"),
    [
        ("Mars/Base", "{}", "unknown time zone 'Mars/Base'"),
        ("", "{}", "a time zone is required"),
        ("Europe/Berlin", "{oops", "not JSON"),
    ],
)
def test_a_bad_calendar_row_raises_one_error_naming_the_problem(zone: str, hours: str, message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        BusinessCalendar.from_json(zone, hours)


@pytest.mark.parametrize(
    ("text", "stored", "shown"),
    [
        (
            "mon-fri 09:00-12:30, 13:30-18:00",
            {d: [["09:00", "12:30"], ["13:30", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            "mon-fri 09:00-12:30, 13:30-18:00",
        ),
        (
            "Mon 09:00-17:00; tue 09:00-17:00\nsat 10:00-14:00",
            {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]], "sat": [["10:00", "14:00"]]},
            "mon-tue 09:00-17:00; sat 10:00-14:00",
        ),
        ("1-2 08:00-16:00", {"mon": [["08:00", "16:00"]], "tue": [["08:00", "16:00"]]}, "mon-tue 08:00-16:00"),
        ("", {}, ""),
    ],
)
def test_weekly_hours_as_text(text: str, stored: dict, shown: str) -> None:
    checked = check_weekly_text(text)
    assert checked.errors == []
    assert json.loads(week_to_json(checked.week)) == stored
    assert week_to_text(checked.week) == shown


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("fri-mon 09:00-17:00", "'fri-mon 09:00-17:00': start with a weekday or range"),
        ("mon 09:00", "'mon 09:00': '09:00' is not a period"),
        ("xyz 09:00-17:00", "'xyz 09:00-17:00': start with a weekday or range"),
        ("mon 09:00-13:00, 12:00-17:00", "mon: periods 09:00-13:00 and 12:00-17:00 overlap"),
        ("mon-fri 09:00-17:00; wed 18:00-19:00", "wed: given twice"),
    ],
)
def test_weekly_text_errors(text: str, error: str) -> None:
    assert check_weekly_text(text).errors[0].startswith(error)


@pytest.mark.parametrize(
    ("values", "has_hours", "problems"),
    [
        ({"name": "Std", "first_response_minutes": 720, "business_hours": False, "calendar_id": None}, None, []),
        ({"first_response_minutes": -5}, None, [("first_response_minutes", "-5 minutes: a target must be positive")]),
        ({"resolution_minutes": 0}, None, [("resolution_minutes", "0 minutes: a target must be positive")]),
        ({"next_response_minutes": "12h"}, None, [("next_response_minutes", "'12h' is not a whole number")]),
        (
            {"first_response_minutes": None, "next_response_minutes": None, "resolution_minutes": None},
            None,
            [("first_response_minutes", "a policy needs at least one target")],
        ),
        ({"business_hours": True, "calendar_id": None}, None, [("calendar_id", "business hours need a calendar")]),
        ({"business_hours": True, "calendar_id": 3}, False, [("calendar_id", "the calendar has no opening hours")]),
        ({"business_hours": True, "calendar_id": 3}, True, []),
        ({"match_priority": "high,hi"}, None, [("match_priority", "unknown 'hi'; use low, normal, high, urgent")]),
        ({"match_channel": "fax"}, None, [("match_channel", "unknown 'fax'")]),
        ({"pause_statuses": "pending,open"}, None, [("pause_statuses", "'open' cannot pause")]),
        ({"pause_statuses": ""}, None, []),
        ({"name": " "}, None, [("name", "a policy needs a name")]),
    ],
)
def test_policy_rules(values: dict, has_hours: bool | None, problems: list[tuple[str, str]]) -> None:
    found = policy_problems(values, calendar_has_hours=has_hours)
    assert [name for name, _ in found] == [name for name, _ in problems]
    for (_, message), (_, expected) in zip(found, problems, strict=True):
        assert message.startswith(expected), message


def test_calendar_rules_name_each_field() -> None:
    found = calendar_problems({"name": "", "timezone": "Europe/Berln", "weekly_hours": '{"mon": [["9", "17"]]}'})
    assert [name for name, _ in found] == ["name", "timezone", "weekly_hours"]
