from __future__ import annotations

from sqlalchemy import Engine

from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from tests.conftest import make_app


async def test_every_screen_opens_by_its_key_and_q_quits(
    demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(demo_engine, clock, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.current_mode == "tickets"
        for key, mode, screen_name in [
            ("2", "inventory", "InventoryScreen"),
            ("3", "ads", "AdsScreen"),
            ("4", "team", "TeamScreen"),
            ("1", "tickets", "TicketsScreen"),
        ]:
            await pilot.press(key)
            await pilot.pause()
            assert app.current_mode == mode
            assert type(app.screen).__name__ == screen_name
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_help_lists_the_keys_of_the_current_screen(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        rows = dict((desc, key) for key, desc in app.screen.rows)
        assert rows["Filter"] == "/"
        assert rows["Quit"].startswith("q")
        assert "Tickets" in rows
        await pilot.press("escape")
        assert type(app.screen).__name__ == "TicketsScreen"


async def test_empty_real_database_says_how_to_start(engine: Engine, clock: FixedClock, settings: Settings) -> None:
    app = make_app(engine, clock, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("dtc-tui --demo" in m for m in messages)
