"""Writing a ticket's SLA summary and its breaches, through the ORM session of a write.

Loading policies and calendars (and the read-only rules) is in ``sla_policies``; recording the
breaches that came due is in ``sla_breaches``. The arithmetic lives in ``sla`` and
``business_hours``; this module only connects it to rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from dtc_tui.models import Customer, SlaBreach, Ticket
from dtc_tui.services.tickets.sla import Clock, clocks, next_breach_check, next_due
from dtc_tui.services.tickets.sla_policies import SlaRules, times_of


class SlaContext(SlaRules):
    """Policies and settings loaded once for a batch of tickets (one write, a tick, the demo)."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.session = session

    def _read_tier(self, customer_id: int) -> str | None:
        # Through the identity map, as a write's own objects are: a Core read would flush them first.
        found = self.session.get(Customer, customer_id)
        return found.tier if found else None

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
        # Its breaches up to now are recorded here, so the next check is its next future due time. A
        # row without an id (the importers) records them in bulk, or not at all (a native import
        # brings its own): its first due time, which is always safe (computed again once it passes).
        ticket.breach_check_at = next_breach_check(ticket_clocks, now) if ticket.id is not None else nd.due_at
        return ticket_clocks


def record_breach(session: Session, ticket_id: int, metric: str, due_at: datetime, now: datetime) -> bool:
    """Record a breach once per (ticket, metric, due time); returns True when it is new.

    ``due_at`` is the moment the breach happened, ``recorded_at`` when it was noticed.
    """
    if not session.autoflush and any(
        isinstance(row, SlaBreach) and (row.ticket_id, row.metric, row.due_at) == (ticket_id, metric, due_at)
        for row in session.new
    ):
        # Added earlier in this change and not flushed (the mail reader turns autoflush off): the
        # query below cannot see it, and a second row broke the unique key, losing the customer's mail.
        return False
    exists = session.exec(
        select(SlaBreach.id).where(
            SlaBreach.ticket_id == ticket_id, SlaBreach.metric == metric, SlaBreach.due_at == due_at
        )
    ).first()
    if exists is not None:
        return False
    session.add(SlaBreach(ticket_id=ticket_id, metric=metric, due_at=due_at, recorded_at=now))
    return True
