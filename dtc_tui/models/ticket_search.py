"""Indexes that serve the ticket queue's priority sort, its "Waiting on customer" view and its
free-text filter (issue 20), and the SQL that keeps the free-text index current.

- **Priority sort**: an index on ``(is_open, PRIORITY_RANK_SQL, due_sort_at, id)``. The rank is an
  expression of the stored priority, not a stored column, so no write path (ticket actions, bulk
  changes, undo, the raw-SQL importers, the demo) can leave it stale. The queue sorts on exactly
  this expression, with the values written as literals (``priority_rank``): both backends match an
  index expression only when the query's expression is the same.
- **Waiting view**: its tickets' SLA clocks are paused, so they sort last on the queue's due index,
  and ``status IN (two values)`` cannot be read in due order from the status index. A partial index
  over the waiting tickets only, ``(is_open, due_sort_at, id) WHERE status IN ('on_hold', 'pending')``,
  is read in order; the queue writes the same condition with literals (``waiting_condition``).
- **Free text, SQLite**: an FTS5 table ``ticket_fts`` (trigram tokenizer: any substring of three or
  more characters, case-folded) over the subject and the order reference. SQLite refuses a virtual
  table inside a trigger while ``trusted_schema`` is off (``db.py`` turns it off), so the triggers
  only note the changed ticket ids in ``ticket_fts_stale`` (same transaction as the write, whatever
  wrote it); a search takes the FTS matches *plus* the stale ids as candidates and keeps the
  candidates that match the plain condition, so its result is exactly the plain scan's.
  ``fold_stale`` moves stale tickets into the index (the breach recording does it every 30 s).
- **Free text, PostgreSQL**: GIN trigram indexes (``pg_trgm``) on ``lower(subject)`` and
  ``lower(order_ref)``; they serve the queue's ``LIKE`` as it is (the planner re-checks every row).
  Without the extension (not installed, no right to create it) the queue scans, as before.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Integer, literal_column
from sqlalchemy.sql.elements import ColumnElement

PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
OTHER_RANK = 9
PRIORITY_RANK_SQL = (
    "CASE priority "
    + " ".join(f"WHEN '{name}' THEN {rank}" for name, rank in PRIORITY_RANK.items())
    + f" ELSE {OTHER_RANK} END"
)
# The statuses of the "Waiting on customer" view (services/tickets/sla.py PAUSING_STATUSES; a test
# checks they are the same), sorted: the index's condition and the query's must be written alike.
WAITING_STATUSES = ("on_hold", "pending")
WAITING_SQL = "status IN (" + ", ".join(f"'{s}'" for s in WAITING_STATUSES) + ")"

PRIORITY_INDEX = "ix_ticket_open_priority"
WAITING_INDEX = "ix_ticket_waiting_due"
FTS_TABLE = "ticket_fts"
STALE_TABLE = "ticket_fts_stale"
SQLITE_TRIGGERS = ("trg_ticket_fts_insert", "trg_ticket_fts_update", "trg_ticket_fts_delete")
CUSTOMER_EMAIL_INDEX = "ix_customer_email_lower"  # declared on Customer, made by migration 0018
PG_TRGM_INDEXES = {"ix_ticket_subject_trgm": "subject", "ix_ticket_order_ref_trgm": "order_ref"}
MIN_FTS_CHARS = 3  # the trigram tokenizer finds nothing in a shorter string: those words are scanned
FOLD_BATCH = 5_000  # stale tickets folded per call: ~0.06 s CPU, bounds the write-lock hold (20k: 0.25 s CPU)


def priority_rank(priority: Any) -> ColumnElement[int]:
    """The priority's rank (urgent 0 ... low 3, anything else 9) as the index writes it."""
    return literal_column(PRIORITY_RANK_SQL.replace("priority", _name(priority), 1), Integer)


def waiting_condition(status: Any) -> ColumnElement[Any]:
    """``status IN ('on_hold', 'pending')`` with literals: the partial index's own condition
    (untyped: a Boolean column would be written ``... = 1`` on SQLite, which the index does not match)."""
    return literal_column(WAITING_SQL.replace("status", _name(status), 1))


def not_by_index(is_open: Any) -> ColumnElement[Any]:
    """``is_open IS true`` that SQLite's planner may not read from an index (a unary ``+``): with a
    handful of full-text candidates, reading them by id and sorting beats walking the open tickets
    in queue order (without statistics SQLite guesses that few tickets are open)."""
    return literal_column("+" + _name(is_open), Boolean).is_(True)


