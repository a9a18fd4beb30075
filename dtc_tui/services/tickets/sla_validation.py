"""The one place that says what a valid business calendar and SLA policy are.

Used by the importer (a bad row is refused with file, line and field), the CLI and the settings
screen (refused with the field), and by ``sla_store`` when it reads rows an older version wrote
(the policy is skipped with a warning, other tickets carry on).

Weekly hours, the one documented form (stored as JSON in ``business_calendar.weekly_hours``)::

    {"mon": [["09:00", "12:30"], ["13:30", "18:00"]], "tue": [["09:00", "17:00"]]}

- keys: weekday names ``mon`` .. ``sun`` (any case) or ISO numbers ``1`` (Monday) .. ``7`` (Sunday);
- each period ``["HH:MM", "HH:MM"]`` in local wall time, 24 h clock, ``24:00`` allowed as an end;
- the end is after the start (a period never crosses midnight: split it in two days);
- periods of one day do not overlap. Written by hand this is refused; read from an old row,
  overlapping or touching periods are merged and a warning says so (never counted twice).

The same week as text, one day (or range of days) per line or separated by ``;``, as the CLI
and the screen take it: ``mon-fri 09:00-12:30, 13:30-18:00; sat 10:00-14:00``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dtc_tui.i18n import _
from dtc_tui.models.enums import CHANNELS, PRIORITIES

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
END_OF_DAY = time.max  # "24:00"
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

Period = tuple[time, time]
Week = dict[int, tuple[Period, ...]]


class SlaSettingError(ValueError):
    """One or more problems with a calendar or policy; ``problems`` is [(field, message)]."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems))
        self.problems = problems


@dataclass
class Checked:
    """A parsed week with what was wrong (``errors``) or repaired (``notes``)."""

    week: Week = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- time zones ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    """Every IANA zone name this machine knows, sorted (for the screen's searchable list)."""
    return tuple(sorted(available_timezones()))


def check_timezone(name: str) -> str | None:
    """None when ``name`` is a time zone, otherwise why not."""
    if not name or not name.strip():
        return _("a time zone is required (e.g. Europe/Berlin)")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return _("unknown time zone {name!r} (use an IANA name such as Europe/Berlin or America/Los_Angeles)").format(
            name=name
        )
    return None


# --- weekdays, times, periods ----------------------------------------------------------------


def weekday_number(key: Any) -> int | None:
    """ISO weekday of ``mon``..``sun`` (any case) or ``1``..``7``; None for anything else."""
    text = str(key).strip().lower()
    if text in WEEKDAYS:
        return WEEKDAYS.index(text) + 1
    if text.isdigit() and 1 <= int(text) <= 7:
        return int(text)
    return None


def parse_time(value: Any, *, end: bool = False) -> time | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    if value == "24:00":
        return END_OF_DAY if end else None
    found = _TIME.match(value)
    return time(int(found.group(1)), int(found.group(2))) if found else None


def format_time(moment: time) -> str:
    return "24:00" if moment == END_OF_DAY else moment.strftime("%H:%M")


def _check_day(day: int, raw_periods: list[Any], result: Checked, *, merge: bool) -> None:
    name = WEEKDAYS[day - 1]
    periods: list[Period] = []
    for raw in raw_periods:
        if not isinstance(raw, list | tuple) or len(raw) != 2:
            result.errors.append(
                _('{day}: {value!r} is not a period; write ["HH:MM", "HH:MM"]').format(day=name, value=raw)
            )
            continue
        start, stop = parse_time(raw[0]), parse_time(raw[1], end=True)
        if start is None or stop is None:
            bad = raw[0] if start is None else raw[1]
            result.errors.append(
                _("{day}: bad time {value!r}; use HH:MM on a 24-hour clock (e.g. 09:00, 17:30)").format(
                    day=name, value=bad
                )
            )
            continue
        if stop <= start:
            result.errors.append(
                _("{day}: period {period} ends before it starts").format(
                    day=name, period=f"{format_time(start)}-{format_time(stop)}"
                )
            )
            continue
        periods.append((start, stop))
    periods.sort()
    joined: list[Period] = []
    for start, stop in periods:
        if joined and start < joined[-1][1] or (joined and merge and start == joined[-1][1]):
            before = joined[-1]
            if not merge:
                result.errors.append(
                    _("{day}: periods {first} and {second} overlap").format(
                        day=name,
                        first=f"{format_time(before[0])}-{format_time(before[1])}",
                        second=f"{format_time(start)}-{format_time(stop)}",
                    )
                )
                continue
            merged = (before[0], max(before[1], stop))
            result.notes.append(
                _("{day}: periods {first} and {second} overlap; merged into {merged}").format(
                    day=name,
                    first=f"{format_time(before[0])}-{format_time(before[1])}",
                    second=f"{format_time(start)}-{format_time(stop)}",
                    merged=f"{format_time(merged[0])}-{format_time(merged[1])}",
                )
            )
            joined[-1] = merged
        else:
            joined.append((start, stop))
    if day in result.week:
        result.errors.append(_("{day}: given twice").format(day=name))
    result.week[day] = tuple(joined)


