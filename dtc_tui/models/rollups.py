"""Daily roll-ups of the tickets and SLA breaches, kept current by database triggers.

Period figures (KPIs, the overview, ``dtc-tui check``, the signals) read these for whole days and
the ticket rows only for the partial days at a period's edges (today, mostly), so their cost
follows the number of days, not the number of tickets.

Why triggers: every path that writes tickets (the ticket actions, the raw-SQL importers, mail
ingestion, breach recording, the demo, and whatever comes next) changes the roll-ups in its own
transaction without knowing about them. A ticket adds its "created" figures to the row of its
creation day and its "solved" figures to the row of its solving day, per (channel, category,
assignee); an update takes the old row's share out and puts the new one in; a breach insert or
delete changes the breach flags of its ticket's rows. ``rollup_sql`` writes the same SQL for
SQLite and PostgreSQL; ``services/tickets/rollups.py`` rebuilds everything from the rows.

First-response times are kept as a fixed-bucket histogram (``frt_bucket``): 1-minute buckets
below 10 hours, 10-minute buckets to 48 hours, hourly beyond, so a median or p90 read from it is
within one bucket of the exact figure.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from dtc_tui.models.base import TableModel

UNASSIGNED = 0  # agent_id of tickets with no assignee (a primary key column cannot be NULL)

# Created-side figures: tickets created that day, in their current state.
CREATED_FIELDS = (
    "created",
    "answered",  # first reply sent
    "cycles",  # agent replies after the first
    "resolved",  # solved by now
    "fr_breached",  # with a first-response breach
    "fr_breached_unanswered",  # ... and no first reply yet
    "nr_breached",  # with a next-response breach
    "breached",  # with any breach
)
# Solved-side figures: tickets solved that day.
SOLVED_FIELDS = ("solved", "solved_one_reply", "rated", "csat_sum", "satisfied", "res_breached")
COUNT_FIELDS = CREATED_FIELDS + SOLVED_FIELDS


def _zero(default: float = 0) -> Any:
    """A count column: 0 in Python and in the table (a trigger's upsert names only the columns it changes)."""
    return Field(default=default, sa_column_kwargs={"server_default": "0"})


class TicketDay(TableModel, table=True):
    __tablename__ = "ticket_day"
    day: date = Field(primary_key=True)
    channel: str = Field(primary_key=True, max_length=20)
    category: str = Field(primary_key=True, max_length=30)
    agent_id: int = Field(primary_key=True, default=UNASSIGNED)
    created: int = _zero()
    answered: int = _zero()
    cycles: int = _zero()
    resolved: int = _zero()
    fr_breached: int = _zero()
    fr_breached_unanswered: int = _zero()
    nr_breached: int = _zero()
    breached: int = _zero()
    frt_minutes: float = _zero(0.0)  # sum of the answered tickets' minutes to the first reply
    solved: int = _zero()
    solved_one_reply: int = _zero()
    rated: int = _zero()
    csat_sum: int = _zero()
    satisfied: int = _zero()
    res_breached: int = _zero()


class TicketDayFrt(TableModel, table=True):
    """How many tickets created that day got their first reply after ``bucket`` minutes (see ``frt_bucket``)."""

    __tablename__ = "ticket_day_frt"
    day: date = Field(primary_key=True)
    channel: str = Field(primary_key=True, max_length=20)
    category: str = Field(primary_key=True, max_length=30)
    agent_id: int = Field(primary_key=True, default=UNASSIGNED)
    bucket: int = Field(primary_key=True)
    n: int = _zero()


class TicketSkuDay(TableModel, table=True):
    """Tickets created per day about each SKU (the ticket-rise signal)."""

    __tablename__ = "ticket_sku_day"
    __table_args__ = (Index("ix_ticket_sku_day_sku", "sku_id", "day"),)
    day: date = Field(primary_key=True)
    sku_id: int = Field(primary_key=True)
    n: int = _zero()


class BreachDay(TableModel, table=True):
    """SLA breaches per day they fell due, per metric (the KPI screen's breaches per day)."""

    __tablename__ = "sla_breach_day"
    day: date = Field(primary_key=True)
    metric: str = Field(primary_key=True, max_length=20)
    n: int = _zero()


ROLLUP_TABLES = ("ticket_day", "ticket_day_frt", "ticket_sku_day", "sla_breach_day")


def frt_bucket_width(bucket: int) -> int:
    return 1 if bucket < 600 else 10 if bucket < 2880 else 60


# --- SQL shared by the triggers and the rebuild -------------------------------------------------


def day_sql(dialect: str, column: str) -> str:
    return f"date({column})" if dialect == "sqlite" else f"CAST({column} AS DATE)"


def minutes_sql(dialect: str, later: str, earlier: str) -> str:
    if dialect == "sqlite":  # whole seconds exact, plus the stored microseconds (text from character 20)

        def seconds(column: str) -> str:
            # strftime() reads the fraction too and rounds it to milliseconds (:34.9997 -> :35): cut it off
            return f"(CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) + CAST(substr({column}, 20) AS REAL))"

        return f"(({seconds(later)} - {seconds(earlier)}) / 60.0)"
    return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 60.0)"


