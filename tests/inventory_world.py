"""A tiny hand-made inventory for the inventory and PO tests: two warehouses, two suppliers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert
from sqlmodel import Session

from dtc_tui import db
from dtc_tui.models import DailySales, PurchaseOrder, PurchaseOrderLine, Sku, StockLevel, Supplier, Warehouse

NOW = datetime.fromisoformat("2026-11-20T14:00:00+00:00")
TODAY = NOW.date()


@dataclass
class World:
    engine: Engine
    wh: dict[str, int] = field(default_factory=dict)
    sup: dict[str, int] = field(default_factory=dict)
    sku: dict[str, int] = field(default_factory=dict)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def add_sku(
        self, code: str, *, supplier: str = "Acme", cost: float = 10.0, price: float = 25.0, **fields: object
    ) -> int:
        with db.write_session(self.engine) as s:
            sku = Sku(
                code=code, name=f"Product {code}", supplier_id=self.sup[supplier], cost=cost, price=price, **fields
            )
            s.add(sku)
            s.flush()
            self.sku[code] = sku.id or 0
        return self.sku[code]

    def stock(self, code: str, wh: str, on_hand: int, *, committed: int = 0, received_days_ago: int = 10) -> None:
        with db.write_session(self.engine) as s:
            s.add(
                StockLevel(
                    sku_id=self.sku[code],
                    warehouse_id=self.wh[wh],
                    on_hand=on_hand,
                    committed=committed,
                    last_received_at=NOW - timedelta(days=received_days_ago),
                )
            )

    def sales(
        self, code: str, wh: str, units_by_day: dict[int, int], *, stockout: set[int] = frozenset(), price: float = 25.0
    ) -> None:
        """``units_by_day``: days ago -> units (1 = yesterday); ``stockout``: days ago that were out."""
        rows = []
        for days_ago in sorted(set(units_by_day) | set(stockout)):
            units = units_by_day.get(days_ago, 0)
            rows.append(
                {
                    "sku_id": self.sku[code],
                    "warehouse_id": self.wh[wh],
                    "day": TODAY - timedelta(days=days_ago),
                    "units": units,
                    "revenue": units * price,
                    "stockout": days_ago in stockout,
                }
            )
        with db.write_session(self.engine) as s:
            s.execute(insert(DailySales), rows)

    def po(
        self,
        number: str,
        supplier: str,
        wh: str,
        lines: dict[str, int],
        *,
        status: str = "sent",
        expected_in_days: int | None = 10,
        received: dict[str, int] | None = None,
    ) -> int:
        with db.write_session(self.engine) as s:
            po = PurchaseOrder(
                number=number,
                supplier_id=self.sup[supplier],
                warehouse_id=self.wh[wh],
                status=status,
                created_at=NOW - timedelta(days=5),
                expected_at=None if expected_in_days is None else NOW + timedelta(days=expected_in_days),
            )
            s.add(po)
            s.flush()
            for code, qty in lines.items():
                s.add(
                    PurchaseOrderLine(
                        po_id=po.id or 0,
                        sku_id=self.sku[code],
                        qty_ordered=qty,
                        qty_received=(received or {}).get(code, 0),
                        unit_cost=5.0,
                    )
                )
            return po.id or 0


def make_world(engine: Engine) -> World:
    world = World(engine)
    with db.write_session(engine) as s:
        for code in ("US-W", "DE"):
            wh = Warehouse(code=code, name=code)
            s.add(wh)
            s.flush()
            world.wh[code] = wh.id or 0
        for name, lead, moq, pack in (("Acme", 21, 200, 20), ("Beta", 14, 1, 1)):
            sup = Supplier(name=name, lead_time_days=lead, moq=moq, case_pack=pack)
            s.add(sup)
            s.flush()
            world.sup[name] = sup.id or 0
    return world


def every_day(units: int, days: int = 28, start: int = 1) -> dict[int, int]:
    return {d: units for d in range(start, start + days)}
