"""SLA engine: policies, clocks and their states. One place for every SLA rule.

Rules (Zendesk semantics where the issue is silent):
- Policies are ordered; the first active policy whose match fields all match wins. An empty
  match field matches anything; a field may list several values ("high,urgent").
- first response: from ticket creation to the first agent reply.
- next response: from the oldest unanswered customer message to the next agent reply; a new
  cycle starts each time the customer writes after an agent reply. The first cycle belongs to
  "first response", so next response runs only after the first reply.
- resolution: from creation to solved, minus the time spent in a status the policy pauses on
  (``pause_statuses``, by default pending = waiting on the customer and on hold) and minus the
  time a re-opened ticket spent solved (the clock resumes where it stopped). Reply clocks do NOT
  pause on pending: a pending ticket normally has no unanswered customer message, and if it has
  one, the customer is waiting.
- A ticket solved without any reply stops its first-response clock when it is solved.
- Targets are in calendar minutes or, per policy, business minutes on the policy's calendar;
  paused time is measured on the same clock.
- A clock is "at risk" when less than ``at_risk_fraction`` (default 25%) of its target is left,
  "breached" past its due time, "met" when stopped in time, "paused" while the ticket pauses.
- A policy or at-risk change is re-applied at once to every open ticket (``sla_admin.reapply``);
  a solved ticket keeps the policy it was solved under. A deactivated policy hands its open
  tickets to the next policy they match.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from dtc_tui.services.tickets.business_hours import BusinessCalendar, add_minutes, minutes_between

PAUSING_STATUSES = frozenset({"pending", "on_hold"})
CLOSED_STATUSES = frozenset({"solved", "closed"})
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Policy:
    id: int | None
    name: str
    first_response_minutes: int | None
    next_response_minutes: int | None
    resolution_minutes: int | None
    business_hours: bool = False
    calendar: BusinessCalendar | None = None
    match_priority: str = ""
    match_channel: str = ""
    match_category: str = ""
    match_tier: str = ""
    pause_statuses: frozenset[str] = PAUSING_STATUSES

    def clock(self) -> BusinessCalendar | None:
        return self.calendar if self.business_hours else None

    def matches(self, *, priority: str, channel: str, category: str, tier: str) -> bool:
        return all(
            _field_matches(rule, value)
            for rule, value in (
                (self.match_priority, priority),
                (self.match_channel, channel),
                (self.match_category, category),
                (self.match_tier, tier),
            )
        )


def _field_matches(rule: str, value: str) -> bool:
    if not rule.strip():
        return True
    return value.lower() in {part.strip().lower() for part in rule.split(",")}


def select_policy(policies: list[Policy], *, priority: str, channel: str, category: str, tier: str) -> Policy | None:
    """First match wins; ``policies`` must already be in their configured order."""
    for policy in policies:
        if policy.matches(priority=priority, channel=channel, category=category, tier=tier):
            return policy
    return None


@dataclass(frozen=True)
class TicketTimes:
    """The timestamps the clocks are computed from (all UTC-aware)."""

    created_at: datetime
    status: str
    first_response_at: datetime | None = None
    awaiting_since: datetime | None = None
    solved_at: datetime | None = None
    paused_since: datetime | None = None
    paused_minutes: float = 0.0


@dataclass(frozen=True)
class Clock:
    metric: str
    target_minutes: int
    started_at: datetime
    due_at: datetime | None  # None while paused
    risk_at: datetime | None
    stopped_at: datetime | None
    state: str  # ok, at_risk, breached, met, paused
    elapsed_minutes: float
    remaining_minutes: float  # on the policy's clock; negative once breached

    @property
    def running(self) -> bool:
        """Still counting (a stopped clock that was late is breached but no longer running)."""
        return self.stopped_at is None and self.state in {"ok", "at_risk", "breached"}


def _state(now: datetime, due: datetime, risk: datetime) -> str:
    if now >= due:
        return "breached"
    if now >= risk:
        return "at_risk"
    return "ok"


def _reply_clock(
    metric: str, target: int, start: datetime, stop: datetime | None, policy: Policy, now: datetime, fraction: float
) -> Clock:
    cal = policy.clock()
    due = add_minutes(cal, start, target)
    risk = add_minutes(cal, start, target * (1 - fraction))
    end = stop or now
    elapsed = max(minutes_between(cal, start, end), 0.0)
    if stop is not None:
        state = "met" if stop <= due else "breached"
    else:
        state = _state(now, due, risk)
    return Clock(metric, target, start, due, risk, stop, state, elapsed, target - elapsed)


def clocks(times: TicketTimes, policy: Policy | None, now: datetime, *, at_risk_fraction: float = 0.25) -> list[Clock]:
    """Every SLA clock of a ticket at ``now``."""
    if policy is None:
        return []
    result: list[Clock] = []
    closed = times.status in CLOSED_STATUSES
    if policy.first_response_minutes:
        result.append(
            _reply_clock(
                "first_response",
                policy.first_response_minutes,
                times.created_at,
                times.first_response_at or (times.solved_at if closed else None),
                policy,
                now,
                at_risk_fraction,
            )
        )
    if (
        policy.next_response_minutes
        and times.first_response_at is not None
        and times.awaiting_since is not None
        and not closed
    ):
        result.append(
            _reply_clock(
                "next_response", policy.next_response_minutes, times.awaiting_since, None, policy, now, at_risk_fraction
            )
        )
    if policy.resolution_minutes:
        result.append(_resolution_clock(times, policy, now, at_risk_fraction))
    return result


def _resolution_clock(times: TicketTimes, policy: Policy, now: datetime, fraction: float) -> Clock:
    cal = policy.clock()
    target = policy.resolution_minutes or 0
    paused = times.paused_minutes
    if times.solved_at is not None:
        elapsed = minutes_between(cal, times.created_at, times.solved_at) - paused
        due = add_minutes(cal, times.created_at, target + paused)
        state = "met" if elapsed <= target else "breached"
        return Clock(
            "resolution", target, times.created_at, due, None, times.solved_at, state, elapsed, target - elapsed
        )
    if times.paused_since is not None:
        elapsed = minutes_between(cal, times.created_at, times.paused_since) - paused
        return Clock(
            "resolution", target, times.created_at, None, None, None, "paused", max(elapsed, 0.0), target - elapsed
        )
    due = add_minutes(cal, times.created_at, target + paused)
    risk = add_minutes(cal, times.created_at, target * (1 - fraction) + paused)
    elapsed = minutes_between(cal, times.created_at, now) - paused
    return Clock(
        "resolution",
        target,
        times.created_at,
        due,
        risk,
        None,
        _state(now, due, risk),
        max(elapsed, 0.0),
        target - elapsed,
    )


@dataclass(frozen=True)
class NextDue:
    metric: str | None
    due_at: datetime | None
    risk_at: datetime | None

    @property
    def sort_key(self) -> datetime:
        return self.due_at or FAR_FUTURE


def next_due(ticket_clocks: list[Clock]) -> NextDue:
    """The running clock that is due first: what the queue sorts on."""
    running = [c for c in ticket_clocks if c.running and c.due_at is not None]
    if not running:
        return NextDue(None, None, None)
    first = min(running, key=lambda c: c.due_at or FAR_FUTURE)
    return NextDue(first.metric, first.due_at, first.risk_at)


class SummaryRule:
    """``next_due(clocks(...))`` of an open, unsolved ticket under one policy, on UTC microseconds
    since 1970: the same rule as above in the form the bulk re-apply runs 100k times (2 s budget).

    No Clock objects and no datetimes: calendar hours add the target's exact microseconds (what
    ``datetime + timedelta(minutes=...)`` adds), business hours go through the calendar's cached
    walk; each target's span is worked out once, and the risk moment only for the clock shown.
    Which clocks run and which is shown are ``clocks`` and ``next_due``'s rules (tests compare them).
    """

    def __init__(self, policy: Policy, fraction: float) -> None:
        calendar = policy.clock()
        pairs = [
            (minutes, minutes * (1 - fraction)) if minutes else None
            for minutes in (policy.first_response_minutes, policy.next_response_minutes, policy.resolution_minutes)
        ]
        self.add: Callable[[int, float], int] = _wall_add if calendar is None else _business_add(calendar)
        # shift(t, span) is add(t, minutes) with the minutes turned into a span ahead of time
        self.shift: Callable[[int, Any], int]
        span: Callable[[float], Any]
        if calendar is None:
            self.shift, span = _wall_shift, _minutes_micros
        elif all(m > 0 for pair in pairs if pair for m in pair):
            self.shift, span = calendar.walk.add_span, _business_span
        else:  # a zero target (risk share 100%) means "next opening": no span for that, add the minutes
            self.shift, span = self.add, float
        self.minutes = pairs
        self.first, self.next, self.resolution = [(span(p[0]), span(p[1])) if p else None for p in pairs]

    def __call__(
        self, created: int, first: int | None, awaiting: int | None, paused_since: int | None, paused: float
    ) -> tuple[int | None, str | None, int | None]:
        """(due, metric, risk) of the running clock due first; ties go to the earlier metric, as in ``next_due``."""
        shift = self.shift
        due: int | None = None
        metric: str | None = None
        start, risk, move = 0, 0.0, shift  # the clock shown: its start, risk span (or minutes) and how to add it
        if self.first is not None and first is None:
            due, metric, start, risk = shift(created, self.first[0]), "first_response", created, self.first[1]
        if self.next is not None and first is not None and awaiting is not None:
            candidate = shift(awaiting, self.next[0])
            if due is None or candidate < due:
                due, metric, start, risk = candidate, "next_response", awaiting, self.next[1]
        if self.resolution is not None and paused_since is None:
            if paused:  # the target grows by the paused time: minutes, not a ready span
                minutes = self.minutes[2]
                assert minutes is not None
                candidate = self.add(created, minutes[0] + paused)
                if due is None or candidate < due:
                    due, metric, start, risk, move = candidate, "resolution", created, minutes[1] + paused, self.add
            else:
                candidate = shift(created, self.resolution[0])
                if due is None or candidate < due:
                    due, metric, start, risk = candidate, "resolution", created, self.resolution[1]
        if due is None:
            return None, None, None
        return due, metric, move(start, risk)


_MICRO = timedelta(microseconds=1)


@lru_cache(maxsize=4096)
def _minutes_micros(minutes: float) -> int:
    """What ``timedelta(minutes=...)`` holds, rounding included (targets repeat: cached)."""
    return timedelta(minutes=minutes) // _MICRO


def _wall_add(start: int, minutes: float) -> int:
    return start + _minutes_micros(minutes)


def _wall_shift(start: int, span: int) -> int:
    return start + span


def _business_span(minutes: float) -> int:
    """The business microseconds ``add_micros`` counts for ``minutes`` (> 0)."""
    return round(minutes * 60_000_000)


def _business_add(calendar: BusinessCalendar) -> Callable[[int, float], int]:
    add_span, add_micros = calendar.walk.add_span, calendar.walk.add_micros

    def add(start: int, minutes: float) -> int:
        return add_span(start, _business_span(minutes)) if minutes > 0 else add_micros(start, minutes)

    return add


def next_breach_check(ticket_clocks: list[Clock], now: datetime) -> datetime | None:
    """When a ticket whose breaches up to ``now`` are recorded can next breach without a write: the
    earliest running clock due after ``now`` (``Ticket.breach_check_at``). FAR_FUTURE when its
    running clocks are all past due, None when none runs (paused, solved: nothing comes due)."""
    later = [c.due_at for c in ticket_clocks if c.running and c.due_at is not None and c.due_at > now]
    if later:
        return min(later)
    return FAR_FUTURE if any(c.running and c.due_at is not None for c in ticket_clocks) else None


def paused_minutes_between(policy: Policy | None, start: datetime, end: datetime) -> float:
    """Paused time on the policy's own clock (business minutes for a business-hours policy)."""
    return max(minutes_between(policy.clock() if policy else None, start, end), 0.0)


