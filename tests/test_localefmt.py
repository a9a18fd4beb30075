"""Issue 21, item 2: numbers, percentages, dates and relative times in the team's language, in one
place, with times in the operator's own time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from dtc_tui import i18n
from dtc_tui.services.common import localefmt

NOW = datetime(2026, 11, 25, 14, 5, tzinfo=UTC)
EN, ZH = "en_US", "zh_Hans_CN"


@pytest.mark.parametrize(
    ("call", "english", "chinese"),
    [
        (lambda loc: localefmt.number(1234567.891, 1, locale=loc), "1,234,567.9", "1,234,567.9"),
        (lambda loc: localefmt.percent(0.162, locale=loc), "16.2%", "16.2%"),
        (lambda loc: localefmt.day(date(2026, 11, 25), locale=loc), "Nov 25, 2026", "2026年11月25日"),
        (lambda loc: localefmt.ago(NOW - timedelta(hours=3), NOW, locale=loc), "3h ago", "3小时前"),
        (lambda loc: localefmt.ago(NOW + timedelta(hours=3), NOW, locale=loc), "in 3h", "3小时后"),
        (lambda loc: localefmt.duration(timedelta(minutes=45), locale=loc), "45m", "45分钟"),
        (lambda loc: localefmt.number(None, locale=loc), "-", "-"),
    ],
)
def test_each_value_in_both_languages(call, english: str, chinese: str) -> None:
    assert call(EN) == english
    assert call(ZH) == chinese


def test_times_are_shown_in_the_operators_time_zone() -> None:
    # 14:05 UTC is 15:05 in Berlin and 06:05 in Los Angeles (standard time on Nov 25).
    assert localefmt.moment(NOW, "Europe/Berlin", locale=EN) == "11/25/26, 3:05\u202fPM"
    assert localefmt.moment(NOW, "Europe/Berlin", locale=ZH) == "2026/11/25 15:05"
    assert localefmt.moment(NOW, "America/Los_Angeles", locale=ZH) == "2026/11/25 06:05"


def test_the_active_language_is_the_default_locale() -> None:
    try:
        i18n.activate("zh-CN")
        assert localefmt.ago(NOW - timedelta(hours=3), NOW) == "3小时前"
    finally:
        i18n.activate("en")
    assert localefmt.ago(NOW - timedelta(hours=3), NOW) == "3h ago"


def test_whole_numbers_read_as_babel_writes_them() -> None:
    """Whole numbers skip Babel in the locales whose grouping Python's ``{:,}`` writes: the same text."""
    import random

    from babel.numbers import format_decimal

    rnd = random.Random(21)
    values = [0, -1, 999, 1000, -1000, 10**15] + [rnd.randint(-(10**12), 10**12) for _ in range(2000)]
    for locale in (EN, ZH, "de_DE"):
        for value in values:
            assert localefmt.number(value, locale=locale) == format_decimal(value, format="#,##0", locale=locale)
    assert localefmt.number(5, 1, locale=EN) == "5.0"
