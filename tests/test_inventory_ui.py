"""The reorder board driven by keys (Pilot) on the demo database, asserting on the screen and in
the database; and its look at 80x24 and 160x48 (snapshots)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from textual.pilot import Pilot
from textual.widgets import Input

from dtc_tui import db
from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.models import AuditLog, PurchaseOrder, PurchaseOrderLine, Sku, StockLevel, StockTransfer, Warehouse
from dtc_tui.services.demo.inventory import HERO_CODE
from dtc_tui.ui.widgets.window_table import WindowTable
from tests.conftest import FIXED_NOW, make_app, screen_text


async def ready(pilot: Pilot) -> None:
    """Wait for the board's worker to finish and the screen to settle."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def board(app) -> WindowTable:
    return app.screen.query_one("#board", WindowTable)


def shown(app) -> list:
    table = board(app)
    return list(table.source.fetch(0, table.row_count)) if table.source else []


async def filter_to(pilot: Pilot, text: str) -> None:
    await pilot.press("slash")
    await pilot.press(*text)
    await pilot.press("enter")
    await pilot.pause()


def select_po(app, number: str) -> None:
    table = app.screen.query_one("#po-table", WindowTable)
    rows = list(table.source.fetch(0, table.row_count))
    table.cursor = next(i for i, r in enumerate(rows) if r.number == number)


def hero_stock(engine: Engine, warehouse: str) -> int:
    with db.read_session(engine) as s:
        return s.execute(
            select(StockLevel.on_hand)
            .join(Sku, Sku.id == StockLevel.sku_id)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .where(Sku.code == HERO_CODE, Warehouse.code == warehouse)
        ).scalar_one()


async def test_board_is_sorted_by_urgency_with_states(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="inventory")
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        rows = shown(app)
        assert len(rows) == 450  # 150 SKUs x 3 warehouses
        urgencies = [r.plan.urgency for r in rows if r.plan.urgency is not None]
        assert urgencies == sorted(urgencies)
        assert rows[0].state in ("out", "reorder_now")
        text = screen_text(app)
        assert "reorder board, by warehouse" in text and "OUT" in text
        await pilot.press("w")  # the SKU over all warehouses
        await pilot.pause()
        assert len(shown(app)) == 150 and {r.warehouse for r in shown(app)} == {"all"}
        await pilot.press("v")  # "To order"
        await pilot.pause()
        assert shown(app) and all(r.state in ("out", "reorder_now", "reorder_soon") for r in shown(app))


