"""Loading SLA policies and calendars from the database, and writing a ticket's SLA summary.

The arithmetic lives in ``sla`` and ``business_hours``; this module only connects it to rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, literal
from sqlmodel import Session, col, select

from dtc_tui.models import BusinessCalendar as CalendarRow
from dtc_tui.models import Customer, Holiday, SlaBreach, SlaPolicy, Ticket
from dtc_tui.models.base import UTCDateTime
from dtc_tui.services.common import settings
from dtc_tui.services.tickets.business_hours import BusinessCalendar
from dtc_tui.services.tickets.sla import Clock, Policy, TicketTimes, clocks, next_due, select_policy


def load_calendars(session: Session) -> dict[int, BusinessCalendar]:
    holidays: dict[int, set] = {}
    for row in session.exec(select(Holiday)):
        holidays.setdefault(row.calendar_id, set()).add(row.day)
    return {
        row.id: BusinessCalendar.from_json(row.timezone, row.weekly_hours, holidays.get(row.id or 0))
        for row in session.exec(select(CalendarRow))
        if row.id is not None
    }


def load_policies(session: Session) -> list[Policy]:
    calendars = load_calendars(session)
    rows = session.exec(
        select(SlaPolicy).where(col(SlaPolicy.active)).order_by(col(SlaPolicy.position), col(SlaPolicy.id))
    )
    return [
        Policy(
            id=row.id,
            name=row.name,
            first_response_minutes=row.first_response_minutes,
            next_response_minutes=row.next_response_minutes,
            resolution_minutes=row.resolution_minutes,
            business_hours=row.business_hours,
            calendar=calendars.get(row.calendar_id) if row.calendar_id else None,
            match_priority=row.match_priority,
            match_channel=row.match_channel,
            match_category=row.match_category,
            match_tier=row.match_tier,
        )
        for row in rows
    ]


class SlaContext:
    """Policies and settings loaded once for a batch of tickets (one write, a tick, the demo)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.policies = load_policies(session)
        self.by_id = {p.id: p for p in self.policies}
        self.at_risk_fraction = float(settings.get(session, "sla.at_risk_fraction"))
        self._tiers: dict[int, str] = {}

    def tier_of(self, customer_id: int | None) -> str:
        if customer_id is None:
            return "standard"
        if customer_id not in self._tiers:
            customer = self.session.get(Customer, customer_id)
            self._tiers[customer_id] = customer.tier if customer else "standard"
        return self._tiers[customer_id]

    def policy_for(self, ticket: Ticket, *, reselect: bool = True) -> Policy | None:
        if not reselect and ticket.policy_id in self.by_id:
            return self.by_id[ticket.policy_id]
        return select_policy(
            self.policies,
            priority=ticket.priority,
            channel=ticket.channel,
            category=ticket.category,
            tier=self.tier_of(ticket.customer_id),
        )

    def clocks(self, ticket: Ticket, now: datetime) -> list[Clock]:
        policy = self.by_id.get(ticket.policy_id) if ticket.policy_id else None
        return clocks(times_of(ticket), policy, now, at_risk_fraction=self.at_risk_fraction)

    def apply(self, ticket: Ticket, now: datetime) -> list[Clock]:
        """Re-select the policy (a policy change applies from this update) and store the summary."""
        policy = self.policy_for(ticket)
        ticket.policy_id = policy.id if policy else None
        ticket_clocks = clocks(times_of(ticket), policy, now, at_risk_fraction=self.at_risk_fraction)
        nd = next_due(ticket_clocks)
        ticket.next_due_at, ticket.next_due_metric, ticket.next_risk_at = nd.due_at, nd.metric, nd.risk_at
        ticket.due_sort_at = nd.sort_key
        for clock in ticket_clocks:
            if clock.state == "breached" and clock.due_at is not None and ticket.id is not None:
                record_breach(self.session, ticket.id, clock.metric, clock.due_at, now)
        return ticket_clocks


def times_of(ticket: Ticket) -> TicketTimes:
    return TicketTimes(
        created_at=ticket.created_at,
        status=ticket.status,
        first_response_at=ticket.first_response_at,
        awaiting_since=ticket.awaiting_since,
        solved_at=ticket.solved_at,
        paused_since=ticket.paused_since,
        paused_minutes=ticket.paused_minutes,
    )


def record_breach(session: Session, ticket_id: int, metric: str, due_at: datetime, now: datetime) -> bool:
    """Record a breach once per (ticket, metric, due time); returns True when it is new.

    ``due_at`` is the moment the breach happened, ``recorded_at`` when it was noticed.
    """
    exists = session.exec(
        select(SlaBreach.id).where(
            SlaBreach.ticket_id == ticket_id, SlaBreach.metric == metric, SlaBreach.due_at == due_at
        )
    ).first()
    if exists is not None:
        return False
    session.add(SlaBreach(ticket_id=ticket_id, metric=metric, due_at=due_at, recorded_at=now))
    return True


def record_due_breaches(session: Session, now: datetime) -> int:
    """The SLA tick's write side: record running clocks that passed their due time (one indexed query)."""
    breach = SlaBreach.__table__  # type: ignore[attr-defined]
    ticket = Ticket.__table__  # type: ignore[attr-defined]
    already = (
        select(breach.c.id)
        .where(
            breach.c.ticket_id == ticket.c.id,
            breach.c.metric == ticket.c.next_due_metric,
            breach.c.due_at == ticket.c.next_due_at,
        )
        .exists()
    )
    due = select(ticket.c.id, ticket.c.next_due_metric, ticket.c.next_due_at).where(
        ticket.c.is_open,
        ticket.c.due_sort_at <= literal(now, UTCDateTime),
        ticket.c.next_due_at.is_not(None),
        ~already,
    )
    rows = [{"ticket_id": r[0], "metric": r[1], "due_at": r[2], "recorded_at": now} for r in session.execute(due)]
    if rows:
        session.execute(insert(breach), rows)
    return len(rows)