def bucket_sql(dialect: str, minutes: str) -> str:
    """The histogram bucket (its lower bound in minutes) of a non-negative number of minutes."""
    whole = "CAST({} AS INTEGER)" if dialect == "sqlite" else "CAST(floor({}) AS INTEGER)"
    m = f"(CASE WHEN {minutes} < 0 THEN 0.0 ELSE {minutes} END)"
    return (
        f"(CASE WHEN {m} < 600 THEN {whole.format(m)} WHEN {m} < 2880 THEN {whole.format(m + ' / 10')} * 10 "
        f"ELSE {whole.format(m + ' / 60')} * 60 END)"
    )


def frt_histogram_select(dialect: str, tickets: str = "", sign: int = 1) -> str:
    """``SELECT day, channel, category, agent_id, bucket, sign * COUNT(*)`` of the answered tickets
    matching ``tickets`` (a condition on ``t``; empty: all), for the set-based fills of ``ticket_day_frt``.

    The minutes are computed once per ticket in a subquery the planner may not merge into the
    grouping (SQLite's ``LIMIT -1``, PostgreSQL's ``OFFSET 0``): merged, each of the bucket's ten
    references to them parses both times again (2.8x the statement's time for 5k tickets on SQLite).
    """
    minutes = minutes_sql(dialect, "t.first_response_at", "t.created_at")
    scope = f" AND {tickets}" if tickets else ""
    fence = " LIMIT -1" if dialect == "sqlite" else " OFFSET 0"
    return (
        f"SELECT day, channel, category, agent_id, {bucket_sql(dialect, 'm')}, {int(sign)} * COUNT(*) FROM "
        f"(SELECT {day_sql(dialect, 't.created_at')} AS day, t.channel AS channel, t.category AS category, "
        f"COALESCE(t.assignee_id, 0) AS agent_id, {minutes} AS m FROM ticket t "
        f"WHERE t.first_response_at IS NOT NULL{scope}{fence}) answered GROUP BY 1, 2, 3, 4, 5"
    )


def _flag(r: str, metric: str | None, exclude: str | None = None) -> str:
    where = f"b.ticket_id = {r}.id" + (f" AND b.metric = '{metric}'" if metric else "")
    if exclude:
        where += f" AND b.id <> {exclude}"
    return f"EXISTS (SELECT 1 FROM sla_breach b WHERE {where})"


def _b(condition: str) -> str:
    return f"(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def _upsert(
    table: str, keys: tuple[str, ...], values: dict[str, str], where: str, adds: tuple[str, ...], source: str = ""
) -> str:
    sets = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in adds)
    return (
        f"INSERT INTO {table} ({', '.join(values)}) SELECT {', '.join(values.values())}{source} WHERE {where} "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
    )