async def test_create_send_and_partly_receive_a_po(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    engine = sqlite_demo_engine
    before_us_w = hero_stock(engine, "US-W")
    app = make_app(engine, clock, settings, start_area="inventory")
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await filter_to(pilot, f"{HERO_CODE} wh:US-W")
        (row,) = shown(app)
        assert row.action == "buy 720"  # 21/day: order up to 778, minus 60 available -> MOQ 200, cases of 20
        await pilot.press("b")
        await ready(pilot)
        with db.read_session(engine) as s:
            po = s.execute(select(PurchaseOrder).where(PurchaseOrder.number == "PO-1006")).scalar_one()
            line = s.execute(select(PurchaseOrderLine).where(PurchaseOrderLine.po_id == po.id)).scalar_one()
            assert po.status == "draft" and line.qty_ordered == 720
            assert s.get(Warehouse, po.warehouse_id).code == "US-W"  # type: ignore[union-attr]
        assert shown(app)[0].action == "720 on draft"

        await pilot.press("p")  # the PO list: drafts first
        await pilot.pause()
        assert type(app.screen).__name__ == "PoListScreen"
        assert "PO-1006" in screen_text(app)
        select_po(app, "PO-1006")
        await pilot.press("s")  # send: the date defaults to today + 21 days of lead time
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        with db.read_session(engine) as s:
            po = s.execute(select(PurchaseOrder).where(PurchaseOrder.number == "PO-1006")).scalar_one()
            assert po.status == "sent" and po.expected_at == FIXED_NOW + timedelta(days=21)

        select_po(app, "PO-1006")
        await pilot.press("r")  # receive 300 of the 720
        await pilot.pause()
        assert type(app.screen).__name__ == "ReceiveForm"
        app.screen.query_one("#inv-receive-0", Input).value = "300"
        await pilot.press("enter")
        await pilot.pause()
        with db.read_session(engine) as s:
            po = s.execute(select(PurchaseOrder).where(PurchaseOrder.number == "PO-1006")).scalar_one()
            line = s.execute(select(PurchaseOrderLine).where(PurchaseOrderLine.po_id == po.id)).scalar_one()
            assert po.status == "partial" and line.qty_received == 300
        assert hero_stock(engine, "US-W") == before_us_w + 300
        assert "partial" in screen_text(app)


async def test_receive_the_next_inbound_po_from_the_board(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    engine = sqlite_demo_engine
    before = hero_stock(engine, "US-E")
    app = make_app(engine, clock, settings, start_area="inventory")
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await filter_to(pilot, f"{HERO_CODE} wh:US-E")
        assert shown(app)[0].action == "expedite PO-1001"
        await pilot.press("R")
        await pilot.pause()
        assert type(app.screen).__name__ == "ReceiveForm"
        await pilot.press("enter")  # everything open on PO-1001
        await ready(pilot)
        assert type(app.screen).__name__ == "InventoryScreen"
        assert shown(app)[0].plan.inbound == 0
    with db.read_session(engine) as s:
        po = s.execute(select(PurchaseOrder).where(PurchaseOrder.number == "PO-1001")).scalar_one()
        ordered = s.execute(select(PurchaseOrderLine.qty_ordered).where(PurchaseOrderLine.po_id == po.id)).scalar_one()
    assert po.status == "received" and po.received_at == FIXED_NOW
    assert hero_stock(engine, "US-E") == before + ordered


async def test_detail_then_edit_the_lead_time(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    engine = sqlite_demo_engine
    app = make_app(engine, clock, settings, start_area="inventory")
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await filter_to(pilot, f"{HERO_CODE} wh:US-W")
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "SkuDetailScreen"
        text = screen_text(app)
        assert "Sales, last 180 days" in text and "PO-1001" in text and "Safety stock" in text
        await pilot.press("e")
        await pilot.pause()
        assert type(app.screen).__name__ == "SkuParamsForm"
        app.screen.query_one("#inv-lead_time_days", Input).value = "30"
        app.screen.query_one("#inv-safety_method", Input).value = "STAT"
        app.screen.query_one("#inv-abc_override", Input).value = "b"
        await pilot.press("enter")
        await ready(pilot)
        assert shown(app)[0].lead_time == 30 and shown(app)[0].abc == "B" and shown(app)[0].inp.method == "stat"
    with db.read_session(engine) as s:
        sku = s.execute(select(Sku).where(Sku.code == HERO_CODE)).scalar_one()
        audit = s.execute(select(AuditLog).where(AuditLog.entity == "sku")).scalar_one()
    assert (sku.lead_time_days, sku.safety_method, sku.abc_override, sku.version) == (30, "stat", "B", 2)
    assert audit.entity_id == HERO_CODE and '"lead_time_days": 30' in (audit.after or "")


async def test_transfer_draft_from_a_marked_row(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    engine = sqlite_demo_engine
    app = make_app(engine, clock, settings, start_area="inventory")
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await filter_to(pilot, "SKU-00001 wh:US-W")
        (row,) = shown(app)
        assert row.transfer_in > 0 and row.transfer_from == "DE"
        await pilot.press("space", "t")
        await ready(pilot)
    with db.read_session(engine) as s:
        transfer = s.execute(select(StockTransfer).where(StockTransfer.status == "draft")).scalar_one()
        source = s.get(Warehouse, transfer.from_warehouse_id)
    assert transfer.qty == row.transfer_in and source is not None and source.code == "DE"


async def test_a_bad_filter_is_reported_and_changes_nothing(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="inventory")
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await filter_to(pilot, "state:sleepy")
        assert any("unknown state 'sleepy'" in n.message for n in app._notifications)
        assert len(shown(app)) == 450


async def wait_for_board(pilot: Pilot) -> None:
    await ready(pilot)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_board_snapshot(
    snap_compare,
    sqlite_demo_engine: Engine,
    clock: FixedClock,
    settings: Settings,
    size: tuple[int, int],
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="inventory")
    assert snap_compare(app, run_before=wait_for_board, terminal_size=size)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_detail_snapshot(
    snap_compare,
    sqlite_demo_engine: Engine,
    clock: FixedClock,
    settings: Settings,
    size: tuple[int, int],
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="inventory")
    press = ["slash", *HERO_CODE, "space", "w", "h", ":", "U", "S", "-", "E", "enter", "enter"]
    assert snap_compare(app, run_before=wait_for_board, press=press, terminal_size=size)


def test_po_list_snapshot(
    snap_compare,
    sqlite_demo_engine: Engine,
    clock: FixedClock,
    settings: Settings,
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="inventory")
    assert snap_compare(app, run_before=wait_for_board, press=["p"], terminal_size=(80, 24))
