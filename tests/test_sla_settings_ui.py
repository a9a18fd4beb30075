"""The SLA settings screen (issue 17): reached from the Tickets screen, changes the database and
re-applies open tickets; its look at 80x24 and 160x48."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from dtc_tui import db
from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.models import AuditLog, SlaPolicy, Ticket
from dtc_tui.services.tickets import ops
from tests.conftest import make_app, screen_text


@pytest.mark.asyncio
async def test_toggle_reorder_and_test_a_policy(engine: Engine, clock: FixedClock, settings: Settings) -> None:
    now = clock.now()
    ticket_id = ops.create_ticket(
        engine, subject="Server down", channel="email", category="site_incident", now=now, actor="t"
    )
    app = make_app(engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("S")
        await pilot.pause()
        text = screen_text(app)
        assert "Policies (the first active match wins)" in text and "Site incident" in text
        await pilot.press("space")  # the cursor starts on the first policy: Site incident off
        await pilot.pause()
        with db.read_session(engine) as session:
            policy = session.execute(select(SlaPolicy).where(SlaPolicy.name == "Site incident")).scalars().one()
            ticket = session.get(Ticket, ticket_id)
            audited = session.execute(select(AuditLog.action).where(AuditLog.entity == "sla_policy")).scalars().all()
        assert policy.active is False and audited == ["update"]
        assert ticket is not None and ticket.next_due_at == now + timedelta(hours=12)  # Standard now, at once
        await pilot.press("]")  # move it below Urgent
        await pilot.pause()
        with db.read_session(engine) as session:
            order = session.execute(select(SlaPolicy.name).order_by(SlaPolicy.position)).scalars().all()
        assert order[:2] == ["Urgent", "Site incident"]
        await pilot.press("t")
        for key in "2026-11-23T09:00+00:00":
            await pilot.press(key)
        await pilot.press("enter")
        await pilot.pause()
        text = screen_text(app)
        # the cursor follows the moved policy: Site incident, 30 min first response from Mon 09:00
        assert "Site incident from Mon 2026-11-23 09:00 UTC:" in text
        assert "first_response     30m  due Mon 2026-11-23 09:30 UTC" in text


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_sla_settings_snapshot(
    snap_compare, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, size: tuple[int, int]
) -> None:
    assert snap_compare(make_app(sqlite_demo_engine, clock, settings), press=["S"], terminal_size=size)


@pytest.mark.asyncio
async def test_reached_from_the_command_palette(engine: Engine, clock: FixedClock, settings: Settings) -> None:
    app = make_app(engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        for key in "SLA settings":
            await pilot.press(key if key != " " else "space")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "SlaSettingsScreen"
        assert "Support hours" in screen_text(app)
