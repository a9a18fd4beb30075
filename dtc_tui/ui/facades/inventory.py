"""Inventory: the reorder board, one SKU, its health, purchase orders and transfers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from dtc_tui import db
from dtc_tui.services.inventory import purchasing, stock_state
from dtc_tui.services.inventory.board import Board, BoardSettings, build_board, load_settings
from dtc_tui.services.inventory.purchasing import (
    DraftLine,
    PoDetail,
    PoSummary,
    Receipt,
    TransferLine,
    TransferRow,
)
from dtc_tui.services.inventory.stock_state import SkuDetail, SkuParameters
from dtc_tui.ui.facades.base import Facade

if TYPE_CHECKING:
    from dtc_tui.services.inventory.health import Health


class InventoryFacade(Facade):
    # --- reads --------------------------------------------------------------------------------

    def board(self) -> Board:
        """Every SKU-warehouse row with its plan (seconds on a big catalogue: call it from a worker)."""
        now = self.now()
        with db.read_session(self.engine) as session:
            return build_board(session, now)

    def board_settings(self) -> BoardSettings:
        with db.read_session(self.engine) as session:
            return load_settings(session)

    def health(self, board: Board) -> Health:
        """Health KPIs beside their targets, computed from the board already on screen."""
        from dtc_tui.services.inventory.health import health

        with db.read_session(self.engine) as session:
            return health(session, self.now(), board)

    def sku_detail(self, sku_id: int, warehouse_id: int = 0) -> SkuDetail:
        with db.read_session(self.engine) as session:
            return stock_state.sku_detail(session, sku_id, self.now(), warehouse_id=warehouse_id)

    def sku_parameters(self, sku_id: int) -> SkuParameters:
        with db.read_session(self.engine) as session:
            return stock_state.sku_parameters(session, sku_id)

    def po_detail(self, reference: str | int) -> PoDetail:
        now = self.now()
        with db.read_session(self.engine) as session:
            return purchasing.po_detail(session, reference, now)

    def default_expected(self, po_id: int) -> datetime:
        """When a PO sent now should arrive: today plus its supplier's lead time."""
        now = self.now()
        with db.read_session(self.engine) as session:
            return purchasing.default_expected(session, purchasing.find_po(session, po_id), now)

    def purchase_orders(self, *, open_only: bool) -> list[PoSummary]:
        now = self.now()
        with db.read_session(self.engine) as session:
            return purchasing.list_pos(session, now, statuses=purchasing.OPEN_STATUSES if open_only else None)

    def transfers(self, *, open_only: bool) -> list[TransferRow]:
        with db.read_session(self.engine) as session:
            return purchasing.list_transfers(session, open_only=open_only)

    # --- writes (each raises PurchasingError or InventoryError with a one-line message) -------

    def update_sku_parameters(self, sku_id: int, changes: dict[str, object], *, expected_version: int) -> int:
        return stock_state.update_sku_parameters(
            self.engine, sku_id, changes, expected_version=expected_version, actor=self.operator, now=self.now()
        )

    def draft_pos(self, lines: Iterable[DraftLine]) -> list[str]:
        """Draft POs from suggested lines (one per supplier and warehouse); returns their numbers."""
        return purchasing.draft_from_lines(self.engine, lines, actor=self.operator, now=self.now())

    def draft_transfers(self, lines: Iterable[TransferLine]) -> list[int]:
        return purchasing.draft_transfers(self.engine, lines, actor=self.operator, now=self.now())

    def receive(self, reference: str | int, quantities: Mapping[str, int], *, expected_version: int | None) -> Receipt:
        return purchasing.receive(
            self.engine,
            reference,
            quantities,
            expected_version=expected_version,
            actor=self.operator,
            now=self.now(),
        )

    def mark_sent(self, po_id: int, *, expected_version: int | None, expected_at: datetime) -> datetime:
        return purchasing.mark_sent(
            self.engine,
            po_id,
            expected_version=expected_version,
            actor=self.operator,
            now=self.now(),
            expected_at=expected_at,
        )

    def set_expected(self, po_id: int, expected_at: datetime, *, expected_version: int | None) -> None:
        purchasing.set_expected(
            self.engine, po_id, expected_at, expected_version=expected_version, actor=self.operator, now=self.now()
        )

    def cancel(self, po_id: int, *, expected_version: int | None) -> str:
        return purchasing.cancel(
            self.engine, po_id, expected_version=expected_version, actor=self.operator, now=self.now()
        )

    def set_line_qty(self, po_id: int, sku_id: int, qty: int, *, expected_version: int | None) -> None:
        purchasing.set_line_qty(
            self.engine, po_id, sku_id, qty, expected_version=expected_version, actor=self.operator, now=self.now()
        )

    def add_line(self, po_id: int, sku_code: str, qty: int, *, expected_version: int | None) -> None:
        purchasing.add_line(
            self.engine, po_id, sku_code, qty, expected_version=expected_version, actor=self.operator, now=self.now()
        )

    def dispatch_transfer(self, transfer_id: int) -> datetime:
        return purchasing.dispatch_transfer(self.engine, transfer_id, actor=self.operator, now=self.now())

    def receive_transfer(self, transfer_id: int) -> None:
        purchasing.receive_transfer(self.engine, transfer_id, actor=self.operator, now=self.now())

    def cancel_transfer(self, transfer_id: int) -> None:
        purchasing.cancel_transfer(self.engine, transfer_id, actor=self.operator, now=self.now())