DAY_KEYS = ("day", "channel", "category", "agent_id")


def ticket_share(dialect: str, r: str, sign: str) -> list[str]:
    """Statements adding ``sign`` (1 or -1) times ticket row ``r``'s share to the roll-ups."""
    minutes = minutes_sql(dialect, f"{r}.first_response_at", f"{r}.created_at")
    key = {"channel": f"{r}.channel", "category": f"{r}.category", "agent_id": f"COALESCE({r}.assignee_id, 0)"}
    created = {
        "day": day_sql(dialect, f"{r}.created_at"),
        **key,
        "created": sign,
        "answered": f"{sign} * {_b(f'{r}.first_response_at IS NOT NULL')}",
        "cycles": f"{sign} * (CASE WHEN {r}.agent_replies > 1 THEN {r}.agent_replies - 1 ELSE 0 END)",
        "resolved": f"{sign} * {_b(f'{r}.solved_at IS NOT NULL')}",
        "fr_breached": f"{sign} * {_b(_flag(r, 'first_response'))}",
        "fr_breached_unanswered": f"{sign} * {_b(_flag(r, 'first_response') + f' AND {r}.first_response_at IS NULL')}",
        "nr_breached": f"{sign} * {_b(_flag(r, 'next_response'))}",
        "breached": f"{sign} * {_b(_flag(r, None))}",
        "frt_minutes": f"{sign} * COALESCE({minutes}, 0.0)",
    }
    solved = {
        "day": day_sql(dialect, f"{r}.solved_at"),
        **key,
        "solved": sign,
        "solved_one_reply": f"{sign} * {_b(f'{r}.agent_replies <= 1')}",
        "rated": f"{sign} * {_b(f'{r}.csat IS NOT NULL')}",
        "csat_sum": f"{sign} * COALESCE({r}.csat, 0)",
        "satisfied": f"{sign} * {_b(f'{r}.csat >= 4')}",
        "res_breached": f"{sign} * {_b(_flag(r, 'resolution'))}",
    }
    frt = {
        "day": day_sql(dialect, f"{r}.created_at"),
        **key,
        "bucket": bucket_sql(dialect, minutes),
        "n": sign,
    }
    sku = {"day": day_sql(dialect, f"{r}.created_at"), "sku_id": f"{r}.sku_id", "n": sign}
    return [
        _upsert("ticket_day", DAY_KEYS, created, "1 = 1", tuple(created)[4:]),
        _upsert("ticket_day", DAY_KEYS, solved, f"{r}.solved_at IS NOT NULL", tuple(solved)[4:]),
        _upsert("ticket_day_frt", (*DAY_KEYS, "bucket"), frt, f"{r}.first_response_at IS NOT NULL", ("n",)),
        _upsert("ticket_sku_day", ("day", "sku_id"), sku, f"{r}.sku_id IS NOT NULL", ("n",)),
    ]