def _name(column: Any) -> str:
    return f"{column.table.name}.{column.name}"


def index_ddl() -> list[str]:
    """The two queue indexes (the same text on both backends). Made by SQL, not declared on the
    ``Ticket`` model: a ``postgresql_where`` there would import SQLAlchemy's PostgreSQL dialect in
    every start (~40 ms of ``sla check``), and neither backend reads the expression index back
    in the model's spelling (``include_name`` leaves both out of the models-vs-migrations check)."""
    return [
        f"CREATE INDEX {PRIORITY_INDEX} ON ticket (is_open, ({PRIORITY_RANK_SQL}), due_sort_at, id)",
        f"CREATE INDEX {WAITING_INDEX} ON ticket (is_open, due_sort_at, id) WHERE {WAITING_SQL}",
    ]


def sqlite_fulltext_ddl() -> list[str]:
    """The FTS5 table, the stale list and the triggers that fill it (SQLite)."""
    return [
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(subject, order_ref, tokenize = 'trigram')",
        f"CREATE TABLE {STALE_TABLE} (ticket_id INTEGER NOT NULL PRIMARY KEY)",
        *sqlite_trigger_ddl(),
    ]


def sqlite_trigger_ddl() -> list[str]:
    stale = f"INSERT OR IGNORE INTO {STALE_TABLE} (ticket_id) VALUES"
    return [
        f"CREATE TRIGGER trg_ticket_fts_insert AFTER INSERT ON ticket FOR EACH ROW BEGIN {stale} (NEW.id); END",
        "CREATE TRIGGER trg_ticket_fts_update AFTER UPDATE OF id, subject, order_ref ON ticket FOR EACH ROW "
        "WHEN OLD.id IS NOT NEW.id OR OLD.subject IS NOT NEW.subject OR OLD.order_ref IS NOT NEW.order_ref "
        f"BEGIN {stale} (OLD.id); {stale} (NEW.id); END",
        f"CREATE TRIGGER trg_ticket_fts_delete AFTER DELETE ON ticket FOR EACH ROW BEGIN {stale} (OLD.id); END",
    ]


def sqlite_rebuild_sql() -> list[str]:
    """Every ticket into the index again, nothing stale."""
    return [
        f"DELETE FROM {FTS_TABLE}",
        f"INSERT INTO {FTS_TABLE} (rowid, subject, order_ref) SELECT id, subject, order_ref FROM ticket",
        f"DELETE FROM {STALE_TABLE}",
    ]


def fold_stale(connection: Any, limit: int = FOLD_BATCH) -> int:
    """Move up to ``limit`` stale tickets into the FTS index (SQLite; in the caller's write
    transaction). Returns how many were folded; 0 on other backends."""
    if connection.dialect.name != "sqlite":
        return 0
    ids = [row[0] for row in connection.exec_driver_sql(f"SELECT ticket_id FROM {STALE_TABLE} LIMIT {int(limit)}")]
    if not ids:
        return 0
    connection.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS fts_fold (ticket_id INTEGER PRIMARY KEY)")
    connection.exec_driver_sql("DELETE FROM temp.fts_fold")
    connection.exec_driver_sql("INSERT INTO temp.fts_fold (ticket_id) VALUES " + ", ".join(f"({int(i)})" for i in ids))
    for statement in (
        f"DELETE FROM {FTS_TABLE} WHERE rowid IN (SELECT ticket_id FROM temp.fts_fold)",
        f"INSERT INTO {FTS_TABLE} (rowid, subject, order_ref) SELECT id, subject, order_ref FROM ticket "
        "WHERE id IN (SELECT ticket_id FROM temp.fts_fold)",
        f"DELETE FROM {STALE_TABLE} WHERE ticket_id IN (SELECT ticket_id FROM temp.fts_fold)",
        "DELETE FROM temp.fts_fold",
    ):
        connection.exec_driver_sql(statement)
    return len(ids)


def trgm_schema(connection: Any) -> str | None:
    """The schema ``pg_trgm`` is installed in; None when it is not installed."""
    return connection.exec_driver_sql(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
    ).scalar()


