"""Re-applying stored SLA summaries after a change (issue 17): the bulk path (per-policy summary,
cached calendar walk, executemany, SQLite's index rebuild) stores exactly what the per-ticket
engine computes, and the indexes are all there afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, inspect, select

from dtc_tui import db
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
