"""Issue 20, queue at 1M tickets: the priority sort, the "Waiting on customer" view and the free-text
filter read from indexes (models/ticket_search.py, migration 0015), with the results of the plain
queries they replace."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, select, text
from sqlmodel import col

from bench.imports import NOW as IMPORT_NOW
from bench.imports import write_tickets
from dtc_tui import db
from dtc_tui.models import Customer, Ticket, ticket_search
from dtc_tui.services.importers import pipeline
from dtc_tui.services.tickets import ops
from dtc_tui.services.tickets.queue import QUEUE_FILTER, QueueQuery, TicketQueueSource
from dtc_tui.services.tickets.sla import PAUSING_STATUSES
from dtc_tui.services.tickets.sla_breaches import record_every_breach


def _rows(engine: Engine, query: QueueQuery, *, fulltext: bool = True, page: int = 7) -> list[int]:
    """Every row of the queue, read page by page (keyset paging included)."""
    source = TicketQueueSource(engine, query, fulltext=fulltext)
    total = source.count()
    ids = [row.id for start in range(0, total, page) for row in source.fetch(start, page)]
    assert len(ids) == total
    return ids


def _open_tickets(engine: Engine) -> list[Ticket]:
    with db.read_session(engine) as session:
        stmt = select(Ticket).where(col(Ticket.is_open).is_(True)).order_by(col(Ticket.id))
        return list(session.execute(stmt).scalars())


def _priority_reference(engine: Engine) -> list[int]:
    rank = ticket_search.PRIORITY_RANK
    tickets = _open_tickets(engine)
    return [t.id or 0 for t in sorted(tickets, key=lambda t: (rank.get(t.priority, 9), t.due_sort_at, t.id or 0))]


def _plan(engine: Engine, query: QueueQuery) -> str:
    source = TicketQueueSource(engine, query)
    stmt = source._select_statement(0, 20, None, True)
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        return " | ".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))


def test_the_waiting_view_is_the_pausing_statuses() -> None:
    assert set(ticket_search.WAITING_STATUSES) == PAUSING_STATUSES
    assert list(ticket_search.WAITING_STATUSES) == sorted(ticket_search.WAITING_STATUSES)


def test_priority_sort_follows_every_kind_of_write(demo_engine: Engine, now: datetime, tmp_path: Path) -> None:
    engine = demo_engine
    query = QueueQuery(sort="priority", now=now)
    assert _rows(engine, query) == _priority_reference(engine)
    some = [t.id for t in _open_tickets(engine)][:12]
    change = ops.set_priority(engine, some[0], "urgent", "ana", now)
    ops.set_priority(engine, some[1], "low", "ana", now)
    ops.set_status(engine, some[2], "solved", "ana", now)  # leaves the open queue
    bulk = ops.bulk(engine, some[3:8], operator="ana", now=now, priority="high", status="pending")
    assert len(bulk.changes) == 5
    assert _rows(engine, query) == _priority_reference(engine)
    ops.undo(engine, change, "ana", now)
    step = bulk.as_undo_step()
    assert step is not None
    ops.undo(engine, step, "ana", now)
    with db.write_session(engine) as session:  # a raw-SQL writer (as the importers are)
        session.execute(text("UPDATE ticket SET priority = 'urgent' WHERE id = :id"), {"id": some[9]})
        session.execute(text("UPDATE ticket SET priority = 'weird' WHERE id = :id"), {"id": some[10]})  # rank 9
    file = tmp_path / "zendesk.csv"
    write_tickets(file, 40, random.Random(3))
    pipeline.run_import(engine, "zendesk", file, now=IMPORT_NOW, actor="ana")
    reference = _priority_reference(engine)
    assert _rows(engine, query) == reference
    assert reference.index(some[10]) > reference.index(some[9])
    if db.is_sqlite(engine):
        assert ticket_search.PRIORITY_INDEX in _plan(engine, query)


def test_waiting_view_is_read_in_due_order(demo_engine: Engine, now: datetime) -> None:
    engine = demo_engine
    some = [t.id for t in _open_tickets(engine) if t.status not in PAUSING_STATUSES][:4]
    ops.set_status(engine, some[0], "pending", "ana", now)
    ops.set_status(engine, some[1], "on_hold", "ana", now)
    waiting = [t for t in _open_tickets(engine) if t.status in PAUSING_STATUSES]
    reference = [t.id or 0 for t in sorted(waiting, key=lambda t: (t.due_sort_at, t.id or 0))]
    assert len(reference) > 10
    query = QueueQuery(view="waiting", now=now)
    assert _rows(engine, query) == reference
    assert some[0] in reference and some[1] in reference
    if db.is_sqlite(engine):
        assert ticket_search.WAITING_INDEX in _plan(engine, query)


SUBJECTS = [
    "Wo ist meine Bestellung #4711? ÜBERWEISUNG fehlt",
    "Größe passt nicht, Umtausch bitte",
    "grösse falsch: 50% Rabatt_code geht nicht",
    "退款申请：订单 #8842 尚未到账",
    "订单退款问题",
    'He said "refund" OR NEAR(x y) * ^start -minus col:val',
    "back\\slash and 100% sure_thing",
    "Where is my order #4711?",
    "emoji 📦 parcel lost",
    "مرحبا طلب إرجاع",
]
WORDS = [
    "bestellung",
    "#4711",
    "über",
    "ÜBER",
    "größe",
    "grösse",
    "50%",
    "%",
    "_code",
    "rabatt_",
    "退款",  # two characters: scanned
    "订单退款",
    "尚未到账",
    '"refund"',
    "near(x",
    "* ^start",
    '"col:val"',
    "back\\slash",
    "100% sure",
    "📦 parcel",
    "طلب",
    "order",
    "or",
    "zzzz",
    "ab",
    '"where is" order',
]


@pytest.fixture
def text_world(engine: Engine, now: datetime) -> Engine:
    for index, subject in enumerate(SUBJECTS * 3):
        ticket_id = ops.create_ticket(
            engine,
            subject=subject,
            channel="email",
            now=now - timedelta(minutes=index),
            actor="test",
            customer_name="Jürgen Größmann" if index % 5 == 0 else f"Kunde {index}",
        )
        if index % 4 == 0:
            ops.set_status(engine, ticket_id, "solved", "ana", now)
    with db.write_session(engine) as session:
        session.execute(text("UPDATE ticket SET order_ref = '#ORD-' || id"))
        session.add(Customer(name="Größe Kundin"))
    return engine


def _substring_reference(engine: Engine, word: str, *, open_only: bool) -> set[int]:
    """The plain substring meaning, in Python: SQLite ignores the case of ASCII letters only,
    PostgreSQL's lower() folds every letter."""
    sqlite = db.is_sqlite(engine)

    def fold(value: str | None) -> str:
        if value is None:
            return ""
        return "".join(c.lower() if c.isascii() else c for c in value) if sqlite else value.lower()

    with db.read_session(engine) as session:
        rows = session.execute(
            select(Ticket.id, Ticket.subject, Ticket.order_ref, Customer.name, Ticket.is_open).outerjoin(
                Customer, col(Customer.id) == col(Ticket.customer_id)
            )
        ).all()
    return {r[0] for r in rows if (r[4] or not open_only) and any(word in fold(value) for value in (r[1], r[2], r[3]))}


