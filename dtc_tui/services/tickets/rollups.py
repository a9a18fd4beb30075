"""Reading the daily roll-ups (``models/rollups.py``) for a period, and rebuilding them.

A period [start, end) is read as its whole UTC days from the roll-ups and its partial days at
either edge (today since midnight, mostly) from the ticket rows, so a 7-day figure costs seven
days of roll-up rows plus today's tickets, whatever the history holds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Integer, cast, func, literal, select, text
from sqlmodel import Session, col

from dtc_tui.models import BreachDay, Person, TicketDay, TicketDayFrt, TicketSkuDay
from dtc_tui.models import rollups as model
from dtc_tui.models.base import table_of

Histogram = dict[int, int]  # bucket (lower bound, minutes) -> tickets


@dataclass(frozen=True)
class Split:
    """A period as whole days [first_day, end_day) and the partial ranges around them (read from
    the rows), less the ``minus`` ranges: the rows of an edge day that lie outside the period,
    taken out of that day's roll-up row (``plan``)."""

    first_day: date | None
    end_day: date | None
    partial: tuple[tuple[datetime, datetime], ...]
    minus: tuple[tuple[datetime, datetime], ...] = ()

    @property
    def has_days(self) -> bool:
        return self.first_day is not None and self.end_day is not None and self.first_day < self.end_day


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def split(start: datetime, end: datetime) -> Split:
    if end <= start:
        return Split(None, None, ())
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    first = start.date() if start == _midnight(start.date()) else start.date() + timedelta(days=1)
    last = end.date()  # whole days end at the midnight at or before ``end``
    if _midnight(first) >= _midnight(last):
        return Split(None, None, ((start, end),))
    partial = []
    if start < _midnight(first):
        partial.append((start, _midnight(first)))
    if _midnight(last) < end:
        partial.append((_midnight(last), end))
    return Split(first, last, tuple(partial))


EDGE_COUNT_CAP = 20_000  # rows counted per column when choosing how to read a period's partial day


def plan(session: Session, start: datetime, end: datetime) -> Split:
    """``split``, with a partial day at either edge read from the roll-ups as well when that reads
    fewer rows. A day's roll-up row is the rows of the whole day, so the rows of [midnight, end)
    are that row less the rows of [end, next midnight), and those of [start, next midnight) the
    row less the rows of [midnight, start) (``Split.minus``). For a period ending now, nothing lies
    after ``end`` (no ticket created or solved, no breach due) and today costs no ticket rows at
    all; a ticket solved with a time ahead of the clock costs only itself. When the rest of the
    day holds more rows than the part in the period, the part is read from the rows as ``split``
    does. A few index-only range counts, capped."""
    span = split(start, end)
    if not span.partial:
        return span
    first, last = span.first_day, span.end_day
    partial: list[tuple[datetime, datetime]] = []
    minus: list[tuple[datetime, datetime]] = []
    for low, high in span.partial:
        day = low.date()
        day_start = _midnight(day)
        day_end = day_start + timedelta(days=1)
        if high > day_end or (low != day_start and high != day_end):
            partial.append((low, high))  # across midnight, or inside one day: no day row fits it
            continue
        rest = (high, day_end) if low == day_start else (day_start, low)
        outside = _rows_in(session, *rest, EDGE_COUNT_CAP)
        if outside and _rows_in(session, low, high, outside + 1) <= outside:
            partial.append((low, high))
            continue
        first = day if first is None or day < first else first
        last = day + timedelta(days=1) if last is None or day >= last else last
        if outside:
            minus.append(rest)
    return Split(first, last, tuple(partial), tuple(minus))


def _rows_in(session: Session, start: datetime, end: datetime, cap: int) -> int:
    """Tickets created, tickets solved and breaches due in [start, end), each counted up to ``cap``
    (index ranges: the created, solved and due-at indexes)."""
    from dtc_tui.models import SlaBreach, Ticket

    t = table_of(Ticket).c
    b = table_of(SlaBreach).c
    total = 0
    for column in (t.created_at, t.solved_at, b.due_at):
        capped = select(literal(1)).where(column >= start, column < end).limit(cap).subquery()
        total += int(session.execute(select(func.count()).select_from(capped)).scalar_one())
    return total


def agent_key() -> Any:
    return func.coalesce(func.nullif(Person.handle, ""), "unassigned")


