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

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlmodel import Session

from dtc_tui.models import Person, SlaBreach, Ticket
from dtc_tui.services import settings

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
            return {"tickets_created": s.tickets_created, "tickets_solved": s.tickets_solved,
                    "kpis": {k.key: {"label": k.label, "value": k.value, "target": k.target, "ok": k.ok,
                                     "text": k.text()} for k in s.kpis}}

        return {"start": self.start, "end": self.end, "overall": kpiset(self.overall),
                "previous": kpiset(self.previous),
                "groups": {g: {name: kpiset(s) for name, s in sets.items()} for g, sets in self.groups.items()},
                "breaches_per_day": [(d.isoformat(), n) for d, n in self.breaches_per_day],
                "backlog": {"open": self.backlog_open, "median_age_hours": self.backlog_median_age_hours,
                            "oldest_age_hours": self.backlog_oldest_age_hours},
                "warnings": self.warnings}


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
    stmt = (select(t.id, t.created_at, t.first_response_at, t.solved_at, t.agent_replies, t.csat, Person.handle,
                   t.channel, t.category)
            .outerjoin(Person, Person.id == t.assignee_id)
            .where(or_((t.created_at >= start) & (t.created_at < end), (t.solved_at >= start) & (t.solved_at < end))))
    return [_Row(r[0], r[1], r[2], r[3], r[4], r[5], r[6] or "unassigned", r[7], r[8]) for r in session.execute(stmt)]


def _breaches(session: Session, ids: list[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        for ticket_id, metric in session.execute(
                select(SlaBreach.ticket_id, SlaBreach.metric).where(SlaBreach.ticket_id.in_(chunk))):  # type: ignore[attr-defined]
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


def _kpis(rows: list[_Row], breaches: dict[int, set[str]], start: datetime, end: datetime,
          targets: dict[str, float]) -> KpiSet:
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
        Kpi("frt_median", "First response median", statistics.median(frt) if frt else None,
            targets["frt_minutes"], "min", higher_is_better=False),
        Kpi("frt_p90", "First response p90", _percentile(frt, 0.9), targets["ceiling_minutes"], "min",
            higher_is_better=False),
        Kpi("resolution_rate", "Resolution rate", _ratio(sum(1 for r in created if r.solved_at), len(created)),
            targets["resolution"], "%"),
        Kpi("fsr", "First-contact resolution", _ratio(sum(1 for r in solved if r.agent_replies <= 1), len(solved)),
            targets["fsr"], "%"),
        Kpi("csat", "CSAT", statistics.fmean(rated) if rated else None, targets["csat"], "/5"),
        Kpi("csat_satisfied", "CSAT satisfied (4-5)", _ratio(sum(1 for c in rated if c >= 4), len(rated)),
            targets["csat_satisfied"], "%"),
        Kpi("breach_rate", "Breach rate", _ratio(sum(1 for r in created if breaches.get(r.id)), len(created)),
            targets["breach"], "%", higher_is_better=False),
    ]
    return KpiSet(len(created), len(solved), kpis)


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


def report(session: Session, *, start: datetime, end: datetime, now: datetime,
           group_by: tuple[str, ...] = GROUPS) -> KpiReport:
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
        result.groups[group] = {name: _kpis(members, breaches, start, end, targets)
                                for name, members in sorted(buckets.items())}
    per_day: dict[date, int] = defaultdict(int)
    for (due_at,) in session.execute(select(SlaBreach.due_at).where(SlaBreach.due_at >= start,  # type: ignore[arg-type]
                                                                     SlaBreach.due_at < end)):
        per_day[due_at.date()] += 1
    days = max(math.ceil(length / timedelta(days=1)), 1)  # a partial last day (today) gets its bar
    result.breaches_per_day = [((start + timedelta(days=i)).date(), per_day.get((start + timedelta(days=i)).date(), 0))
                               for i in range(days)]
    ages = [(now - created).total_seconds() / 3600 for (created,) in session.execute(
        select(Ticket.created_at).where(Ticket.is_open))]  # type: ignore[arg-type]
    result.backlog_open = len(ages)
    result.backlog_median_age_hours = statistics.median(ages) if ages else None
    result.backlog_oldest_age_hours = max(ages) if ages else None
    result.warnings = quality_warnings(session, overall, previous)
    return result


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
            warnings.append(f"First response is {faster:.0%} faster but CSAT fell {fell:.0%} "
                            f"({prev_csat:.2f} -> {cur_csat:.2f}): speed alone is not quality")
    return warnings
