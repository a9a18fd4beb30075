"""The one period language: the parser table-driven against a fixed now, and each user on it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from dtc_tui.services.ads.metrics import last_days, period_from_text
from dtc_tui.services.common.periods import PeriodError, parse_day, parse_duration, parse_moment, parse_period
from dtc_tui.services.tickets.kpis import report_window

NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def at(day: int, hour: int = 0, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "start", "end", "label", "kind"),
    [
        ("7d", at(13, 14), NOW, "last 7 days", "duration"),
        ("12h", at(20, 2), NOW, "last 12 hours", "duration"),
        ("30m", at(20, 13, 30), NOW, "last 30 minutes", "duration"),
        ("2w", at(6, 14), NOW, "last 2 weeks", "duration"),
        ("1d12h", at(19, 2), NOW, "last day 12 hours", "duration"),
        (" 7D ", at(13, 14), NOW, "last 7 days", "duration"),
        ("today", at(20), at(21), "today", "day"),
        ("yesterday", at(19), at(20), "yesterday", "day"),
        ("2026-11-01", at(1), at(2), "2026-11-01", "day"),
        ("2026-11-20T09:00", at(20, 9), NOW, "since 2026-11-20 09:00 UTC", "moment"),
        ("2026-11-20T09:00+01:00", at(20, 8), NOW, "since 2026-11-20 08:00 UTC", "moment"),
        ("2026-11-20 09:30", at(20, 9, 30), NOW, "since 2026-11-20 09:30 UTC", "moment"),
        ("2026-11-01..2026-11-15", at(1), at(16), "2026-11-01 .. 2026-11-15", "range"),
        ("2026-11-01..today", at(1), at(21), "2026-11-01 .. today", "range"),
        ("7d..yesterday", at(13, 14), at(20), "7d .. yesterday", "range"),
        ("2026-10-30..2026-11-01T12:00", at(30, month=10), at(1, 12), "2026-10-30 .. 2026-11-01T12:00", "range"),
    ],
)
def test_the_parser(text: str, start: datetime, end: datetime, label: str, kind: str) -> None:
    period = parse_period(text, NOW)
    assert (period.start, period.end, period.label, period.kind) == (start, end, label, kind)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tomorrow", "'tomorrow' is not a period: use 7d, 12h"),
        ("5", "'5' is not a period"),
        ("0d", "'0d' is no time at all"),
        ("", "a period is needed"),
        ("2026-11-01..", "a range needs both ends"),
        ("2026-11-15..2026-11-01", "ends before it starts"),
        ("7x", "'7x' is not a period"),
    ],
)
def test_parser_errors(text: str, message: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period(text, NOW)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)  # old callers caught ValueError


def test_durations_moments_and_days() -> None:
    assert parse_duration("12h") == timedelta(hours=12)
    assert parse_period("7d", NOW).duration == timedelta(days=7)
    assert parse_period("7d", NOW).whole_days() == 7 and parse_period("2w", NOW).whole_days() == 14
    assert parse_period("36h", NOW).whole_days() is None and parse_period("today", NOW).whole_days() is None
    assert parse_moment("now", NOW) == NOW
    assert parse_moment("2h", NOW) == at(20, 12)
    assert parse_moment("2026-11-20", NOW) == at(20)
    assert parse_moment("2026-11-20T22:00", NOW) == at(20, 22)  # a moment after now is a moment
    with pytest.raises(PeriodError, match="is not a time like"):
        parse_moment("tomorrow", NOW)
    with pytest.raises(PeriodError, match="is a range"):
        parse_moment("2026-11-01..today", NOW)
    assert parse_day("yesterday", NOW) == date(2026, 11, 19)
    assert parse_day("7d", NOW) == date(2026, 11, 13)
    with pytest.raises(PeriodError, match="is not a date like"):
        parse_day("bad", NOW)


def test_the_now_passed_in_is_the_only_clock() -> None:
    later = NOW + timedelta(days=400)
    assert parse_period("today", later).start == datetime(2027, 12, 25, tzinfo=UTC)
    naive = datetime(2026, 11, 20, 14, 0)
    assert parse_period("12h", naive).start == at(20, 2)  # a naive now is UTC


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("7d", at(14), NOW),  # today and the 6 days before it, from midnight: as before
        ("1w", at(14), NOW),
        ("today", at(20), NOW),
        ("12h", at(20, 2), NOW),  # promised by the old help, refused by the old parser
        ("yesterday", at(19), at(20)),
        ("2026-11-01..2026-11-15", at(1), at(16)),
        ("2026-11-01..today", at(1), NOW),  # a range does not reach into the future
    ],
)
def test_sla_report_window(text: str, start: datetime, end: datetime) -> None:
    assert report_window(text, NOW) == (start, end)


def test_ads_periods_keep_last_n_complete_days() -> None:
    assert period_from_text("7d", NOW) == last_days(7, NOW)
    assert period_from_text("7d", NOW).end == date(2026, 11, 19)  # today left out
    assert period_from_text("2w", NOW).preset == 14
    custom = period_from_text("2026-11-01..2026-11-15", NOW)
    assert (custom.start, custom.end, custom.preset) == (date(2026, 11, 1), date(2026, 11, 15), None)
    assert (period_from_text("yesterday", NOW).start, period_from_text("yesterday", NOW).days) == (
        date(2026, 11, 19),
        1,
    )
    with pytest.raises(PeriodError, match="ad figures are per day"):
        period_from_text("12h", NOW)
