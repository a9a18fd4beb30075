"""Loading SLA policies and calendars from the database, and the rules a batch of tickets is
computed under (``SlaRules``).

Core queries on ``models/lite_tables``, so they run on a Session (every write, through
``sla_store.SlaContext``) and on a plain Connection alike (``sla check``, which does not load the
ORM). The arithmetic lives in ``sla`` and ``business_hours``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from dtc_tui.i18n import _
from dtc_tui.models.lite_tables import business_calendar, customer, holiday, sla_policy
from dtc_tui.services.common import settings
from dtc_tui.services.tickets.business_hours import BusinessCalendar, CalendarError
from dtc_tui.services.tickets.sla import Clock, Policy, TicketTimes, clocks, select_policy
from dtc_tui.services.tickets.sla_validation import TARGETS, policy_problems

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlmodel import Session

    Executor = Session | Connection

log = logging.getLogger(__name__)


def load_calendars(session: Executor, ids: set[int] | None = None) -> dict[int, BusinessCalendar | str]:
    """Calendars by id, parsed one by one: a bad row gives its error text instead of raising.

    ``ids`` limits the work to the calendars some policy uses (None: all of them).
    """
    if ids is not None and not ids:
        return {}
    cal, hol = business_calendar.c, holiday.c
    query = select(cal.id, cal.name, cal.timezone, cal.weekly_hours)
    holiday_query = select(hol.calendar_id, hol.day)
    if ids is not None:
        query = query.where(cal.id.in_(sorted(ids)))
        holiday_query = holiday_query.where(hol.calendar_id.in_(sorted(ids)))
    holidays: dict[int, set] = {}
    for calendar_id, day in session.execute(holiday_query):
        holidays.setdefault(calendar_id, set()).add(day)
    result: dict[int, BusinessCalendar | str] = {}
    for row in session.execute(query):
        if row.id is None:
            continue
        try:
            result[row.id] = BusinessCalendar.from_json(row.timezone, row.weekly_hours, holidays.get(row.id))
        except CalendarError as exc:
            result[row.id] = _("calendar {name!r}: {problem}").format(name=row.name, problem=exc)
    return result


def policy_from_row(row: Any, calendars: dict[int, BusinessCalendar | str]) -> tuple[Policy | None, list[str]]:
    """The engine's Policy for a row (an ``SlaPolicy`` or a row with its columns), or None and
    why (a row an older version let in)."""
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


def load_policies(session: Executor, warnings: list[str] | None = None) -> list[Policy]:
    """Active policies in order. Only the calendars they use are parsed; a policy whose row is bad
    is left out (tickets fall through to the next matching policy) and ``warnings`` says why."""
    p = sla_policy.c
    rows = list(session.execute(select(sla_policy).where(p.active.is_(True)).order_by(p.position, p.id)))
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


def times_of(ticket: Any) -> TicketTimes:
    """A ticket's clock times, from a ``Ticket`` or a row with its columns."""
    return TicketTimes(
        created_at=ticket.created_at,
        status=ticket.status,
        first_response_at=ticket.first_response_at,
        awaiting_since=ticket.awaiting_since,
        solved_at=ticket.solved_at,
        paused_since=ticket.paused_since,
        paused_minutes=ticket.paused_minutes,
    )


class SlaRules:
    """Policies and settings loaded once for a batch of tickets; reads only, so it runs on a Core
    connection too. ``sla_store.SlaContext`` adds the writes (a ticket's stored summary)."""

    def __init__(self, session: Executor) -> None:
        self.warnings: list[str] = []
        self.policies = load_policies(session, self.warnings)
        self.by_id = {p.id: p for p in self.policies}
        self.at_risk_fraction = float(settings.get(session, "sla.at_risk_fraction"))
        self._executor = session
        self._tiers: dict[int, str] = {}

    def tier_of(self, customer_id: int | None) -> str:
        if customer_id is None:
            return "standard"
        if customer_id not in self._tiers:
            found = self._read_tier(customer_id)
            self._tiers[customer_id] = found if found is not None else "standard"
        return self._tiers[customer_id]

    def _read_tier(self, customer_id: int) -> str | None:
        return self._executor.execute(select(customer.c.tier).where(customer.c.id == customer_id)).scalar()

    def policy_for(self, ticket: Any, *, reselect: bool = True) -> Policy | None:
        if not reselect and ticket.policy_id in self.by_id:
            return self.by_id[ticket.policy_id]
        return select_policy(
            self.policies,
            priority=ticket.priority,
            channel=ticket.channel,
            category=ticket.category,
            tier=self.tier_of(ticket.customer_id),
        )

    def current_policy(self, ticket: Any) -> Policy | None:
        """The ticket's stored policy while it is active and valid, else the one it matches now
        (a deactivated or skipped policy hands its tickets to the next match, never to none)."""
        return self.policy_for(ticket, reselect=False)

    def clocks(self, ticket: Any, now: datetime) -> list[Clock]:
        return clocks(times_of(ticket), self.current_policy(ticket), now, at_risk_fraction=self.at_risk_fraction)