def check_weekly_json(text: str | None, *, merge: bool = False) -> Checked:
    """Parse the stored JSON form; ``merge`` repairs overlaps (reading old rows) instead of refusing."""
    result = Checked()
    try:
        raw = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        result.errors.append(
            _("not JSON ({error} at character {position}); write {example}").format(
                error=exc.msg, position=exc.pos, example=_EXAMPLE
            )
        )
        return result
    if not isinstance(raw, dict):
        result.errors.append(_("must be a JSON object keyed by weekday; write {example}").format(example=_EXAMPLE))
        return result
    for key, periods in raw.items():
        day = weekday_number(key)
        if day is None:
            result.errors.append(
                _("unknown weekday {value!r}; use mon..sun or 1 (Monday) .. 7 (Sunday)").format(value=key)
            )
            continue
        if not isinstance(periods, list):
            result.errors.append(_('{day}: must be a list of periods like [["09:00", "17:00"]]').format(day=key))
            continue
        _check_day(day, periods, result, merge=merge)
    return result


_EXAMPLE = '{"mon": [["09:00", "12:30"], ["13:30", "18:00"]]}'
_DAY_SPEC = re.compile(r"^([a-z0-9]+)(?:\s*-\s*([a-z0-9]+))?\s+(.+)$", re.IGNORECASE)


def check_weekly_text(text: str) -> Checked:
    """``mon-fri 09:00-12:30, 13:30-18:00; sat 10:00-14:00`` (lines or ``;``). A day left out is closed."""
    result = Checked()
    raw: dict[int, list[list[str]]] = {}
    for part in re.split(r"[;\n]", text):
        part = part.strip()
        if not part:
            continue
        found = _DAY_SPEC.match(part)
        first = weekday_number(found.group(1)) if found else None
        last = weekday_number(found.group(2)) if found and found.group(2) else first
        if found is None or first is None or last is None or last < first:
            result.errors.append(
                _("{value!r}: start with a weekday or range (mon, mon-fri) and then HH:MM-HH:MM").format(value=part)
            )
            continue
        periods = []
        for span in found.group(3).split(","):
            start, sep, stop = span.strip().partition("-")
            if not sep:
                result.errors.append(
                    _("{value!r}: {span!r} is not a period; write HH:MM-HH:MM").format(value=part, span=span.strip())
                )
                continue
            periods.append([start.strip(), stop.strip()])
        for day in range(first, last + 1):
            if day in raw:
                result.errors.append(_("{day}: given twice").format(day=WEEKDAYS[day - 1]))
            raw.setdefault(day, []).extend(periods)
    for day, periods in sorted(raw.items()):
        _check_day(day, periods, result, merge=False)
    return result


def week_to_json(week: Week) -> str:
    """The canonical stored form: weekday names in week order, periods sorted."""
    return json.dumps(
        {
            WEEKDAYS[day - 1]: [[format_time(a), format_time(b)] for a, b in week[day]]
            for day in sorted(week)
            if week[day]
        }
    )


def week_to_text(week: Week) -> str:
    """``mon-fri 09:00-12:30, 13:30-18:00; sat 10:00-14:00``: consecutive days with the same hours as a range."""
    groups: list[tuple[int, int, tuple[Period, ...]]] = []
    for day in sorted(d for d in week if week[d]):
        if groups and groups[-1][1] == day - 1 and groups[-1][2] == week[day]:
            groups[-1] = (groups[-1][0], day, week[day])
        else:
            groups.append((day, day, week[day]))
    return "; ".join(
        (WEEKDAYS[first - 1] if first == last else f"{WEEKDAYS[first - 1]}-{WEEKDAYS[last - 1]}")
        + " "
        + ", ".join(f"{format_time(a)}-{format_time(b)}" for a, b in periods)
        for first, last, periods in groups
    )


