"""Recording the SLA breaches that came due: what ``sla check``, ``check`` and the app's tick write.

Core statements on ``models/lite_tables``: they run in an ORM write session (the app) and on a
plain Connection (``sla check``, which loads neither the ORM nor the table models).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, literal, select, update
from sqlalchemy.engine import Connection

from dtc_tui.models import ticket_search
from dtc_tui.models.lite_tables import sla_breach, ticket
from dtc_tui.models.types import UTCDateTime
from dtc_tui.services.tickets.sla import FAR_FUTURE, next_breach_check
from dtc_tui.services.tickets.sla_policies import SlaRules

if TYPE_CHECKING:
    from sqlmodel import Session

    Executor = Session | Connection

CHUNK = 500
# What a ticket's clocks are computed from (``sla_policies.times_of`` and the policy choice).
_CLOCK_COLUMNS = (
    "id",
    "created_at",
    "status",
    "first_response_at",
    "awaiting_since",
    "solved_at",
    "paused_since",
    "paused_minutes",
    "policy_id",
    "priority",
    "channel",
    "category",
    "customer_id",
)


def _connection(session: Executor) -> Connection:
    return session if isinstance(session, Connection) else session.connection()


def _due_breaches(now: datetime) -> Any:
    b, t = sla_breach.c, ticket.c
    already = select(b.id).where(b.ticket_id == t.id, b.metric == t.next_due_metric, b.due_at == t.next_due_at).exists()
    return select(t.id, t.next_due_metric, t.next_due_at).where(
        t.is_open,
        t.due_sort_at <= literal(now, UTCDateTime),
        t.next_due_at.is_not(None),
        ~already,
    )


def record_due_breaches(session: Executor, now: datetime) -> int:
    """Record the breach of each open ticket's earliest clock (its stored summary) that passed its
    due time: what ``sla_admin.reapply`` runs after moving due times. The periodic checks (the
    app's tick, ``sla check``, ``check``) run ``record_every_breach``, which also records the
    clocks behind the earliest and costs what came due, not every breached ticket kept open.

    One ``INSERT ... SELECT``: the rows never come to Python (after a re-apply that moved due times
    at 100k open tickets they were thousands, ~0.3 s of converting each time there and back)."""
    due = _due_breaches(now).add_columns(literal(now, UTCDateTime))
    b = sla_breach.c
    into = insert(sla_breach).from_select([b.ticket_id, b.metric, b.due_at, b.recorded_at], due)
    # an INSERT's rowcount is kept only when asked for (SQLAlchemy reads it for UPDATE and DELETE)
    result = session.execute(into, execution_options={"preserve_rowcount": True})
    return int(result.rowcount)  # type: ignore[attr-defined]


def breach_check_due(session: Executor, now: datetime) -> list[int]:
    """The open tickets that can have a breach not recorded yet: their check time has passed, or
    it is unknown (NULL: a row written before it existed) and their first clock is due. Two range
    reads of ``ix_ticket_open_check``: as cheap at 1M tickets as at 1k when nothing came due."""
    t = ticket.c
    at = literal(now, UTCDateTime)
    passed = select(t.id).where(t.is_open, t.breach_check_at <= at)
    unknown = select(t.id).where(t.is_open, t.breach_check_at.is_(None), t.due_sort_at <= at)
    return [row[0] for query in (passed, unknown) for row in session.execute(query)]


def record_every_breach(session: Executor, now: datetime) -> int:
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
    ticket_search.fold_stale(_connection(session))
    due_ids = breach_check_due(session, now)
    if not due_ids:
        return 0
    recorded = 0
    rules = SlaRules(session)
    b, t = sla_breach.c, ticket.c
    columns = [t[name] for name in _CLOCK_COLUMNS]
    for start in range(0, len(due_ids), CHUNK):
        chunk = due_ids[start : start + CHUNK]
        known = {
            tuple(r) for r in session.execute(select(b.ticket_id, b.metric, b.due_at).where(b.ticket_id.in_(chunk)))
        }
        rows = []
        checks = []
        for row in session.execute(select(*columns).where(t.id.in_(chunk))):
            ticket_clocks = rules.clocks(row, now)
            for clock in ticket_clocks:
                key = (row.id, clock.metric, clock.due_at)
                if clock.state == "breached" and clock.due_at is not None and key not in known:
                    known.add(key)
                    rows.append(
                        {"ticket_id": row.id, "metric": clock.metric, "due_at": clock.due_at, "recorded_at": now}
                    )
            # Nothing running (a summary that said otherwise): FAR_FUTURE too, so no ticket is computed
            # on every check; a write that starts a clock stores its check.
            checks.append({"b_id": row.id, "check": next_breach_check(ticket_clocks, now) or FAR_FUTURE})
        if rows:
            session.execute(insert(sla_breach), rows)
            recorded += len(rows)
        session.execute(
            update(ticket).where(t.id == bindparam("b_id")).values(breach_check_at=bindparam("check")), checks
        )
    return recorded