def breach_share(dialect: str, r: str, sign: str) -> list[str]:
    """Statements for breach row ``r`` appearing (sign 1, after its insert) or going (-1, after its delete).

    Its ticket's flags change only when ``r`` is the first (or the last) breach of its kind.
    """
    t = "t"
    new_of = {m: f"NOT {_flag(t, m, exclude=f'{r}.id')}" for m in ("first_response", "next_response", "resolution")}
    key = {"channel": "t.channel", "category": "t.category", "agent_id": "COALESCE(t.assignee_id, 0)"}
    fr = f"{r}.metric = 'first_response' AND {new_of['first_response']}"
    created = {
        "day": day_sql(dialect, "t.created_at"),
        **key,
        "fr_breached": f"{sign} * {_b(fr)}",
        "fr_breached_unanswered": f"{sign} * {_b(fr + ' AND t.first_response_at IS NULL')}",
        "nr_breached": f"{sign} * {_b(f'{r}.metric = {chr(39)}next_response{chr(39)} AND ' + new_of['next_response'])}",
        "breached": f"{sign} * {_b('NOT ' + _flag(t, None, exclude=f'{r}.id'))}",
    }
    solved = {
        "day": day_sql(dialect, "t.solved_at"),
        **key,
        "res_breached": f"{sign} * {_b(f'{r}.metric = {chr(39)}resolution{chr(39)} AND ' + new_of['resolution'])}",
    }
    day = {"day": day_sql(dialect, f"{r}.due_at"), "metric": f"{r}.metric", "n": sign}

    source = " FROM ticket t"  # the breach's ticket
    mine = f"t.id = {r}.ticket_id"
    return [
        _upsert("ticket_day", DAY_KEYS, created, mine, tuple(created)[4:], source),
        _upsert("ticket_day", DAY_KEYS, solved, f"{mine} AND t.solved_at IS NOT NULL", ("res_breached",), source),
        _upsert("sla_breach_day", ("day", "metric"), day, "1 = 1", ("n",)),
    ]


def breach_statement_share(changed: str, sign: int, dialect: str = "postgresql") -> list[str]:
    """The same for a whole statement's breaches (PostgreSQL: its transition table ``changed``;
    SQLite: a bulk apply's temp table of the rows one INSERT added, see importers/plan.py).

    Row-level AFTER triggers run at the end of the statement there, when every row of a multi-row
    insert is visible, so "the first breach of its kind" is decided per statement: a ticket's flag
    changes when it has a breach of the kind among ``changed`` and none outside it.
    """
    kept = "SELECT 1 FROM sla_breach b WHERE b.ticket_id = c.ticket_id AND b.id NOT IN (SELECT id FROM changed)"
    if sign > 0:  # after an insert: the ticket's other breaches are those not among the new rows
        others = kept
    else:  # after a delete: the ones left
        others = "SELECT 1 FROM sla_breach b WHERE b.ticket_id = c.ticket_id"

    def delta(metric: str | None) -> str:
        mine = f" AND x.metric = '{metric}'" if metric else ""
        theirs = f" AND b.metric = '{metric}'" if metric else ""
        return (
            f"(CASE WHEN EXISTS (SELECT 1 FROM changed x WHERE x.ticket_id = c.ticket_id{mine}) "
            f"AND NOT EXISTS ({others}{theirs}) THEN {sign} ELSE 0 END)"
        )

    flags = (
        f"(SELECT c.ticket_id, {delta('first_response')} AS fr, {delta('next_response')} AS nr, "
        f"{delta('resolution')} AS res, {delta(None)} AS anyb FROM (SELECT DISTINCT ticket_id FROM changed) c) f"
    )
    key = "t.channel, t.category, COALESCE(t.assignee_id, 0)"
    created_day, solved_day = day_sql(dialect, "t.created_at"), day_sql(dialect, "t.solved_at")
    adds = ("fr_breached", "fr_breached_unanswered", "nr_breached", "breached")
    statements = [
        f"INSERT INTO ticket_day (day, channel, category, agent_id, {', '.join(adds)}) "
        f"SELECT {created_day}, {key}, SUM(f.fr), SUM(CASE WHEN t.first_response_at IS NULL THEN f.fr ELSE 0 END), "
        f"SUM(f.nr), SUM(f.anyb) FROM {flags} JOIN ticket t ON t.id = f.ticket_id "
        f"GROUP BY {created_day}, {key} "
        f"ON CONFLICT ({', '.join(DAY_KEYS)}) DO UPDATE SET "
        + ", ".join(f"{c} = ticket_day.{c} + excluded.{c}" for c in adds),
        f"INSERT INTO ticket_day (day, channel, category, agent_id, res_breached) "
        f"SELECT {solved_day}, {key}, SUM(f.res) FROM {flags} JOIN ticket t ON t.id = f.ticket_id "
        f"WHERE t.solved_at IS NOT NULL GROUP BY {solved_day}, {key} "
        f"ON CONFLICT ({', '.join(DAY_KEYS)}) DO UPDATE SET "
        "res_breached = ticket_day.res_breached + excluded.res_breached",
        f"INSERT INTO sla_breach_day (day, metric, n) SELECT {day_sql(dialect, 'x.due_at')}, x.metric, "
        f"{sign} * COUNT(*) FROM changed x GROUP BY {day_sql(dialect, 'x.due_at')}, x.metric "
        "ON CONFLICT (day, metric) DO UPDATE SET n = sla_breach_day.n + excluded.n",
    ]
    return [statement.replace("FROM changed", f"FROM {changed}") for statement in statements]


