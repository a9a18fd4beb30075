"""The ads, inventory and orders screens in Simplified Chinese (issue 21): each screen's look at
80x24 (snapshots), one Pilot test per area that drives it in Chinese and checks the database, and
the CLI's text in Chinese with JSON identical in both languages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.cells import cell_len
from sqlalchemy import Engine, select

from dtc_tui import db
from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.models import AuditLog, Campaign, PurchaseOrder, PurchaseOrderLine, Ticket
from dtc_tui.services.demo.inventory import HERO_CODE
from dtc_tui.services.tickets.sla_defaults import ensure_defaults
from tests.conftest import FIXED_NOW, make_app, screen_text
from tests.test_ads_service import seed_ads
from tests.test_inventory_ui import filter_to, ready, shown
from tests.test_orders_ui import first_lines, orders_engine  # noqa: F401 (fixture)

SIZE = (80, 24)


async def settled(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture
def account_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'ads.db'}")
    db.upgrade(engine)
    with db.write_session(engine) as session:
        ensure_defaults(session)
    seed_ads(engine)
    yield engine
    engine.dispose()


def lines_fit(app, width: int = 80) -> list[str]:
    """The screen's lines (from the screenshot) wider than the terminal: none may be."""
    import html
    import re

    svg = app.export_screenshot()
    rows: dict[str, list[tuple[float, str]]] = {}
    for x, y, text in re.findall(r'<text[^>]*x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg, flags=re.S):
        rows.setdefault(y, []).append((float(x), html.unescape(text).replace("\xa0", " ")))
    lines = ["".join(text for _x, text in sorted(parts)) for parts in rows.values()]
    return [line for line in lines if cell_len(line.rstrip()) > width]


# --- snapshots at 80x24 -----------------------------------------------------------------------


def test_ads_zh_snapshot(
    snap_compare, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, zh_cn
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="ads")
    assert snap_compare(app, run_before=settled, terminal_size=SIZE)


def test_ads_days_zh_snapshot(
    snap_compare, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, zh_cn
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="ads")
    press = ["j", "j", "enter", "o", "o", "o", "O", "enter"]
    assert snap_compare(app, run_before=settled, press=press, terminal_size=SIZE)


def test_ads_targets_form_zh_snapshot(
    snap_compare, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, zh_cn
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="ads")
    assert snap_compare(app, run_before=settled, press=["j", "enter", "t"], terminal_size=SIZE)


def test_ads_moves_zh_snapshot(
    snap_compare, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, zh_cn
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="ads")
    assert snap_compare(app, run_before=settled, press=["b"], terminal_size=SIZE)


def test_board_zh_snapshot(
    snap_compare, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, zh_cn
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="inventory")
    assert snap_compare(app, run_before=settled, terminal_size=SIZE)


def test_sku_detail_zh_snapshot(
    snap_compare, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, zh_cn
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="inventory")
    press = ["slash", *HERO_CODE, "space", "w", "h", ":", "U", "S", "-", "E", "enter", "enter"]
    assert snap_compare(app, run_before=settled, press=press, terminal_size=SIZE)


def test_sku_params_form_zh_snapshot(
    snap_compare, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, zh_cn
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="inventory")
    assert snap_compare(app, run_before=settled, press=["e"], terminal_size=SIZE)


def test_health_zh_snapshot(
    snap_compare, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, zh_cn
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="inventory")
    assert snap_compare(app, run_before=settled, press=["h"], terminal_size=SIZE)


def test_po_list_zh_snapshot(
    snap_compare, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, zh_cn
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="inventory")
    assert snap_compare(app, run_before=settled, press=["p"], terminal_size=SIZE)


def test_po_detail_zh_snapshot(
    snap_compare, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, zh_cn
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="inventory")
    assert snap_compare(app, run_before=settled, press=["p", "enter"], terminal_size=SIZE)


def test_transfers_zh_snapshot(
    snap_compare, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, zh_cn
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="inventory")
    assert snap_compare(app, run_before=settled, press=["p", "v"], terminal_size=SIZE)


def test_orders_zh_snapshot(
    snap_compare,
    orders_engine: Engine,  # noqa: F811 (the fixture)
    clock: FixedClock,
    settings: Settings,
    zh_cn,
) -> None:
    name = next(iter(first_lines()))

    async def find(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("O")
        await pilot.pause()
        for char in name.lstrip("#"):
            await pilot.press(char)
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(make_app(orders_engine, clock, settings), run_before=find, terminal_size=SIZE)


# --- Pilot: driven in Chinese ------------------------------------------------------------------


async def test_ads_in_chinese_set_targets(account_engine: Engine, clock: FixedClock, settings: Settings, zh_cn) -> None:
    app = make_app(account_engine, clock, settings, start_area="ads")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        text = screen_text(app)
        assert "全部渠道" in text and "归因 ROAS（平台收入/广告花费）" in text
        assert "渠道" in text and "花费" in text and "告警" in text
        assert not lines_fit(app)
        await pilot.press("question_mark")  # the help lists the screen's own rows in Chinese
        await pilot.pause()
        help_rows = dict(app.screen.rows)  # type: ignore[attr-defined]
        assert help_rows["Enter, l"] == "下钻：渠道 -> 广告系列 -> 每日" and "颜色" in help_rows
        await pilot.press("escape")
        await pilot.pause()
        for key in ("p", "p", "j", "enter"):  # 90 days, Google Ads, its campaigns
            await pilot.press(key)
            await pilot.pause()
        assert "广告系列" in screen_text(app)
        await pilot.press("t")
        await pilot.pause()
        assert type(app.screen).__name__ == "TargetsForm"
        form = screen_text(app)
        assert "目标 ROAS（收入/花费）" in form and "Enter 保存，Esc 取消" in form
        app.screen.query_one("#ads-target-roas").value = "abc"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        assert "目标 ROAS 必须是数字" in screen_text(app)  # the error in Chinese, nothing saved
        app.screen.query_one("#ads-target-roas").value = "3.5"  # type: ignore[attr-defined]
        app.screen.query_one("#ads-target-cpa").value = "15"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "AdsScreen"
        assert any("已保存 Winner 的目标" in n.message for n in app._notifications)
        assert "目标 ROAS 3.50（自设）" in screen_text(app)
    with db.read_session(account_engine) as session:
        winner = session.execute(select(Campaign).where(Campaign.name == "Winner")).scalars().one()
        audit = session.execute(select(AuditLog).where(AuditLog.entity == "campaign")).scalars().all()
    assert (winner.target_roas, winner.target_cpa) == (3.5, 15.0)
    assert [row.action for row in audit] == ["set_targets"]  # the stored audit row stays English


async def test_board_in_chinese_drafts_a_po(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, zh_cn
) -> None:
    engine = sqlite_demo_engine
    app = make_app(engine, clock, settings, start_area="inventory")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        text = screen_text(app)
        assert "补货看板，分仓" in text and "状态" in text and "操作" in text
        assert not lines_fit(app)
        await filter_to(pilot, f"{HERO_CODE} wh:US-W")
        (row,) = shown(app)
        assert row.action == "买 720"
        await pilot.press("b")
        await ready(pilot)
        assert any("已在 PO-1006 中起草 720 件" in n.message for n in app._notifications)
        assert shown(app)[0].action == "草稿 720"
        await pilot.press("p")
        await pilot.pause()
        assert "采购单" in screen_text(app) and "草稿" in screen_text(app)
    with db.read_session(engine) as s:
        po = s.execute(select(PurchaseOrder).where(PurchaseOrder.number == "PO-1006")).scalar_one()
        line = s.execute(select(PurchaseOrderLine).where(PurchaseOrderLine.po_id == po.id)).scalar_one()
    assert po.status == "draft" and line.qty_ordered == 720  # the stored status stays English


async def test_orders_in_chinese_set_a_refund_state(
    orders_engine: Engine,  # noqa: F811 (the fixture)
    clock: FixedClock,
    settings: Settings,
    zh_cn,
) -> None:
    from sqlalchemy import update

    from dtc_tui.models import StoreOrder
    from dtc_tui.services.tickets import ops
    from dtc_tui.ui.screens.orders.search import OrdersScreen

    with db.write_session(orders_engine) as session:
        order = session.execute(select(StoreOrder).where(StoreOrder.customer_id.is_not(None))).scalars().first()  # type: ignore[union-attr]
        assert order is not None
        name, customer_id, total, currency = order.name, order.customer_id, order.total, order.currency
    ticket_id = ops.create_ticket(orders_engine, subject="refund?", channel="email", now=FIXED_NOW, actor="x")
    with db.write_session(orders_engine) as session:
        session.execute(update(Ticket).where(Ticket.customer_id == customer_id).values(customer_id=None))
        session.execute(
            update(Ticket).where(Ticket.id == ticket_id).values(customer_id=customer_id, refund_status="pending")
        )
    app = make_app(orders_engine, clock, settings)
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(OrdersScreen(name.lstrip("#")))
        await pilot.pause()
        text = screen_text(app)
        assert "下单" in text and "：1 个订单" in text, text
        from dtc_tui.services.common.money import format_money

        assert format_money(total, currency, 2) in text  # £42.11, never "GBP 42.11"
        await pilot.press("enter")  # find: the list takes the focus
        await pilot.pause()
        await pilot.press("dollar_sign")
        await pilot.pause()
        assert f"工单 {ticket_id} 的退款状态" in screen_text(app)
        options = app.screen.query_one("OptionList")
        ids = [o.id for o in options._options]  # type: ignore[attr-defined]
        assert ids[options.highlighted] == "pending"  # type: ignore[attr-defined]
        options.highlighted = ids.index("promised")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
    with db.read_session(orders_engine) as session:
        assert session.get(Ticket, ticket_id).refund_status == "promised"  # type: ignore[union-attr]


# --- CLI ----------------------------------------------------------------------------------------


def test_orders_cli_text_in_chinese_json_the_same(orders_engine: Engine) -> None:  # noqa: F811 (the fixture)
    from click.testing import CliRunner

    from dtc_tui import i18n
    from dtc_tui.cli import main_group

    name = next(iter(first_lines()))
    url = str(orders_engine.url)
    runner = CliRunner()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(main_group, ["--db", url, "orders", *args], catch_exceptions=False)

    english = json.loads(run("show", name, "--json").stdout)
    with i18n.speaking("zh-CN"):
        chinese = json.loads(run("show", name, "--json").stdout)
        text = run("show", name).stdout
        listed = run("list", "--find", name)
    assert chinese == english
    assert f"订单 {name}" in text and "金额 £" in text and "付款" in text
    assert "1 个订单" in listed.output, listed.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("inventory", "reorder"), "操作"),
        (("inventory", "health"), "周转（次/年）"),
        (("po", "list"), "供应商"),
        (("inventory", "state", HERO_CODE), "可用"),
        (("ads", "report"), "花费"),
        (("ads", "report", "--by", "day"), "花费"),
        (("ads", "check"), "条广告告警"),
    ],
)
def test_inventory_and_ads_cli_text_in_chinese_json_the_same(
    sqlite_demo_engine: Engine, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], expected: str
) -> None:
    from click.testing import CliRunner

    from dtc_tui import clock as clock_module
    from dtc_tui import i18n
    from dtc_tui.cli import main_group

    monkeypatch.setattr(clock_module, "utcnow", lambda: FIXED_NOW)
    url = str(sqlite_demo_engine.url)
    runner = CliRunner()

    def run(*extra: str):  # type: ignore[no-untyped-def]
        return runner.invoke(main_group, ["--db", url, *args, *extra], catch_exceptions=False)

    english_text, english_json = run(), run("--json")
    with i18n.speaking("zh-CN"):
        chinese_text, chinese_json = run(), run("--json")
    assert english_json.exit_code == chinese_json.exit_code == english_text.exit_code == chinese_text.exit_code
    assert english_json.stdout == chinese_json.stdout and english_json.stdout.lstrip().startswith(("{", "["))
    assert chinese_text.output != english_text.output
    assert expected in chinese_text.output, chinese_text.output
