"""The overview, the reorder board and the support KPIs compute on daemon threads
(``DtcApp.read_in_background``, ``dtc_tui/ui/threads.py``): quitting never waits for a computation
still running, and a computation the database fails becomes a message.

Each quit case runs the real app in a fresh interpreter whose computation never ends, presses the keys
that quit, and expects the interpreter to exit: a thread worker's executor thread would be joined
at exit and the process would hang until the timeout.
"""

from __future__ import annotations

import importlib
import sqlite3
import subprocess
import sys
import time

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from tests.conftest import make_app, screen_text

CHILD = """
import asyncio, sys, threading
from dtc_tui import db
from dtc_tui.config import Settings
from dtc_tui.ui.app import DtcApp
from dtc_tui.ui.facades.{module} import {facade}

started = threading.Event()

def never_ends(*args, **kwargs):
    started.set()
    threading.Event().wait()  # a computation the operator quits during

{facade}.{method} = never_ends

async def main():
    engine = db.make_engine({url!r})
    settings = Settings(operator="tester", tick_seconds=3600, sync_seconds=3600)
    app = DtcApp(engine=engine, settings=settings, start_area={area!r})
    async with app.run_test(size=(100, 30)) as pilot:
        for key in {before!r}:
            await pilot.press(key)
        for _ in range(1000):
            if started.is_set():
                break
            await asyncio.sleep(0.01)
        assert started.is_set(), "the computation never started"
        for key in {quit_keys!r}:
            await pilot.press(key)
        await pilot.pause()
    print("quit", app.return_code, flush=True)

asyncio.run(main())
"""

CASES = {
    "overview": ("overview", "OverviewFacade", "build", "overview", [], ["q"]),
    "inventory board": ("inventory", "InventoryFacade", "board", "inventory", [], ["q"]),
    "support KPIs": ("tickets", "TicketsFacade", "kpi_report", "tickets", ["K"], ["q", "q"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_quitting_during_a_computation_exits_at_once(case: str, sqlite_demo_engine: Engine) -> None:
    module, facade, method, area, before, quit_keys = CASES[case]
    code = CHILD.format(
        module=module,
        facade=facade,
        method=method,
        url=str(sqlite_demo_engine.url),
        area=area,
        before=before,
        quit_keys=quit_keys,
    )
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case}: the app quit but the process waited for the computation (still running after 60 s)")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["quit", "0"], done.stdout + done.stderr[-2000:]
    assert time.monotonic() - started < 60


# --- a read that fails says so ------------------------------------------------------------------


def _database_gone(*args: object, **kwargs: object) -> None:
    raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("disk I/O error"))


@pytest.mark.parametrize("case", list(CASES))
async def test_a_computation_the_database_fails_becomes_a_message(
    case: str, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, the worker's error was logged and dropped: the screen stayed as it was, unexplained."""
    module, facade, method, area, before, _quit = CASES[case]
    owner = getattr(importlib.import_module(f"dtc_tui.ui.facades.{module}"), facade)
    monkeypatch.setattr(owner, method, _database_gone)
    app = make_app(sqlite_demo_engine, clock, settings, start_area=area)
    async with app.run_test(size=(100, 30)) as pilot:
        for key in before:
            await pilot.press(key)
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = [(n.title, n.message) for n in app._notifications]
        assert ("Not refreshed", "database unavailable: disk I/O error.") in shown
        assert app.is_running
        if case == "support KPIs":
            assert "not computed" in screen_text(app) and "computing" not in screen_text(app)