def _check_words(engine: Engine, now: datetime) -> int:
    indexed = 0
    for word in WORDS:
        for view in ("all_open", "all"):
            query = QueueQuery(view=view, filter=QUEUE_FILTER.parse(word), now=now)
            with_index = _rows(engine, query)
            assert with_index == _rows(engine, query, fulltext=False), (word, view)
            parsed = QUEUE_FILTER.parse(word)
            if len(parsed.words) == 1:
                expected = _substring_reference(engine, parsed.words[0], open_only=view == "all_open")
                assert set(with_index) == expected, (word, view)
            if db.is_sqlite(engine):
                indexed += bool(TicketQueueSource(engine, query)._indexed_words(query))
    return indexed


def test_free_text_with_the_index_equals_the_substring_scan(text_world: Engine, now: datetime) -> None:
    engine = text_world
    assert _check_words(engine, now) >= 0
    with db.write_session(engine) as session:  # everything folded into the index: searched by it
        assert ticket_search.fold_stale(session.connection()) > 0 or not db.is_sqlite(engine)
    indexed = _check_words(engine, now)
    if db.is_sqlite(engine):
        assert indexed >= 20  # most words above went through the trigram index
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT COUNT(*) FROM ticket_fts_stale").scalar() == 0


def test_changed_and_deleted_tickets_are_found_as_they_are_now(text_world: Engine, now: datetime) -> None:
    engine = text_world
    with db.write_session(engine) as session:
        ticket_search.fold_stale(session.connection())
    tickets = _open_tickets(engine)
    first = next(t.id for t in tickets if t.subject == SUBJECTS[0])
    second = next(t.id for t in tickets if t.subject == SUBJECTS[3])
    with db.write_session(engine) as session:  # after the fold: the index holds the old text
        session.execute(text("UPDATE ticket SET subject = 'Kaputte Lieferung' WHERE id = :id"), {"id": first})
        for child in ("ticket_event", "ticket_message", "sla_breach"):
            session.execute(text(f"DELETE FROM {child} WHERE ticket_id = :id"), {"id": second})
        session.execute(text("DELETE FROM ticket WHERE id = :id"), {"id": second})

    def found(word: str) -> list[int]:
        query = QueueQuery(view="all", filter=QUEUE_FILTER.parse(word), now=now)
        rows = _rows(engine, query)
        assert rows == _rows(engine, query, fulltext=False)
        return rows

    for _ in range(2):  # before and after the stale tickets are folded in
        assert first in found("kaputte")
        assert first not in found("bestellung")
        assert found("退款申请") and second not in found("退款申请")
        with db.write_session(engine) as session:
            record_every_breach(session, now)  # the periodic write folds them
    if db.is_sqlite(engine):
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT COUNT(*) FROM ticket_fts_stale").scalar() == 0


