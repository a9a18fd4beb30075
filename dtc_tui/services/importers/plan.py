"""An import's writes, worked out under a read transaction and applied in one short write transaction.

On SQLite the write lock is one per database: an import that looked rows up, compared them and
computed SLA clocks inside its write transaction held it for 20-40 s on a 50k-row file and
locked every operator out. Importers that support it (``plans = True``) therefore run their
write pass against a read snapshot with a ``WritePlan`` in ``session.info``; the bulk helpers
in ``upsert`` then record their INSERT and UPDATE statements (already encoded for the driver)
instead of running them. The pipeline applies the recorded statements in one transaction.

What may change between the snapshot and the apply, and how it is caught:
- new rows get their ids when planned (``max(id)`` of the snapshot, counting up); if anyone
  inserted into such a table since, the plan is stale;
- every planned UPDATE carries ``AND version = <the version planned from>`` (tables with a
  version) and must touch exactly its rows; an operator's edit in between makes it stale;
- breach rows are inserted only where the same breach is not recorded yet.
A stale plan is thrown away (nothing was written) and worked out again; the pipeline gives up
with a clear message after a few attempts.

The apply is set-based: the statements recorded batch by batch are merged per statement (one
``executemany`` per statement text, rows in the order they were planned), with foreign keys
checked at commit (``defer_foreign_keys``) so the merge may reorder statements. The first
``APPLY_WINDOW`` rows are read back from disk before the write lock is taken; a bigger plan is
read on in windows of that size. Measured on a 50k-row re-import with 10% changed rows
(5k ticket updates, 8k breaches, 5k baselines and audit rows): 184 statements became 9 and
the CPU time under the lock fell from 0.71 s to 0.44 s (``bench/import_lock.py``, before and
after side by side); what is left is the B-tree work of the updates (each touches a ticket row
and its indexes) and writing the ~16k pages they dirty to the WAL.

Later (issue 16, second round): the roll-up triggers' per-row work is done set-based inside the
apply (``BulkRollups``), the ticket baselines are compact (``ticket_writer.form``), and the
commit leaves its fsync to right after the lock is released (``pipeline._checkpoint_after_commit``):
a 50k-row first import's apply 7.9 s -> 3.3 s (5.2 -> 2.5 CPU s), the re-import's 0.85 -> 0.7 CPU s.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, text
from sqlmodel import Session

PLAN_KEY = "dtc_tui.import_plan"
# Parameter rows merged and held in memory at once. 250k held a whole 100k-ticket first import
# (~350k rows: tickets, baselines, breaches, messages, customers): ~160 MB of tuples at the peak;
# 40k costs ~0.1 s more CPU in the apply (more, smaller executemany calls) for ~90 MB less.
APPLY_WINDOW = 40_000

Op = tuple[str, list[tuple[Any, ...]], int | None]


class StalePlan(Exception):
    """The database changed between the read pass and the apply."""


@dataclass
class WritePlan:
    # (sql, parameter rows, expected total rowcount or None)
    ops: list[tuple[str, list[tuple[Any, ...]], int | None]] = field(default_factory=list)
    base_ids: dict[str, int] = field(default_factory=dict)  # table -> max(id) in the snapshot
    next_ids: dict[str, int] = field(default_factory=dict)
    updates: Counter[str] = field(default_factory=Counter)  # table -> rows the plan updates
    inserts: Counter[str] = field(default_factory=Counter)  # table -> rows the plan inserts

    def record(self, sql: str, params: list[tuple[Any, ...]], expect: int | None = None) -> None:
        if params:
            self.ops.append((sql, params, expect))
            if sql.startswith("INSERT INTO "):
                self.inserts[sql[len("INSERT INTO ") :].split(" ", 1)[0]] += len(params)

    def assign_ids(self, session: Session, table: Table, pk: str, rows: list[dict[str, Any]]) -> None:
        """Give rows about to be inserted their ids now, so later planned rows can refer to them."""
        if table.name not in self.next_ids:
            base = session.execute(text(f"SELECT coalesce(max({pk}), 0) FROM {table.name}")).scalar() or 0
            self.base_ids[table.name] = int(base)
            self.next_ids[table.name] = int(base) + 1
        for row in rows:
            row[pk] = self.next_ids[table.name]
            self.next_ids[table.name] += 1

    def take_ops(self) -> list[tuple[str, list[tuple[Any, ...]], int | None]]:
        ops, self.ops = self.ops, []
        return ops


def plan_of(session: Session) -> WritePlan | None:
    return session.info.get(PLAN_KEY)


def check_ids_unchanged(connection: Any, plan: WritePlan) -> None:
    """Inside the write transaction: nobody inserted into a table whose new ids we assigned."""
    for name, base in plan.base_ids.items():
        now = connection.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {name}").scalar() or 0
        if int(now) != base:
            raise StalePlan(f"new {name} rows were added meanwhile")


def merged_windows(batches: Iterator[list[Op]], window: int | None = None) -> Iterator[list[Op]]:
    """The recorded statements merged per statement text, ``window`` parameter rows at a time.

    Rows keep their planned order within a statement; statements keep the order in which they
    first appeared. Only safe with foreign keys deferred to the commit (see ``apply_ops``).
    ``window`` defaults to ``APPLY_WINDOW`` as it is when called."""
    window = APPLY_WINDOW if window is None else window
    groups: dict[str, tuple[list[tuple[Any, ...]], list[int | None]]] = {}
    held = 0
    for batch in batches:
        for sql, params, expect in batch:
            rows, expects = groups.setdefault(sql, ([], []))
            rows.extend(params)
            expects.append(expect)
            held += len(params)
        if held >= window:
            yield _flush(groups)
            groups, held = {}, 0
    if groups:
        yield _flush(groups)


def _flush(groups: dict[str, tuple[list[tuple[Any, ...]], list[int | None]]]) -> list[Op]:
    return [
        (sql, rows, None if any(e is None for e in expects) else sum(e for e in expects if e is not None))
        for sql, (rows, expects) in groups.items()
    ]


def defer_foreign_keys(connection: Any) -> None:
    """Inside the write transaction: check foreign keys at commit, so merged statements may run in
    any order (a ticket row referring to a customer inserted by a later statement). SQLite resets
    it at the end of the transaction."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")


