"""Inventory queries (the reorder board's numbers come in the inventory issue)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from dtc_tui.models import Sku, StockLevel, Warehouse


@dataclass(frozen=True)
class StockRow:
    sku_id: int
    code: str
    name: str
    warehouse: str
    on_hand: int
    committed: int

    @property
    def available(self) -> int:
        return self.on_hand - self.committed


def stock_rows(session: Session) -> list[StockRow]:
    stmt = (select(Sku.id, Sku.code, Sku.name, Warehouse.code, StockLevel.on_hand, StockLevel.committed)
            .join(StockLevel, StockLevel.sku_id == Sku.id).join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .order_by(Sku.code, Warehouse.code))
    return [StockRow(*row) for row in session.execute(stmt)]
