"""The look of the audit log, the key help (``?``) and the stock-health panel (``h`` on the board),
at 80x24 and 160x48, over the demo database with the fixed clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from textual.pilot import Pilot

from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.ui.facades import Facades
from tests.conftest import make_app

SIZES = [(80, 24), (160, 48)]


async def settled(pilot: Pilot) -> None:
    """Let the first screen's workers (the stock board is computed in one) finish and draw."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def record_some_changes(engine: Engine, clock: FixedClock) -> None:
    """The demo database has no audit rows: two operators change tickets and a SKU, 20 minutes apart."""
    ana = Facades(engine, "ana", FixedClock(clock.now() - timedelta(minutes=20)))
    ana.tickets.set_priority(1, "urgent", None)
    ana.tickets.set_tags(1, "vip refund", None)
    ben = Facades(engine, "ben", clock)
    ben.tickets.set_status(2, "solved", None)
    sku = ben.inventory.board().rows[0]
    params = ben.inventory.sku_parameters(sku.sku_id)
    ben.inventory.update_sku_parameters(sku.sku_id, {"moq": 48}, expected_version=params.version)


@pytest.mark.parametrize("size", SIZES)
def test_audit_log_snapshot(
    snap_compare, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, size: tuple[int, int]
) -> None:
    record_some_changes(sqlite_demo_engine, clock)
    app = make_app(sqlite_demo_engine, clock, settings, start_area="audit")
    assert snap_compare(app, run_before=settled, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_help_snapshot(
    snap_compare, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, size: tuple[int, int]
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="tickets")
    assert snap_compare(app, run_before=settled, press=["question_mark"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_stock_health_snapshot(
    snap_compare, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, size: tuple[int, int]
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="inventory")
    assert snap_compare(app, run_before=settled, press=["h"], terminal_size=size)