def pausing_statuses(policy: Policy | None) -> frozenset[str]:
    return policy.pause_statuses if policy is not None else PAUSING_STATUSES


def calendar_pause_on_policy_clock(policy: Policy | None, start: datetime, end: datetime, minutes: float) -> float:
    """Calendar minutes of pause (what Zendesk exports) as minutes on the policy's clock.

    The export says how long, not when: the pause is taken as spread evenly over the ticket's
    life (``start`` to ``end``), so it counts the same share of business time as of wall time.
    """
    calendar = policy.clock() if policy else None
    if calendar is None or minutes <= 0:
        return max(minutes, 0.0)
    wall = (end - start).total_seconds() / 60
    if wall <= 0:
        return 0.0
    business = max(calendar.minutes_between(start, end), 0.0)
    return min(minutes, wall) * business / wall


def display_state(now: datetime, due_at: datetime | None, risk_at: datetime | None, status: str) -> str:
    """The queue's SLA state from the stored summary, computed at render time."""
    if due_at is None:
        if status in CLOSED_STATUSES:
            return "met"
        return "paused" if status in PAUSING_STATUSES else "none"
    if now >= due_at:
        return "breached"
    if risk_at is not None and now >= risk_at:
        return "at_risk"
    return "ok"


def format_remaining(now: datetime, due_at: datetime | None) -> str:
    """'2h14m', '-35m', '3d4h': wall-clock time to the due moment."""
    if due_at is None:
        return ""
    seconds = int((due_at - now).total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{sign}{days}d{hours}h"
    if hours:
        return f"{sign}{hours}h{minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m{secs:02d}s"
    return f"{sign}{secs}s"
