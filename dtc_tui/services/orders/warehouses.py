"""Which warehouse an order's units left from: its location, else the default warehouse.

Shopify's orders export fills ``Location`` for POS orders only. An order without one ships from
the ``orders.default_warehouse`` setting (a warehouse code); when that is empty, from the first
warehouse (lowest id, which is what a one-location store has), and when there is none at all, from
a warehouse "STORE" created for the purpose (and counted in the import summary).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlmodel import Session

from dtc_tui.models import Warehouse
from dtc_tui.models.base import table_of
from dtc_tui.services.common import settings
from dtc_tui.services.importers.errors import ImportFailed, RowError

WAREHOUSE = table_of(Warehouse)
DEFAULT_CODE = "STORE"


class WarehousePicker:
    def __init__(self, session: Session, created: Counter[str] | None = None) -> None:
        self.created = created if created is not None else Counter()
        self.by_name: dict[str, int] = {}
        self.codes: set[str] = set()
        first: int | None = None
        for warehouse_id, code, name in session.execute(
            select(WAREHOUSE.c.id, WAREHOUSE.c.code, WAREHOUSE.c.name).order_by(WAREHOUSE.c.id)
        ):
            self.by_name.setdefault(name.strip().lower(), warehouse_id)
            self.by_name.setdefault(code.strip().lower(), warehouse_id)
            self.codes.add(code.upper())
            first = warehouse_id if first is None else first
        wanted = str(settings.get(session, "orders.default_warehouse") or "").strip()
        if wanted and wanted.lower() not in self.by_name:
            raise ImportFailed(
                [RowError("setting", 0, "orders.default_warehouse", f"no warehouse with code or name {wanted!r}")]
            )
        self.default: int | None = self.by_name[wanted.lower()] if wanted else first

    def for_location(self, session: Session, location: str) -> int:
        key = location.strip().lower()
        if not key:
            if self.default is None:
                self.default = self._create(session, DEFAULT_CODE, "Store (orders without a location)")
            return self.default
        if key not in self.by_name:
            from dtc_tui.services.importers.shopify import warehouse_code

            self.by_name[key] = self._create(session, warehouse_code(location, self.codes), location.strip())
        return self.by_name[key]

    def _create(self, session: Session, code: str, name: str) -> int:
        session.execute(WAREHOUSE.insert(), [{"code": code, "name": name, "region": "", "delivery_days": 3}])
        warehouse_id = session.execute(select(WAREHOUSE.c.id).where(WAREHOUSE.c.code == code)).scalar_one()
        self.codes.add(code.upper())
        self.by_name.setdefault(code.lower(), warehouse_id)
        self.created["warehouse"] += 1
        return warehouse_id
