"""The first, all-Python version of ``dtc_tui.services.tickets.kpis.report``, kept as the reference
the SQL version is checked against (tests/test_performance_paths.py): it reads every ticket of
both periods and counts in Python, which is slow at scale but plainly right.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlmodel import Session

from dtc_tui.models import Person, SlaBreach, Ticket
from dtc_tui.services.tickets.kpis import GROUPS, Kpi, KpiReport, KpiSet, _targets, quality_warnings


@dataclass(frozen=True)
class _Row:
    id: int
    created_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    agent_replies: int
    csat: int | None
    agent: str
    channel: str
    category: str


def _rows(session: Session, start: datetime, end: datetime) -> list[_Row]:
    t = Ticket.__table__.c  # type: ignore[attr-defined]
    stmt = (
        select(
            t.id,
            t.created_at,
            t.first_response_at,
            t.solved_at,
            t.agent_replies,
            t.csat,
            Person.handle,
            t.channel,
            t.category,
        )
        .outerjoin(Person, Person.id == t.assignee_id)
        .where(or_((t.created_at >= start) & (t.created_at < end), (t.solved_at >= start) & (t.solved_at < end)))
    )
    return [_Row(r[0], r[1], r[2], r[3], r[4], r[5], r[6] or "unassigned", r[7], r[8]) for r in session.execute(stmt)]


def _breaches(session: Session, ids: list[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        for ticket_id, metric in session.execute(
            select(SlaBreach.ticket_id, SlaBreach.metric).where(SlaBreach.ticket_id.in_(chunk))
        ):  # type: ignore[attr-defined]
            found[ticket_id].add(metric)
    return found


def _percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _kpis(
    rows: list[_Row], breaches: dict[int, set[str]], start: datetime, end: datetime, targets: dict[str, float]
) -> KpiSet:
    created = [r for r in rows if start <= r.created_at < end]
    solved = [r for r in rows if r.solved_at is not None and start <= r.solved_at < end]
    fr_ended = [r for r in created if r.first_response_at is not None or "first_response" in breaches.get(r.id, ())]
    fr_met = sum(1 for r in fr_ended if "first_response" not in breaches.get(r.id, ()))
    cycles = sum(max(r.agent_replies - 1, 0) for r in created)
    nr_breaches = sum(1 for r in created if "next_response" in breaches.get(r.id, ()))
    cycles = max(cycles, nr_breaches)
    res_met = sum(1 for r in solved if "resolution" not in breaches.get(r.id, ()))
    frt = [(r.first_response_at - r.created_at).total_seconds() / 60 for r in created if r.first_response_at]
    rated = [r.csat for r in solved if r.csat is not None]
    kpis = [
        Kpi("fr_sla", "First-response SLA", _ratio(fr_met, len(fr_ended)), 1 - targets["breach"], "%"),
        Kpi("nr_sla", "Next-response SLA", _ratio(cycles - nr_breaches, cycles), 1 - targets["breach"], "%"),
        Kpi("res_sla", "Resolution SLA", _ratio(res_met, len(solved)), 1 - targets["breach"], "%"),
        Kpi(
            "frt_median",
            "First response median",
            statistics.median(frt) if frt else None,
            targets["frt_minutes"],
            "min",
            higher_is_better=False,
        ),
        Kpi(
            "frt_p90",
            "First response p90",
            _percentile(frt, 0.9),
            targets["ceiling_minutes"],
            "min",
            higher_is_better=False,
        ),
        Kpi(
            "resolution_rate",
            "Resolution rate",
            _ratio(sum(1 for r in created if r.solved_at), len(created)),
            targets["resolution"],
            "%",
        ),
        Kpi(
            "fsr",
            "First-contact resolution",
            _ratio(sum(1 for r in solved if r.agent_replies <= 1), len(solved)),
            targets["fsr"],
            "%",
        ),
        Kpi("csat", "CSAT", statistics.fmean(rated) if rated else None, targets["csat"], "/5"),
        Kpi(
            "csat_satisfied",
            "CSAT satisfied (4-5)",
            _ratio(sum(1 for c in rated if c >= 4), len(rated)),
            targets["csat_satisfied"],
            "%",
        ),
        Kpi(
            "breach_rate",
            "Breach rate",
            _ratio(sum(1 for r in created if breaches.get(r.id)), len(created)),
            targets["breach"],
            "%",
            higher_is_better=False,
        ),
    ]
    return KpiSet(len(created), len(solved), kpis)


def report(
    session: Session, *, start: datetime, end: datetime, now: datetime, group_by: tuple[str, ...] = GROUPS
) -> KpiReport:
    length = end - start
    prev_start = start - length
    rows = _rows(session, prev_start, end)
    breaches = _breaches(session, [r.id for r in rows])
    targets = _targets(session)
    overall = _kpis(rows, breaches, start, end, targets)
    previous = _kpis(rows, breaches, prev_start, start, targets)
    result = KpiReport(start=start, end=end, overall=overall, previous=previous)
    for group in group_by:
        buckets: dict[str, list[_Row]] = defaultdict(list)
        for row in rows:
            buckets[getattr(row, group)].append(row)
        result.groups[group] = {
            name: _kpis(members, breaches, start, end, targets) for name, members in sorted(buckets.items())
        }
    per_day: dict[date, int] = defaultdict(int)
    for (due_at,) in session.execute(
        select(SlaBreach.due_at).where(
            SlaBreach.due_at >= start,  # type: ignore[arg-type]
            SlaBreach.due_at < end,
        )
    ):
        per_day[due_at.date()] += 1
    day, bars = start.date(), []  # every calendar day from start's to the one holding end's last instant
    while datetime.combine(day, time.min, tzinfo=start.tzinfo) < end or not bars:
        bars.append((day, per_day.get(day, 0)))
        day += timedelta(days=1)
    result.breaches_per_day = bars
    ages = [
        (now - created).total_seconds() / 3600
        for (created,) in session.execute(select(Ticket.created_at).where(Ticket.is_open))
    ]  # type: ignore[arg-type]
    result.backlog_open = len(ages)
    result.backlog_median_age_hours = statistics.median(ages) if ages else None
    result.backlog_oldest_age_hours = max(ages) if ages else None
    result.warnings = quality_warnings(session, overall, previous)
    return result
