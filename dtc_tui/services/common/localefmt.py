"""Numbers, percentages, dates and relative times written the way the team's language writes them.

One place for it (Babel's CLDR data), so a screen never hand-formats: ``1,234.5`` / ``16.2%`` /
``Nov 25, 2026`` / ``3h ago`` in English, ``1,234.5`` / ``16.2%`` / ``2026年11月25日`` /
``3小时前`` in Chinese. Times are shown in the operator's own time zone (the team matrix has it).
Money goes through ``money.py`` (the amount's own currency). Machine output (``--json``,
``--csv``) never uses this module: it writes ISO dates and plain numbers.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.dates import format_timedelta
from babel.numbers import format_decimal
from babel.numbers import format_percent as _format_percent

from dtc_tui import i18n

DASH = "-"


def _locale(locale: str | None) -> str:
    return locale or i18n.babel_locale()


def number(value: float | int | None, decimals: int = 0, *, locale: str | None = None) -> str:
    if value is None:
        return DASH
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=_locale(locale))


def percent(fraction: float | None, decimals: int = 1, *, locale: str | None = None) -> str:
    """``0.162`` -> ``16.2%``."""
    if fraction is None:
        return DASH
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + "%"
    return _format_percent(fraction, format=pattern, locale=_locale(locale))


def day(value: date | None, *, locale: str | None = None) -> str:
    """``Nov 25, 2026`` / ``2026年11月25日``."""
    if value is None:
        return DASH
    return _format_date(value, format="medium", locale=_locale(locale))


def moment(value: datetime | None, timezone: str = "UTC", *, locale: str | None = None) -> str:
    """A stored (UTC) time in the operator's time zone: ``11/25/26, 3:05 PM`` / ``2026/11/25 15:05``."""
    if value is None:
        return DASH
    return _format_datetime(value, format="short", tzinfo=ZoneInfo(timezone or "UTC"), locale=_locale(locale))


def ago(then: datetime | None, now: datetime, *, locale: str | None = None) -> str:
    """``3h ago`` / ``3小时前``; a future time: ``in 3h`` / ``3小时后``."""
    if then is None:
        return DASH
    return format_timedelta(
        then - now, granularity="minute", threshold=0.9, add_direction=True, format="narrow", locale=_locale(locale)
    )


def duration(value: timedelta | None, *, locale: str | None = None) -> str:
    """``45m`` / ``45分钟`` (the largest unit, rounded)."""
    if value is None:
        return DASH
    return format_timedelta(value, granularity="minute", threshold=0.9, format="narrow", locale=_locale(locale))


def day_and_time(value: datetime | None, *, locale: str | None = None) -> str:
    """A day and a clock time without the year: ``25 Nov 15:05`` / ``11月25日 15:05`` (as given, no zone
    conversion)."""
    from babel.dates import format_skeleton

    if value is None:
        return DASH
    chosen = _locale(locale)
    if chosen.startswith("en"):
        return _format_datetime(value, "dd MMM HH:mm", locale=chosen)
    return f"{format_skeleton('MMMd', value, locale=chosen)} {value:%H:%M}"
