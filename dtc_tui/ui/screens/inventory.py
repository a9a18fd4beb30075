"""Inventory: stock per SKU and warehouse."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult

from dtc_tui import db
from dtc_tui.services import inventory
from dtc_tui.ui.safe import safe
from dtc_tui.ui.screens.base import AreaScreen
from dtc_tui.ui.widgets.window_table import Column, ListSource, WindowTable

COLUMNS = [
    Column("code", "SKU", 12, lambda r, n: safe(r.code)),
    Column("name", "Name", 20, lambda r, n: safe(r.name), flex=1),
    Column("warehouse", "WH", 5, lambda r, n: Text(r.warehouse)),
    Column("on_hand", "On hand", 8, lambda r, n: Text(f"{r.on_hand:,}"), align="right"),
    Column("committed", "Committed", 9, lambda r, n: Text(f"{r.committed:,}"), align="right"),
    Column("available", "Available", 9, lambda r, n: Text(f"{r.available:,}"), align="right"),
]


class InventoryScreen(AreaScreen):
    AREA = "inventory"
    AREA_TITLE = "Inventory"

    def compose_body(self) -> ComposeResult:
        yield WindowTable(COLUMNS, clock=self.dtc.clock, id="stock")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(WindowTable).focus()
        self.reload_data()

    def reload_data(self) -> None:
        with db.read_session(self.dtc.engine) as session:
            rows = inventory.stock_rows(session)
        self.query_one(WindowTable).set_source(ListSource(rows, key=lambda r: (r.sku_id, r.warehouse)),
                                               keep_cursor=True)