def ensure_trgm(connection: Any) -> str | None:
    """Install ``pg_trgm`` if it is missing and we may (into ``public`` when it exists, so that a
    dropped schema never takes it along); its schema, or None when it cannot be had."""
    schema = trgm_schema(connection)
    if schema is not None:
        return schema
    target = "public" if connection.exec_driver_sql("SELECT to_regnamespace('public')").scalar() else None
    try:
        with connection.begin_nested():
            connection.exec_driver_sql(
                "CREATE EXTENSION IF NOT EXISTS pg_trgm" + (f" SCHEMA {target}" if target else "")
            )
    except Exception:  # no right to create it, or not available: the queue scans
        pass
    return trgm_schema(connection)


def pg_trgm_ddl(schema: str) -> list[str]:
    return [
        f"CREATE INDEX IF NOT EXISTS {name} ON ticket USING gin (lower({column}) {schema}.gin_trgm_ops)"
        for name, column in PG_TRGM_INDEXES.items()
    ]


def create(connection: Any, *, indexes: bool = True) -> None:
    """Everything above on ``connection``'s backend (the migration, ``create_all``, a restore)."""
    if indexes:
        for statement in index_ddl():
            connection.exec_driver_sql(statement)
    if connection.dialect.name == "sqlite":
        for statement in sqlite_fulltext_ddl() + sqlite_rebuild_sql():
            connection.exec_driver_sql(statement)
        return
    schema = ensure_trgm(connection)
    if schema is not None:
        for statement in pg_trgm_ddl(schema):
            connection.exec_driver_sql(statement)


def drop(connection: Any) -> None:
    if connection.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {STALE_TABLE}")
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    else:
        for name in PG_TRGM_INDEXES:
            connection.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    for name in (PRIORITY_INDEX, WAITING_INDEX):
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def present(connection: Any) -> bool:
    """The two queue indexes and, on SQLite, the FTS table and its three triggers exist (SQLite
    drops a table's triggers, and a batch copy its expression and partial indexes, when a batch
    migration re-creates the table)."""
    names = [PRIORITY_INDEX, WAITING_INDEX]
    if connection.dialect.name == "sqlite":
        names += [*SQLITE_TRIGGERS, FTS_TABLE, STALE_TABLE]
        sql = "SELECT COUNT(DISTINCT name) FROM sqlite_master WHERE name IN ({})"
    else:
        sql = "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname IN ({})"
    found = connection.exec_driver_sql(sql.format(", ".join(f"'{name}'" for name in names))).scalar()
    if int(found or 0) != len(names):
        return False
    if connection.dialect.name == "sqlite":  # a batch copy re-makes a partial index without its WHERE
        waiting = connection.exec_driver_sql(f"SELECT sql FROM sqlite_master WHERE name = '{WAITING_INDEX}'").scalar()
        return WAITING_SQL in (waiting or "")
    return True


def restore(connection: Any) -> None:
    """Everything made again and the index refilled (after a batch migration re-created ``ticket``)."""
    drop(connection)
    create(connection)


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """For Alembic's autogenerate and the models-vs-migrations check: the full-text tables (the FTS5
    table, its shadow tables, the stale list), the two queue indexes and PostgreSQL's trigram
    indexes are made by SQL here, not declared on a model. The customers' ``lower(email)`` index is
    declared, but SQLite does not reflect an expression index, so the check would see it missing."""
    if name is None:
        return True
    if type_ == "table":
        return not name.startswith(FTS_TABLE)
    if type_ == "index":
        return name not in PG_TRGM_INDEXES and name not in (PRIORITY_INDEX, WAITING_INDEX, CUSTOMER_EMAIL_INDEX)
    return True


def include_object(_object: object, name: str | None, type_: str, _reflected: bool, _compare_to: object) -> bool:
    """``include_name`` for the model side as well (the priority index is declared on ``Ticket``)."""
    return include_name(name, type_, None)


def _create_after_metadata(target: object, connection: object, **_: object) -> None:
    """After ``metadata.create_all``: what the migration makes."""
    if not hasattr(connection, "exec_driver_sql"):
        return  # a mock engine collecting DDL text (the tests' PostgreSQL copy script adds them itself)
    create(connection)


def listen(metadata: Any) -> None:
    """Make what the migration makes after every ``create_all`` of the models' metadata (called by
    ``models/base.py``, so that this module itself loads no SQLModel: the queue's SQL uses it)."""
    from sqlalchemy import event

    if not event.contains(metadata, "after_create", _create_after_metadata):
        event.listen(metadata, "after_create", _create_after_metadata)