class BulkRollups:
    """Inside the apply's transaction: the roll-ups of the tickets it writes, kept set-based.

    The roll-up triggers add (and on update take away, then add again) every ticket's share of
    the daily roll-ups row by row. Measured on a 50k-row first import: 70% of the ticket INSERT's
    time under the write lock (6.6 s of 7.9 s; 1.4 s CPU without the trigger); on a re-import
    with 5k changed tickets the update trigger is most of the 0.5 s the UPDATEs take. When a plan
    inserts or updates ``MIN_ROWS`` tickets or more, the apply drops that trigger inside its own
    transaction (SQLite DDL is transactional: other connections never see the table without it,
    a rollback or a crash brings it back), and around each ticket statement runs
    ``rollups.tickets_share_sql`` for exactly the ids it writes: an UPDATE's tickets' share is
    taken away before it and added after it, an INSERT's added after it, so the breach flags are
    read at the moment the trigger would have read them. Breach INSERTs likewise: the rows one
    statement added (ids above the largest before it) go through ``breach_statement_share``, the
    statement-level form PostgreSQL's trigger uses (the first breach of a kind per ticket decided
    per statement, which sums to what the row trigger adds). The triggers are re-created before
    the commit. SQLite only: on PostgreSQL, DROP TRIGGER locks the table against readers.
    """

    MIN_ROWS = 500
    INSERT_TRIGGER = "trg_ticket_rollup_insert"
    UPDATE_TRIGGER = "trg_ticket_rollup_update"
    BREACH_TRIGGER = "trg_breach_rollup_insert"
    BREACHES = "INSERT INTO sla_breach ("
    INSERT = "INSERT INTO ticket ("
    UPDATE = "UPDATE ticket SET "
    RANGE = "t.id BETWEEN ? AND ?"
    LISTED = "t.id IN (SELECT id FROM temp.dtc_rollup_ids)"

    def __init__(self, connection: Any, plan: WritePlan) -> None:
        from dtc_tui.models import rollups

        self.rollups = rollups
        self.dropped: list[str] = []
        self.breaches_from = 0
        if connection.dialect.name != "sqlite":
            return
        new = plan.next_ids.get("ticket", 0) - plan.base_ids.get("ticket", 0) - 1
        for trigger, rows in (
            (self.INSERT_TRIGGER, new),
            (self.UPDATE_TRIGGER, plan.updates.get("ticket", 0)),
            (self.BREACH_TRIGGER, plan.inserts.get("sla_breach", 0)),
        ):
            present = connection.exec_driver_sql(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name = ?", (trigger,)
            ).scalar()
            if rows >= self.MIN_ROWS and present:
                connection.exec_driver_sql(f"DROP TRIGGER {trigger}")
                self.dropped.append(trigger)
        if self.UPDATE_TRIGGER in self.dropped:
            connection.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS dtc_rollup_ids (id INTEGER PRIMARY KEY)")
        if self.BREACH_TRIGGER in self.dropped:
            # Keyed and indexed like sla_breach: the share's subqueries look rows up by id and ticket.
            connection.exec_driver_sql(
                "CREATE TEMP TABLE IF NOT EXISTS dtc_rollup_breaches "
                "(id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL, metric TEXT NOT NULL, due_at TEXT NOT NULL)"
            )
            connection.exec_driver_sql(
                "CREATE INDEX IF NOT EXISTS temp.ix_dtc_rollup_breaches ON dtc_rollup_breaches (ticket_id, metric)"
            )

    def _share(self, connection: Any, tickets: str, params: tuple[Any, ...], sign: int) -> None:
        for statement in self.rollups.tickets_share_sql("sqlite", tickets, sign):
            connection.exec_driver_sql(statement, self.rollups.share_params(statement, tickets, params))

    def before(self, connection: Any, sql: str, params: list[tuple[Any, ...]]) -> None:
        if self.BREACH_TRIGGER in self.dropped and sql.startswith(self.BREACHES):
            # The rows this INSERT adds (ON CONFLICT DO NOTHING skips some) get ids above today's.
            self.breaches_from = connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM sla_breach").scalar()
            return
        if self.UPDATE_TRIGGER not in self.dropped or not sql.startswith(self.UPDATE):
            return
        position = sql.split(" WHERE ", 1)[0].count("?")  # SET values, then the id (then the version)
        connection.exec_driver_sql("DELETE FROM temp.dtc_rollup_ids")
        ids = [(row[position],) for row in params]
        connection.exec_driver_sql("INSERT INTO temp.dtc_rollup_ids (id) VALUES (?)", ids)
        self._share(connection, self.LISTED, (), -1)

    def after(self, connection: Any, sql: str, params: list[tuple[Any, ...]]) -> None:
        if self.BREACH_TRIGGER in self.dropped and sql.startswith(self.BREACHES):
            connection.exec_driver_sql("DELETE FROM temp.dtc_rollup_breaches")
            connection.exec_driver_sql(
                "INSERT INTO temp.dtc_rollup_breaches (id, ticket_id, metric, due_at) "
                "SELECT id, ticket_id, metric, due_at FROM main.sla_breach WHERE id > ?",
                (self.breaches_from,),
            )
            for statement in self.rollups.breach_statement_share("temp.dtc_rollup_breaches", 1, "sqlite"):
                connection.exec_driver_sql(statement)
            return
        if self.UPDATE_TRIGGER in self.dropped and sql.startswith(self.UPDATE):
            self._share(connection, self.LISTED, (), 1)  # the ids ``before`` listed
            return
        if self.INSERT_TRIGGER not in self.dropped or not sql.startswith(self.INSERT):
            return
        position = sql[len(self.INSERT) : sql.index(")")].split(", ").index("id")
        ids = sorted(row[position] for row in params)
        start = 0
        for index in range(1, len(ids) + 1):  # contiguous runs of ids (one, as planned)
            if index == len(ids) or ids[index] != ids[index - 1] + 1:
                self._share(connection, self.RANGE, (ids[start], ids[index - 1]), 1)
                start = index

    def finish(self, connection: Any) -> None:
        for statement in self.rollups.trigger_ddl("sqlite"):
            if any(statement.startswith(f"CREATE TRIGGER {trigger} ") for trigger in self.dropped):
                connection.exec_driver_sql(statement)
        if self.UPDATE_TRIGGER in self.dropped:
            connection.exec_driver_sql("DELETE FROM temp.dtc_rollup_ids")
        if self.BREACH_TRIGGER in self.dropped:
            connection.exec_driver_sql("DELETE FROM temp.dtc_rollup_breaches")
        self.dropped = []


