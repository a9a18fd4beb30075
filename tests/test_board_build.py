"""The reorder board's build (``services/inventory/board.py``) gives exactly the board of the build
it replaced (``tests/board_reference.py``): every row with its inputs and plan, the transfers, the
units sold, the total rows and the narrowed boards; on the demo and after writes, both backends."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, insert, select, update

from dtc_tui import db
from dtc_tui.models import DailySales, Sku, StockLevel, Warehouse
from dtc_tui.services.inventory import purchasing
from dtc_tui.services.inventory import stock_state as inventory
from dtc_tui.services.inventory.board import Board, BoardRow, build_board, forget_sales_history, urgency_key
from tests import board_reference as reference


@pytest.fixture(autouse=True)
def _fresh_history() -> None:
    forget_sales_history()


def _reference_totals(board: Board) -> list:
    grouped: dict[int, list] = {}
    for row in board.rows:
        grouped.setdefault(row.sku_id, []).append(row)
    totals = (reference.total_row(rows, board.settings, board.today) for rows in grouped.values())
    return sorted(totals, key=urgency_key)


def _rows(engine: Engine, rows: list[BoardRow]) -> list[BoardRow]:
    """The rows as compared: exactly on SQLite. PostgreSQL sums a window's float revenue in the order
    its plan reads the rows (a hash join's, a scan's), so the last bits of a SKU's revenue differ
    between two queries over the same rows (and did between the old build's two queries): its
    revenue is compared to a millionth there."""
    if engine.dialect.name == "sqlite":
        return rows
    return [replace(r, revenue=round(r.revenue, 6)) for r in rows]


def assert_same_boards(engine: Engine, now: datetime) -> Board:
    with db.read_session(engine) as session:
        ids = [sku_id for (sku_id,) in session.execute(select(Sku.id).order_by(Sku.id))]
        narrow = [ids[0], ids[len(ids) // 2], ids[-1], *ids[3:7]] if ids else []
        for kept in (False, True):  # the history read now, then the kept one
            if not kept:
                forget_sales_history()
            new = build_board(session, now)
            forget_sales_history()
            old = reference.build_board(session, now)
            assert new.today == old.today and new.settings == old.settings
            assert new.warehouses == old.warehouses
            assert _rows(engine, new.rows) == _rows(
                engine, old.rows
            )  # every field, inputs and plan included, in the same order
            assert new.transfers == old.transfers
            assert new.units_sold == old.units_sold
            assert _rows(engine, new.totals()) == _rows(engine, _reference_totals(old))
            assert new.counts() == old.counts()
            new_narrow = build_board(session, now, sku_ids=narrow)
            old_narrow = reference.build_board(session, now, sku_ids=narrow)
            assert (
                _rows(engine, new_narrow.rows) == _rows(engine, old_narrow.rows)
                and new_narrow.transfers == old_narrow.transfers
            )
            assert _rows(engine, new_narrow.totals()) == _rows(engine, _reference_totals(old_narrow))
    assert new.rows, "the board has rows to compare"
    return new


def test_the_demo_board_is_the_reference_board(demo_engine: Engine, now: datetime) -> None:
    board = assert_same_boards(demo_engine, now)
    assert {r.state for r in board.rows} >= {"out", "reorder_now", "ok"}
    assert board.transfers  # the demo has transfers to suggest: the comparison covers them


def test_the_board_stays_the_reference_board_after_writes(demo_engine: Engine, now: datetime) -> None:
    board = assert_same_boards(demo_engine, now)
    urgent = [r for r in board.rows if r.purchase_qty > 0][:3]
    assert urgent
    numbers = purchasing.draft_from_lines(
        demo_engine,
        [purchasing.DraftLine(r.sku_id, r.warehouse_id, r.purchase_qty) for r in urgent],
        actor="tester",
        now=now,
    )
    assert_same_boards(demo_engine, now)  # drafts
    purchasing.mark_sent(demo_engine, numbers[0], expected_version=None, actor="tester", now=now)
    purchasing.receive(demo_engine, numbers[0], actor="tester", now=now)
    rich = next(r for r in board.rows if r.available > 100 and r.plan.state in ("ok", "overstock"))
    other = next(r for r in board.rows if r.sku_id == rich.sku_id and r.warehouse_id != rich.warehouse_id)
    (moved,) = purchasing.draft_transfers(
        demo_engine,
        [purchasing.TransferLine(rich.sku_id, rich.warehouse_id, other.warehouse_id, 40)],
        actor="tester",
        now=now,
    )
    purchasing.dispatch_transfer(demo_engine, moved, actor="tester", now=now)
    with db.write_session(demo_engine) as session:  # an override, a SKU without stock anywhere, edge stock
        session.execute(update(Sku).where(Sku.id == rich.sku_id).values(abc_override="A", safety_method="stat"))
        session.execute(update(StockLevel).where(StockLevel.id == 1).values(on_hand=0, committed=5))
        session.execute(update(StockLevel).where(StockLevel.id == 2).values(last_received_at=None))
        wh = session.execute(select(Warehouse.id).order_by(Warehouse.id)).scalars().first()
        session.execute(delete(DailySales).where(DailySales.sku_id == other.sku_id, DailySales.warehouse_id == wh))
        session.execute(
            insert(DailySales),
            [
                {
                    "sku_id": other.sku_id,
                    "warehouse_id": wh,
                    "day": now.date() - timedelta(days=d),
                    "units": 7,
                    "revenue": 70.5,
                    "stockout": d % 3 == 0,
                }  # fmt: skip
                for d in range(1, 120, 2)
            ],
        )
        session.add(Sku(code="NEW-NOSTOCK", name="Never stocked", cost=1.0, price=2.0))
    after = assert_same_boards(demo_engine, now)
    assert after.rows != board.rows  # the writes changed the board: the comparison saw them


def test_stock_states_and_health_read_the_same_board(demo_engine: Engine, now: datetime) -> None:
    from dtc_tui.services.inventory.health import health

    with db.read_session(demo_engine) as session:
        board = build_board(session, now)
        old = reference.build_board(session, now)
        assert health(session, now, board) == health(session, now, old)
        ids = sorted({r.sku_id for r in board.rows})[:25]
        states = inventory.sku_stock_states(session, ids, now)
    assert len(states) == len(ids)