TICKET_COLUMNS = (
    "created_at",
    "channel",
    "category",
    "assignee_id",
    "first_response_at",
    "agent_replies",
    "solved_at",
    "csat",
    "sku_id",
)
TRIGGERS = (
    "trg_ticket_rollup_insert",
    "trg_ticket_rollup_update",
    "trg_ticket_rollup_delete",
    "trg_breach_rollup_insert",
    "trg_breach_rollup_delete",
)


def trigger_ddl(dialect: str) -> list[str]:
    """CREATE statements for the roll-up triggers on this backend."""
    changed = " OR ".join(
        f"OLD.{c} IS NOT NEW.{c}" if dialect == "sqlite" else f"OLD.{c} IS DISTINCT FROM NEW.{c}"
        for c in TICKET_COLUMNS
    )
    if dialect == "sqlite":

        def body(statements: list[str]) -> str:
            return "BEGIN " + " ".join(s + ";" for s in statements) + " END"

        return [
            f"CREATE TRIGGER trg_ticket_rollup_insert AFTER INSERT ON ticket FOR EACH ROW "
            f"{body(ticket_share(dialect, 'NEW', '1'))}",
            f"CREATE TRIGGER trg_ticket_rollup_update AFTER UPDATE OF {', '.join(TICKET_COLUMNS)} ON ticket "
            f"FOR EACH ROW WHEN {changed} "
            f"{body(ticket_share(dialect, 'OLD', '-1') + ticket_share(dialect, 'NEW', '1'))}",
            f"CREATE TRIGGER trg_ticket_rollup_delete AFTER DELETE ON ticket FOR EACH ROW "
            f"{body(ticket_share(dialect, 'OLD', '-1'))}",
            f"CREATE TRIGGER trg_breach_rollup_insert AFTER INSERT ON sla_breach FOR EACH ROW "
            f"{body(breach_share(dialect, 'NEW', '1'))}",
            f"CREATE TRIGGER trg_breach_rollup_delete AFTER DELETE ON sla_breach FOR EACH ROW "
            f"{body(breach_share(dialect, 'OLD', '-1'))}",
        ]

    def function(name: str, statements: str) -> str:
        return (
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN {statements} "
            "RETURN NULL; END $fn$"
        )

    def run(statements: list[str]) -> str:
        return " ".join(s + ";" for s in statements)

    ticket_fn = (
        "IF TG_OP IN ('UPDATE', 'DELETE') THEN " + run(ticket_share(dialect, "OLD", "-1")) + " END IF; "
        "IF TG_OP IN ('INSERT', 'UPDATE') THEN " + run(ticket_share(dialect, "NEW", "1")) + " END IF;"
    )
    breach_insert_fn = run(breach_statement_share("changed", 1))
    breach_delete_fn = run(breach_statement_share("changed", -1))
    return [
        function("dtc_ticket_rollup", ticket_fn),
        function("dtc_breach_rollup_insert", breach_insert_fn),
        function("dtc_breach_rollup_delete", breach_delete_fn),
        "CREATE TRIGGER trg_ticket_rollup_insert AFTER INSERT ON ticket FOR EACH ROW "
        "EXECUTE FUNCTION dtc_ticket_rollup()",
        f"CREATE TRIGGER trg_ticket_rollup_update AFTER UPDATE OF {', '.join(TICKET_COLUMNS)} ON ticket "
        f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION dtc_ticket_rollup()",
        "CREATE TRIGGER trg_ticket_rollup_delete AFTER DELETE ON ticket FOR EACH ROW "
        "EXECUTE FUNCTION dtc_ticket_rollup()",
        "CREATE TRIGGER trg_breach_rollup_insert AFTER INSERT ON sla_breach REFERENCING NEW TABLE AS changed "
        "FOR EACH STATEMENT EXECUTE FUNCTION dtc_breach_rollup_insert()",
        "CREATE TRIGGER trg_breach_rollup_delete AFTER DELETE ON sla_breach REFERENCING OLD TABLE AS changed "
        "FOR EACH STATEMENT EXECUTE FUNCTION dtc_breach_rollup_delete()",
    ]


