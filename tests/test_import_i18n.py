"""The import dialog and the import/export and mail commands in Simplified Chinese (issue 21)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.cells import cell_len
from sqlalchemy import Engine
from textual.widgets import Input

from dtc_tui import i18n
from dtc_tui.cli import main_group
from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.ui.screens.import_dialog import ImportDialog
from tests.conftest import FIXTURES, make_app, screen_text
from tests.test_import_dialog import flat, type_text, zendesk_tickets

pytestmark = pytest.mark.usefixtures("zh_cn")


def _dialog_snapshot(app, dialog: ImportDialog, keys: tuple[str, ...], *, run: bool):
    async def run_before(pilot) -> None:
        await app.push_screen(dialog)
        await pilot.pause()
        dialog.query_one("#path", Input).cursor_blink = False  # a stable picture
        if keys:
            await pilot.press(*keys)
        if run:
            await pilot.press("ctrl+s")
            await app.workers.wait_for_complete()
            await pilot.pause()
            app.clear_notifications()  # the "imported" toast would cover the summary's last lines
        await pilot.pause()

    return run_before


def test_import_dialog_zh_choosing_a_file_snapshot(
    snap_compare, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    folder = Path.cwd() / "exports"
    folder.mkdir()
    for name in ("zendesk_tickets.csv", "zendesk_ambiguous_dates.csv", "shopify_product_template.csv"):
        shutil.copy(FIXTURES / name, folder / name)
    app = make_app(sqlite_demo_engine, clock, settings, start_area="tickets")
    dialog = ImportDialog(path="exports/")
    run_before = _dialog_snapshot(app, dialog, ("tab", "tab"), run=False)  # the second Tab lists the names
    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))


def test_import_dialog_zh_dry_run_with_errors_snapshot(
    snap_compare, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    shutil.copy(FIXTURES / "edge" / "zendesk_bad_date.csv", Path.cwd() / "bad.csv")
    app = make_app(sqlite_demo_engine, clock, settings, start_area="tickets")
    dialog = ImportDialog(path="bad.csv")
    assert snap_compare(app, run_before=_dialog_snapshot(app, dialog, (), run=True), terminal_size=(80, 24))


def test_import_dialog_zh_done_summary_snapshot(
    snap_compare, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    shutil.copy(FIXTURES / "zendesk_tickets.csv", Path.cwd() / "zendesk_tickets.csv")
    app = make_app(sqlite_demo_engine, clock, settings, start_area="tickets")
    dialog = ImportDialog(path="zendesk_tickets.csv", dry_run=False)
    assert snap_compare(app, run_before=_dialog_snapshot(app, dialog, (), run=True), terminal_size=(80, 24))


async def test_the_dialog_in_chinese_dry_run_then_import(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    shutil.copy(FIXTURES / "zendesk_tickets.csv", Path.cwd() / "zendesk_tickets.csv")
    app = make_app(sqlite_demo_engine, clock, settings, start_area="tickets")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = ImportDialog(path="")
        await app.push_screen(dialog)
        await pilot.pause()
        text = screen_text(app)
        assert "导入文件" in text and "[x] 试运行" in text and "[ ] 跳过无效行" in text
        await type_text(pilot, "zendesk_t")
        await pilot.press("tab")  # completes the one name that fits
        assert dialog.query_one("#path", Input).value == "zendesk_tickets.csv"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = flat(app)
        assert "工单：将新增 8，将更新 0，未变 0；拒绝 0 行，忽略 0 行" in text
        assert "试运行：未写入任何内容" in text
        assert zendesk_tickets(sqlite_demo_engine) == 0
        await pilot.press("tab", "tab", "space")  # path -> zone -> dry run off
        await pilot.pause()
        assert "[ ] 试运行" in screen_text(app)
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = flat(app)
        assert "工单：新增 8，更新 0，未变 0" in text and "已在一个事务中写入" in text
        assert "处理人 'Sam Unknown' 不在团队中（1 个工单未分配）" in text  # the name stays as written
        assert zendesk_tickets(sqlite_demo_engine) == 8


def test_the_dialogs_rows_fit_80_columns_in_chinese() -> None:
    from dtc_tui.ui.screens import import_dialog as module

    inner = 78 - 2 - 2  # the dialog's width less its border and padding
    # The zone row: label, zone field, the two boxes ("[x] " + label + padding 2), two buttons.
    row = 6 + 14 + sum(4 + cell_len(i18n._(t)) + 2 for t in ("Dry run", "Skip invalid"))
    row += sum(max(8, cell_len(i18n._(t)) + 2) + 1 for t in ("Import", "Close"))
    assert row <= inner
    for line in ImportDialog.help_text().splitlines():
        assert cell_len(line) <= inner  # each help sentence on its own line, no word cut
    for label, _value in module.kind_options():
        assert cell_len(label) <= 40  # the kind picker's width at 80 columns


def _cli(*args: str):
    return CliRunner().invoke(main_group, list(args), catch_exceptions=False)


def test_import_and_export_print_chinese_and_json_stays_english(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    file = str(FIXTURES / "edge" / "zendesk_bad_date.csv")
    refused = _cli("--db", db, "import", "zendesk", file)
    assert refused.exit_code == 2
    assert f"{file}:3: Created at: '2026-31-11 10:00' 不是日期时间" in refused.stderr  # file:line: column kept
    assert "Priority: 未知优先级 'asap'（应为 low、normal、high、urgent）" in refused.stderr
    assert "3 行中有 2 行出现 2 个问题；未写入任何内容" in refused.stderr
    dry = _cli("--db", db, "import", "zendesk", file, "--dry-run", "--skip-invalid", str(tmp_path / "r.csv"))
    assert "  工单：将新增 1，将更新 0，未变 0；拒绝 2 行，忽略 0 行" in dry.stdout
    assert "  试运行：未写入任何内容" in dry.stdout
    chinese = json.loads(_cli("--db", db, "import", "zendesk", file, "--dry-run", "--json").stdout)
    with i18n.speaking("en"):
        english = json.loads(_cli("--db", db, "import", "zendesk", file, "--dry-run", "--json").stdout)
    chinese.pop("seconds"), english.pop("seconds")
    assert chinese == english
    assert english["errors"][0].endswith("Created at: '2026-31-11 10:00' is not a date and time")
    assert "ignored_reasons" in english and english["warnings"][0].startswith("status 'waiting' is not")
    exported = _cli("--db", db, "export", "tickets", "-o", str(tmp_path / "t.csv"))
    assert exported.exit_code == 0
    assert f"已导出 0 行 ticket 到 {tmp_path / 't.csv'}（csv）" in exported.stderr


def test_mail_status_prints_chinese_and_json_stays_english(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.mail_samples import MALFORMED, mail, maildir

    maildir(tmp_path / "Maildir", mail(), MALFORMED)
    config = tmp_path / "dtc-tui.toml"
    config.write_text(f'[mail]\nmaildir = "{tmp_path / "Maildir"}"\n')
    monkeypatch.setenv("DTC_TUI_CONFIG", str(config))
    db = str(tmp_path / "m.db")
    fetched = _cli("--db", db, "mail", "fetch")
    assert "maildir：读取 2 封：新工单 1 个" in fetched.output and "无法读取 1 封" in fetched.output
    status = _cli("--db", db, "mail", "status")
    assert "收件：1 工单, 1 无法读取" in status.output
    assert "无法读取：" in status.output
    chinese = json.loads(_cli("--db", db, "mail", "status", "--json").stdout)
    with i18n.speaking("en"):
        english = json.loads(_cli("--db", db, "mail", "status", "--json").stdout)
    assert chinese == english and english["inbound"] == {"ticket": 1, "unreadable": 1}
    with i18n.speaking("en"):
        assert "inbound: 1 ticket, 1 unreadable" in _cli("--db", db, "mail", "status").output