def _alembic(engine: Engine, target: str, *, down: bool = False) -> None:
    with engine.begin() as connection:
        cfg = db._alembic_config(engine, connection)
        (command.downgrade if down else command.upgrade)(cfg, target)


def _objects(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        if db.is_sqlite(engine):
            sql = "SELECT name FROM sqlite_master WHERE name LIKE 'ix_ticket_%' OR name LIKE '%fts%'"
            rows = conn.exec_driver_sql(sql)
        else:
            rows = conn.exec_driver_sql("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
        return {row[0] for row in rows}


def test_migration_0015_up_down_up(database_url: str, now: datetime) -> None:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    ours = {ticket_search.PRIORITY_INDEX, ticket_search.WAITING_INDEX, "ix_ticket_open_risk"}
    if db.is_sqlite(engine):
        ours |= {ticket_search.FTS_TABLE, ticket_search.STALE_TABLE, *ticket_search.SQLITE_TRIGGERS}
    else:
        ours |= set(ticket_search.PG_TRGM_INDEXES)  # pg_trgm is installed on CI's PostgreSQL
    assert ours <= _objects(engine)
    ticket_id = ops.create_ticket(engine, subject="Rücksendung 退款单", channel="email", now=now, actor="t")
    _alembic(engine, "0008", down=True)
    assert not ours & _objects(engine)
    assert ticket_search.PRIORITY_INDEX not in _objects(engine)
    _alembic(engine, "head")
    assert ours <= _objects(engine)
    with engine.connect() as conn:
        assert ticket_search.present(conn)
    for word in ("rücksendung", "退款单"):
        query = QueueQuery(filter=QUEUE_FILTER.parse(word), now=now)
        assert _rows(engine, query) == [ticket_id]
        if db.is_sqlite(engine):
            assert TicketQueueSource(engine, query)._indexed_words(query) == {word}
    engine.dispose()


def test_a_lost_trigger_or_index_is_restored_by_upgrade(tmp_path: Path, now: datetime) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    db.upgrade(engine)
    with engine.begin() as conn:  # what a batch migration that re-creates ``ticket`` leaves
        conn.exec_driver_sql("DROP TRIGGER trg_ticket_fts_insert")
        conn.exec_driver_sql(f"DROP INDEX {ticket_search.PRIORITY_INDEX}")
        assert not ticket_search.present(conn)
        ticket_search.restore(conn)
        assert ticket_search.present(conn)
        conn.exec_driver_sql(f"DROP INDEX {ticket_search.WAITING_INDEX}")  # re-made without its WHERE
        conn.exec_driver_sql(f"CREATE INDEX {ticket_search.WAITING_INDEX} ON ticket (is_open, due_sort_at, id)")
        assert not ticket_search.present(conn)
        ticket_search.restore(conn)
        assert ticket_search.present(conn)
    ticket_id = ops.create_ticket(engine, subject="Paket beschädigt", channel="email", now=now, actor="t")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT ticket_id FROM ticket_fts_stale").scalars().all() == [ticket_id]


def test_at_risk_view_equals_the_reference(demo_engine: Engine, now: datetime) -> None:
    engine = demo_engine
    later = now + timedelta(hours=1)  # more tickets at risk than at the build time
    for at in (now, later):
        risky = [
            t
            for t in _open_tickets(engine)
            if t.next_risk_at is not None and t.next_due_at is not None and t.next_risk_at <= at < t.next_due_at
        ]
        reference = [t.id or 0 for t in sorted(risky, key=lambda t: (t.due_sort_at, t.id or 0))]
        assert reference
        assert _rows(engine, QueueQuery(view="at_risk", now=at)) == reference
