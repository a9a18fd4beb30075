"""The tickets area in Simplified Chinese (issue 21): snapshots at 80x24, keys driven in Chinese with
the database effect, whole labels at 80 columns, the CLI's text in Chinese with JSON unchanged; and
the SLA settings forms in English at 80x24 and 160x48 (issue 19: they had no snapshots)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from rich.cells import cell_len
from sqlalchemy import Engine, select
from textual.widgets import Input, TextArea

from dtc_tui import db, i18n
from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.i18n import _
from dtc_tui.models import Person, Ticket
from dtc_tui.ui.widgets.window_table import WindowTable
from tests.conftest import make_app, screen_text


async def settled(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_reply(pilot) -> None:
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press("r")
    await pilot.pause()
    pilot.app.screen.query_one(TextArea).cursor_blink = False
    await pilot.press(*"Hello, ")
    await pilot.pause(0.8)  # the autosave has run: the same picture every time
    await settled(pilot)


async def open_kpis(pilot) -> None:
    await pilot.press("K")
    await settled(pilot)


def sla_form(*keys: str):
    """The SLA settings screen (S), then a form: a adds a policy, e edits the first, C adds a calendar."""

    async def run(pilot) -> None:
        await pilot.press("S")
        await settled(pilot)
        await pilot.press(*keys)
        await settled(pilot)
        for box in pilot.app.screen.query(Input):
            box.cursor_blink = False

    return run


async def nothing(pilot) -> None:
    await settled(pilot)


ZH_SCREENS = {
    "queue": nothing,
    "ticket_view": lambda pilot: _press(pilot, "enter"),
    "reply_editor": open_reply,
    "kpis": open_kpis,
    "sla_settings": lambda pilot: _press(pilot, "S"),
    "policy_form_add": sla_form("a"),
    "policy_form_edit": sla_form("e"),
    "calendar_form_add": sla_form("C"),
}


async def _press(pilot, key: str) -> None:
    await pilot.press(key)
    await settled(pilot)


@pytest.mark.parametrize("screen", list(ZH_SCREENS))
def test_tickets_area_in_chinese_at_80x24(
    snap_compare, zh_cn, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, screen: str
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    assert snap_compare(app, run_before=ZH_SCREENS[screen], terminal_size=(80, 24))


SLA_FORMS = {"policy_add": ("a",), "policy_edit": ("e",), "calendar_add": ("C",)}


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
@pytest.mark.parametrize("form", list(SLA_FORMS))
def test_sla_form_snapshot(
    snap_compare,
    sqlite_demo_engine: Engine,
    clock: FixedClock,
    settings: Settings,
    form: str,
    size: tuple[int, int],
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    assert snap_compare(app, run_before=sla_form(*SLA_FORMS[form]), terminal_size=size)


# --- driven in Chinese ------------------------------------------------------------------------


def ticket(engine: Engine, ticket_id: int) -> Ticket:
    with db.read_session(engine) as session:
        found = session.get(Ticket, ticket_id)
        assert found is not None
        return found


async def test_claim_and_status_in_chinese(
    zh_cn, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        text = screen_text(app)
        assert "优先级" in text and "主题" in text and "负责人" in text  # the queue's column titles
        await pilot.press("slash")
        for char in "assignee:none":
            await pilot.press("colon" if char == ":" else char)
        await pilot.press("enter")
        await settled(pilot)
        row = app.screen.query_one("#queue", WindowTable).cursor_row
        assert row is not None and row.assignee_id is None
        await pilot.press("c")
        await settled(pilot)
        with db.read_session(sqlite_demo_engine) as session:
            me = session.execute(select(Person).where(Person.os_user == "tester")).scalars().one()
        assert ticket(sqlite_demo_engine, row.id).assignee_id == me.id
        assert any(f"工单 {row.id} 现在归你了" in n.message for n in app._notifications)
        await pilot.press("escape")  # the filter off: the claimed ticket is back under the cursor
        await settled(pilot)
        await pilot.press("slash")
        for char in f"id:{row.id}":
            await pilot.press("colon" if char == ":" else char)
        await pilot.press("enter")
        await settled(pilot)
        await pilot.press("s")  # statuses: new, open, pending...
        await settled(pilot)
        assert "待回复（等客户回复：暂停解决计时）" in screen_text(app)
        await pilot.press("home", "j", "j", "enter")
        await settled(pilot)
        assert ticket(sqlite_demo_engine, row.id).status == "pending"
        assert any("状态 待回复" in n.message for n in app._notifications)
        await pilot.press("enter")  # the ticket view, in Chinese
        await settled(pilot)
        view = screen_text(app)
        assert "主题" in view and "SLA 计时" in view and "待回复" in view


async def test_sla_policy_form_refuses_in_chinese_and_saves(
    zh_cn, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    from dtc_tui.models import SlaPolicy

    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await sla_form("a")(pilot)
        assert "新建策略" in screen_text(app)
        await pilot.press("ctrl+s")  # no name, no target
        await settled(pilot)
        shown = " ".join(screen_text(app).split())
        assert "策略需要一个名称" in shown
        screen = app.screen
        screen.query_one("#f-name", Input).value = "夜班"
        screen.query_one("#f-first", Input).value = "90x"
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert "请写分钟（90）" in str(screen.query_one("#err-first").render())  # under its field
        screen.query_one("#f-first", Input).value = "1h30"
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert "已保存；未结工单已重新计算" in screen_text(app)
    with db.read_session(sqlite_demo_engine) as session:
        saved = session.execute(select(SlaPolicy).where(SlaPolicy.name == "夜班")).scalars().one()
    assert saved.first_response_minutes == 90


# --- whole at 80 columns -------------------------------------------------------------------------


def test_chinese_form_labels_and_queue_titles_fit(zh_cn) -> None:
    """The SLA forms' labels sit in 16 cells (and a space); the queue's titles in their columns."""
    from dtc_tui.ui.screens.tickets.queue import queue_columns
    from dtc_tui.ui.screens.tickets.sla_forms import WEEKDAY_LABEL

    labels = [
        "Name", "Position", "Priority", "Channel", "Category", "Customer tier", "First response",
        "Next response", "Resolution", "Clock", "Pauses on", "Time zone", "Add a day", "Copy country",
        "Remove a day", *WEEKDAY_LABEL.values(),
    ]  # fmt: skip
    for label in labels:
        assert _(label) != label or label in ("SKU",), label  # translated
        assert cell_len(_(label)) <= 15, _(label)
    for column in queue_columns():
        assert cell_len(column.label) <= column.width, column.label


@pytest.mark.parametrize("keys", [[], ["enter"], ["K"], ["S"], ["S", "a"], ["S", "C"]])
async def test_chinese_footers_show_whole_entries_at_80x24(
    zh_cn, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, keys: list[str]
) -> None:
    from textual.widgets._footer import FooterKey

    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        for key in keys:
            await pilot.press(key)
            await settled(pilot)
        lines = screen_text(app).splitlines()
        shown = [k for k in app.screen.query(FooterKey) if "-command-palette" not in k.classes]
        for key in shown:
            assert f"{key.key_display} {key.description}" in lines[-1], key.description
        if shown:
            assert shown[0].description == _("Keys")


# --- the CLI -----------------------------------------------------------------------------------


@pytest.fixture
def frozen_cli_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    from dtc_tui import clock as clock_module
    from tests.conftest import FIXED_NOW

    monkeypatch.setattr(clock_module, "utcnow", lambda: FIXED_NOW)  # the CLI's SystemClock reads this


def run_cli(engine: Engine, *args: str) -> str:
    from dtc_tui.cli import main_group

    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main_group, ["--db", url, *args], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result.stdout


@pytest.mark.parametrize(
    "args",
    [("tickets", "show", "3"), ("sla", "policies", "list"), ("sla", "calendars", "list"), ("sla", "explain", "3")],
)
def test_cli_text_is_chinese_and_json_is_the_same(
    frozen_cli_clock: None, sqlite_demo_engine: Engine, args: tuple[str, ...]
) -> None:
    english_json = json.loads(run_cli(sqlite_demo_engine, *args, "--json"))
    english = run_cli(sqlite_demo_engine, *args)
    with i18n.speaking("zh-CN"):
        chinese_json = json.loads(run_cli(sqlite_demo_engine, *args, "--json"))
        chinese = run_cli(sqlite_demo_engine, *args)
    assert chinese_json == english_json
    assert chinese != english
    words = {
        "tickets": ["客户", "负责人", "首次响应"],
        "policies": ["启用", "首响", "解决"],
        "calendars": ["每周", "个节假日"],
        "explain": ["策略：", "开始于"],
    }[args[1] if args[0] == "sla" else args[0]]
    assert all(word in chinese for word in words), chinese


def test_cli_errors_in_chinese(frozen_cli_clock: None, sqlite_demo_engine: Engine) -> None:
    from dtc_tui.cli import main_group

    url = sqlite_demo_engine.url.render_as_string(hide_password=False)
    with i18n.speaking("zh-CN"):
        result = CliRunner().invoke(main_group, ["--db", url, "tickets", "show", "999999"])
    assert result.exit_code != 0
    assert "工单 999999 不存在" in result.output


# --- issue 19: the ticket view's subject at 80 columns -----------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-CN"])
async def test_a_long_subject_wraps_whole_at_80_columns(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, language: str
) -> None:
    from tests.test_orders_tickets import add_ticket

    subject = (
        "Paket seit drei Wochen beim Zoll in Frankfurt, Sendungsnummer DHL 00340434161094042557, "
        "bitte dringend um Rueckruf [b]heute[/b] ENDE"
    )
    with db.write_session(sqlite_demo_engine) as session:
        ticket_id = add_ticket(session, subject)
    with i18n.speaking(language):
        app = make_app(sqlite_demo_engine, clock, settings)
        async with app.run_test(size=(80, 24)) as pilot:
            await settled(pilot)
            await pilot.press("slash")
            for char in f"id:{ticket_id}":
                await pilot.press("colon" if char == ":" else char)
            await pilot.press("enter")
            await settled(pilot)
            await pilot.press("enter")
            await settled(pilot)
            text = screen_text(app)
            assert type(app.screen).__name__ == "TicketScreen"
    words = " ".join(text.split())
    for word in subject.split():
        assert word in words, word  # every word, the markup-like one as text, the last one too
    assert "…" not in text.splitlines()[2]  # the subject line itself is not cut


async def test_queue_help_lists_its_extra_rows_in_chinese(
    zh_cn, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settled(pilot)
        await pilot.press("question_mark")
        await settled(pilot)
        rows = dict(app.screen.rows)  # (keys, what they do) as the help screen lists them
        assert rows["j/k, g/G, PgUp/PgDn"] == "在队列中移动" and rows["Enter"] == "打开工单"
        assert "编号前的 ✎" in rows
        assert "认领" in rows.values() and "筛选" in rows.values()  # the bindings, translated by the help screen
