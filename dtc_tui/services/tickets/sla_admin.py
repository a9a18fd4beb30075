"""Setting up SLA: policies, calendars and holidays, validated, audited and re-applied at once.

The CLI (``dtc-tui sla policies|calendars ...``) and the settings screen (through
``ui/facades/sla.py``) both call these functions inside one write transaction. Every change
re-applies the stored SLA summary of every open ticket (``reapply``) in that same transaction, so
the queue, the ticket view and ``sla check`` agree as soon as it commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlmodel import Session, col

from dtc_tui.i18n import _
from dtc_tui.models import BusinessCalendar as CalendarRow
from dtc_tui.models import Customer, Holiday, SlaPolicy, Ticket
from dtc_tui.models.base import table_of
from dtc_tui.services.common import audit, settings
from dtc_tui.services.tickets.business_hours import EPOCH, BusinessCalendar, CalendarError, micros_of, moment_of
from dtc_tui.services.tickets.sla import (
    CLOSED_STATUSES,
    FAR_FUTURE,
    Policy,
    SummaryRule,
    TicketTimes,
    clocks,
    next_due,
    select_policy,
)
from dtc_tui.services.tickets.sla_breaches import record_due_breaches
from dtc_tui.services.tickets.sla_store import SlaContext
from dtc_tui.services.tickets.sla_validation import (
    SlaSettingError,
    calendar_problems,
    check_weekly_json,
    check_weekly_text,
    policy_problems,
    require,
    week_to_json,
    week_to_text,
)

POLICY_FIELDS = (
    "name",
    "position",
    "active",
    "match_priority",
    "match_channel",
    "match_category",
    "match_tier",
    "first_response_minutes",
    "next_response_minutes",
    "resolution_minutes",
    "business_hours",
    "calendar_id",
    "pause_statuses",
)


# --- re-applying summaries -------------------------------------------------------------------

# What the re-apply reads of each open ticket: the policy's match fields and stored summary as they
# are, then every time as UTC microseconds since 1970 (``_TIMES``, in this order).
_FIELDS = (
    "id",
    "priority",
    "channel",
    "category",
    "customer_id",
    "policy_id",
    "status",
    "paused_minutes",
    "next_due_metric",
)
_TIMES = (
    "created_at",
    "first_response_at",
    "awaiting_since",
    "paused_since",
    "solved_at",
    "next_due_at",
    "next_risk_at",
    "breach_check_at",
)
_NAIVE_EPOCH = datetime(1970, 1, 1)


def _sqlite_micros(column: str, unixepoch: bool) -> str:
    """SQL for a stored time (naive UTC text, ``YYYY-MM-DD HH:MM:SS.ffffff``) as integer microseconds,
    computed by SQLite: no text, datetime or subtraction per value in Python. Whole seconds come from
    the first 19 characters (SQLite's own fraction is only milliseconds), the fraction from the digits
    after the point, padded, so a shorter fraction or none reads right too."""
    seconds = (
        f"unixepoch(substr({column}, 1, 19))"
        if unixepoch
        else f"CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER)"
    )
    return f"{seconds} * 1000000 + CAST(substr({column} || '000000', 21, 6) AS INTEGER)"


class _SqliteTimes:
    """SQLite: rows through the driver's own cursor with the times as microseconds (SQLAlchemy's
    per-value processing dominated a 100k-ticket re-apply), written back as text with executemany."""

    raw = True

    @staticmethod
    def read(session: Session) -> list[tuple[Any, ...]]:
        import sqlite3

        unixepoch = sqlite3.sqlite_version_info >= (3, 38, 0)
        columns = [*_FIELDS, *(_sqlite_micros(name, unixepoch) for name in _TIMES)]
        cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(f"SELECT {', '.join(columns)} FROM ticket WHERE is_open = 1")
            return list(cursor.fetchall())
        finally:
            cursor.close()

    @staticmethod
    def out(micros: int | None) -> str | None:
        """The stored text of a time (what SQLAlchemy writes for a naive UTC datetime)."""
        if micros is None:
            return None
        return (_NAIVE_EPOCH + timedelta(microseconds=micros)).isoformat(" ", "microseconds")


class _TypedTimes:
    """Other backends: aware datetimes through SQLAlchemy, as everywhere else, turned into microseconds here."""

    raw = False

    @staticmethod
    def read(session: Session) -> list[tuple[Any, ...]]:
        t = table_of(Ticket).c
        query = select(*[t[name] for name in (*_FIELDS, *_TIMES)]).where(t.is_open.is_(True))
        cut = len(_FIELDS)
        return [(*row[:cut], *map(micros_of, row[cut:])) for row in session.execute(query)]

    out = staticmethod(moment_of)


_Codec = type[_SqliteTimes] | type[_TypedTimes]


class _Rules:
    """The policy of each (priority, channel, category, tier) and its summary rule, found once each."""

    def __init__(self, ctx: SlaContext, tiers: dict[int, str]) -> None:
        self.ctx = ctx
        self.tiers = tiers
        self.summaries = {p.id: SummaryRule(p, ctx.at_risk_fraction) for p in ctx.policies}
        self.found: dict[tuple[str, str, str, str], tuple[Policy | None, SummaryRule | None]] = {}

    def of(
        self, priority: str, channel: str, category: str, customer_id: int | None
    ) -> tuple[Policy | None, SummaryRule | None]:
        tier = self.tiers.get(customer_id, "standard") if customer_id is not None else "standard"
        key = (priority, channel, category, tier)
        found = self.found.get(key)
        if found is None:
            policy = select_policy(self.ctx.policies, priority=priority, channel=channel, category=category, tier=tier)
            found = self.found[key] = (policy, self.summaries.get(policy.id) if policy is not None else None)
        return found


def _engine_summary(
    row: tuple[Any, ...], policy: Policy | None, fraction: float, now: datetime
) -> tuple[int | None, str | None, int | None]:
    """The per-ticket engine, for the rows the summary rule does not cover (closed, solved, no policy)."""
    created, first, awaiting, paused_since, solved = map(moment_of, row[9:14])
    times = TicketTimes(created, row[6], first, awaiting, solved, paused_since, row[7] or 0.0)  # type: ignore[arg-type]
    nd = next_due(clocks(times, policy, now, at_risk_fraction=fraction))
    return micros_of(nd.due_at), nd.metric, micros_of(nd.risk_at)


_FAR = (FAR_FUTURE - EPOCH) // timedelta(microseconds=1)


def _due_order(entry: tuple[Any, ...]) -> int:
    """The sort key a change is written under: its new due time (none: last, as in the queue)."""
    return _FAR if entry[0] is None else int(entry[0])


def reapply(session: Session, now: datetime) -> int:
    """Recompute the SLA summary of every open ticket with the current policies and settings.

    Only rows whose summary changes are written (compared as microseconds, so unchanged rows cost no
    conversion back to text); breaches that are due now are recorded. Every open ticket's breach
    check (``Ticket.breach_check_at``) is left at or before its first due time: a clock behind the
    first may have moved, so ``sla check`` computes again the tickets whose first clock is past due.
    Returns how many tickets changed. Call it inside the transaction of the change.
    """
    settings.forget(session)  # a setting imported or changed in this transaction counts
    ctx = SlaContext(session)
    rules = _Rules(ctx, {row[0]: row[1] for row in session.execute(select(col(Customer.id), col(Customer.tier)))})
    codec: _Codec = _SqliteTimes if session.get_bind().dialect.name == "sqlite" else _TypedTimes
    moved: list[tuple[Any, ...]] = []  # (due, policy, metric, risk, id): the policy changes too
    changes: list[tuple[Any, ...]] = []  # (due, metric, risk, id)
    checks: list[tuple[int, int]] = []  # (check, id): the summary stays, the check comes back to it
    for row in codec.read(session):
        (ticket_id, priority, channel, category, customer_id, policy_id, status, paused, old_metric) = row[:9]
        policy, summary = rules.of(priority, channel, category, customer_id)
        if summary is not None and status not in CLOSED_STATUSES and row[13] is None:
            due, metric, risk = summary(row[9], row[10], row[11], row[12], paused or 0.0)
        else:
            due, metric, risk = _engine_summary(row, policy, ctx.at_risk_fraction, now)
        new_policy = policy.id if policy else None
        if new_policy != policy_id:
            moved.append((due, new_policy, metric, risk, ticket_id))
        elif due != row[14] or metric != old_metric or risk != row[15]:
            changes.append((due, metric, risk, ticket_id))
        elif due is not None and row[16] is not None and row[16] > due:
            checks.append((due, ticket_id))
    out = codec.out

    def summary_of(due: int | None, metric: str | None, risk: int | None) -> tuple[Any, ...]:
        due_value = out(due)
        return due_value, metric, out(risk), due_value if due is not None else out(_FAR), due_value

    # Written in due order: the due-time indexes then take their new entries in order, not at random
    # (half the write's cost at 27k changed rows of 100k).
    _write_summaries(
        session,
        codec.raw,
        [(m[1], *summary_of(m[0], m[2], m[3]), m[4]) for m in sorted(moved, key=_due_order)],
        [(*summary_of(c[0], c[1], c[2]), c[3]) for c in sorted(changes, key=_due_order)],
        [(out(check), ticket_id) for check, ticket_id in sorted(checks)],
    )
    record_due_breaches(session, now)
    return len(changes) + len(moved)


# Share of the ticket table's rows above which SQLite's due-time indexes are dropped and rebuilt
# rather than edited row by row. A rebuild sorts every row of the table, closed ones too; edits in
# due order cost per changed row. 104.5k rows, 100k open, CPU s edited / rebuilt: 27k changed
# 1.80 / 2.30, 60k 2.73 / 2.75 (2026-12-03; a fixed 20k had rebuilt the 27k case).
REBUILD_INDEXES_SHARE = 0.6
_SUMMARY = ("next_due_at", "next_due_metric", "next_risk_at", "due_sort_at", "breach_check_at")


def _write_summaries(
    session: Session,
    raw: bool,
    moved: list[tuple[Any, ...]],
    changes: list[tuple[Any, ...]],
    checks: list[tuple[Any, ...]],
) -> None:
    """Three executemany: tickets that change policy, tickets whose due times only move, and tickets
    whose breach check only comes back to their first due time.

    ``policy_id`` is set only where it changes: with foreign keys on, SQLite checks the parent row
    for every row that assigns it, which more than doubled a 60k-row re-apply. SQLite gets a larger
    page cache for the write (each changed row moves in nine indexes, at random places in those not
    ordered by due time), then its own.
    """
    if not moved and not changes and not checks:
        return
    if raw:
        connection = session.connection()
        cache = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        if len(moved) + len(changes) > 5000:
            connection.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MiB at most, only while writing
        # Most of the table changed: the indexes on due_sort_at are dropped and built again in this
        # transaction (one sort of every row beats the edits then; readers see neither).
        rebuilt: list[str] = []
        rows = connection.exec_driver_sql("SELECT max(rowid) FROM ticket").scalar() or 0  # one probe, not a count
        if len(moved) + len(changes) > REBUILD_INDEXES_SHARE * rows:
            rebuilt = [
                row[1]
                for row in connection.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ticket' "
                    "AND sql LIKE '%due_sort_at%'"
                )
            ]
            for name in [
                row[0]
                for row in connection.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ticket' "
                    "AND sql LIKE '%due_sort_at%'"
                )
            ]:
                connection.exec_driver_sql(f'DROP INDEX "{name}"')
        try:
            sets = ", ".join(f"{name} = ?" for name in _SUMMARY)
            if moved:
                connection.exec_driver_sql(f"UPDATE ticket SET policy_id = ?, {sets} WHERE id = ?", moved)
            if changes:
                connection.exec_driver_sql(f"UPDATE ticket SET {sets} WHERE id = ?", changes)
            if checks:
                connection.exec_driver_sql("UPDATE ticket SET breach_check_at = ? WHERE id = ?", checks)
            for sql in rebuilt:
                connection.exec_driver_sql(sql)
        finally:
            connection.exec_driver_sql(f"PRAGMA cache_size={int(cache or -2000)}")
        return
    table = table_of(Ticket)
    for names, rows in ((("policy_id", *_SUMMARY), moved), (_SUMMARY, changes), (("breach_check_at",), checks)):
        if rows:
            session.execute(
                update(table).where(table.c.id == bindparam("b_id")).values({n: bindparam(n) for n in names}),
                [dict(zip((*names, "b_id"), row, strict=True)) for row in rows],
                execution_options={"synchronize_session": False},
            )


# --- policies --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyView:
    id: int
    name: str
    position: int
    active: bool
    match_priority: str
    match_channel: str
    match_category: str
    match_tier: str
    first_response_minutes: int | None
    next_response_minutes: int | None
    resolution_minutes: int | None
    business_hours: bool
    calendar: str | None
    pause_statuses: str
    problem: str | None = None  # why the engine skips it (a bad row from an older version)

    def match_text(self) -> str:
        parts = [
            f"{name}={value}"
            for name, value in (
                ("priority", self.match_priority),
                ("channel", self.match_channel),
                ("category", self.match_category),
                ("tier", self.match_tier),
            )
            if value
        ]
        return " ".join(parts) or _("any ticket")


def _calendar_names(session: Session) -> dict[int, str]:
    return {row.id: row.name for row in session.execute(select(CalendarRow)).scalars() if row.id is not None}


def list_policies(session: Session) -> list[PolicyView]:
    from dtc_tui.services.tickets.sla_policies import load_calendars, policy_from_row

    names = _calendar_names(session)
    rows = list(session.execute(select(SlaPolicy).order_by(col(SlaPolicy.position), col(SlaPolicy.id))).scalars())
    calendars = load_calendars(session, {r.calendar_id for r in rows if r.business_hours and r.calendar_id})
    result = []
    for row in rows:
        policy, notes = policy_from_row(row, calendars)
        result.append(
            PolicyView(
                id=row.id or 0,
                name=row.name,
                position=row.position,
                active=row.active,
                match_priority=row.match_priority,
                match_channel=row.match_channel,
                match_category=row.match_category,
                match_tier=row.match_tier,
                first_response_minutes=row.first_response_minutes,
                next_response_minutes=row.next_response_minutes,
                resolution_minutes=row.resolution_minutes,
                business_hours=row.business_hours,
                calendar=names.get(row.calendar_id) if row.calendar_id else None,
                pause_statuses=row.pause_statuses,
                problem=notes[0] if policy is None and notes else None,
            )
        )
    return result


def find_policy(session: Session, ref: str | int) -> SlaPolicy | None:
    if isinstance(ref, int) or str(ref).isdigit():
        found = session.get(SlaPolicy, int(ref))
        if found is not None:
            return found
    return session.execute(select(SlaPolicy).where(col(SlaPolicy.name) == str(ref))).scalars().first()


def find_calendar(session: Session, ref: str | int) -> CalendarRow | None:
    if isinstance(ref, int) or str(ref).isdigit():
        found = session.get(CalendarRow, int(ref))
        if found is not None:
            return found
    return session.execute(select(CalendarRow).where(col(CalendarRow.name) == str(ref))).scalars().first()


def _calendar_has_hours(session: Session, calendar_id: int | None) -> bool | None:
    if calendar_id is None:
        return None
    row = session.get(CalendarRow, calendar_id)
    if row is None:
        return None
    return any(check_weekly_json(row.weekly_hours, merge=True).week.values())


def save_policy(
    session: Session, name: str, changes: dict[str, Any], *, actor: str, now: datetime, create: bool = True
) -> PolicyView:
    """Create the policy ``name`` or change the given fields of it; validated, audited, re-applied.

    ``changes`` may name the calendar as ``calendar`` (name or id) instead of ``calendar_id``.
    """
    changes = dict(changes)
    if "calendar" in changes:
        ref = changes.pop("calendar")
        if ref in (None, ""):
            changes["calendar_id"] = None
        else:
            calendar = find_calendar(session, ref)
            if calendar is None:
                raise SlaSettingError([("calendar_id", _("no calendar {name!r}").format(name=ref))])
            changes["calendar_id"] = calendar.id
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise SlaSettingError([(name, _("not a policy field")) for name in sorted(unknown)])
    row = find_policy(session, name)
    if row is None:
        if not create:
            raise SlaSettingError([("name", _("no policy {name!r}").format(name=name))])
        last = session.execute(select(func.max(SlaPolicy.position))).scalar()
        row = SlaPolicy(name=name, position=(last + 1) if last is not None else 0)
        before: dict[str, Any] = {}
        action = "create"
    else:
        before = {f: getattr(row, f) for f in POLICY_FIELDS}
        action = "update"
    values = {**{f: getattr(row, f) for f in POLICY_FIELDS}, **changes}
    if "name" in changes and changes["name"] != row.name:
        other = find_policy(session, str(changes["name"]))
        if other is not None and other.id != row.id:
            raise SlaSettingError(
                [("name", _("another policy is already called {name!r}").format(name=changes["name"]))]
            )
    require(policy_problems(values, calendar_has_hours=_calendar_has_hours(session, values.get("calendar_id"))))
    for key, value in changes.items():
        setattr(row, key, value)
    session.add(row)
    session.flush()
    after = {f: getattr(row, f) for f in POLICY_FIELDS}
    audit.record(
        session,
        actor=actor,
        now=now,
        entity="sla_policy",
        entity_id=row.id,
        action=action,
        before={k: v for k, v in before.items() if after.get(k) != v} if before else None,
        after={k: v for k, v in after.items() if before.get(k) != v} if before else after,
    )
    reapply(session, now)
    return next(p for p in list_policies(session) if p.id == row.id)


def move_policy(session: Session, name: str, position: int, *, actor: str, now: datetime) -> list[PolicyView]:
    """Put a policy at ``position`` (0 = checked first); the others keep their order, renumbered."""
    row = find_policy(session, name)
    if row is None:
        raise SlaSettingError([("name", _("no policy {name!r}").format(name=name))])
    rows = [
        r for r in session.execute(select(SlaPolicy).order_by(col(SlaPolicy.position), col(SlaPolicy.id))).scalars()
    ]
    old_order = [r.name for r in rows]
    rows.remove(row)
    rows.insert(max(0, min(position, len(rows))), row)
    for index, policy in enumerate(rows):
        policy.position = index
        session.add(policy)
    session.flush()
    audit.record(
        session,
        actor=actor,
        now=now,
        entity="sla_policy",
        entity_id=row.id,
        action="reorder",
        before={"order": old_order},
        after={"order": [r.name for r in rows]},
    )
    reapply(session, now)
    return list_policies(session)


# --- calendars -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarView:
    id: int
    name: str
    timezone: str
    weekly_text: str
    week_minutes: float
    holidays: list[tuple[date, str]] = field(default_factory=list)
    problem: str | None = None
    notes: list[str] = field(default_factory=list)
    used_by: list[str] = field(default_factory=list)


def list_calendars(session: Session) -> list[CalendarView]:
    from dtc_tui.services.tickets.sla_validation import week_minutes

    holidays: dict[int, list[tuple[date, str]]] = {}
    for h in session.execute(select(Holiday).order_by(col(Holiday.day))).scalars():
        holidays.setdefault(h.calendar_id, []).append((h.day, h.name))
    users: dict[int, list[str]] = {}
    for p in session.execute(select(SlaPolicy).order_by(col(SlaPolicy.position))).scalars():
        if p.calendar_id is not None and p.business_hours:
            users.setdefault(p.calendar_id, []).append(p.name)
    result = []
    for row in session.execute(select(CalendarRow).order_by(col(CalendarRow.name))).scalars():
        checked = check_weekly_json(row.weekly_hours, merge=True)
        problems = [message for _f, message in calendar_problems({"timezone": row.timezone})] + checked.errors
        result.append(
            CalendarView(
                id=row.id or 0,
                name=row.name,
                timezone=row.timezone,
                weekly_text=week_to_text(checked.week),
                week_minutes=week_minutes(checked.week),
                holidays=holidays.get(row.id or 0, []),
                problem="; ".join(problems) or None,
                notes=checked.notes,
                used_by=users.get(row.id or 0, []),
            )
        )
    return result


def save_calendar(
    session: Session,
    name: str,
    *,
    actor: str,
    now: datetime,
    timezone: str | None = None,
    weekly_text: str | None = None,
    weekly_json: str | None = None,
    new_name: str | None = None,
) -> CalendarView:
    """Create or change a calendar (hours as text ``mon-fri 09:00-17:00`` or the stored JSON)."""
    row = find_calendar(session, name)
    before = {"name": row.name, "timezone": row.timezone, "weekly_hours": row.weekly_hours} if row else {}
    if row is None:
        row = CalendarRow(name=name, timezone=timezone or "UTC")
    problems: list[tuple[str, str]] = []
    if weekly_text is not None:
        checked = check_weekly_text(weekly_text)
        problems += [("weekly_hours", message) for message in checked.errors]
        weekly_json = week_to_json(checked.week)
    elif weekly_json is not None:
        checked = check_weekly_json(weekly_json)
        problems += [("weekly_hours", message) for message in checked.errors]
        if not checked.errors:
            weekly_json = week_to_json(checked.week)
    values = {
        "name": new_name if new_name is not None else row.name,
        "timezone": timezone if timezone is not None else row.timezone,
    }
    problems += calendar_problems(values)
    if new_name is not None and new_name != row.name:
        other = find_calendar(session, new_name)
        if other is not None and other.id != row.id:
            problems.append(("name", f"another calendar is already called {new_name!r}"))
    if weekly_json is not None and not problems and not any(check_weekly_json(weekly_json).week.values()):
        used = [
            p.name
            for p in session.execute(select(SlaPolicy).where(col(SlaPolicy.calendar_id) == row.id)).scalars()
            if row.id is not None and p.business_hours
        ]
        if used:
            problems.append(("weekly_hours", f"no opening hours, but {', '.join(used)} count business hours on it"))
    require(problems)
    row.name = values["name"]
    row.timezone = values["timezone"]
    if weekly_json is not None:
        row.weekly_hours = weekly_json
    session.add(row)
    session.flush()
    after = {"name": row.name, "timezone": row.timezone, "weekly_hours": row.weekly_hours}
    audit.record(
        session,
        actor=actor,
        now=now,
        entity="business_calendar",
        entity_id=row.id,
        action="update" if before else "create",
        before={k: v for k, v in before.items() if after[k] != v} if before else None,
        after={k: v for k, v in after.items() if before.get(k) != v},
    )
    reapply(session, now)
    return next(c for c in list_calendars(session) if c.id == row.id)


def _calendar_or_fail(session: Session, name: str) -> CalendarRow:
    row = find_calendar(session, name)
    if row is None:
        raise SlaSettingError([("calendar", _("no calendar {name!r}").format(name=name))])
    return row


def add_holidays(
    session: Session, calendar: str, days: list[tuple[date, str]], *, actor: str, now: datetime
) -> list[date]:
    """Add days off to a calendar (a day it already has keeps its name); returns the days added."""
    row = _calendar_or_fail(session, calendar)
    known = {h.day for h in session.execute(select(Holiday).where(col(Holiday.calendar_id) == row.id)).scalars()}
    added = []
    for day, label in sorted(days):
        if day in known:
            continue
        session.add(Holiday(calendar_id=row.id or 0, day=day, name=label[:80]))
        known.add(day)
        added.append(day)
    session.flush()
    if added:
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="business_calendar",
            entity_id=row.id,
            action="holidays_add",
            after={"days": [d.isoformat() for d in added]},
        )
        reapply(session, now)
    return added


def remove_holidays(session: Session, calendar: str, days: list[date], *, actor: str, now: datetime) -> list[date]:
    row = _calendar_or_fail(session, calendar)
    removed = []
    for holiday in session.execute(
        select(Holiday).where(col(Holiday.calendar_id) == row.id, col(Holiday.day).in_(days))
    ).scalars():
        removed.append(holiday.day)
        session.delete(holiday)
    session.flush()
    if removed:
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="business_calendar",
            entity_id=row.id,
            action="holidays_remove",
            before={"days": sorted(d.isoformat() for d in removed)},
        )
        reapply(session, now)
    return sorted(removed)


def country_holidays(country: str, year: int, subdivision: str | None = None) -> list[tuple[date, str]]:
    """Public holidays of a country (ISO code, e.g. DE, US) and year, from the ``holidays`` package."""
    import holidays as holiday_data

    try:
        found = holiday_data.country_holidays(country.upper(), subdiv=subdivision or None, years=year)
    except NotImplementedError as exc:
        raise SlaSettingError([("country", _("no holiday data for {country!r}").format(country=country))]) from exc
    except Exception as exc:  # the package raises its own error types for a bad subdivision
        raise SlaSettingError([("subdivision", str(exc))]) from exc
    return sorted((day, str(label)) for day, label in found.items())


# --- explaining and trying -------------------------------------------------------------------


@dataclass(frozen=True)
class ClockExplanation:
    metric: str
    target_minutes: int
    started_at: datetime
    stopped_at: datetime | None
    due_at: datetime | None
    state: str
    counted_minutes: float
    paused_minutes: float
    paused_since: datetime | None
    clock: str  # "calendar hours" or "business hours (<calendar>, <zone>)"


@dataclass
class Explanation:
    ticket_id: int
    priority: str
    channel: str
    category: str
    tier: str
    status: str
    policy: str | None
    why: list[str] = field(default_factory=list)
    clocks: list[ClockExplanation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _match_reason(rule: str, value: str, label: str) -> tuple[bool, str]:
    """``label`` is already in the language spoken (``priority`` / ``优先级``)."""
    if not rule.strip():
        return True, _("{field} any").format(field=label)
    ok = value.lower() in {part.strip().lower() for part in rule.split(",")}
    said = _("{field} {value!r} in {rule!r}") if ok else _("{field} {value!r} not in {rule!r}")
    return ok, said.format(field=label, value=value, rule=rule)


def explain(session: Session, ticket_id: int, now: datetime) -> Explanation | None:
    """Which policy a ticket gets and why, and for each clock: start, pauses, time counted, due."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        return None
    ctx = SlaContext(session)
    tier = ctx.tier_of(ticket.customer_id)
    policy = ctx.current_policy(ticket)
    result = Explanation(
        ticket.id or 0,
        ticket.priority,
        ticket.channel,
        ticket.category,
        tier,
        ticket.status,
        policy.name if policy else None,
        warnings=list(ctx.warnings),
    )
    if ticket.policy_id and policy is not None and policy.id == ticket.policy_id and not ticket.is_open:
        result.why.append(_("solved under {name!r}, which it keeps").format(name=policy.name))
    for candidate in ctx.policies:
        reasons = [
            _match_reason(candidate.match_priority, ticket.priority, _("priority")),
            _match_reason(candidate.match_channel, ticket.channel, _("channel")),
            _match_reason(candidate.match_category, ticket.category, _("category")),
            _match_reason(candidate.match_tier, tier, _("tier")),
        ]
        ok = all(r[0] for r in reasons)
        text = ", ".join(r[1] for r in reasons)
        said = _("MATCH {name}: {reasons}") if ok else _("no    {name}: {reasons}")
        result.why.append(said.format(name=candidate.name, reasons=text))
        if ok:
            break
    if policy is None:
        return result
    calendar: BusinessCalendar | None = policy.clock()
    label = _("business hours ({zone})").format(zone=calendar.timezone) if calendar else _("calendar hours")
    for clock in ctx.clocks(ticket, now):
        is_resolution = clock.metric == "resolution"
        result.clocks.append(
            ClockExplanation(
                metric=clock.metric,
                target_minutes=clock.target_minutes,
                started_at=clock.started_at,
                stopped_at=clock.stopped_at,
                due_at=clock.due_at,
                state=clock.state,
                counted_minutes=clock.elapsed_minutes,
                paused_minutes=ticket.paused_minutes if is_resolution else 0.0,
                paused_since=ticket.paused_since if is_resolution else None,
                clock=label,
            )
        )
    return result


def try_policy(session: Session, policy_ref: str | int, start: datetime) -> list[tuple[str, int, datetime]]:
    """The due times a policy gives a ticket created at ``start`` (nothing paused, nobody replies)."""
    from dtc_tui.services.tickets.business_hours import add_minutes
    from dtc_tui.services.tickets.sla_policies import load_calendars, policy_from_row

    row = find_policy(session, policy_ref)
    if row is None:
        raise SlaSettingError([("policy", _("no policy {name!r}").format(name=policy_ref))])
    policy, notes = policy_from_row(row, load_calendars(session, {row.calendar_id} if row.calendar_id else set()))
    if policy is None:
        raise SlaSettingError([("policy", "; ".join(notes))])
    result = []
    for metric, target in (
        ("first_response", policy.first_response_minutes),
        ("next_response", policy.next_response_minutes),
        ("resolution", policy.resolution_minutes),
    ):
        if target:
            try:
                result.append((metric, target, add_minutes(policy.clock(), start, target)))
            except CalendarError as exc:
                raise SlaSettingError([("calendar_id", str(exc))]) from exc
    return result


def calendar_json_example() -> str:
    return json.dumps({"mon": [["09:00", "12:30"], ["13:30", "18:00"]]})