def week_minutes(week: Week) -> float:
    """Open minutes in a plain week (no holidays, no DST)."""
    return sum(
        (b.hour * 60 + b.minute + (1 if b == END_OF_DAY else 0)) - (a.hour * 60 + a.minute)
        for periods in week.values()
        for a, b in periods
    )


# --- whole rows ------------------------------------------------------------------------------


def calendar_problems(values: dict[str, Any]) -> list[tuple[str, str]]:
    """Problems of a ``business_calendar`` row (only the fields present are checked)."""
    problems: list[tuple[str, str]] = []
    if "name" in values and not str(values["name"] or "").strip():
        problems.append(("name", _("a calendar needs a name")))
    if "timezone" in values:
        why = check_timezone(values["timezone"] or "")
        if why:
            problems.append(("timezone", why))
    if "weekly_hours" in values:
        checked = check_weekly_json(values["weekly_hours"])
        problems += [("weekly_hours", message) for message in checked.errors]
    return problems


TARGETS = ("first_response_minutes", "next_response_minutes", "resolution_minutes")
PAUSABLE = ("pending", "on_hold")
CLOSED_MATCHES = {"match_priority": PRIORITIES, "match_channel": CHANNELS}


def policy_problems(values: dict[str, Any], *, calendar_has_hours: bool | None = None) -> list[tuple[str, str]]:
    """Problems of an ``sla_policy`` row (only the fields present are checked).

    ``calendar_has_hours`` is what the caller knows of the chosen calendar (None: not looked up).
    """
    problems: list[tuple[str, str]] = []
    if "name" in values and not str(values["name"] or "").strip():
        problems.append(("name", _("a policy needs a name")))
    for target in TARGETS:
        value = values.get(target)
        if target in values and value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            problems.append((target, _("{value!r} is not a whole number of minutes").format(value=value)))
        elif value is not None and value <= 0:
            problems.append(
                (target, _("{value} minutes: a target must be positive (leave it empty for none)").format(value=value))
            )
    if all(target in values for target in TARGETS) and all(values[t] is None for t in TARGETS):
        problems.append(("first_response_minutes", _("a policy needs at least one target")))
    for name, allowed in CLOSED_MATCHES.items():
        raw = str(values.get(name) or "")
        unknown = [part.strip() for part in raw.split(",") if part.strip() and part.strip().lower() not in allowed]
        if unknown:
            problems.append(
                (
                    name,
                    _("unknown {values}; use {known}").format(
                        values=", ".join(map(repr, unknown)), known=", ".join(allowed)
                    ),
                )
            )
    pauses = [part.strip() for part in str(values.get("pause_statuses") or "").split(",") if part.strip()]
    wrong = [status for status in pauses if status not in PAUSABLE]
    if wrong:
        problems.append(
            (
                "pause_statuses",
                _("{values} cannot pause; use pending, on_hold or none").format(values=", ".join(map(repr, wrong))),
            )
        )
    if values.get("business_hours"):
        if "calendar_id" in values and values["calendar_id"] is None:
            problems.append(("calendar_id", _("business hours need a calendar")))
        elif calendar_has_hours is False:
            problems.append(
                ("calendar_id", _("the calendar has no opening hours; business-hours targets never come due"))
            )
    return problems


def parse_target(text: str | None, field_name: str = "target") -> int | None:
    """A target as typed on the CLI or the settings screen: ``90`` (minutes), ``90m``, ``4h``,
    ``1h30``; empty, ``none`` or ``-`` for no target. Raises ``SlaSettingError`` naming the field;
    whether the number is allowed (positive) is ``policy_problems``'s to say."""
    value = (text or "").strip().lower().replace(" ", "")
    if value in ("", "none", "-", "off"):
        return None
    found = re.fullmatch(r"(?:(-?\d+)h)?(?:(-?\d+)m?)?", value)
    if not found or (found.group(1) is None and found.group(2) is None):
        raise SlaSettingError(
            [(field_name, _("{value!r}: write minutes (90), hours (4h) or both (1h30), or none").format(value=text))]
        )
    return int(found.group(1) or 0) * 60 + int(found.group(2) or 0)


def require(problems: list[tuple[str, str]]) -> None:
    if problems:
        raise SlaSettingError(problems)
