"""Loading SLA policies and calendars from the database, and writing a ticket's SLA summary.

The arithmetic lives in ``sla`` and ``business_hours``; this module only connects it to rows.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, literal, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from dtc_tui.i18n import _
from dtc_tui.models import BusinessCalendar as CalendarRow
from dtc_tui.models import Customer, Holiday, SlaBreach, SlaPolicy, Ticket, ticket_search
from dtc_tui.models.base import UTCDateTime, table_of
from dtc_tui.services.common import settings
from dtc_tui.services.tickets.business_hours import BusinessCalendar, CalendarError
from dtc_tui.services.tickets.sla import (
    FAR_FUTURE,
    Clock,
    Policy,
    TicketTimes,
    clocks,
    next_breach_check,
    next_due,
    select_policy,
)
from dtc_tui.services.tickets.sla_validation import TARGETS, policy_problems

log = logging.getLogger(__name__)


def load_calendars(session: Session, ids: set[int] | None = None) -> dict[int, BusinessCalendar | str]:
    """Calendars by id, parsed one by one: a bad row gives its error text instead of raising.

    ``ids`` limits the work to the calendars some policy uses (None: all of them).
    """
    if ids is not None and not ids:
        return {}
    query = select(CalendarRow)
    holiday_query = select(Holiday)
    if ids is not None:
        query = query.where(col(CalendarRow.id).in_(sorted(ids)))
        holiday_query = holiday_query.where(col(Holiday.calendar_id).in_(sorted(ids)))
    holidays: dict[int, set] = {}
    for holiday in session.exec(holiday_query):
        holidays.setdefault(holiday.calendar_id, set()).add(holiday.day)
    result: dict[int, BusinessCalendar | str] = {}
    for row in session.exec(query):
        if row.id is None:
            continue
        try:
            result[row.id] = BusinessCalendar.from_json(row.timezone, row.weekly_hours, holidays.get(row.id))
        except CalendarError as exc:
            result[row.id] = _("calendar {name!r}: {problem}").format(name=row.name, problem=exc)
    return result


def policy_from_row(row: SlaPolicy, calendars: dict[int, BusinessCalendar | str]) -> tuple[Policy | None, list[str]]:
    """The engine's Policy for a row, or None and why (a row an older version let in)."""
    targets = {name: getattr(row, name) for name in TARGETS}
    problems = [message for _field, message in policy_problems(targets)]
    calendar: BusinessCalendar | None = None
    if row.business_hours:
        found = calendars.get(row.calendar_id) if row.calendar_id is not None else None
        if found is None:
            problems.append(_("business hours but no calendar"))
        elif isinstance(found, str):
            problems.append(found)
        elif not found.has_hours():
            problems.append(_("its calendar has no opening hours"))
        else:
            calendar = found
    if problems:
        return None, [
            _("SLA policy {name!r} is skipped: {problems}").format(name=row.name, problems="; ".join(problems))
        ]
    notes = [
        _("SLA policy {name!r}: {note}").format(name=row.name, note=note)
        for note in (calendar.notes if calendar else ())
    ]
    policy = Policy(
        id=row.id,
        name=row.name,
        first_response_minutes=row.first_response_minutes,
        next_response_minutes=row.next_response_minutes,
        resolution_minutes=row.resolution_minutes,
        business_hours=row.business_hours,
        calendar=calendar,
        match_priority=row.match_priority,
        match_channel=row.match_channel,
        match_category=row.match_category,
        match_tier=row.match_tier,
        pause_statuses=frozenset(part.strip() for part in (row.pause_statuses or "").split(",") if part.strip()),
    )
    return policy, notes


def load_policies(session: Session, warnings: list[str] | None = None) -> list[Policy]:
    """Active policies in order. Only the calendars they use are parsed; a policy whose row is bad
    is left out (tickets fall through to the next matching policy) and ``warnings`` says why."""
    rows = list(
        session.exec(
            select(SlaPolicy).where(col(SlaPolicy.active)).order_by(col(SlaPolicy.position), col(SlaPolicy.id))
        )
    )
    calendars = load_calendars(session, {r.calendar_id for r in rows if r.business_hours and r.calendar_id})
    policies: list[Policy] = []
    for row in rows:
        policy, notes = policy_from_row(row, calendars)
        for note in notes:
            log.warning(note)
            if warnings is not None:
                warnings.append(note)
        if policy is not None:
            policies.append(policy)
    return policies


