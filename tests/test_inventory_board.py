"""The board computed from the database (SQLite and PostgreSQL): velocity, suggestions, transfers,
ABC, drafts and inbound, filters, and the cross-area ``sku_stock_state``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from dtc_tui import db
from dtc_tui.services.common.filters import FilterError
from dtc_tui.services.inventory import stock_state as inventory
from dtc_tui.services.inventory.board import BoardFilter, build_board, forget_sales_history
from tests.conftest import FIXED_NOW
from tests.inventory_world import NOW, TODAY, every_day, make_world


@pytest.fixture(autouse=True)
def _fresh_history() -> None:
    forget_sales_history()


def board(engine: Engine, **kwargs: object):
    with db.read_session(engine) as session:
        return build_board(session, NOW, **kwargs)  # type: ignore[arg-type]


def row_of(result, code: str, wh: str):
    return next(r for r in result.rows if r.code == code and r.warehouse == wh)


def test_worked_example_on_the_board(engine: Engine) -> None:
    world = make_world(engine)
    world.add_sku("EX-1", abc_override="B")  # Acme: 21 days lead time, MOQ 200, case pack 20; buffer 7
    world.stock("EX-1", "US-W", 1000)
    world.sales("EX-1", "US-W", every_day(50))
    row = row_of(board(engine), "EX-1", "US-W")
    assert row.velocity == 50
    assert row.plan.reorder_point == 1400  # 50 x 21 + 50 x 7
    assert row.plan.safety_stock == 350  # the buffer: 50 x 7
    assert row.plan.order_up_to == 1750  # + 50 x 7 days of review cycle
    assert row.state == "reorder_now"
    assert row.purchase_qty == 760  # need 750 -> whole cases of 20
    assert row.action == "buy 760"


def test_stockout_days_are_left_out_of_velocity_in_sql(engine: Engine) -> None:
    world = make_world(engine)
    for code in ("SPARSE", "DENSE"):
        world.add_sku(code, abc_override="B")
        world.stock(code, "US-W", 500)
    # 20 in-stock days with 3 sold, 8 days out of stock, and an old spike outside the 28-day window.
    world.sales("SPARSE", "US-W", every_day(3, days=20) | {35: 100}, stockout=set(range(21, 29)))
    # The same with a row for every day, zeros included: a dense table gives the same numbers.
    dense = every_day(3, days=20) | {d: 0 for d in range(21, 29)} | {d: 0 for d in range(29, 60)} | {35: 100}
    world.sales("DENSE", "US-W", dense, stockout=set(range(21, 29)))
    result = board(engine)
    for code in ("SPARSE", "DENSE"):
        row = row_of(result, code, "US-W")
        assert row.velocity == 3.0  # 60 units / 20 in-stock days, not / 28
        assert row.stockout_days == 8


def test_transfer_is_preferred_over_a_purchase(engine: Engine) -> None:
    world = make_world(engine)
    world.add_sku("MOVE", abc_override="B")
    world.stock("MOVE", "US-W", 0)
    world.stock("MOVE", "DE", 2000)
    world.sales("MOVE", "US-W", every_day(10))
    world.sales("MOVE", "DE", every_day(1))
    result = board(engine)
    short, rich = row_of(result, "MOVE", "US-W"), row_of(result, "MOVE", "DE")
    # US-W: 10/day -> reorder point 280, order up to 350, nothing there: needs 350, all from DE's surplus.
    assert short.plan.need == 350
    assert short.transfer_in == 350 and short.transfer_from == "DE"
    assert short.purchase_qty == 0
    assert rich.transfer_out == 350 and rich.purchase_qty == 0
    assert [(t.from_warehouse_id, t.to_warehouse_id, t.qty) for t in result.transfers] == [
        (world.wh["DE"], world.wh["US-W"], 350)
    ]


def test_a_small_surplus_is_moved_and_the_rest_bought(engine: Engine) -> None:
    world = make_world(engine)
    world.add_sku("PART", abc_override="B")
    world.stock("PART", "US-W", 0)
    world.stock("PART", "DE", 135)  # DE keeps its own order-up-to level (1/day -> 35): 100 to spare
    world.sales("PART", "US-W", every_day(10))
    world.sales("PART", "DE", every_day(1))
    short = row_of(board(engine), "PART", "US-W")
    assert short.transfer_in == 100
    assert short.purchase_qty == 260  # 250 still needed -> MOQ 200 -> whole cases of 20
    assert short.action == "100<-DE buy 260"


def test_zero_sales_skus(engine: Engine) -> None:
    world = make_world(engine)
    world.add_sku("DEAD", abc_override="C")
    world.add_sku("EMPTY", abc_override="C")
    world.stock("DEAD", "US-W", 40)
    world.stock("EMPTY", "US-W", 0)
    result = board(engine)
    dead, empty = row_of(result, "DEAD", "US-W"), row_of(result, "EMPTY", "US-W")
    assert dead.state == "dead" and dead.velocity == 0 and dead.plan.cover_days is None
    assert dead.plan.excess_units == 40
    assert empty.state == "ok" and empty.purchase_qty == 0 and empty.plan.urgency is None
    assert result.rows[-1].plan.urgency is None  # not urgent: sorted last


def test_inbound_po_and_drafts_count(engine: Engine) -> None:
    world = make_world(engine)
    world.add_sku("INB", abc_override="B", supplier="Beta")  # Beta: 14 days, MOQ 1, case 1
    world.stock("INB", "US-W", 100)
    world.sales("INB", "US-W", every_day(10))
    world.po("PO-7", "Beta", "US-W", {"INB": 50}, expected_in_days=5)
    world.po("PO-8", "Beta", "US-W", {"INB": 30}, status="draft", expected_in_days=None)
    row = row_of(board(engine), "INB", "US-W")
    assert row.plan.inbound == 50 and row.plan.projected == 150
    assert row.plan.days_to_stockout == 15  # 100 at 10/day = 10 days, + 50 arriving on day 5
    assert row.plan.next_arrival is not None and row.plan.next_arrival.ref == "PO-7"
    assert row.on_draft == 30
    # reorder point 10 x (14 + 7) = 210, order up to 280; need 280 - 150 = 130, 30 already on draft.
    assert row.plan.need == 130 and row.purchase_qty == 100


def test_abc_classes_by_revenue_and_override(engine: Engine) -> None:
    world = make_world(engine)
    for code in ("TOP", "MID", "LOW", "PIN"):
        world.add_sku(code, abc_override="A" if code == "PIN" else None)
        world.stock(code, "US-W", 10)
    world.sales("TOP", "US-W", every_day(8), price=10.0)  # 80% of revenue
    world.sales("MID", "US-W", every_day(3), price=5.0)
    world.sales("LOW", "US-W", every_day(1), price=1.0)
    result = board(engine)
    revenue = {r.code: r.revenue for r in result.rows}
    assert revenue["TOP"] == 8 * 28 * 10.0
    classes = {r.code: r.abc for r in result.rows}
    # TOP ranks first (A); MID is ranked after 2240 / 2688 = 83% (B); LOW after 99% (C); PIN: override.
    assert classes == {"TOP": "A", "MID": "B", "LOW": "C", "PIN": "A"}


def test_filters(engine: Engine) -> None:
    world = make_world(engine)
    world.add_sku("MUG-1", abc_override="A", supplier="Beta")
    world.add_sku("TOTE-1", abc_override="C")
    for code in ("MUG-1", "TOTE-1"):
        world.stock(code, "US-W", 0)
        world.stock(code, "DE", 5000)
        world.sales(code, "US-W", every_day(2))
        world.sales(code, "DE", every_day(2))
    result = board(engine)
    assert {(r.code, r.warehouse) for r in result.view(BoardFilter.parse("wh:de"))} == {
        ("MUG-1", "DE"),
        ("TOTE-1", "DE"),
    }
    assert [r.code for r in result.view(BoardFilter.parse("sup:bet state:out"))] == ["MUG-1"]
    assert [r.code for r in result.view(BoardFilter.parse("class:c,d state:over"))] == ["TOTE-1"]
    assert [r.code for r in result.view(BoardFilter.parse("mug"))] == ["MUG-1", "MUG-1"]
    assert {r.code for r in result.view(BoardFilter.parse("flag:transfer wh:US-W"))} == {"MUG-1", "TOTE-1"}
    totals = result.view(BoardFilter(), totals=True)
    assert {(t.code, t.warehouse, t.on_hand) for t in totals} == {("MUG-1", "all", 5000), ("TOTE-1", "all", 5000)}
    for bad in ("colour:red", "state:sleepy", "class:Z", "wh:"):
        with pytest.raises(FilterError):
            BoardFilter.parse(bad)


def test_new_sales_rows_refresh_the_kept_history(engine: Engine) -> None:
    world = make_world(engine)
    world.add_sku("OLD", abc_override="C")
    world.stock("OLD", "US-W", 10)
    assert row_of(board(engine), "OLD", "US-W").state == "dead"
    world.sales("OLD", "US-W", {40: 2})  # a sale 40 days ago arrives by import (before the window)
    row = row_of(board(engine), "OLD", "US-W")
    assert row.inp.sold_recently
    assert row.state == "overstock"  # sold within the 90-day dead-stock window, just not lately
    world.sales("OLD", "US-W", {95: 2})  # older than the dead-stock window: changes nothing
    assert row_of(board(engine), "OLD", "US-W").state == "overstock"


def test_sku_stock_state_of_the_demo_hero(demo_engine: Engine) -> None:
    from dtc_tui.services.demo.inventory import HERO_CODE

    with db.read_session(demo_engine) as session:
        hero = inventory.find_sku(session, HERO_CODE)
        state = inventory.sku_stock_state(session, hero.id or 0, FIXED_NOW)
        assert inventory.sku_stock_state(session, 999_999, FIXED_NOW) is None
    assert state is not None
    assert state.state == "reorder_now" and state.at_risk
    assert state.next_inbound_ref == "PO-1001"
    assert state.stockout_date is not None and state.next_inbound_date is not None
    # It runs out in about four days; PO-1001 lands later: a gap without stock.
    assert (state.stockout_date - FIXED_NOW.date()).days <= 5
    assert state.next_inbound_date > state.stockout_date
    assert state.days_without_stock == (state.next_inbound_date - state.stockout_date).days > 0
    assert set(state.warehouses) == {"US-W", "US-E", "DE"}


def test_sku_detail_explains_the_numbers(engine: Engine) -> None:
    world = make_world(engine)
    world.add_sku("EX-2", abc_override="B")
    world.stock("EX-2", "US-W", 1000)
    world.sales("EX-2", "US-W", every_day(50), stockout={29})
    with db.read_session(engine) as session:
        detail = inventory.sku_detail(session, world.sku["EX-2"], NOW, warehouse_id=world.wh["US-W"])
    assert len(detail.sales) == 180
    assert detail.sales[-1].day == TODAY - timedelta(days=1) and detail.sales[-1].units == 50
    assert sum(p.stockout for p in detail.sales) == 1
    lines = dict(detail.explanation)
    assert lines["Reorder point"].startswith("1,400 = 50.0/day x 21 d lead time + 50.0/day x 7 d buffer")
    assert lines["Safety stock"] == "350 = 50.0/day x 7 d buffer"
    assert lines["Suggested"].startswith("760 to buy")
    assert lines["Last sale"] == str(TODAY - timedelta(days=1))
    assert detail.total.warehouse == "all"


def test_sku_parameters_edit_with_version_check(engine: Engine) -> None:
    world = make_world(engine)
    sku_id = world.add_sku("EDIT")
    version = inventory.update_sku_parameters(
        engine, sku_id, {"lead_time_days": "30", "moq": ""}, expected_version=1, actor="tester", now=NOW
    )
    assert version == 2
    with db.read_session(engine) as session:
        params = inventory.sku_parameters(session, sku_id)
    assert params.lead_time_days == 30 and params.moq is None and params.version == 2
    with pytest.raises(inventory.InventoryError, match="changed by someone else"):
        inventory.update_sku_parameters(engine, sku_id, {"buffer_days": 3}, expected_version=1, actor="t", now=NOW)
    with pytest.raises(inventory.InventoryError, match="between 1 and"):
        inventory.update_sku_parameters(engine, sku_id, {"case_pack": 0}, expected_version=2, actor="t", now=NOW)
