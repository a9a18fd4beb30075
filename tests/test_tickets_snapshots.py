"""The look of the ticket screens at 80x24 and 160x48, with a fixed clock."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from tests.conftest import make_app


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_queue_snapshot(
    snap_compare,
    sqlite_demo_engine: Engine,
    clock: FixedClock,
    settings: Settings,
    size: tuple[int, int],
) -> None:
    assert snap_compare(make_app(sqlite_demo_engine, clock, settings), terminal_size=size)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_ticket_view_snapshot(
    snap_compare,
    sqlite_demo_engine: Engine,
    clock: FixedClock,
    settings: Settings,
    size: tuple[int, int],
) -> None:
    assert snap_compare(make_app(sqlite_demo_engine, clock, settings), press=["enter"], terminal_size=size)


def test_kpi_snapshot(snap_compare, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings) -> None:
    async def open_kpis(pilot) -> None:
        await pilot.press("K")
        await pilot.app.workers.wait_for_complete()  # the KPIs are computed in a worker
        await pilot.pause()

    assert snap_compare(make_app(sqlite_demo_engine, clock, settings), run_before=open_kpis, terminal_size=(120, 40))
