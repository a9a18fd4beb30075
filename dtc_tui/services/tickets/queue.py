"""The ticket queue as a windowed, SQL-sorted source: views, filters, sort and paging.

Sorting, filtering and paging run in SQL on the ``ix_ticket_open_due`` index; the screen
asks only for the rows it shows, and deep pages are found by keyset, not OFFSET. SLA state
is derived at render time from the stored ``next_due_at`` / ``next_risk_at`` (see
``sla.display_state``).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, case, func, literal, or_, select, tuple_
from sqlalchemy.orm import aliased

from dtc_tui import db
from dtc_tui.models import Customer, Person, Ticket
from dtc_tui.services.tickets.sla import PAUSING_STATUSES

VIEWS: dict[str, str] = {
    "all_open": "All open",
    "mine": "Mine",
    "unassigned": "Unassigned",
    "at_risk": "At risk",
    "breached": "Breached",
    "waiting": "Waiting on customer",
    "solved_today": "Solved today",
    "all": "All tickets",
}
SORTS: dict[str, str] = {"due": "time to breach", "created": "newest", "priority": "priority", "id": "id"}
PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}

# field:value terms the filter understands, with their aliases
FILTER_FIELDS = {
    "channel": "channel",
    "ch": "channel",
    "lang": "language",
    "language": "language",
    "prio": "priority",
    "priority": "priority",
    "status": "status",
    "st": "status",
    "cat": "category",
    "category": "category",
    "assignee": "assignee",
    "who": "assignee",
    "tag": "tag",
    "tags": "tag",
    "id": "id",
}


class FilterError(ValueError):
    pass


@dataclass(frozen=True)
class QueueFilter:
    terms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    text: str = ""

    @classmethod
    def parse(cls, raw: str) -> QueueFilter:
        """``channel:whatsapp lang:de prio:high,urgent refund`` -> terms and free text."""
        try:
            parts = shlex.split(raw)
        except ValueError:
            parts = raw.split()
        terms: dict[str, tuple[str, ...]] = {}
        words: list[str] = []
        for part in parts:
            name, sep, value = part.partition(":")
            if sep and name.lower() in FILTER_FIELDS and value:
                key = FILTER_FIELDS[name.lower()]
                terms[key] = terms.get(key, ()) + tuple(v.strip().lower() for v in value.split(",") if v.strip())
            elif sep and name and not value:
                raise FilterError(f"{name}: needs a value (e.g. {name}:something)")
            elif sep and name.lower() not in FILTER_FIELDS and name.isalpha():
                known = ", ".join(sorted({k for k in FILTER_FIELDS if len(k) > 2}))
                raise FilterError(f"unknown field {name!r}; use one of {known}")
            else:
                words.append(part)
        return cls(terms=terms, text=" ".join(words))

    def describe(self) -> str:
        parts = [f"{k}:{','.join(v)}" for k, v in self.terms.items()]
        if self.text:
            parts.append(repr(self.text))
        return " ".join(parts)


@dataclass(frozen=True)
class QueueRow:
    id: int
    priority: str
    channel: str
    language: str
    customer: str
    subject: str
    category: str
    assignee: str
    assignee_id: int | None
    status: str
    next_due_at: datetime | None
    next_risk_at: datetime | None
    next_due_metric: str | None
    created_at: datetime
    version: int


@dataclass(frozen=True)
class QueueQuery:
    view: str = "all_open"
    filter: QueueFilter = field(default_factory=QueueFilter)
    sort: str = "due"
    me: int | None = None  # the operator's person id, for "Mine"
    now: datetime | None = None
    today_start: datetime | None = None


_assignee = aliased(Person)


def _conditions(query: QueueQuery) -> list:
    t = Ticket.__table__.c  # type: ignore[attr-defined]
    now = query.now
    conds: list = []
    view = query.view
    if view not in VIEWS:
        raise FilterError(f"unknown view {view!r}; use one of {', '.join(VIEWS)}")
    if view not in ("solved_today", "all"):
        conds.append(t.is_open.is_(True))
    if view == "mine":
        conds.append(t.assignee_id == (query.me if query.me is not None else -1))
    elif view == "unassigned":
        conds.append(t.assignee_id.is_(None))
    elif view == "at_risk":
        conds += [t.next_risk_at <= now, t.next_due_at > now]
    elif view == "breached":
        conds.append(t.due_sort_at <= now)
    elif view == "waiting":
        conds.append(t.status.in_(sorted(PAUSING_STATUSES)))
    elif view == "solved_today":
        conds.append(t.solved_at >= (query.today_start or now))
    for key, values in query.filter.terms.items():
        if key == "assignee":
            if "none" in values or "-" in values:
                conds.append(t.assignee_id.is_(None))
            else:
                conds.append(t.assignee_id.in_(select(Person.id).where(func.lower(Person.handle).in_(values))))
        elif key == "tag":
            conds.append(or_(*[(" " + func.lower(t.tags) + " ").like(f"% {v} %") for v in values]))
        elif key == "id":
            ids = [int(v) for v in values if v.isdigit()]
            conds.append(t.id.in_(ids))
        else:
            # Channel, language, priority, status and category are stored lower-case (the app's own
            # values; importers map theirs): compared as they are, so an index on them can be used.
            conds.append(getattr(t, key).in_(values))
    text = query.filter.text.strip().lower()
    if text:
        like = f"%{text}%"
        conds.append(
            or_(
                func.lower(t.subject).like(like),
                func.lower(t.order_ref).like(like),
                t.customer_id.in_(select(Customer.id).where(func.lower(Customer.name).like(like))),
            )
        )
    return conds


def _order(query: QueueQuery) -> list[tuple[Any, bool]]:
    """The sort as (expression, descending) pairs; the last one is always the id (a total order)."""
    t = Ticket.__table__.c  # type: ignore[attr-defined]
    if query.sort == "created":
        return [(t.created_at, True), (t.id, True)]
    if query.sort == "id":
        return [(t.id, False)]
    if query.sort == "priority":
        return [(case(PRIORITY_RANK, value=t.priority, else_=9), False), (t.due_sort_at, False), (t.id, False)]
    if query.view == "solved_today":
        return [(t.solved_at, True), (t.id, False)]
    return [(t.due_sort_at, False), (t.id, False)]


def _after(order: list[tuple[Any, bool]], key: tuple, *, forward: bool) -> Any:
    """Rows strictly after (``forward``) or before ``key`` in ``order``: the keyset condition."""
    values = [literal(value, type_=expr.type) for (expr, _), value in zip(order, key, strict=True)]
    directions = {descending != (not forward) for _, descending in order}
    if len(directions) == 1:  # one direction: a row-value comparison, which an index can seek to
        left, right = tuple_(*[expr for expr, _ in order]), tuple_(*values)
        return left < right if directions.pop() else left > right
    terms = []
    for i, (expr, descending) in enumerate(order):
        later = expr < values[i] if descending == forward else expr > values[i]
        terms.append(and_(*[order[j][0] == values[j] for j in range(i)], later))
    return or_(*terms)


class TicketQueueSource:
    """A ``WindowSource`` over the ticket table (see ``dtc_tui.ui.widgets.window_table``).

    Deep pages are not read with a large OFFSET (SQLite builds every skipped row, joins included:
    0.2-0.6 s at 100k open tickets). Each fetch starts from the nearest place it knows: the top,
    the bottom (the same query in reverse order, so ``G`` reads one page), or a row an earlier
    fetch returned (keyset: ``WHERE (due_sort_at, id) > (...)``), which an index seeks to.
    ``count()`` (the table calls it after every change) forgets those rows.
    """

    def __init__(self, engine: Engine, query: QueueQuery) -> None:
        self.engine = engine
        self.query = query
        self._conds = _conditions(query)
        self._order = _order(query)
        self._count: int | None = None
        self._anchors: dict[int, tuple] = {}  # offset -> sort key of the row there, from earlier fetches

    def count(self) -> int:
        stmt = select(func.count()).select_from(Ticket).where(and_(True, *self._conds))
        with db.read_session(self.engine) as session:
            self._count = int(session.execute(stmt).scalar_one())
        self._anchors.clear()
        return self._count

    def fetch(self, offset: int, limit: int) -> list[QueueRow]:
        total = self._count if self._count is not None else self.count()
        limit = min(limit, total - offset)
        if offset < 0 or limit <= 0:
            return []
        # Rows to skip from each place we could start: the top, the bottom, a known row before or after.
        plans = [(offset, None, True), (total - offset - limit, None, False)]
        before = max((a for a in self._anchors if a < offset), default=None)
        after = min((a for a in self._anchors if a >= offset + limit), default=None)
        if before is not None:
            plans.append((offset - before - 1, before, True))
        if after is not None:
            plans.append((after - offset - limit, after, False))
        skip, anchor, forward = min(plans, key=lambda plan: plan[0])
        rows = self._select(skip, limit, None if anchor is None else self._anchors[anchor], forward)
        if not forward:
            rows.reverse()
        for index, row in ((offset, rows[0]), (offset + len(rows) - 1, rows[-1])) if rows else ():
            self._anchors[index] = row[-len(self._order) :]
        return [
            QueueRow(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4] or "",
                r[5],
                r[6],
                r[7] or "",
                r[8],
                r[9],
                r[10],
                r[11],
                r[12],
                r[13],
                r[14],
            )
            for r in rows
        ]

    def _select(self, skip: int, limit: int, key: tuple | None, forward: bool) -> list[Any]:
        t = Ticket.__table__.c  # type: ignore[attr-defined]
        conds = list(self._conds)
        if key is not None:
            conds.append(_after(self._order, key, forward=forward))
        order = [expr.desc() if descending == forward else expr.asc() for expr, descending in self._order]
        stmt = (
            select(
                t.id,
                t.priority,
                t.channel,
                t.language,
                Customer.name,
                t.subject,
                t.category,
                _assignee.handle,
                t.assignee_id,
                t.status,
                t.next_due_at,
                t.next_risk_at,
                t.next_due_metric,
                t.created_at,
                t.version,
                *[expr for expr, _ in self._order],
            )
            .select_from(Ticket)
            .outerjoin(Customer, Customer.id == t.customer_id)
            .outerjoin(_assignee, _assignee.id == t.assignee_id)
            .where(and_(True, *conds))
            .order_by(*order)
            .offset(skip)
            .limit(limit)
        )
        with db.read_session(self.engine) as session:
            return [tuple(r) for r in session.execute(stmt)]

    def key_of(self, row: QueueRow) -> int:
        return row.id