class SlaContext:
    """Policies and settings loaded once for a batch of tickets (one write, a tick, the demo)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.warnings: list[str] = []
        self.policies = load_policies(session, self.warnings)
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

    def current_policy(self, ticket: Ticket) -> Policy | None:
        """The ticket's stored policy while it is active and valid, else the one it matches now
        (a deactivated or skipped policy hands its tickets to the next match, never to none)."""
        return self.policy_for(ticket, reselect=False)

    def clocks(self, ticket: Ticket, now: datetime) -> list[Clock]:
        return clocks(times_of(ticket), self.current_policy(ticket), now, at_risk_fraction=self.at_risk_fraction)

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


def _due_breaches(now: datetime) -> Any:
    breach = table_of(SlaBreach)
    ticket = table_of(Ticket)
    already = (
        select(breach.c.id)
        .where(
            breach.c.ticket_id == ticket.c.id,
            breach.c.metric == ticket.c.next_due_metric,
            breach.c.due_at == ticket.c.next_due_at,
        )
        .exists()
    )
    return select(ticket.c.id, ticket.c.next_due_metric, ticket.c.next_due_at).where(
        ticket.c.is_open,
        ticket.c.due_sort_at <= literal(now, UTCDateTime),
        ticket.c.next_due_at.is_not(None),
        ~already,
    )


def has_due_breaches(session: Session, now: datetime) -> bool:
    """Whether ``record_due_breaches`` has anything to write (a read, so read-only callers can skip the write)."""
    return session.execute(_due_breaches(now).limit(1)).first() is not None


def record_due_breaches(session: Session, now: datetime) -> int:
    """The SLA tick's write side: record running clocks that passed their due time.

    One ``INSERT ... SELECT``: the rows never come to Python (after a re-apply that moved due times
    at 100k open tickets they were thousands, ~0.3 s of converting each time there and back)."""
    due = _due_breaches(now).add_columns(literal(now, UTCDateTime))
    b = table_of(SlaBreach).c
    into = insert(table_of(SlaBreach)).from_select([b.ticket_id, b.metric, b.due_at, b.recorded_at], due)
    # an INSERT's rowcount is kept only when asked for (SQLAlchemy reads it for UPDATE and DELETE)
    result = session.execute(into, execution_options={"preserve_rowcount": True})
    return int(result.rowcount)  # type: ignore[attr-defined]


def breach_check_due(session: Session, now: datetime) -> list[int]:
    """The open tickets that can have a breach not recorded yet: their check time has passed, or
    it is unknown (NULL: a row written before it existed) and their first clock is due. Two range
    reads of ``ix_ticket_open_check``: as cheap at 1M tickets as at 1k when nothing came due."""
    t = table_of(Ticket).c
    at = literal(now, UTCDateTime)
    passed = core_select(t.id).where(t.is_open, t.breach_check_at <= at)
    unknown = core_select(t.id).where(t.is_open, t.breach_check_at.is_(None), t.due_sort_at <= at)
    return [row[0] for query in (passed, unknown) for row in session.execute(query)]


def record_every_breach(session: Session, now: datetime) -> int:
    """Record the breach of every clock past due on open tickets, not only the earliest one
    (a resolution breach behind a breached first response): what ``sla check`` and the app's
    30 s tick run.

    Only the tickets ``breach_check_due`` names are computed; each gets its next check stored
    (the earliest running clock due later, else FAR_FUTURE: nothing breaches before a write).
    Clocks that stopped late were recorded by the write that stopped them, and every write stores
    a check no later than the ticket's next breach (``SlaContext.apply``, ``sla_admin.reapply``).

    The same periodic write folds the tickets changed since into the queue's full-text index
    (SQLite; 5,000 at most, ``models/ticket_search.py``): searches are right without it, faster with it.
    """
    ticket_search.fold_stale(session.connection())
    due_ids = breach_check_due(session, now)
    if not due_ids:
        return 0
    recorded = 0
    ctx = SlaContext(session)
    table = table_of(Ticket)
    for start in range(0, len(due_ids), 500):
        chunk = due_ids[start : start + 500]
        known: set[tuple[int | None, str, datetime | None]] = {
            (t, m, d)
            for t, m, d in session.exec(
                select(SlaBreach.ticket_id, SlaBreach.metric, SlaBreach.due_at).where(
                    col(SlaBreach.ticket_id).in_(chunk)
                )
            )
        }
        rows = []
        checks = []
        for ticket in session.exec(select(Ticket).where(col(Ticket.id).in_(chunk))):
            ticket_clocks = ctx.clocks(ticket, now)
            for clock in ticket_clocks:
                key = (ticket.id, clock.metric, clock.due_at)
                if clock.state == "breached" and clock.due_at is not None and key not in known:
                    known.add(key)
                    rows.append(
                        {"ticket_id": ticket.id, "metric": clock.metric, "due_at": clock.due_at, "recorded_at": now}
                    )
            # Nothing running (a summary that said otherwise): FAR_FUTURE too, so no ticket is computed
            # on every check; a write that starts a clock stores its check.
            checks.append({"b_id": ticket.id, "check": next_breach_check(ticket_clocks, now) or FAR_FUTURE})
        if rows:
            session.execute(insert(table_of(SlaBreach)), rows)
            recorded += len(rows)
        session.execute(
            update(table).where(table.c.id == bindparam("b_id")).values(breach_check_at=bindparam("check")),
            checks,
            execution_options={"synchronize_session": False},
        )
    return recorded
