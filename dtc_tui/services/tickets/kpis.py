"""Support KPIs for a period, overall and by agent, channel or category, beside their targets.

Definitions (chosen where the issue is silent; all on calendar time):
- first-response SLA %: of tickets created in the period whose first-response clock has ended
  (answered) or breached, the share with no first-response breach.
- next-response SLA %: 1 - next-response breaches / reply cycles (agent replies after the first).
- resolution SLA %: of tickets solved in the period, the share with no resolution breach.
- first response median / p90: minutes from creation to the first reply, tickets created in period.
- resolution rate: of tickets created in the period, the share solved by now (target >= 85%).
- FSR (first-contact resolution): of tickets solved in the period, the share solved with one reply.
- CSAT: average score (1-5) and share of 4-5 scores over rated tickets solved in the period.
- breach rate: of tickets created in the period, the share with any breach (target < 5%).
- backlog: open tickets now, their median and oldest age.
- warning (domain.md): first response got >= 20% faster while CSAT fell >= 15% vs the previous
  period of the same length: speed alone is not quality.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, case, cast, func, literal, select
from sqlmodel import Session, col

from dtc_tui.clock import as_utc
from dtc_tui.i18n import N_, _
from dtc_tui.models import Person, SlaBreach, Ticket
from dtc_tui.models.base import table_of
from dtc_tui.models.rollups import COUNT_FIELDS
from dtc_tui.services.common import localefmt, periods, settings
from dtc_tui.services.tickets import rollups

GROUPS = ("agent", "channel", "category")


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    value: float | None
    target: float | None
    unit: str  # "%", "min", "h", "/5", ""
    higher_is_better: bool = True

    @property
    def ok(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    def text(self) -> str:
        if self.value is None:
            return "-"
        if self.unit == "%":
            return f"{self.value * 100:.1f}%"
        if self.unit == "min":
            return _minutes(self.value)
        if self.unit == "/5":
            return f"{self.value:.2f}/5"
        return f"{self.value:,.0f}"

    def target_text(self) -> str:
        if self.target is None:
            return ""
        sign = ">=" if self.higher_is_better else "<="
        if self.unit == "%":
            return f"{sign} {self.target * 100:.0f}%"
        if self.unit == "min":
            return f"{sign} {_minutes(self.target)}"
        if self.unit == "/5":
            return f"{sign} {self.target:.1f}/5"
        return f"{sign} {self.target:g}"


def _minutes(value: float) -> str:
    if value >= 60:
        return f"{int(value // 60)}h{int(value % 60):02d}m"
    return f"{value:.0f}m"


@dataclass
class KpiSet:
    tickets_created: int
    tickets_solved: int
    kpis: list[Kpi]

    def get(self, key: str) -> Kpi:
        return next(k for k in self.kpis if k.key == key)


@dataclass
class KpiReport:
    start: datetime
    end: datetime
    overall: KpiSet
    previous: KpiSet
    groups: dict[str, dict[str, KpiSet]] = field(default_factory=dict)
    breaches_per_day: list[tuple[date, int]] = field(default_factory=list)
    backlog_open: int = 0
    backlog_median_age_hours: float | None = None
    backlog_oldest_age_hours: float | None = None
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        def kpiset(s: KpiSet) -> dict[str, object]:
            return {
                "tickets_created": s.tickets_created,
                "tickets_solved": s.tickets_solved,
                "kpis": {
                    k.key: {"label": k.label, "value": k.value, "target": k.target, "ok": k.ok, "text": k.text()}
                    for k in s.kpis
                },
            }

        return {
            "start": self.start,
            "end": self.end,
            "overall": kpiset(self.overall),
            "previous": kpiset(self.previous),
            "groups": {g: {name: kpiset(s) for name, s in sets.items()} for g, sets in self.groups.items()},
            "breaches_per_day": [(d.isoformat(), n) for d, n in self.breaches_per_day],
            "backlog": {
                "open": self.backlog_open,
                "median_age_hours": self.backlog_median_age_hours,
                "oldest_age_hours": self.backlog_oldest_age_hours,
            },
            "warnings": self.warnings,
        }


# --- counting in SQL ----------------------------------------------------------------------------
# Every KPI is a count, a sum or a percentile over the tickets created or solved in a period, so
# the database does the work and only a few numbers per group come back (the first version read
# every ticket of both periods into Python: 19 s and 500 MB at 1M tickets). Tickets are counted
# per (agent, channel, category) at once; a group's or the whole period's figures are sums of
# those cells.

DIMENSIONS = ("agent", "channel", "category")


@dataclass
class _Counts:
    created: int = 0
    answered: int = 0  # created, first reply sent
    cycles: int = 0  # agent replies after the first, created tickets
    resolved: int = 0  # created and solved by now
    fr_breached: int = 0  # created with a first-response breach
    fr_breached_unanswered: int = 0  # ... and no first reply yet
    nr_breached: int = 0  # created with a next-response breach
    breached: int = 0  # created with any breach
    solved: int = 0
    solved_one_reply: int = 0
    res_breached: int = 0  # solved with a resolution breach
    rated: int = 0
    csat_sum: int = 0
    satisfied: int = 0  # csat >= 4

    def add(self, other: _Counts, sign: int = 1) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + sign * getattr(other, name))


Cells = dict[tuple[str, str, str], _Counts]


def _dimension_columns(t: Any) -> dict[str, Any]:
    return {
        "agent": func.coalesce(func.nullif(Person.handle, ""), "unassigned"),
        "channel": t.channel,
        "category": t.category,
    }


def _cells(session: Session, start: datetime, end: datetime, dimensions: tuple[str, ...]) -> Cells:
    """Counts per combination of ``dimensions`` (the others are ""), for tickets of [start, end):
    whole days from the daily roll-ups, the partial days at the edges from the rows."""
    span = rollups.plan(session, start, end)
    cells: Cells = defaultdict(_Counts)
    if span.has_days:
        assert span.first_day is not None and span.end_day is not None
        for row in rollups.day_cells(session, span.first_day, span.end_day, dimensions):
            cell = cells[(row[0], row[1], row[2])]
            for name, value in zip(COUNT_FIELDS, row[3:], strict=True):
                setattr(cell, name, getattr(cell, name) + int(value or 0))
    for part_start, part_end in span.partial:
        for key, counts in _row_cells(session, part_start, part_end, dimensions).items():
            cells[key].add(counts)
    for part_start, part_end in span.minus:  # read with an edge day's roll-up: taken out again
        for key, counts in _row_cells(session, part_start, part_end, dimensions).items():
            cells[key].add(counts, -1)
            if not any(vars(cells[key]).values()):
                del cells[key]  # only rows outside the period: no group, as the rows alone give
    return cells


def _row_cells(session: Session, start: datetime, end: datetime, dimensions: tuple[str, ...]) -> Cells:
    """``_cells`` from the ticket rows alone (partial days; the tests' reference for whole periods)."""
    t = table_of(Ticket).c
    b = table_of(SlaBreach).c
    columns = _dimension_columns(t)
    keys = [columns[d] if d in dimensions else literal("") for d in DIMENSIONS]
    cells: Cells = defaultdict(_Counts)

    def grouped(source: Any, *aggregates: Any) -> Any:
        stmt = select(*[k.label(f"k{i}") for i, k in enumerate(keys)], *aggregates).select_from(source)
        if "agent" in dimensions:  # the join costs a lookup per ticket: only when grouping by agent
            stmt = stmt.outerjoin(Person, col(Person.id) == t.assignee_id)
        return stmt

    def run(stmt: Any, fields: tuple[str, ...]) -> None:
        stmt = stmt.group_by(*[k for k, d in zip(keys, DIMENSIONS, strict=True) if d in dimensions])
        for row in session.execute(stmt):
            cell = cells[(row[0], row[1], row[2])]
            for name, value in zip(fields, row[3:], strict=True):
                setattr(cell, name, int(value or 0))

    created = (t.created_at >= start) & (t.created_at < end)
    solved = (t.solved_at >= start) & (t.solved_at < end)
    run(
        grouped(
            Ticket,
            func.count(),
            func.count(t.first_response_at),
            func.sum(case((t.agent_replies > 1, t.agent_replies - 1), else_=0)),
            func.count(t.solved_at),
        ).where(created),
        ("created", "answered", "cycles", "resolved"),
    )
    # Breach flags per ticket from the breach side: a clock is due at or after its ticket's creation,
    # so the breaches of tickets created since ``start`` are all due since then (an index range).
    flags = (
        select(
            b.ticket_id,
            func.max(case((b.metric == "first_response", 1), else_=0)).label("fr"),
            func.max(case((b.metric == "next_response", 1), else_=0)).label("nr"),
        )
        .where(b.due_at >= start)
        .group_by(b.ticket_id)
        .subquery()
    )
    run(
        grouped(
            flags.join(Ticket, t.id == flags.c.ticket_id),
            func.sum(flags.c.fr),
            func.sum(case(((flags.c.fr == 1) & t.first_response_at.is_(None), 1), else_=0)),
            func.sum(flags.c.nr),
            func.count(),
        ).where(created),
        ("fr_breached", "fr_breached_unanswered", "nr_breached", "breached"),
    )
    resolution_breached = select(b.id).where(b.ticket_id == t.id, b.metric == "resolution").exists()
    run(
        grouped(
            Ticket,
            func.count(),
            func.sum(case((t.agent_replies <= 1, 1), else_=0)),
            func.count(t.csat),
            func.sum(t.csat),
            func.sum(case((t.csat >= 4, 1), else_=0)),
            func.sum(case((resolution_breached, 1), else_=0)),
        ).where(solved),
        ("solved", "solved_one_reply", "rated", "csat_sum", "satisfied", "res_breached"),
    )
    return cells


def _rollup(cells: Cells, dimension: str | None) -> dict[str, _Counts]:
    """Sum the cells per value of one dimension (None: everything into "")."""
    totals: dict[str, _Counts] = defaultdict(_Counts)
    for key, counts in cells.items():
        totals[key[DIMENSIONS.index(dimension)] if dimension else ""].add(counts)
    return totals


def _frt_percentiles(
    session: Session, start: datetime, end: datetime, dimension: str | None, pcts: tuple[float, ...] = (0.5, 0.9)
) -> dict[str, dict[float, float]]:
    """Percentiles of minutes to the first reply per group, from the first-response histograms:
    whole days from the roll-ups, partial days bucketed from the rows (within one bucket of exact:
    a minute below 10 hours; ``models/rollups.py``)."""
    t = table_of(Ticket).c
    span = rollups.plan(session, start, end)
    histograms: dict[str, rollups.Histogram] = {}
    if span.has_days:
        assert span.first_day is not None and span.end_day is not None
        rollups.merge(histograms, rollups.day_histograms(session, span.first_day, span.end_day, dimension))
    key = _dimension_columns(t)[dimension] if dimension else literal("")
    for part_start, part_end in span.partial:
        rollups.merge(
            histograms,
            rollups.row_histograms(session, part_start, part_end, dimension, key, join_person=dimension == "agent"),
        )
    for part_start, part_end in span.minus:
        rollups.merge(
            histograms,
            rollups.row_histograms(session, part_start, part_end, dimension, key, join_person=dimension == "agent"),
            sign=-1,
        )
    result: dict[str, dict[float, float]] = {}
    for group, histogram in histograms.items():
        values = {pct: rollups.percentile(histogram, pct) for pct in pcts}
        if all(v is not None for v in values.values()):
            result[group] = {pct: float(v) for pct, v in values.items() if v is not None}
    return result


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _kpis(c: _Counts, frt: dict[float, float] | None, targets: dict[str, float]) -> KpiSet:
    fr_ended = c.answered + c.fr_breached_unanswered
    cycles = max(c.cycles, c.nr_breached)
    frt = frt or {}
    kpis = [
        Kpi("fr_sla", N_("First-response SLA"), _ratio(fr_ended - c.fr_breached, fr_ended), 1 - targets["breach"], "%"),
        Kpi("nr_sla", N_("Next-response SLA"), _ratio(cycles - c.nr_breached, cycles), 1 - targets["breach"], "%"),
        Kpi("res_sla", N_("Resolution SLA"), _ratio(c.solved - c.res_breached, c.solved), 1 - targets["breach"], "%"),
        Kpi(
            "frt_median",
            N_("First response median"),
            frt.get(0.5),
            targets["frt_minutes"],
            "min",
            higher_is_better=False,
        ),
        Kpi(
            "frt_p90", N_("First response p90"), frt.get(0.9), targets["ceiling_minutes"], "min", higher_is_better=False
        ),
        Kpi("resolution_rate", N_("Resolution rate"), _ratio(c.resolved, c.created), targets["resolution"], "%"),
        Kpi("fsr", N_("First-contact resolution"), _ratio(c.solved_one_reply, c.solved), targets["fsr"], "%"),
        Kpi("csat", N_("CSAT"), c.csat_sum / c.rated if c.rated else None, targets["csat"], "/5"),
        Kpi("csat_satisfied", N_("CSAT satisfied (4-5)"), _ratio(c.satisfied, c.rated), targets["csat_satisfied"], "%"),
        Kpi(
            "breach_rate",
            N_("Breach rate"),
            _ratio(c.breached, c.created),
            targets["breach"],
            "%",
            higher_is_better=False,
        ),
    ]
    return KpiSet(c.created, c.solved, kpis)


def period_kpis(session: Session, *, start: datetime, end: datetime) -> KpiSet:
    """The whole team's KPIs for tickets created or solved in [start, end) (the overview's headlines)."""
    counts = _rollup(_cells(session, start, end, ()), None).get("", _Counts())
    return _kpis(counts, _frt_percentiles(session, start, end, None).get(""), _targets(session))


def _targets(session: Session) -> dict[str, float]:
    return {
        "breach": float(settings.get(session, "kpi.breach_rate_target")),
        "frt_minutes": float(settings.get(session, "sla.first_response_hours")) * 60,
        "ceiling_minutes": float(settings.get(session, "sla.ceiling_hours")) * 60,
        "resolution": float(settings.get(session, "kpi.resolution_rate_target")),
        "fsr": float(settings.get(session, "kpi.fsr_target")),
        "csat": float(settings.get(session, "kpi.csat_target")),
        "csat_satisfied": float(settings.get(session, "kpi.csat_satisfied_target")),
    }


HEADLINE_PERIOD = "7d"  # the overview's "... 7d" headlines: the KPI screen's and `sla report`'s default period


def report_window(text: str, now: datetime) -> tuple[datetime, datetime]:
    """The (start, end) a KPI report covers for a period typed as text (``services.common.periods``).

    Whole days count in calendar days with today included: ``7d`` is today and the 6 days before it,
    from midnight (UTC); ``today`` is since midnight. A shorter duration (``12h``) is that long before
    now; a day or a range ends at its last day's end or now, whichever comes first.
    """
    period = periods.parse_period(text, now)
    days = period.whole_days()
    if days is not None:
        start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return start, now
    return period.start, min(period.end, now) if period.start < now else period.end


def report(
    session: Session, *, start: datetime, end: datetime, now: datetime, group_by: tuple[str, ...] = GROUPS
) -> KpiReport:
    length = end - start
    prev_start = start - length
    targets = _targets(session)
    dimensions = tuple(d for d in DIMENSIONS if d in group_by)
    current, before = _cells(session, start, end, dimensions), _cells(session, prev_start, start, dimensions)
    overall = _kpis(
        _rollup(current, None).get("", _Counts()), _frt_percentiles(session, start, end, None).get(""), targets
    )
    previous = _kpis(
        _rollup(before, None).get("", _Counts()), _frt_percentiles(session, prev_start, start, None).get(""), targets
    )
    result = KpiReport(start=start, end=end, overall=overall, previous=previous)
    for group in group_by:
        sums, earlier = _rollup(current, group), _rollup(before, group)
        frt = _frt_percentiles(session, start, end, group)
        # A group with tickets only in the previous period is listed too (with empty figures).
        result.groups[group] = {
            name: _kpis(sums.get(name, _Counts()), frt.get(name), targets) for name in sorted(set(sums) | set(earlier))
        }
    result.breaches_per_day = _breaches_per_day(session, start, end)
    _backlog(session, now, result)
    result.warnings = quality_warnings(session, overall, previous)
    return result


def _breaches_per_day(session: Session, start: datetime, end: datetime) -> list[tuple[date, int]]:
    span = rollups.plan(session, start, end)
    per_day: dict[date, int] = {}
    if span.has_days:
        assert span.first_day is not None and span.end_day is not None
        per_day.update(rollups.breaches_per_day(session, span.first_day, span.end_day))
    b = table_of(SlaBreach).c
    day = func.date(b.due_at) if session.get_bind().dialect.name == "sqlite" else cast(b.due_at, Date)
    for part_start, part_end in span.partial:
        for value, count in session.execute(
            select(day, func.count()).where(b.due_at >= part_start, b.due_at < part_end).group_by(day)
        ):
            key = value if isinstance(value, date) else date.fromisoformat(value)
            per_day[key] = per_day.get(key, 0) + int(count)
    for part_start, part_end in span.minus:
        for value, count in session.execute(
            select(day, func.count()).where(b.due_at >= part_start, b.due_at < part_end).group_by(day)
        ):
            key = value if isinstance(value, date) else date.fromisoformat(value)
            per_day[key] = per_day.get(key, 0) - int(count)
    # A bar per calendar day the period touches: partial first and last days (a start at 14:00, today)
    # get theirs. (Counting whole 24-hour spans from the start left out today for a mid-day start.)
    first, last = start.date(), max((end - timedelta(microseconds=1)).date(), start.date())
    return [
        (first + timedelta(days=i), per_day.get(first + timedelta(days=i), 0)) for i in range((last - first).days + 1)
    ]


def _backlog(session: Session, now: datetime, result: KpiReport) -> None:
    """Open tickets now, their median and oldest age (the median from the one or two middle rows)."""
    t = table_of(Ticket).c
    opened = select(t.created_at).where(t.is_open.is_(True))
    count = int(session.execute(select(func.count()).select_from(opened.subquery())).scalar_one())
    result.backlog_open = count
    if not count:
        return
    middle = [
        created
        for (created,) in session.execute(
            opened.order_by(t.created_at.desc()).offset((count - 1) // 2).limit(2 - count % 2)
        )
    ]
    ages = [(now - created).total_seconds() / 3600 for created in middle]
    result.backlog_median_age_hours = statistics.fmean(ages) if len(ages) == 2 else ages[0]
    oldest = session.execute(select(func.min(t.created_at)).where(t.is_open.is_(True))).scalar_one()
    result.backlog_oldest_age_hours = (now - as_utc(oldest)).total_seconds() / 3600


def quality_warnings(session: Session, current: KpiSet, previous: KpiSet) -> list[str]:
    speed_gain = float(settings.get(session, "kpi.speed_gain_warning"))
    csat_drop = float(settings.get(session, "kpi.csat_drop_warning"))
    warnings = []
    cur_frt, prev_frt = current.get("frt_median").value, previous.get("frt_median").value
    cur_csat, prev_csat = current.get("csat").value, previous.get("csat").value
    if cur_frt is not None and prev_frt and cur_csat is not None and prev_csat:
        faster = (prev_frt - cur_frt) / prev_frt
        fell = (prev_csat - cur_csat) / prev_csat
        if faster >= speed_gain and fell >= csat_drop:
            warnings.append(
                _(
                    "First response is {faster} faster but CSAT fell {fell} ({before} -> {after}): "
                    "speed alone is not quality"
                ).format(
                    faster=localefmt.percent(faster, 0),
                    fell=localefmt.percent(fell, 0),
                    before=localefmt.number(prev_csat, 2),
                    after=localefmt.number(cur_csat, 2),
                )
            )
    return warnings
