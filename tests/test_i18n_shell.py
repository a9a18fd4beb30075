"""The shell and the cross-area screens in Simplified Chinese (issue 21): zh-CN snapshots at 80x24
(overview, audit log, team grid / routing / person form, key help, the palette open), Pilot tests
driving them in Chinese with their database effect, the language switch from the palette (saved,
relaunch requested, drafts stored first), the CLI text in Chinese with the same JSON, and the CLI's
overview/check honouring the acknowledgements made in the app (issue 19)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select
from textual.widgets import TextArea

from dtc_tui import clock as clock_module
from dtc_tui import db, i18n
from dtc_tui.cli import main_group, relaunch_command
from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings, load_settings, save_setting
from dtc_tui.models import Assignment, OverviewAck, ReplyDraft
from dtc_tui.services.overview import acks
from dtc_tui.services.overview import summary as overview
from dtc_tui.ui import states
from tests.conftest import FIXED_NOW, make_app, screen_text
from tests.test_screen_snapshots import record_some_changes, settled

ZH = (80, 24)


# --- snapshots at 80x24 in Chinese -------------------------------------------------------------------


def test_overview_snapshot_zh(
    snap_compare, zh_cn: None, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="overview")
    assert snap_compare(app, terminal_size=ZH, run_before=settled)


def test_audit_log_snapshot_zh(
    snap_compare, zh_cn: None, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    record_some_changes(sqlite_demo_engine, clock)
    app = make_app(sqlite_demo_engine, clock, settings, start_area="audit")
    assert snap_compare(app, terminal_size=ZH, run_before=settled)


def test_team_grid_snapshot_zh(
    snap_compare, zh_cn: None, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="team")
    assert snap_compare(app, press=["down", "down", "down", "down", "right"], terminal_size=ZH)


def test_team_routing_snapshot_zh(
    snap_compare, zh_cn: None, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="team")
    assert snap_compare(app, press=["v"], terminal_size=ZH)


def test_team_person_form_snapshot_zh(
    snap_compare, zh_cn: None, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="team")
    assert snap_compare(app, press=["E"], terminal_size=ZH)


def test_help_snapshot_zh(
    snap_compare, zh_cn: None, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="overview")
    assert snap_compare(app, run_before=settled, press=["question_mark"], terminal_size=ZH)


def test_palette_snapshot_zh(
    snap_compare, zh_cn: None, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    async def open_palette(pilot) -> None:
        from textual.command import CommandInput, CommandList, CommandPalette

        await settled(pilot)
        await pilot.press("ctrl+p")
        # The palette lists its commands from a worker, in batches, and shows a busy bar after 0.5 s
        # of waiting: on a loaded machine wait until the whole list is in and nothing is busy.
        last = -1
        for _attempt in range(100):
            await pilot.pause(0.1)
            palette = pilot.app.screen
            if isinstance(palette, CommandPalette) and not palette._show_busy:
                count = palette.query_one(CommandList).option_count
                if count and count == last:
                    break
                last = count
        pilot.app.screen.query_one(CommandInput).cursor_blink = False  # a blinking cursor is half the runs
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    app = make_app(sqlite_demo_engine, clock, settings, start_area="overview")
    assert snap_compare(app, run_before=open_palette, terminal_size=ZH)


# --- Pilot in Chinese: what is shown and what is written ----------------------------------------------


async def test_overview_in_chinese_acknowledges_an_item(
    zh_cn: None, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="overview")
    async with app.run_test(size=ZH) as pilot:
        await settled(pilot)
        shown = screen_text(app)
        assert "0 概览" in shown and "当前待处理" in shown and "? 按键" in shown
        assert "Needs attention" not in shown and "Overview" not in shown
        await pilot.press("a")
        await pilot.pause()
        assert "确认：" in screen_text(app)  # the note dialog's title
        await pilot.press(*"supplier", "enter")
        await settled(pilot)
        assert any(n.message.startswith("已为你确认") for n in app._notifications)
        assert "已确认1(H)" in screen_text(app)  # in the title bar, which fits at 80 columns
    with db.read_session(sqlite_demo_engine) as session:
        rows = session.execute(select(OverviewAck)).scalars().all()
    assert [(r.kind, r.note, r.created_by) for r in rows] == [("ack", "supplier", "tester")]


async def test_team_in_chinese_sets_a_role_and_the_audit_log_shows_it(
    zh_cn: None, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="team")
    async with app.run_test(size=ZH) as pilot:
        await pilot.pause()
        shown = screen_text(app)
        assert "职责" in shown and "检查" in shown
        grid = app.screen.query_one("#team-grid")
        duty, person = grid.cursor_duty, grid.cursor_person
        new_role = "C" if grid.cursor_role() != "C" else "I"
        await pilot.press(new_role.lower())
        await pilot.pause()
        assert f"{person.handle}: {'咨询' if new_role == 'C' else '知会'}" in screen_text(app)
        await pilot.press("5")
        await settled(pilot)
        audit = screen_text(app)
        assert "1 条改动" in audit and "操作人" in audit and "time (UTC)" not in audit
    with db.read_session(sqlite_demo_engine) as session:
        role = session.execute(
            select(Assignment.role).where(Assignment.duty_id == duty.id, Assignment.person_id == person.id)
        ).scalar_one()
    assert role == new_role


# --- the language from the palette (issue 21.1) --------------------------------------------------------


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('theme = "nord"\n\n[keymap]\n"app.quit" = "ctrl+q"\n', encoding="utf-8")
    monkeypatch.setenv("DTC_TUI_CONFIG", str(path))
    return path


def test_save_setting_replaces_one_line_and_keeps_the_rest(config_file: Path) -> None:
    assert save_setting("language", "zh-CN") == config_file
    assert load_settings().language == "zh-CN"
    assert save_setting("language", "en") == config_file
    settings = load_settings()
    assert (settings.language, settings.theme, settings.keymap) == ("en", "nord", {"app.quit": "ctrl+q"})
    assert config_file.read_text(encoding="utf-8").count("language") == 1


def test_relaunch_runs_the_same_command_line_speaking_the_new_language() -> None:
    command, environ = relaunch_command("zh-CN", ["/usr/bin/dtc-tui", "--db", "team.db"])
    assert command[1:] == ["-m", "dtc_tui", "--db", "team.db"]
    assert environ["DTC_TUI_LANGUAGE"] == "zh-CN"


async def test_palette_switches_the_language_saves_it_and_asks_to_start_again(
    config_file: Path, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="overview")
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"language")
        await pilot.pause(0.3)
        assert "Language: English / 简体中文" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert "简体中文" in screen_text(app)  # the choice, on the current language (English)
        await pilot.press("down", "enter")
        await pilot.pause()
    assert app.relaunch_language == "zh-CN"  # cli.py re-executes the command line with it
    assert load_settings().language == "zh-CN"
    assert i18n.current() == "en"  # this process did not switch: the new one will


async def test_switching_language_stores_the_open_reply_first(
    config_file: Path, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    from tests.test_replies_ui import open_reply, parcel_ticket

    ticket_id = parcel_ticket(sqlite_demo_engine, clock.now())
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        area = await open_reply(app, pilot, ticket_id)
        assert isinstance(area, TextArea)
        await pilot.press(*"Hallo Jana")  # no pause: the autosave has not run yet
        assert app.switch_language("zh-CN") is True
        await pilot.pause()
    with db.read_session(sqlite_demo_engine) as session:
        body = session.execute(select(ReplyDraft.body).where(ReplyDraft.ticket_id == ticket_id)).scalar()
    assert body == "Hallo Jana"
    assert app.relaunch_language == "zh-CN"


async def test_choosing_the_language_already_spoken_changes_nothing(
    config_file: Path, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="overview")
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        assert app.switch_language("en") is False
        await pilot.pause()
        assert app.relaunch_language is None and app.is_running
    assert "language" not in config_file.read_text(encoding="utf-8")


def test_palette_placeholder_is_translated(zh_cn: None) -> None:
    assert i18n._("Search for commands…") == "搜索命令…"


# --- the ✎ draft mark has an ASCII fallback (issue 19) -------------------------------------------------


def test_draft_mark_follows_the_glyphs_setting() -> None:
    from dtc_tui.ui.screens.tickets.queue import id_cell

    row = cast(Any, SimpleNamespace(id=42, draft=True))

    try:
        states.configure(ascii=True, no_color=False)
        assert states.glyph("draft") == "d"
        assert id_cell(row, FIXED_NOW).plain == "d42"
        states.configure(ascii=False, no_color=False)
        assert id_cell(row, FIXED_NOW).plain == "✎42"
    finally:
        states.configure(ascii=False, no_color=False)


# --- CLI: Chinese text, the same JSON; acknowledgements honoured ---------------------------------------


def _demo(url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setattr(clock_module, "utcnow", lambda: FIXED_NOW)
    runner = CliRunner()
    assert runner.invoke(main_group, ["--db", url, "demo"]).exit_code == 0
    return runner


def test_overview_cli_speaks_chinese_and_its_json_does_not_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    runner = _demo(url, monkeypatch)
    english = {c: runner.invoke(main_group, ["--db", url, c, "--json"]).output for c in ("overview", "check")}
    team_en = runner.invoke(main_group, ["--db", url, "team", "check", "--json"]).output
    with i18n.speaking("zh-CN"):
        text = runner.invoke(main_group, ["--db", url, "overview"])
        team = runner.invoke(main_group, ["--db", url, "team", "route"])
        chinese = {c: runner.invoke(main_group, ["--db", url, c, "--json"]).output for c in ("overview", "check")}
        team_zh = runner.invoke(main_group, ["--db", url, "team", "check", "--json"]).output
    assert "当前已违约" in text.output and "总计" in text.output and "Breached now" not in text.output
    assert "类别" in team.output and "负责人" in team.output and "gets it" not in team.output
    assert chinese == english and team_zh == team_en
    assert json.loads(english["check"])["acknowledged"] == 0


def test_check_and_overview_leave_out_what_the_team_acknowledged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'quiet.db'}"
    runner = CliRunner()
    assert runner.invoke(main_group, ["--db", url, "db", "upgrade"]).exit_code == 0
    monkeypatch.setenv("DTC_TUI_OPERATOR", "ana")
    before = runner.invoke(main_group, ["--db", url, "check", "--json"])
    assert before.exit_code == 1  # nobody owns the ticket categories
    engine = db.open_engine(url, create=False)
    try:
        built = overview.build(engine, clock_module.utcnow())
        assert {i.kind for i in built.items} == {"signal_routing_gap"}
        for item in built.items:
            acks.acknowledge(engine, item, operator="ana", now=clock_module.utcnow(), note="hiring")
    finally:
        engine.dispose()
    after = runner.invoke(main_group, ["--db", url, "check", "--json"])
    assert after.exit_code == 0, after.output  # all that is left is acknowledged
    data = json.loads(after.output)
    assert (data["needs_attention"], data["acknowledged"], data["items"]) == (False, len(built.items), [])
    text = runner.invoke(main_group, ["--db", url, "check"])
    assert text.exit_code == 0
    assert f"{len(built.items)} acknowledged and 0 snoozed in the app" in text.output
    # Acknowledged for ana only (overview.ack_scope = operator): ben still sees it.
    monkeypatch.setenv("DTC_TUI_OPERATOR", "ben")
    assert runner.invoke(main_group, ["--db", url, "check", "--quiet"]).exit_code == 1


def test_an_item_acknowledged_in_chinese_stays_acknowledged_in_english(sqlite_demo_engine: Engine) -> None:
    """The fingerprint hashes the English sentences, whatever language the operator reads them in."""
    with i18n.speaking("zh-CN"):
        built = overview.build(sqlite_demo_engine, FIXED_NOW)
        picks = [next(i for i in built.items if i.kind == kind) for kind in ("ticket_breached", "po_late")]
        assert "已违约" in picks[0].shown_title() and "breached" in picks[0].title
        assert "已延误" in picks[1].shown_title() and "预计" in picks[1].shown_detail()
        for item in picks:
            acks.acknowledge(sqlite_demo_engine, item, operator="ana", now=FIXED_NOW)
    seen = acks.apply(sqlite_demo_engine, overview.build(sqlite_demo_engine, FIXED_NOW), operator="ana", now=FIXED_NOW)
    assert {h.item.title for h in seen.hidden} == {p.title for p in picks}
    assert not {i.title for i in seen.items} & {p.title for p in picks}


def test_headless_text_is_padded_by_terminal_cells() -> None:
    from dtc_tui.services.common import localefmt

    assert localefmt.cells("工单 ok") == 7
    assert localefmt.pad_cells("负责人", 8) == "负责人  "
    assert localefmt.pad_cells("ab", 4, right=True) == "  ab"