def drop_trigger_ddl(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS]
    tables = {"trg_ticket": "ticket", "trg_breach": "sla_breach"}
    return [f"DROP TRIGGER IF EXISTS {name} ON {tables[name[:10]]}" for name in TRIGGERS] + [
        "DROP FUNCTION IF EXISTS dtc_ticket_rollup()",
        "DROP FUNCTION IF EXISTS dtc_breach_rollup_insert()",
        "DROP FUNCTION IF EXISTS dtc_breach_rollup_delete()",
    ]


def _create_triggers(target: object, connection: object, **_: object) -> None:
    """After ``metadata.create_all`` (the tests' PostgreSQL schemas): the triggers the migration makes."""
    if not hasattr(connection, "exec_driver_sql"):
        return  # a mock engine collecting DDL text (the tests' PostgreSQL copy script adds them itself)
    dialect = connection.dialect.name  # type: ignore[attr-defined]
    for statement in trigger_ddl(dialect):
        connection.exec_driver_sql(statement)


def _listen() -> None:
    from sqlalchemy import event

    if not event.contains(SQLModel.metadata, "after_create", _create_triggers):
        event.listen(SQLModel.metadata, "after_create", _create_triggers)


_listen()


def rebuild_sql(dialect: str) -> list[str]:
    """Statements that empty the roll-ups and fill them again from the rows (``db rebuild-rollups``)."""
    minutes = minutes_sql(dialect, "t.first_response_at", "t.created_at")
    flags = (
        "(SELECT ticket_id, "
        "MAX(CASE WHEN metric = 'first_response' THEN 1 ELSE 0 END) AS fr, "
        "MAX(CASE WHEN metric = 'next_response' THEN 1 ELSE 0 END) AS nr, "
        "MAX(CASE WHEN metric = 'resolution' THEN 1 ELSE 0 END) AS res "
        "FROM sla_breach GROUP BY ticket_id) f"
    )
    key = "t.channel, t.category, COALESCE(t.assignee_id, 0)"
    created_day, solved_day = day_sql(dialect, "t.created_at"), day_sql(dialect, "t.solved_at")
    solved_adds = ", ".join(f"{c} = excluded.{c}" for c in SOLVED_FIELDS)
    return [
        *(f"DELETE FROM {table}" for table in ROLLUP_TABLES),
        f"INSERT INTO ticket_day (day, channel, category, agent_id, {', '.join(CREATED_FIELDS)}, frt_minutes) "
        f"SELECT {created_day}, {key}, COUNT(*), COUNT(t.first_response_at), "
        "SUM(CASE WHEN t.agent_replies > 1 THEN t.agent_replies - 1 ELSE 0 END), COUNT(t.solved_at), "
        "SUM(COALESCE(f.fr, 0)), SUM(CASE WHEN f.fr = 1 AND t.first_response_at IS NULL THEN 1 ELSE 0 END), "
        f"SUM(COALESCE(f.nr, 0)), COUNT(f.ticket_id), COALESCE(SUM({minutes}), 0.0) "
        f"FROM ticket t LEFT JOIN {flags} ON f.ticket_id = t.id GROUP BY {created_day}, {key}",
        f"INSERT INTO ticket_day (day, channel, category, agent_id, {', '.join(SOLVED_FIELDS)}) "
        f"SELECT {solved_day}, {key}, COUNT(*), SUM(CASE WHEN t.agent_replies <= 1 THEN 1 ELSE 0 END), "
        "COUNT(t.csat), COALESCE(SUM(t.csat), 0), SUM(CASE WHEN t.csat >= 4 THEN 1 ELSE 0 END), "
        "SUM(COALESCE(f.res, 0)) "
        f"FROM ticket t LEFT JOIN {flags} ON f.ticket_id = t.id WHERE t.solved_at IS NOT NULL "
        f"GROUP BY {solved_day}, {key} ON CONFLICT ({', '.join(DAY_KEYS)}) DO UPDATE SET {solved_adds}",
        f"INSERT INTO ticket_day_frt (day, channel, category, agent_id, bucket, n) {frt_histogram_select(dialect)}",
        f"INSERT INTO ticket_sku_day (day, sku_id, n) SELECT {created_day}, t.sku_id, COUNT(*) FROM ticket t "
        f"WHERE t.sku_id IS NOT NULL GROUP BY {created_day}, t.sku_id",
        f"INSERT INTO sla_breach_day (day, metric, n) SELECT {day_sql(dialect, 'b.due_at')}, b.metric, COUNT(*) "
        f"FROM sla_breach b WHERE 1 = 1 GROUP BY {day_sql(dialect, 'b.due_at')}, b.metric",
    ]


