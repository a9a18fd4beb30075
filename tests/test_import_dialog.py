"""The in-app import: command palette -> dialog -> worker -> summary, asserted on screen and in the DB."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from textual.widgets import Checkbox, Input, Select

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


def flat(app) -> str:
    """The screen's text with the dialog's line wrapping undone."""
    return " ".join(screen_text(app).replace("│", " ").split())


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
        assert "Read as zendesk: detected from the header" in text
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
        assert "Read as zendesk: detected from the header" in text
        assert zendesk_tickets(sqlite_demo_engine) == 2


# --- issue 19: Tab completes the path, skip invalid rows, the last folder ---------------------


async def test_tab_completes_the_path_like_a_shell(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    folder = Path.cwd() / "exports"
    (folder / "old").mkdir(parents=True)
    shutil.copy(FIXTURES / "zendesk_tickets.csv", folder / "zendesk_tickets.csv")
    (folder / "zendesk_other.csv").write_text("Id\n")
    (folder / ".secret.csv").write_text("Id\n")
    app = make_app(sqlite_demo_engine, clock, settings, start_area="tickets")
    async with app.run_test(size=(100, 40)) as pilot:
        dialog = ImportDialog(path="")
        await app.push_screen(dialog)
        await pilot.pause()
        path = dialog.query_one("#path", Input)
        await type_text(pilot, "exp")
        await pilot.press("tab")
        assert path.value == "exports/"  # a folder ends with /
        await pilot.press("tab")  # three names fit and nothing is common: the first Tab adds nothing...
        assert path.value == "exports/"
        await pilot.press("tab")  # ...the second lists them (hidden names left out)
        await pilot.pause()
        text = screen_text(app)
        assert "3 names fit:" in text and "old/  zendesk_other.csv  zendesk_tickets.csv" in text
        assert ".secret.csv" not in text
        await type_text(pilot, "z")
        await pilot.press("tab")
        assert path.value == "exports/zendesk_"  # the common prefix
        await type_text(pilot, "t")
        await pilot.press("tab")
        assert path.value == "exports/zendesk_tickets.csv"
        await pilot.pause()
        assert "names fit" not in screen_text(app)  # the list is answered: the help is back
        assert "Enter or ctrl+s imports" in flat(app)
        assert app.screen.focused is path
        await pilot.press("tab")  # complete already: Tab moves on to the zone
        assert app.screen.focused is dialog.query_one("#tz")
        path.value = "exports/."
        path.focus()
        await pilot.press("tab")  # a typed "." shows the hidden names
        assert path.value == "exports/.secret.csv"
        path.value = "exports/zendesk_tickets.csv"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "dry run: nothing was written" in screen_text(app)
        assert zendesk_tickets(sqlite_demo_engine) == 0


async def test_skip_invalid_shows_the_rows_it_skips_then_imports_the_rest(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    shutil.copy(FIXTURES / "edge" / "zendesk_bad_date.csv", Path.cwd() / "bad.csv")  # 3 rows, 2 bad
    app = make_app(sqlite_demo_engine, clock, settings, start_area="tickets")
    async with app.run_test(size=(100, 40)) as pilot:
        dialog = ImportDialog(path="bad.csv")
        await app.push_screen(dialog)
        await pilot.pause()
        await pilot.press("tab", "tab", "space", "tab", "space")  # path -> zone -> dry run off -> skip invalid on
        await pilot.pause()
        assert "[ ] Dry run" in screen_text(app) and "[x] Skip invalid" in screen_text(app)
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = flat(app)
        assert "2 invalid rows would be skipped: lines 3, 4" in text
        assert "Press ctrl+s again to import the other 1 row; the skipped rows go to bad.rejects.csv." in text
        assert "bad.csv:3: Created at: '2026-31-11 10:00' is not a date and time" in text
        assert zendesk_tickets(sqlite_demo_engine) == 0  # nothing written before the second ctrl+s
        assert not (Path.cwd() / "bad.rejects.csv").exists()
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = flat(app)
        assert "tickets: 1 inserted, 0 updated, 0 unchanged; rows rejected: 2" in text
        assert "rejected rows written to bad.rejects.csv" in text
        assert zendesk_tickets(sqlite_demo_engine) == 1
        assert (Path.cwd() / "bad.rejects.csv").read_text(encoding="utf-8").count("\n") == 3  # header + 2


async def test_skip_invalid_with_a_changed_file_asks_again(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    shutil.copy(FIXTURES / "edge" / "zendesk_bad_date.csv", Path.cwd() / "bad.csv")
    shutil.copy(FIXTURES / "edge" / "zendesk_bad_date.csv", Path.cwd() / "bad2.csv")
    app = make_app(sqlite_demo_engine, clock, settings, start_area="tickets")
    async with app.run_test(size=(100, 40)) as pilot:
        dialog = ImportDialog(path="bad.csv", dry_run=False, skip_invalid=True)
        await app.push_screen(dialog)
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Press ctrl+s again" in flat(app)
        dialog.query_one("#path", Input).value = "bad2.csv"  # another file: its own confirmation
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Press ctrl+s again" in flat(app)
        assert zendesk_tickets(sqlite_demo_engine) == 0


async def test_the_dialog_starts_in_the_operators_last_folder(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    from dtc_tui.services.common import uistate

    folder = Path.cwd() / "exports"
    folder.mkdir()
    shutil.copy(FIXTURES / "zendesk_tickets.csv", folder / "zendesk_tickets.csv")
    app = make_app(sqlite_demo_engine, clock, settings, start_area="tickets")
    async with app.run_test(size=(100, 40)) as pilot:
        first = ImportDialog()
        await app.push_screen(first)
        await pilot.pause()
        assert first.query_one("#path", Input).value == ""  # nothing remembered yet
        first.query_one("#path", Input).value = str(folder / "zendesk_tickets.csv")
        first.query_one("#dry-run", Checkbox).value = False
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert zendesk_tickets(sqlite_demo_engine) == 8
        await pilot.press("escape")
        await pilot.pause()
        second = ImportDialog()
        await app.push_screen(second)
        await pilot.pause()
        path = second.query_one("#path", Input)
        assert path.value == "~/exports/"  # under the home folder, said as ~
        assert "~/exports/" in screen_text(app)
        await type_text(pilot, "z")  # typed at the end of the remembered folder
        await pilot.press("tab")
        assert path.value == "~/exports/zendesk_tickets.csv"
    # Kept on this machine, per operator (not in the shared database).
    assert uistate.recall("tester", uistate.LAST_IMPORT_FOLDER) == str(folder.resolve())
    assert uistate.recall("someone-else", uistate.LAST_IMPORT_FOLDER) is None
    assert uistate.state_file().is_file()
