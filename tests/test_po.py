"""Purchase orders and transfers against the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import col

from dtc_tui import db
from dtc_tui.models import AuditLog, PurchaseOrder, PurchaseOrderLine, Sku, StockLevel, StockTransfer, Warehouse
from dtc_tui.services.inventory import purchasing
from dtc_tui.services.inventory.purchasing import DraftLine, PurchasingError, StaleEdit, TransferLine
from tests.inventory_world import NOW, World, make_world


def stock(world: World, code: str, wh: str) -> StockLevel | None:
    with db.read_session(world.engine) as s:
        return (
            s.exec(
                select(StockLevel).where(
                    StockLevel.sku_id == world.sku[code],  # type: ignore[call-overload]
                    StockLevel.warehouse_id == world.wh[wh],
                )
            )
            .scalars()
            .first()
        )


def po_row(world: World, number: str) -> PurchaseOrder:
    with db.read_session(world.engine) as s:
        return s.execute(select(PurchaseOrder).where(PurchaseOrder.number == number)).scalar_one()


def lines_of(world: World, number: str) -> dict[str, tuple[int, int]]:
    codes = {v: k for k, v in world.sku.items()}
    with db.read_session(world.engine) as s:
        po = s.execute(select(PurchaseOrder).where(PurchaseOrder.number == number)).scalar_one()
        rows = s.execute(select(PurchaseOrderLine).where(PurchaseOrderLine.po_id == po.id)).scalars()
        return {codes[r.sku_id]: (r.qty_ordered, r.qty_received) for r in rows}


@pytest.fixture
def world(engine: Engine) -> World:
    w = make_world(engine)
    for code, supplier in (("A-1", "Acme"), ("A-2", "Acme"), ("B-1", "Beta")):
        w.add_sku(code, supplier=supplier)
        w.stock(code, "US-W", 10)
    return w


def test_drafts_one_po_per_supplier_and_warehouse_and_merges_into_an_open_draft(world: World) -> None:
    numbers = purchasing.draft_from_lines(
        world.engine,
        [
            DraftLine(world.sku["A-1"], world.wh["US-W"], 200),
            DraftLine(world.sku["A-2"], world.wh["US-W"], 400),
            DraftLine(world.sku["B-1"], world.wh["US-W"], 5),
            DraftLine(world.sku["A-1"], world.wh["DE"], 0),
        ],
        actor="tester",
        now=NOW,
    )
    assert sorted(numbers) == ["PO-1001", "PO-1002"]
    acme = next(n for n in numbers if po_row(world, n).supplier_id == world.sup["Acme"])
    assert lines_of(world, acme) == {"A-1": (200, 0), "A-2": (400, 0)}
    assert po_row(world, acme).status == "draft"
    # Another suggestion for the same supplier and warehouse joins the draft; a new warehouse gets its own.
    again = purchasing.draft_from_lines(
        world.engine,
        [
            DraftLine(world.sku["A-1"], world.wh["US-W"], 100),
            DraftLine(world.sku["A-1"], world.wh["DE"], 60),
        ],
        actor="tester",
        now=NOW,
    )
    assert acme in again and "PO-1003" in again
    assert lines_of(world, acme)["A-1"] == (300, 0)
    with pytest.raises(PurchasingError, match="nothing to order"):
        purchasing.draft_from_lines(
            world.engine, [DraftLine(world.sku["A-1"], world.wh["US-W"], 0)], actor="tester", now=NOW
        )


def test_edit_lines_of_a_draft_with_a_version_check(world: World) -> None:
    (number,) = purchasing.draft_from_lines(
        world.engine, [DraftLine(world.sku["A-1"], world.wh["US-W"], 200)], actor="tester", now=NOW
    )
    version = po_row(world, number).version
    purchasing.set_line_qty(world.engine, number, world.sku["A-1"], 240, expected_version=version, actor="t", now=NOW)
    purchasing.add_line(world.engine, number, "a-2", 50, expected_version=version + 1, actor="t", now=NOW)
    assert lines_of(world, number) == {"A-1": (240, 0), "A-2": (50, 0)}
    with pytest.raises(StaleEdit):  # someone else changed it in between
        purchasing.set_line_qty(world.engine, number, world.sku["A-1"], 1, expected_version=version, actor="t", now=NOW)
    with pytest.raises(PurchasingError, match="another supplier"):
        purchasing.add_line(world.engine, number, "B-1", 5, expected_version=None, actor="t", now=NOW)
    purchasing.set_line_qty(world.engine, number, world.sku["A-2"], 0, expected_version=None, actor="t", now=NOW)
    assert lines_of(world, number) == {"A-1": (240, 0)}


def test_mark_sent_expects_today_plus_the_longest_lead_time(world: World) -> None:
    (number,) = purchasing.draft_from_lines(
        world.engine, [DraftLine(world.sku["A-1"], world.wh["US-W"], 200)], actor="tester", now=NOW
    )
    expected = purchasing.mark_sent(world.engine, number, expected_version=None, actor="t", now=NOW)
    assert expected == NOW + timedelta(days=21)  # Acme's lead time
    po = po_row(world, number)
    assert (po.status, po.sent_at, po.expected_at) == ("sent", NOW, NOW + timedelta(days=21))
    with pytest.raises(PurchasingError, match="only draft lines"):
        purchasing.set_line_qty(world.engine, number, world.sku["A-1"], 5, expected_version=None, actor="t", now=NOW)
    # The arrival date stays editable; a SKU with a longer lead time of its own sets the default.
    purchasing.set_expected(world.engine, number, NOW + timedelta(days=30), expected_version=None, actor="t", now=NOW)
    assert po_row(world, number).expected_at == NOW + timedelta(days=30)
    world.add_sku("SLOW", lead_time_days=45)
    (slow,) = purchasing.draft_from_lines(
        world.engine, [DraftLine(world.sku["SLOW"], world.wh["DE"], 200)], actor="tester", now=NOW
    )
    assert purchasing.mark_sent(world.engine, slow, expected_version=None, actor="t", now=NOW) == NOW + timedelta(
        days=45
    )


def test_partial_then_full_receipt_raises_stock_in_the_same_transaction(world: World) -> None:
    world.po("PO-2001", "Acme", "US-W", {"A-1": 400, "A-2": 200})
    receipt = purchasing.receive(world.engine, "po-2001", {"A-1": 150}, actor="tester", now=NOW)
    assert (receipt.status, receipt.received) == ("partial", {"A-1": 150})
    level = stock(world, "A-1", "US-W")
    assert level is not None and level.on_hand == 10 + 150 and level.last_received_at == NOW
    assert lines_of(world, "PO-2001") == {"A-1": (400, 150), "A-2": (200, 0)}
    po = po_row(world, "PO-2001")
    assert po.status == "partial" and po.received_at is None
    # Without quantities: everything still open arrives.
    final = purchasing.receive(world.engine, "PO-2001", None, actor="tester", now=NOW + timedelta(days=1))
    assert final.status == "received" and final.received == {"A-1": 250, "A-2": 200}
    assert stock(world, "A-1", "US-W").on_hand == 10 + 400  # type: ignore[union-attr]
    assert stock(world, "A-2", "US-W").on_hand == 10 + 200  # type: ignore[union-attr]
    assert po_row(world, "PO-2001").received_at == NOW + timedelta(days=1)
    with db.read_session(world.engine) as s:
        actions = s.execute(select(AuditLog.action).where(AuditLog.entity == "purchase_order")).scalars().all()
    assert actions.count("receive") == 2


def test_receipt_errors_change_nothing(world: World) -> None:
    world.po("PO-2002", "Acme", "US-W", {"A-1": 100})
    world.po("PO-2003", "Acme", "US-W", {"A-1": 100}, status="draft", expected_in_days=None)
    with pytest.raises(PurchasingError, match="more than the 100 still open"):
        purchasing.receive(world.engine, "PO-2002", {"A-1": 101}, actor="t", now=NOW)
    with pytest.raises(PurchasingError, match="no line for B-1"):
        purchasing.receive(world.engine, "PO-2002", {"A-1": 10, "B-1": 1}, actor="t", now=NOW)
    with pytest.raises(PurchasingError, match="only sent POs"):
        purchasing.receive(world.engine, "PO-2003", None, actor="t", now=NOW)
    with pytest.raises(PurchasingError, match="no purchase order"):
        purchasing.receive(world.engine, "PO-9999", None, actor="t", now=NOW)
    assert stock(world, "A-1", "US-W").on_hand == 10  # type: ignore[union-attr]
    assert lines_of(world, "PO-2002") == {"A-1": (100, 0)}


def test_receipt_into_a_warehouse_without_a_stock_row_creates_it(world: World) -> None:
    world.po("PO-2004", "Beta", "DE", {"B-1": 30})
    purchasing.receive(world.engine, "PO-2004", None, actor="t", now=NOW)
    level = stock(world, "B-1", "DE")
    assert level is not None and level.on_hand == 30


def test_two_first_receipts_into_the_same_warehouse_add_up(world: World) -> None:
    """The first stock row is an upsert: a second receipt that also found no row (another process,
    PostgreSQL) adds to it instead of failing with an IntegrityError."""
    world.po("PO-2004", "Beta", "DE", {"B-1": 30})
    with db.read_session(world.engine) as s:
        sku_id = s.execute(select(Sku.id).where(Sku.code == "B-1")).scalar_one()
        warehouse_id = s.execute(select(Warehouse.id).where(Warehouse.code == "DE")).scalar_one()
    with db.write_session(world.engine) as s:
        purchasing._insert_stock(s, sku_id, warehouse_id, 30, NOW)
        purchasing._insert_stock(s, sku_id, warehouse_id, 12, NOW)  # what the loser of the race runs
    level = stock(world, "B-1", "DE")
    assert level is not None and level.on_hand == 42


def test_cancel(world: World) -> None:
    world.po("PO-2005", "Acme", "US-W", {"A-1": 100}, status="partial", received={"A-1": 40})
    purchasing.cancel(world.engine, "PO-2005", expected_version=1, actor="t", now=NOW)
    assert po_row(world, "PO-2005").status == "cancelled"
    assert stock(world, "A-1", "US-W").on_hand == 10  # what arrived stays; nothing is taken back
    with pytest.raises(PurchasingError, match="cannot be cancelled"):
        purchasing.cancel(world.engine, "PO-2005", expected_version=None, actor="t", now=NOW)


def test_po_list_shows_status_and_lateness(world: World) -> None:
    world.po("PO-3001", "Acme", "US-W", {"A-1": 100}, expected_in_days=-4)
    world.po("PO-3002", "Acme", "US-W", {"A-1": 100, "A-2": 50}, expected_in_days=6)
    world.po("PO-3003", "Beta", "US-W", {"B-1": 10}, status="received", expected_in_days=-20, received={"B-1": 10})
    world.po("PO-3004", "Beta", "DE", {"B-1": 10}, status="draft", expected_in_days=None)
    with db.read_session(world.engine) as s:
        pos = purchasing.list_pos(s, NOW)
    assert [p.number for p in pos] == ["PO-3004", "PO-3001", "PO-3002", "PO-3003"]
    late = {p.number: p.late_days for p in pos}
    assert late == {"PO-3001": 4, "PO-3002": 0, "PO-3003": 0, "PO-3004": 0}
    second = pos[2]
    assert (second.lines, second.units_ordered, second.value) == (2, 150, 150 * 5.0)


def test_transfers_move_stock_on_dispatch_and_receipt(world: World) -> None:
    world.stock("A-1", "DE", 0)
    (tid,) = purchasing.draft_transfers(
        world.engine, [TransferLine(world.sku["A-1"], world.wh["US-W"], world.wh["DE"], 6)], actor="t", now=NOW
    )
    assert stock(world, "A-1", "US-W").on_hand == 10  # a draft moves nothing yet
    expected = purchasing.dispatch_transfer(world.engine, tid, actor="t", now=NOW)
    assert expected == NOW + timedelta(days=7)
    assert stock(world, "A-1", "US-W").on_hand == 4
    purchasing.receive_transfer(world.engine, tid, actor="t", now=NOW)
    assert stock(world, "A-1", "DE").on_hand == 6
    with db.read_session(world.engine) as s:
        assert s.execute(select(StockTransfer.status).where(col(StockTransfer.id) == tid)).scalar_one() == "received"
        assert (
            s.execute(
                select(func.count()).select_from(AuditLog).where(AuditLog.entity == "stock_transfer")
            ).scalar_one()
            == 3
        )
    with pytest.raises(PurchasingError, match="does not have that many"):
        purchasing.draft_transfers(
            world.engine, [TransferLine(world.sku["A-1"], world.wh["US-W"], world.wh["DE"], 5)], actor="t", now=NOW
        )
    with pytest.raises(PurchasingError, match="is received, not draft"):
        purchasing.cancel_transfer(world.engine, tid, actor="t", now=NOW)
