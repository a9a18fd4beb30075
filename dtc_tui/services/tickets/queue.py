"""The ticket queue as a windowed, SQL-sorted source: views, filters, sort and paging.

Sorting, filtering and paging run in SQL on the ``ix_ticket_open_due`` index; the screen
asks only for the rows it shows, and deep pages are found by keyset, not OFFSET. SLA state
is derived at render time from the stored ``next_due_at`` / ``next_risk_at`` (see
``sla.display_state``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, bindparam, column, func, literal, literal_column, not_, or_, select, table, tuple_

from dtc_tui import db
from dtc_tui.i18n import N_
from dtc_tui.models import ticket_search
from dtc_tui.models.enums import CHANNELS, PRIORITIES, STATUSES
from dtc_tui.models.lite_tables import customer, person, reply_draft, ticket
from dtc_tui.services.common.filters import FilterError, FilterField, FilterLanguage, ParsedFilter, choices

VIEWS: dict[str, str] = {  # labels marked N_: translated where shown
    "all_open": N_("All open"),
    "mine": N_("Mine"),
    "unassigned": N_("Unassigned"),
    "at_risk": N_("At risk"),
    "breached": N_("Breached"),
    "waiting": N_("Waiting on customer"),
    "solved_today": N_("Solved today"),
    "all": N_("All tickets"),
}
SORTS: dict[str, str] = {"due": N_("time to breach"), "created": N_("newest"), "priority": N_("priority"), "id": "id"}
PRIORITY_RANK = ticket_search.PRIORITY_RANK
# A free-text word is looked up in the full-text index (SQLite: FTS5) when the index finds fewer
# candidates than this; a word that most tickets contain ("order") is read faster by the scan that
# stops at the first page and counts on the open-ticket index.
FULLTEXT_MAX_CANDIDATES = 5_000

# The queue's filter box (and ``tickets list --filter``), in the shared filter language.
QUEUE_FILTER = FilterLanguage(
    "tickets",
    [
        FilterField("channel", ("channel", "ch"), choices(CHANNELS)),
        FilterField("language", ("lang", "language"), hint="a language code such as de"),
        FilterField("priority", ("prio", "priority"), choices(PRIORITIES)),
        FilterField("status", ("status", "st"), choices(STATUSES)),
        FilterField("category", ("cat", "category"), hint="a category such as returns"),
        FilterField("assignee", ("who", "assignee"), hint="a handle, or none"),
        FilterField("tag", ("tag", "tags"), hint="a tag"),
        FilterField("id", ("id",), hint="a ticket number", pattern=r"\d+"),
    ],
    text_hint="every word in the subject, order number or customer name",
)


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
    draft: bool = False  # the operator has an unsent reply draft on it (services/tickets/drafts.py)


@dataclass(frozen=True)
class QueueQuery:
    view: str = "all_open"
    filter: ParsedFilter = field(default_factory=ParsedFilter)
    sort: str = "due"
    me: int | None = None  # the operator's person id, for "Mine"
    now: datetime | None = None
    today_start: datetime | None = None


_assignee = person.alias("assignee")


def _conditions(query: QueueQuery, *, dialect: str = "sqlite", indexed: frozenset[str] = frozenset()) -> list:
    """The WHERE terms of ``query``. ``indexed``: the free-text words to look up in the SQLite
    full-text index first (``TicketQueueSource`` decides); the result is the same either way."""
    t = ticket.c
    now = query.now
    conds: list = []
    view = query.view
    if view not in VIEWS:
        raise FilterError(f"unknown view {view!r}; one of: {', '.join(VIEWS)}")
    if view not in ("solved_today", "all"):
        conds.append(ticket_search.not_by_index(t.is_open) if indexed else t.is_open.is_(True))
    if view == "mine":
        conds.append(t.assignee_id == (query.me if query.me is not None else -1))
    elif view == "unassigned":
        conds.append(t.assignee_id.is_(None))
    elif view == "at_risk":
        conds += [t.next_risk_at <= now, t.next_due_at > now]
    elif view == "breached":
        conds.append(t.due_sort_at <= now)
    elif view == "waiting":
        conds.append(ticket_search.waiting_condition(t.status))  # the partial index's own condition
    elif view == "solved_today":
        conds.append(t.solved_at >= (query.today_start or now))
    for key in query.filter.fields():
        wanted, unwanted = query.filter.include(key), query.filter.exclude(key)
        if wanted:
            conds.append(_matches(t, key, wanted))
        if unwanted:
            # coalesce: "-who:ana" keeps the unassigned rows (NOT of a comparison with NULL is NULL, not true)
            conds.append(not_(func.coalesce(_matches(t, key, unwanted), False)))
    for word in query.filter.words:
        conds.append(_text_match(t, word, dialect, word in indexed))
    return conds


def _text_match(t: Any, word: str, dialect: str, indexed: bool) -> Any:
    """Subject, order number or customer name contains ``word`` (already lower case), as a plain
    substring: ``%`` and ``_`` in the word are characters, not wildcards.

    ``indexed`` (SQLite): the same condition, restricted first to the candidates the trigram
    index finds (its matches, the tickets changed since it was last folded, the customer's tickets),
    which are a superset of the rows the condition keeps. On PostgreSQL the trigram indexes serve
    the ``LIKE`` itself."""
    # PostgreSQL's LIKE escapes with a backslash by default; SQLite's has no escape unless told.
    sqlite = dialect == "sqlite"
    like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

    def contains(expr: Any) -> Any:
        # SQLite's LIKE ignores ASCII case, and its lower() changes only ASCII letters: lower(x) LIKE p
        # keeps the same rows as x LIKE p there, at 60% of the cost. PostgreSQL's LIKE is case-sensitive
        # (and its trigram indexes are on lower(...)).
        if sqlite:
            return expr.like(like, escape="\\")
        return func.lower(expr).like(like)

    customers = select(customer.c.id).where(contains(customer.c.name))
    plain = or_(contains(t.subject), contains(t.order_ref), t.customer_id.in_(customers))
    if not indexed:
        return plain
    return and_(t.id.in_(_candidates(word, customers)), plain)


def _fts_phrase(word: str) -> str:
    """``word`` as one FTS5 phrase: double quotes doubled, nothing else is syntax inside them."""
    return '"' + word.replace('"', '""') + '"'


_FTS = table(ticket_search.FTS_TABLE, column("rowid"))
_STALE = table(ticket_search.STALE_TABLE, column("ticket_id"))


def _fts_matches(word: str) -> Any:
    match = literal_column(ticket_search.FTS_TABLE).op("MATCH")(bindparam(None, _fts_phrase(word), unique=True))
    return select(_FTS.c.rowid).where(match)


def _candidates(word: str, customers: Any) -> Any:
    by_customer = select(ticket.c.id).where(ticket.c.customer_id.in_(customers))
    return _fts_matches(word).union(select(_STALE.c.ticket_id), by_customer)


def _matches(t: Any, key: str, values: tuple[str, ...]) -> Any:
    """The condition "ticket's ``key`` is one of ``values``" (negated by the caller for ``-key:``)."""
    if key == "assignee":
        handles = [v for v in values if v not in ("none", "-")]
        nobody = t.assignee_id.is_(None) if len(handles) < len(values) else None
        people = select(person.c.id).where(func.lower(person.c.handle).in_(handles))
        someone = t.assignee_id.in_(people) if handles else None
        return or_(*[c for c in (nobody, someone) if c is not None])
    if key == "tag":
        return or_(*[(" " + func.lower(t.tags) + " ").like(f"% {v} %") for v in values])
    if key == "id":  # digits only: the parser checked
        return t.id.in_([int(v) for v in values])
    # Channel, language, priority, status and category are stored lower-case (the app's own values;
    # importers map theirs): compared as they are, so an index on them can be used.
    return getattr(t, key).in_(values)


def _order(query: QueueQuery) -> list[tuple[Any, bool]]:
    """The sort as (expression, descending) pairs; the last one is always the id (a total order)."""
    t = ticket.c
    if query.sort == "created":
        return [(t.created_at, True), (t.id, True)]
    if query.sort == "id":
        return [(t.id, False)]
    if query.sort == "priority":  # the rank as ix_ticket_open_priority has it
        return [(ticket_search.priority_rank(t.priority), False), (t.due_sort_at, False), (t.id, False)]
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

    def __init__(
        self, engine: Engine, query: QueueQuery, *, drafts_of: str | None = None, fulltext: bool = True
    ) -> None:
        self.engine = engine
        self.query = query
        self.drafts_of = drafts_of  # the operator whose reply drafts are marked on the rows
        dialect = engine.dialect.name
        indexed = self._indexed_words(query) if fulltext and dialect == "sqlite" else frozenset()
        self._conds = _conditions(query, dialect=dialect, indexed=indexed)
        self._order = _order(query)
        self._count: int | None = None
        self._anchors: dict[int, tuple] = {}  # offset -> sort key of the row there, from earlier fetches

    def _indexed_words(self, query: QueueQuery) -> frozenset[str]:
        """The free-text words the SQLite full-text index narrows down to fewer than
        ``FULLTEXT_MAX_CANDIDATES`` tickets (a bounded probe: it stops at that many); words shorter
        than three characters are never looked up (the trigram index holds nothing for them)."""
        words = [w for w in dict.fromkeys(query.filter.words) if len(w) >= ticket_search.MIN_FTS_CHARS]
        if not words:
            return frozenset()
        limit = FULLTEXT_MAX_CANDIDATES
        chosen = set()
        with db.read_connection(self.engine) as connection:
            stale = select(func.count()).select_from(select(_STALE.c.ticket_id).limit(limit).subquery())
            budget = limit - int(connection.execute(stale).scalar_one())
            for word in words:
                probe = select(func.count()).select_from(_fts_matches(word).limit(limit).subquery())
                if budget > 0 and int(connection.execute(probe).scalar_one()) < budget:
                    chosen.add(word)
        return frozenset(chosen)

    def count(self) -> int:
        self._count = self.count_in_thread()
        self._anchors.clear()
        return self._count

    def count_in_thread(self) -> int:
        """The count, in a session of its own, touching nothing of this source: the table takes it
        in a thread after drawing the first rows (``WindowTable.set_source(count_later=True)``)."""
        stmt = select(func.count()).select_from(ticket).where(and_(True, *self._conds))
        with db.read_connection(self.engine) as connection:
            return int(connection.execute(stmt).scalar_one())

    def counted(self, total: int) -> None:
        """The count taken by ``count_in_thread`` (the rows read meanwhile stay valid anchors)."""
        self._count = total

    def fetch(self, offset: int, limit: int) -> list[QueueRow]:
        if self._count is None and offset == 0:  # the first page before the count: read from the top
            return self._rows(self._select(0, limit, None, True), offset)
        total = self._count if self._count is not None else self.count()
        limit = min(limit, total - offset)
        if offset < 0 or limit <= 0:
            return []
        # Rows to skip from each place we could start: the top, the bottom, a known row before or after.
        plans: list[tuple[int, int | None, bool]] = [(offset, None, True), (total - offset - limit, None, False)]
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
        return self._rows(rows, offset)

    def _rows(self, rows: list[Any], offset: int) -> list[QueueRow]:
        """Rows read from ``offset`` on as QueueRows; their first and last sort keys kept as anchors."""
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
                bool(r[15]),
            )
            for r in rows
        ]

    def _select(self, skip: int, limit: int, key: tuple | None, forward: bool) -> list[Any]:
        stmt = self._select_statement(skip, limit, key, forward)
        with db.read_connection(self.engine) as connection:
            return [tuple(r) for r in connection.execute(stmt)]

    def _select_statement(self, skip: int, limit: int, key: tuple | None, forward: bool) -> Any:
        t = ticket.c
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
                customer.c.name,
                t.subject,
                t.category,
                _assignee.c.handle,
                t.assignee_id,
                t.status,
                t.next_due_at,
                t.next_risk_at,
                t.next_due_metric,
                t.created_at,
                t.version,
                self._draft_column(),
                *[expr for expr, _ in self._order],
            )
            .select_from(ticket)
            .outerjoin(customer, customer.c.id == t.customer_id)
            .outerjoin(_assignee, _assignee.c.id == t.assignee_id)
            .where(and_(True, *conds))
            .order_by(*order)
            .offset(skip)
            .limit(limit)
        )
        return stmt

    def _draft_column(self) -> Any:
        """Whether the operator has a reply draft on the row's ticket: an EXISTS on the draft table's
        (operator, ticket_id) unique index, in the page's own query."""
        if self.drafts_of is None:
            return literal(False)
        t = ticket.c
        mine = reply_draft.c.operator == self.drafts_of
        return select(reply_draft.c.id).where(mine, reply_draft.c.ticket_id == t.id).exists()

    def key_of(self, row: QueueRow) -> int:
        return row.id
