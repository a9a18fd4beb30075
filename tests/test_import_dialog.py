"""The in-app import: command palette -> dialog -> worker -> summary, asserted on screen and in the DB."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from textual.widgets import Checkbox, Select

from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.models import Ticket
from dtc_tui.ui.screens.import_dialog import ImportDialog
from tests.conftest import FIXTURES, make_app, screen_text


def zendesk_tickets(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count())
            .select_from(Ticket.__table__)  # type: ignore[attr-defined]
            .where(Ticket.source == "zendesk")
        ).scalar_one()


async def type_text(pilot, text: str) -> None:
    names = {" ": "space", "/": "slash", ".": "full_stop", "_": "underscore", "-": "minus"}
    for char in text:
        await pilot.press(names.get(char, char))


async def test_palette_opens_the_dialog_and_imports(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    shutil.copy(FIXTURES / "zendesk_tickets.csv", Path.cwd() / "zendesk_tickets.csv")
    app = make_app(sqlite_demo_engine, clock, settings, start_area="tickets")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("ctrl+p")
        await type_text(pilot, "Import a file")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ImportDialog)
        await type_text(pilot, "zendesk_tickets.csv")
        assert "[x] Dry run" in screen_text(app)  # on by default, shown as text, not only as a colour
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "dry run: nothing was written" in screen_text(app)
        assert zendesk_tickets(sqlite_demo_engine) == 0
        await pilot.press("tab", "tab")  # path -> zone -> the dry run box
        assert app.screen.focused is app.screen.query_one("#dry-run")
        await pilot.press("enter")  # Enter does not toggle it...
        assert app.screen.query_one("#dry-run").value is True  # type: ignore[attr-defined]
        await pilot.press("space")  # ...Space does
        await pilot.pause()
        assert "[ ] Dry run" in screen_text(app)
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(app)
        assert "tickets: 8 inserted, 0 updated, 0 unchanged" in text
        assert "written in one transaction" in text
        assert zendesk_tickets(sqlite_demo_engine) == 8
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ImportDialog)


async def test_a_bad_file_writes_nothing_and_lists_its_problems(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    shutil.copy(FIXTURES / "edge" / "zendesk_bad_date.csv", Path.cwd() / "bad.csv")
    app = make_app(sqlite_demo_engine, clock, settings, start_area="tickets")
    async with app.run_test(size=(100, 40)) as pilot:
        await app.push_screen(ImportDialog(path="bad.csv"))
        await pilot.pause()
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(app)
        assert "2 problems: nothing was written" in text
        assert "Imported as zendesk: detected from the header" in text
        assert "bad.csv:3: Created at: '2026-31-11 10:00' is not a date and time" in text
        assert zendesk_tickets(sqlite_demo_engine) == 0


async def test_dry_run_and_missing_file(sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings) -> None:
    shutil.copy(FIXTURES / "zendesk_tickets.csv", Path.cwd() / "z.csv")
    app = make_app(sqlite_demo_engine, clock, settings, start_area="tickets")
    async with app.run_test(size=(100, 40)) as pilot:
        dialog = ImportDialog(path="nope.csv")
        await app.push_screen(dialog)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "nope.csv: no such file" in screen_text(app)
        dialog.query_one("#path").value = "z.csv"  # type: ignore[attr-defined]
        assert dialog.query_one("#dry-run").value is True  # type: ignore[attr-defined]  # the default
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "dry run: nothing was written" in screen_text(app)
        assert zendesk_tickets(sqlite_demo_engine) == 0


async def test_markup_in_the_file_is_shown_as_text(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    # An assignee name that would be markup and a link if the summary were ever parsed as markup.
    (Path.cwd() / "m.csv").write_text(
        "Id,Status,Created at,Assignee\n1,open,2026-11-20 10:00,[b]Eve[/b] [@click=app.quit]x[/]\n"
    )
    app = make_app(sqlite_demo_engine, clock, settings, start_area="tickets")
    async with app.run_test(size=(100, 40)) as pilot:
        await app.push_screen(ImportDialog(path="m.csv"))
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        flat = " ".join(screen_text(app).replace("│", " ").split())  # undo the dialog's line wrapping
        assert "assignee '[b]Eve[/b] [@click=app.quit]x[/]' is not in the team" in flat
        assert isinstance(app.screen, ImportDialog)  # the [@click=app.quit] did not run


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_import_dialog_snapshot(
    snap_compare,
    sqlite_demo_engine: Engine,
    clock: FixedClock,
    settings: Settings,
    size: tuple[int, int],
) -> None:
    shutil.copy(FIXTURES / "zendesk_tickets.csv", Path.cwd() / "zendesk_tickets.csv")
    app = make_app(sqlite_demo_engine, clock, settings, start_area="tickets")

    async def run_before(pilot) -> None:
        await app.push_screen(ImportDialog(path="zendesk_tickets.csv"))
        app.screen.query_one("#path").cursor_blink = False  # type: ignore[attr-defined]  # a stable picture
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=size)


async def test_the_dialog_detects_the_kind_and_takes_a_date_order(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    shutil.copy(FIXTURES / "zendesk_ambiguous_dates.csv", Path.cwd() / "amb.csv")
    app = make_app(sqlite_demo_engine, clock, settings, start_area="tickets")
    async with app.run_test(size=(100, 40)) as pilot:
        dialog = ImportDialog(path="amb.csv")
        await app.push_screen(dialog)
        await pilot.pause()
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "can be day-first or month-first" in screen_text(app).replace("│\n│", " ")
        assert zendesk_tickets(sqlite_demo_engine) == 0
        dialog.query_one("#date-order", Select).value = "dmy"
        dialog.query_one("#dry-run", Checkbox).value = False  # dry run is the default: import for real
        await pilot.pause()
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(app)
        assert "Imported as zendesk: detected from the header" in text
        assert zendesk_tickets(sqlite_demo_engine) == 2