def tickets_share_sql(dialect: str, tickets: str, sign: int = 1) -> list[str]:
    """Statements adding ``sign`` times the share of a set of tickets to the roll-ups, set-based.

    What ``trg_ticket_rollup_insert`` adds (sign 1) or the first half of ``trg_ticket_rollup_update``
    takes away (sign -1) row by row, grouped. ``tickets`` is a condition on ``t.id`` (the caller's
    bound parameters, e.g. ``t.id BETWEEN ? AND ?``, or ``t.id IN (SELECT id FROM temp.ids)``);
    it appears twice in each statement that reads the breach flags (``share_params``). A bulk apply
    with the triggers dropped inside its transaction (importers/plan.py) runs these around each
    statement, so the breach flags are read at the moment the trigger would have read them.
    """
    minutes = minutes_sql(dialect, "t.first_response_at", "t.created_at")
    flag_scope = tickets.replace("t.id", "b.ticket_id")
    flags = (
        "(SELECT b.ticket_id, "
        "MAX(CASE WHEN b.metric = 'first_response' THEN 1 ELSE 0 END) AS fr, "
        "MAX(CASE WHEN b.metric = 'next_response' THEN 1 ELSE 0 END) AS nr, "
        "MAX(CASE WHEN b.metric = 'resolution' THEN 1 ELSE 0 END) AS res "
        f"FROM sla_breach b WHERE {flag_scope} GROUP BY b.ticket_id) f"
    )
    key = "t.channel, t.category, COALESCE(t.assignee_id, 0)"
    created_day, solved_day = day_sql(dialect, "t.created_at"), day_sql(dialect, "t.solved_at")
    k = f"{int(sign)} * "

    def adds(table: str, names: tuple[str, ...]) -> str:
        return ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in names)

    day_keys = ", ".join(DAY_KEYS)
    return [
        f"INSERT INTO ticket_day (day, channel, category, agent_id, {', '.join(CREATED_FIELDS)}, frt_minutes) "
        f"SELECT {created_day}, {key}, {k}COUNT(*), {k}COUNT(t.first_response_at), "
        f"{k}SUM(CASE WHEN t.agent_replies > 1 THEN t.agent_replies - 1 ELSE 0 END), {k}COUNT(t.solved_at), "
        f"{k}SUM(COALESCE(f.fr, 0)), {k}SUM(CASE WHEN f.fr = 1 AND t.first_response_at IS NULL THEN 1 ELSE 0 END), "
        f"{k}SUM(COALESCE(f.nr, 0)), {k}COUNT(f.ticket_id), "
        f"{k}COALESCE(SUM({minutes}), 0.0) FROM ticket t LEFT JOIN {flags} ON f.ticket_id = t.id "
        f"WHERE {tickets} GROUP BY {created_day}, {key} "
        f"ON CONFLICT ({day_keys}) DO UPDATE SET {adds('ticket_day', (*CREATED_FIELDS, 'frt_minutes'))}",
        f"INSERT INTO ticket_day (day, channel, category, agent_id, {', '.join(SOLVED_FIELDS)}) "
        f"SELECT {solved_day}, {key}, {k}COUNT(*), {k}SUM(CASE WHEN t.agent_replies <= 1 THEN 1 ELSE 0 END), "
        f"{k}COUNT(t.csat), {k}COALESCE(SUM(t.csat), 0), {k}SUM(CASE WHEN t.csat >= 4 THEN 1 ELSE 0 END), "
        f"{k}SUM(COALESCE(f.res, 0)) FROM ticket t LEFT JOIN {flags} ON f.ticket_id = t.id "
        f"WHERE t.solved_at IS NOT NULL AND {tickets} GROUP BY {solved_day}, {key} "
        f"ON CONFLICT ({day_keys}) DO UPDATE SET {adds('ticket_day', SOLVED_FIELDS)}",
        f"INSERT INTO ticket_day_frt (day, channel, category, agent_id, bucket, n) "
        f"{frt_histogram_select(dialect, tickets, sign)} "
        f"ON CONFLICT ({day_keys}, bucket) DO UPDATE SET n = ticket_day_frt.n + excluded.n",
        f"INSERT INTO ticket_sku_day (day, sku_id, n) SELECT {created_day}, t.sku_id, {k}COUNT(*) FROM ticket t "
        f"WHERE t.sku_id IS NOT NULL AND {tickets} GROUP BY {created_day}, t.sku_id "
        "ON CONFLICT (day, sku_id) DO UPDATE SET n = ticket_sku_day.n + excluded.n",
    ]


