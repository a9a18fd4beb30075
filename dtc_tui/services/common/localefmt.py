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
from babel.dates import format_skeleton as _format_skeleton
from babel.dates import format_timedelta
from babel.numbers import format_decimal
from babel.numbers import format_percent as _format_percent

from dtc_tui import i18n

DASH = "-"


def _locale(locale: str | None) -> str:
    return locale or i18n.babel_locale()


# Locales whose whole numbers read as Python's ``f"{n:,}"`` writes them (a "," every three digits,
# "-" for minus): a whole number there skips Babel (~9 us a cell; a board line has eight).
_PLAIN_GROUPING = frozenset({"en_US", "zh_Hans_CN"})


def number(value: float | int | None, decimals: int = 0, *, locale: str | None = None) -> str:
    if value is None:
        return DASH
    if not decimals and type(value) is int and _locale(locale) in _PLAIN_GROUPING:
        return f"{value:,}"
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


# Short day labels of the stock and ads screens (table cells, chart ticks, period spans): English
# keeps its compact strftime look (``Nov 05``, ``Thu Nov 05``), Chinese writes ``11月5日``.
_STOCK_DAY_PATTERNS: dict[str, tuple[str, str]] = {
    "day": ("MMM dd", "M月d日"),
    "weekday": ("EEE MMM dd", "M/d EEE"),
    "day_year": ("MMM dd yyyy", "yyyy年M月d日"),
    "weekday_year": ("EEE MMM dd yyyy", "yyyy年M月d日EEE"),
}


def stock_day_label(value: date | None, kind: str = "day", *, locale: str | None = None) -> str:
    """``Nov 05`` / ``11月5日`` (kind ``day``), ``Thu Nov 05`` / ``11/5 周四`` (``weekday``, fits 10 cells),
    with the year: ``day_year``, ``weekday_year``."""
    if value is None:
        return DASH
    where = _locale(locale)
    english, chinese = _STOCK_DAY_PATTERNS[kind]
    return _format_date(value, format=chinese if where.startswith("zh") else english, locale=where)


def stock_day_span(start: date, end: date, *, year: bool = True, locale: str | None = None) -> str:
    """``Oct 21 - Nov 19 2026`` / ``2026年10月21日至11月19日``; both years when the range crosses one."""
    where = _locale(locale)
    if where.startswith("zh"):
        if start.year != end.year:
            first, last = (
                stock_day_label(start, "day_year", locale=where),
                stock_day_label(end, "day_year", locale=where),
            )
        else:
            first = (f"{start.year}年" if year else "") + stock_day_label(start, locale=where)
            last = stock_day_label(end, locale=where)
        return f"{first}至{last}"
    if start.year != end.year:
        return f"{stock_day_label(start, 'day_year', locale=where)} - {stock_day_label(end, 'day_year', locale=where)}"
    text = f"{stock_day_label(start, locale=where)} - {stock_day_label(end, locale=where)}"
    return text + (f" {end.year}" if year else "")


def brief_day_time(
    value: datetime | None, timezone: str = "UTC", *, weekday: bool = False, locale: str | None = None
) -> str:
    """A near moment without the year, in the operator's time zone: ``Nov 25 15:05`` /
    ``11月25日 15:05``; with ``weekday``: ``Wed, Nov 25 15:05`` / ``11月25日周三 15:05``."""
    if value is None:
        return DASH
    zone = ZoneInfo(timezone or "UTC")
    when = _format_skeleton("MMMEd" if weekday else "MMMd", value, tzinfo=zone, locale=_locale(locale), fuzzy=True)
    return f"{when} {_format_skeleton('Hm', value, tzinfo=zone, locale=_locale(locale), fuzzy=True)}"


def brief_day(value: date | datetime | None, *, year: bool = False, locale: str | None = None) -> str:
    """``Nov 25`` / ``11月25日`` (``Nov 25, 2026`` / ``2026年11月25日`` with ``year``)."""
    if value is None:
        return DASH
    return _format_skeleton("yMMMd" if year else "MMMd", value, locale=_locale(locale), fuzzy=True)


def weekday_iso_moment(value: datetime | None, *, locale: str | None = None) -> str:
    """An exact moment as typed and read back in forms: ``Fri 2026-03-27 16:00`` / ``周五 2026-03-27 16:00``
    (the ISO date and 24-hour time stay as they are; only the weekday follows the language)."""
    if value is None:
        return DASH
    return f"{_format_datetime(value, 'EEE', tzinfo=value.tzinfo, locale=_locale(locale))} {value:%Y-%m-%d %H:%M}"


def weekday_iso_day(value: date, *, locale: str | None = None) -> str:
    """A day as typed in forms, with its weekday: ``2026-12-24 Thu`` / ``2026-12-24 周四``."""
    return f"{value.isoformat()} {_format_date(value, 'EEE', locale=_locale(locale))}"


def cells(text: str) -> int:
    """Terminal cells ``text`` takes, for headless output (commands and services may not import
    Rich, whose ``cell_len`` the screens use): a wide or full-width (CJK) character takes two, a
    combining mark none."""
    import unicodedata

    return sum(
        0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
        for char in text
    )


def pad_cells(text: str, width: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` terminal cells (left-aligned, or right with ``right``),
    for the columns of CLI tables."""
    fill = " " * max(0, width - cells(text))
    return fill + text if right else text + fill