INDEX_REBUILD_MIN_ROWS = 5000  # rows inserted into a table before its secondary indexes are rebuilt instead


class RebuiltIndexes:
    """A big insert into an empty-ish table: its secondary indexes dropped first, rebuilt after.

    Measured on a 100k-row first ticket import (SQLite): the ticket table's 16 secondary indexes
    made the INSERT of its rows ~9 CPU s (each row a random insert into every index B-tree);
    dropped and rebuilt with CREATE INDEX (one sort each) the same work is ~1.5 s. Only when the
    table gains at least ``INDEX_REBUILD_MIN_ROWS`` rows and at least twice as many as it holds
    (a rebuild of a big table's indexes for a few new rows would cost more than it saves).

    SQLite only, inside the write transaction: DDL is transactional, so other connections never
    see the table without its indexes, and a rollback (an error, a stale plan, a crash) brings them
    back. The indexes are re-created from the database's own definitions (``sqlite_master``).
    Unique indexes stay: upserts and ``ON CONFLICT`` need them while rows go in. Not on
    PostgreSQL (see ``drop``): DROP INDEX there locks the table against readers until the commit.
    """

    def __init__(self) -> None:
        self.dropped: list[tuple[str, str]] = []  # (table, CREATE INDEX statement)

    def drop(self, connection: Any, table: str, adding: int) -> None:
        # SQLite only: there the import holds the write lock anyway and readers (WAL) go on reading
        # the last commit. On PostgreSQL a DROP INDEX would lock the table against every reader (the
        # team's queues) until the import commits; an import that blocks the team costs more than
        # the seconds the rebuild saves.
        if adding < INDEX_REBUILD_MIN_ROWS or connection.dialect.name != "sqlite":
            return
        stored = connection.exec_driver_sql(
            f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT {int(adding) + 1}) AS held"  # names from code
        ).scalar()
        if stored * 2 > adding:
            return
        for name, ddl in self._secondary(connection, table):
            connection.exec_driver_sql(f'DROP INDEX "{name}"')
            self.dropped.append((table, ddl))

    @staticmethod
    def _secondary(connection: Any, table: str) -> list[tuple[str, str]]:
        rows = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL "
            "ORDER BY rowid",
            (table,),
        ).all()
        return [(name, sql) for name, sql in rows if not sql.lstrip().upper().startswith("CREATE UNIQUE")]

    def rebuild(self, connection: Any) -> None:
        for _table, ddl in self.dropped:
            connection.exec_driver_sql(ddl)
        self.dropped = []


def apply_ops(connection: Any, ops: Sequence[Op], rollups: BulkRollups | None = None) -> None:
    for sql, params, expect in ops:
        if rollups is not None:
            rollups.before(connection, sql, params)
        result = connection.exec_driver_sql(sql, params)
        if expect is not None and result.rowcount != expect:
            raise StalePlan(f"{expect - result.rowcount} of the rows to update were changed meanwhile")
        if rollups is not None:
            rollups.after(connection, sql, params)