def share_params(statement: str, tickets: str, params: tuple[Any, ...]) -> tuple[Any, ...]:
    """The bound parameters of one ``tickets_share_sql`` statement: ``params`` (the condition's)
    once per time the condition appears in it (twice where it also scopes the breach flags)."""
    scope = tickets.replace("t.id", "b.ticket_id")
    return params * (statement.count(tickets) + statement.count(scope))


def triggers_present(connection: Any) -> bool:
    dialect = connection.dialect.name
    names = ", ".join(f"'{name}'" for name in TRIGGERS)
    if dialect == "sqlite":
        sql = f"SELECT COUNT(DISTINCT name) FROM sqlite_master WHERE type = 'trigger' AND name IN ({names})"
    else:
        sql = (
            "SELECT COUNT(DISTINCT trigger_name) FROM information_schema.triggers "
            f"WHERE trigger_schema = current_schema() AND trigger_name IN ({names})"
        )
    return int(connection.exec_driver_sql(sql).scalar() or 0) == len(TRIGGERS)


def restore(connection: Any) -> None:
    """Triggers re-made and roll-ups rebuilt (SQLite drops a table's triggers when a batch migration
    re-creates the table: ``db.upgrade`` calls this after any migration that left them missing)."""
    dialect = connection.dialect.name
    for statement in drop_trigger_ddl(dialect) + trigger_ddl(dialect) + rebuild_sql(dialect):
        connection.exec_driver_sql(statement)
