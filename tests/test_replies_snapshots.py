"""The reply editor (the customer's last message above the text) and the macro picker, at 80x24 and
160x48, with a fixed clock."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from textual.widgets import Input, TextArea

from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from tests.conftest import make_app


async def open_reply(pilot) -> None:
    await pilot.press("enter")  # the ticket under the cursor
    await pilot.pause()
    await pilot.press("r")
    await pilot.pause()
    pilot.app.screen.query_one(TextArea).cursor_blink = False
    await pilot.press(*"Hello, ")
    await settle(pilot)


async def settle(pilot) -> None:
    """The autosave has run (the line under the editor says "draft saved"): the same picture every time."""
    await pilot.pause(0.8)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_picker(pilot) -> None:
    await open_reply(pilot)
    await pilot.press("ctrl+o")
    await pilot.pause()
    pilot.app.screen.query_one(Input).cursor_blink = False  # a stable picture
    await pilot.press(*"wh")
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_reply_editor_snapshot(
    snap_compare, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, size: tuple[int, int]
) -> None:
    assert snap_compare(make_app(sqlite_demo_engine, clock, settings), run_before=open_reply, terminal_size=size)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_macro_picker_snapshot(
    snap_compare, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, size: tuple[int, int]
) -> None:
    assert snap_compare(make_app(sqlite_demo_engine, clock, settings), run_before=open_picker, terminal_size=size)