def day_cells(session: Session, first: date, end: date, dimensions: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """Per combination of ``dimensions`` (others ""), the summed roll-up counts of days [first, end).

    Rows are (agent, channel, category, *model.COUNT_FIELDS).
    """
    d = table_of(TicketDay).c
    columns = {"agent": agent_key(), "channel": d.channel, "category": d.category}
    keys = [columns[name] if name in dimensions else literal("") for name in ("agent", "channel", "category")]
    stmt = select(*keys, *[func.sum(d[name]) for name in model.COUNT_FIELDS]).where(d.day >= first, d.day < end)
    if "agent" in dimensions:
        stmt = stmt.select_from(TicketDay).outerjoin(Person, col(Person.id) == d.agent_id)
    grouped = [k for k, name in zip(keys, ("agent", "channel", "category"), strict=True) if name in dimensions]
    if grouped:
        stmt = stmt.group_by(*grouped)
    return [tuple(row) for row in session.execute(stmt)]


def day_histograms(session: Session, first: date, end: date, dimension: str | None) -> dict[str, Histogram]:
    f = table_of(TicketDayFrt).c
    columns = {"agent": agent_key(), "channel": f.channel, "category": f.category}
    key = columns[dimension] if dimension else literal("")
    stmt = select(key, f.bucket, func.sum(f.n)).where(f.day >= first, f.day < end)
    if dimension == "agent":
        stmt = stmt.select_from(TicketDayFrt).outerjoin(Person, col(Person.id) == f.agent_id)
    stmt = stmt.group_by(*([key] if dimension else []), f.bucket)
    result: dict[str, Histogram] = defaultdict(dict)
    for group, bucket, n in session.execute(stmt):
        if n:
            result[group][int(bucket)] = result[group].get(int(bucket), 0) + int(n)
    return result


def row_histograms(
    session: Session, start: datetime, end: datetime, dimension: str | None, key: Any, join_person: bool
) -> dict[str, Histogram]:
    """The same histogram from the ticket rows created in [start, end) (a partial day)."""
    from dtc_tui.models import Ticket

    t = table_of(Ticket).c
    dialect = session.get_bind().dialect.name
    minutes = model.minutes_sql(dialect, "ticket.first_response_at", "ticket.created_at")
    bucket = cast(text(model.bucket_sql(dialect, minutes)), Integer)
    group = key if dimension else literal("")
    stmt = select(group, bucket, func.count()).select_from(Ticket)
    if join_person:
        stmt = stmt.outerjoin(Person, col(Person.id) == t.assignee_id)
    stmt = stmt.where(t.created_at >= start, t.created_at < end, t.first_response_at.is_not(None)).group_by(
        *([group] if dimension else []), bucket
    )
    result: dict[str, Histogram] = defaultdict(dict)
    for g, b, n in session.execute(stmt):
        result[g][int(b)] = result[g].get(int(b), 0) + int(n)
    return result


def percentile(histogram: Histogram, pct: float) -> float | None:
    """The percentile (rank-interpolated, as statistics over sorted values) of a bucket histogram.

    The n values of a bucket [lo, lo + width) are taken as spread evenly over it, at
    lo + width * i / n: the result is within one bucket width of the exact figure (and exact for
    whole minutes below 10 hours, one value per bucket).
    """
    total = sum(histogram.values())
    if not total:
        return None
    k = (total - 1) * pct
    low = int(k)
    high = min(low + 1, total - 1)

    def value(rank: int) -> float:
        seen = 0
        for bucket in sorted(histogram):
            n = histogram[bucket]
            if rank < seen + n:
                return bucket + model.frt_bucket_width(bucket) * (rank - seen) / n
            seen += n
        raise AssertionError("rank beyond the histogram")

    lo_value = value(low)
    return lo_value + (value(high) - lo_value) * (k - low)


def merge(into: dict[str, Histogram], more: dict[str, Histogram], sign: int = 1) -> dict[str, Histogram]:
    """Add (``sign`` -1: take out) ``more``'s counts; a bucket or group left at 0 is dropped."""
    for group, histogram in more.items():
        target = into.setdefault(group, {})
        for bucket, n in histogram.items():
            total = target.get(bucket, 0) + sign * n
            if total:
                target[bucket] = total
            else:
                target.pop(bucket, None)
        if not target:
            del into[group]
    return into


def sku_counts(session: Session, first: date, end: date) -> dict[int, int]:
    s = table_of(TicketSkuDay).c
    rows = session.execute(select(s.sku_id, func.sum(s.n)).where(s.day >= first, s.day < end).group_by(s.sku_id))
    return {int(sku): int(n) for sku, n in rows if n}


def category_count(session: Session, category: str, first: date, end: date) -> int:
    d = table_of(TicketDay).c
    return int(
        session.execute(
            select(func.coalesce(func.sum(d.created), 0)).where(d.category == category, d.day >= first, d.day < end)
        ).scalar_one()
    )


def breaches_per_day(session: Session, first: date, end: date) -> dict[date, int]:
    b = table_of(BreachDay).c
    rows = session.execute(select(b.day, func.sum(b.n)).where(b.day >= first, b.day < end).group_by(b.day))
    return {day: int(n) for day, n in rows if n}


def rebuild(session: Session) -> dict[str, int]:
    """Empty the roll-ups and fill them from the rows; returns the rows written per table."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":  # a rebuild at 1M tickets may take minutes: no backstop
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
    for statement in model.rebuild_sql(connection.dialect.name):
        connection.exec_driver_sql(statement)
    return {
        table: int(connection.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar() or 0)
        for table in model.ROLLUP_TABLES
    }
