"""The look of the Team screen at 80x24 and 160x48, with the fixed clock (Friday 14:00 UTC)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from tests.conftest import make_app


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_team_grid_snapshot(
    snap_compare,
    sqlite_demo_engine: Engine,
    clock: FixedClock,
    settings: Settings,
    size: tuple[int, int],
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="team")
    assert snap_compare(app, press=["down", "down", "down", "down", "right"], terminal_size=size)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_team_routing_snapshot(
    snap_compare,
    sqlite_demo_engine: Engine,
    clock: FixedClock,
    settings: Settings,
    size: tuple[int, int],
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="team")
    assert snap_compare(app, press=["v"], terminal_size=size)


def test_team_person_form_snapshot(
    snap_compare,
    sqlite_demo_engine: Engine,
    clock: FixedClock,
    settings: Settings,
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="team")
    assert snap_compare(app, press=["E"], terminal_size=(80, 24))
