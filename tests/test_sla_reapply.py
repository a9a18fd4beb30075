"""Re-applying stored SLA summaries after a change (issue 17): the bulk path (per-policy summary,
cached calendar walk, executemany, SQLite's index rebuild) stores exactly what the per-ticket
engine computes, and the indexes are all there afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, inspect, select

from dtc_tui import db
from dtc_tui.commands.common import write_defaults
from dtc_tui.models import Ticket
from dtc_tui.services.tickets import ops, sla_admin
from dtc_tui.services.tickets.sla import next_due
from dtc_tui.services.tickets.sla_store import SlaContext

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize("rebuild_above", [0, 10**9])
def test_bulk_reapply_stores_what_the_engine_computes(
    engine: Engine, rebuild_above: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sla_admin, "REBUILD_INDEXES_SHARE", rebuild_above)
    ids = []
    for hours in range(0, 80, 7):  # created over three days, some replied, some pending
        created = NOW - timedelta(hours=hours, minutes=13)
        ticket_id = ops.create_ticket(engine, subject=f"t{hours}", channel="email", now=created, actor="t")
        if hours % 2:
            ops.add_reply(engine, ticket_id, "on it", "agent", created + timedelta(minutes=40))
        if hours % 3 == 0:
            ops.set_status(engine, ticket_id, "pending", "agent", created + timedelta(hours=1))
        ids.append(ticket_id)
    with db.read_session(engine) as session:
        indexes_before = sorted(i["name"] for i in inspect(session.connection()).get_indexes("ticket"))
    with db.write_session(engine) as session:
        sla_admin.save_calendar(
            session,
            "Berlin",
            actor="t",
            now=NOW,
            timezone="Europe/Berlin",
            weekly_text="mon-fri 09:00-12:00, 13:00-17:00",
        )
        sla_admin.add_holidays(session, "Berlin", [(datetime(2026, 11, 24).date(), "test")], actor="t", now=NOW)
        sla_admin.save_policy(
            session,
            "Standard",
            {"business_hours": True, "calendar": "Berlin", "first_response_minutes": 240},
            actor="t",
            now=NOW,
        )
    with db.read_session(engine) as session:
        ctx = SlaContext(session)
        for ticket in session.execute(select(Ticket).where(Ticket.id.in_(ids))).scalars():  # type: ignore[attr-defined]
            expected = next_due(ctx.clocks(ticket, NOW))
            assert (ticket.next_due_at, ticket.next_due_metric, ticket.next_risk_at) == (
                expected.due_at,
                expected.metric,
                expected.risk_at,
            ), ticket.subject
            assert ticket.due_sort_at == expected.sort_key
        indexes_after = sorted(i["name"] for i in inspect(session.connection()).get_indexes("ticket"))
    assert indexes_after == indexes_before
    # a hand-computed one: created Wed 15:47 Berlin (14:47 UTC), 4 business hours, nobody replied:
    # Wed 15:47-17:00 counts 1h13, the 2h47 left from Thu 09:00: due Thu 11:47 Berlin (10:47 UTC)
    with db.read_session(engine) as session:
        first = session.get(Ticket, ids[0])
    assert first is not None and first.next_due_metric == "first_response"
    assert first.next_due_at == datetime(2026, 11, 26, 10, 47, tzinfo=UTC)


def test_sqlite_rebuilds_the_due_indexes_only_when_most_of_the_table_changes(
    tmp_path: Path,
) -> None:
    """A rebuild sorts every row of the table, closed tickets too, so it is worth it only when most
    rows change (``REBUILD_INDEXES_SHARE`` of the table): a target change that moves every open
    ticket of a table that is mostly open rebuilds; the same change where most rows are closed
    edits the indexes in place. Either way the indexes are all there afterwards."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    db.upgrade(engine)
    write_defaults(engine)
    ids = [
        ops.create_ticket(engine, subject=f"t{n}", channel="email", now=NOW - timedelta(hours=n), actor="t")
        for n in range(10)
    ]
    dropped: list[str] = []
    event.listen(
        engine,
        "before_cursor_execute",
        lambda conn, cursor, statement, *rest: (
            dropped.append(statement) if statement.startswith("DROP INDEX") else None
        ),
    )

    def change_target(minutes: int) -> None:
        with db.write_session(engine) as session:
            sla_admin.save_policy(session, "Standard", {"first_response_minutes": minutes}, actor="t", now=NOW)

    with db.read_session(engine) as session:
        indexes = sorted(i["name"] for i in inspect(session.connection()).get_indexes("ticket"))
    change_target(300)  # 10 of 10 rows change: rebuilt
    assert dropped, "every row changed but the indexes were edited row by row"
    for ticket_id in ids[:7]:  # 3 open of 10: moving them all is 30% of the table
        ops.set_status(engine, ticket_id, "solved", "agent", NOW)
    dropped.clear()
    change_target(360)
    assert not dropped, "3 rows of 10 changed but the indexes were rebuilt"
    with db.read_session(engine) as session:
        assert sorted(i["name"] for i in inspect(session.connection()).get_indexes("ticket")) == indexes
        moved = session.execute(select(Ticket.next_due_at).where(Ticket.id.in_(ids[7:]))).scalars().all()  # type: ignore[attr-defined]
    assert all(due is not None for due in moved)
    engine.dispose()
