"""Inventory: the reorder board. Every SKU in every warehouse (or in total), most urgent first.

The board's numbers are computed by ``services.inventory_board.build_board`` in a worker thread
(aggregates in SQL, rules in Python); filters, views and sorts then work on the computed rows in
memory, so they answer in milliseconds even at 30k rows. A second worker then computes what the
keys ask for ahead of them (``Board.prepare``: the total rows, each sort's order, each view), and
``Board.select`` keeps which rows pass each view and filter with their state counts, so a key only
picks rows from a kept order and the status line only formats the counts.
The table is the shared ``WindowTable``.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from dtc_tui import startup
from dtc_tui.i18n import N_, _, ngettext
from dtc_tui.services.common import localefmt
from dtc_tui.services.inventory import purchasing
from dtc_tui.services.inventory import stock_state as inventory
from dtc_tui.services.inventory.board import BOARD_FILTER, SORTS, Board, BoardFilter, BoardRow, Selection
from dtc_tui.services.inventory.rules import STATE_LABELS
from dtc_tui.services.overview.targets import CampaignTarget, PurchaseOrderTarget, SkuTarget, Target
from dtc_tui.ui import states
from dtc_tui.ui.safe import safe
from dtc_tui.ui.screens.base import AreaScreen
from dtc_tui.ui.screens.inventory.forms import ReceiveForm, SkuParamsForm
from dtc_tui.ui.screens.inventory.purchase_orders import PoListScreen, shown_columns, status_word
from dtc_tui.ui.screens.inventory.sku_detail import HealthScreen, SkuDetailScreen, days_text, state_text
from dtc_tui.ui.widgets.window_table import Column, ListSource, WindowTable

VIEWS: dict[str, tuple[str, BoardFilter]] = {
    "all": (N_("All"), BoardFilter()),
    "order": (N_("To order"), BoardFilter.parse("state:out,reorder")),
    "urgent": (N_("Urgent"), BoardFilter.parse("state:urgent")),
    "excess": (N_("Overstock & dead"), BoardFilter.parse("state:overstock,dead")),
    "transfer": (N_("Transfers"), BoardFilter.parse("flag:transfer")),
}


def _int(value: float) -> Text:
    return Text(localefmt.number(value))


def _out_in(row: BoardRow, now: datetime) -> Text:
    days = row.plan.days_to_stockout
    if days is None:
        return Text("-", style="dim")
    text = _("{days}d").format(days=days) if days < 1000 else ">" + _("{days}d").format(days=999)
    # Sooner than a new order could arrive: "!" (the state column says what to do about it).
    return states.mark("breached", text) if days < row.lead_time else Text(text)


def _action(row: BoardRow, now: datetime) -> Text:
    text = safe(row.action)  # already in the spoken language (the service marks it)
    if row.transfer_in:
        text.stylize("cyan")
    elif row.purchase_qty:
        text.stylize("bold")
    return text


def _velocity(row: BoardRow, now: datetime) -> Text:
    v = row.velocity
    return Text(f"{v:.1f}" if v < 100 else f"{v:.0f}", style="" if v else "dim")


# One column list; on a narrow terminal the columns with a drop rank go first (highest first), so
# 80 columns show state, SKU, name (17 cells, before any minor column), warehouse, available,
# velocity, days to stock-out and action; ROP from 87 columns.
BOARD_COLUMNS = [
    Column("state", N_("State"), 6, lambda r, n: state_text(r.state, short=True)),
    Column("code", N_("SKU"), 11, lambda r, n: safe(r.code)),
    Column("name", N_("Name"), 17, lambda r, n: safe(r.name), flex=2),
    Column("abc", N_("Cl"), 2, lambda r, n: Text(r.abc, style="bold" if r.abc == "A" else ""), drop=2),
    Column("supplier", N_("Supplier"), 12, lambda r, n: safe(r.supplier), flex=1, drop=7),
    Column("warehouse", N_("WH"), 4, lambda r, n: safe(r.warehouse)),
    Column("available", N_("Avail"), 6, lambda r, n: _int(r.available), align="right"),
    Column(
        "inbound",
        N_("Inbound"),
        7,
        lambda r, n: _int(r.plan.inbound) if r.plan.inbound else Text("-", style="dim"),
        align="right",
        drop=3,
    ),
    Column("velocity", N_("/day"), 5, _velocity, align="right"),
    Column("cover", N_("Cover"), 6, lambda r, n: days_text(r.plan.cover_days), align="right", drop=4),
    Column("out_in", N_("Out in"), 6, _out_in, align="right"),
    Column("lead", N_("Lead"), 4, lambda r, n: Text(_("{days}d").format(days=r.lead_time)), align="right", drop=5),
    Column(
        "reorder_by",
        N_("Order by"),
        10,
        lambda r, n: Text(
            str(r.plan.reorder_by or "-"), style="red" if r.plan.reorder_by and r.plan.reorder_by <= n.date() else ""
        ),
        drop=6,
    ),
    # The reorder point goes last of all (drop 1), so that at 80 columns the name gets 17 cells.
    Column("rop", N_("ROP"), 6, lambda r, n: _int(r.plan.reorder_point), align="right", drop=1),
    Column("action", N_("Action"), 16, _action, flex=1),
]


def _row_style(row: BoardRow, now: datetime) -> str:
    return "dim" if row.state == "dead" else ""


class InventoryScreen(AreaScreen):
    AREA = "inventory"
    AREA_TITLE = N_("Inventory")
    RELOAD_ON_FIRST_SHOW = False  # on_mount starts the worker; the start-up resumes would start two more
    CSS_PATH = "inventory.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", N_("Filter"), id="inventory.filter"),
        Binding("v", "next_view", N_("View"), id="inventory.view"),
        Binding("o", "next_sort", N_("Sort"), show=False, id="inventory.sort"),
        Binding("w", "toggle_totals", N_("By WH/total"), show=False, id="inventory.totals"),
        Binding("b", "buy", N_("Draft PO"), id="inventory.buy"),
        Binding("t", "transfer", N_("Transfer"), id="inventory.transfer"),
        Binding("p", "purchase_orders", N_("POs"), id="inventory.pos"),
        Binding("R", "receive", N_("Receive"), show=False, id="inventory.receive"),
        Binding("e", "edit", N_("Edit SKU"), id="inventory.edit"),
        Binding("h", "health", N_("Health"), show=False, id="inventory.health"),
        Binding("r", "refresh", N_("Refresh"), show=False, id="inventory.refresh"),
        Binding("u", "unmark", N_("Unmark all"), show=False, id="inventory.unmark"),
        Binding("escape", "clear_filter", N_("Clear filter"), show=False, id="inventory.clear"),
    ]
    HELP_ROWS: ClassVar[list[tuple[str, str]]] = [
        ("j/k, g/G, PgUp/PgDn", N_("Move on the board")),
        ("space, V", N_("Mark the row / the page (b and t act on marked rows, else on the cursor row)")),
        ("Enter", N_("Detail: 180 days of sales, stock per warehouse, open POs, the numbers")),
        *[(f"/ {syntax}", meaning) for syntax, meaning in BOARD_FILTER.help_lines()],
    ]

    @property
    def HELP_EXTRA(self) -> list[tuple[str, str]]:
        """The help rows in the language spoken now."""
        return [(key, _(text)) for key, text in self.HELP_ROWS]

    def __init__(self) -> None:
        super().__init__()
        self.board: Board | None = None
        self.view = "all"
        self.sort = "urgency"
        self.totals = False
        self.filter = BoardFilter()
        self.rows: list[BoardRow] = []
        self.selection: Selection | None = None  # the rows shown and their state counts
        self._pending_sku: int | None = None  # from the overview, focused once the board is ready
        self._status_fitted = False  # the status line shown fits on one line

    def compose_body(self) -> ComposeResult:
        yield Input(
            placeholder=_("filter: wh:US-W sup:ningbo class:A state:reorder flag:aged  or text"),
            id="board-filter",
            classes="filter-input",
        )
        yield WindowTable(
            shown_columns(BOARD_COLUMNS),
            clock=self.dtc.clock,
            id="board",
            empty_text=_("Computing the board..."),
            row_style=_row_style,
            markable=True,  # b drafts POs from the marked rows, t moves them
        )
        yield Static(id="board-status")

    @property
    def table(self) -> WindowTable:
        return self.query_one("#board", WindowTable)

    def on_mount(self) -> None:
        super().on_mount()
        self.table.focus()
        self.reload_data()

    # --- data ---------------------------------------------------------------------------------

    def reload_data(self) -> None:
        self.compute_board()

    @work(exclusive=True, exit_on_error=False, group="inventory-board")
    async def compute_board(self) -> None:
        def build() -> Board:
            with startup.long_lived():  # the board's objects: out of the collector's sight
                return self.dtc.facades.inventory.board()

        board = await self.dtc.read_in_background(build, "inventory-board")
        if board is not None:
            self._board_ready(board)

    def _board_ready(self, board: Board) -> None:
        self.board = board
        self.table.empty_text = _("Nothing matches.")
        self.apply_view(keep_cursor=True)
        self._focus_pending()
        self.prepare_board(board)

    @work(exclusive=True, exit_on_error=False, group="inventory-board-prepare")
    async def prepare_board(self, board: Board) -> None:
        """Totals, sort orders and views ahead of the keys that show them (see ``Board.prepare``)."""
        views = [view for _label, view in VIEWS.values()]

        def prepare() -> None:
            with startup.long_lived():  # the total rows and the kept orders too
                board.prepare(views)

        await self.dtc.read_in_background(prepare, "inventory-board-prepare")

    def show_target(self, target: Target) -> None:
        """From the overview: the SKU's line over all warehouses, or the PO list."""
        if isinstance(target, PurchaseOrderTarget):
            self.action_purchase_orders()
        elif isinstance(target, SkuTarget | CampaignTarget) and target.sku_id is not None:
            self._pending_sku = target.sku_id
            self._focus_pending()

    def _focus_pending(self) -> None:
        if self.board is None or self._pending_sku is None:
            return
        self.view, self.totals, self.filter = "all", True, BoardFilter()
        self.apply_view()
        index = next((i for i, row in enumerate(self.rows) if row.sku_id == self._pending_sku), None)
        self._pending_sku = None
        if index is not None:
            self.table.cursor = index
            self.dtc.notify_safe(
                _("showing: {sku} on all warehouses (view, filter reset)").format(sku=self.rows[index].code)
            )

    def apply_view(self, *, keep_cursor: bool = False) -> None:
        if self.board is None:
            return
        self.selection = self.board.select(
            [VIEWS[self.view][1], self.filter], totals=self.totals, sort=self.sort, marked=self.table.marked
        )
        self.rows = rows = self.selection.rows
        self.table.set_source(ListSource(rows, key=lambda r: r.key), keep_cursor=keep_cursor)
        self.update_status()
        detail = _("all warehouses") if self.totals else _("by warehouse")
        self.set_title_text(_("reorder board, {detail}").format(detail=detail))

    def update_status(self) -> None:
        text = Text()
        text.append(f" {_(VIEWS[self.view][0])} ", style="reverse")
        text.append(" " + _("sort: {sort}").format(sort=_(SORTS[self.sort])) + " ")
        if not self.filter.empty:
            text.append(" " + _("filter: "))
            text.append_text(safe(self.filter.describe()))
            text.append(" ")
        # Counted once per view, filter and per-warehouse/total (Board.select), not per cursor move.
        counts = self.selection.counts if self.selection is not None else dict.fromkeys(STATE_LABELS, 0)
        for state in ("out", "reorder_now", "reorder_soon", "overstock"):
            if counts[state]:
                text.append(" ")
                text.append_text(state_text(state, short=True))
                text.append(f" {counts[state]}")
        text.append(f"  {self.table.position_text()}", style="dim")
        status = self.query_one("#board-status", Static)
        # A line that fits the width, after one that did, keeps the layout (the one line high the
        # status is): a repaint then, not a relayout of the screen (a cursor move or mark costs less).
        fits = text.cell_len < max(status.size.width, 1)
        status.update(text, layout=not (fits and self._status_fitted))
        self._status_fitted = fits

    @on(WindowTable.CursorMoved)
    def _cursor_moved(self) -> None:
        self.update_status()

    @on(WindowTable.MarksChanged)
    def _marks_changed(self) -> None:
        self.update_status()

    # --- views, sort, filter --------------------------------------------------------------------

    def action_next_view(self) -> None:
        views = list(VIEWS)
        self.view = views[(views.index(self.view) + 1) % len(views)]
        self.apply_view()

    def action_next_sort(self) -> None:
        sorts = list(SORTS)
        self.sort = sorts[(sorts.index(self.sort) + 1) % len(sorts)]
        self.apply_view()

    def action_toggle_totals(self) -> None:
        self.totals = not self.totals
        self.table.clear_marks()
        self.apply_view()

    def action_refresh(self) -> None:
        self.reload_data()

    def action_unmark(self) -> None:
        self.table.clear_marks()

    def action_filter(self) -> None:
        box = self.query_one("#board-filter", Input)
        box.add_class("-visible")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#board-filter", Input)
        box.value = ""
        box.remove_class("-visible")
        if not self.filter.empty:
            self.filter = BoardFilter()
            self.apply_view()
        self.table.focus()

    @on(Input.Submitted, "#board-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        with self.dtc.user_errors(title=_("Filter")):
            self.filter = BoardFilter.parse(event.value)
            event.input.remove_class("-visible")
            self.apply_view()
            self.table.focus()

    # --- acting on rows -------------------------------------------------------------------------

    def _selected_rows(self) -> list[BoardRow]:
        """Marked rows, else the cursor row; a total row stands for its warehouse rows."""
        if self.board is None:
            return []
        keys: list[Hashable] = self.table.marked_or_cursor_keys()
        rows: list[BoardRow] = []
        for key in keys:
            row = self.board.row(key)  # type: ignore[arg-type]
            if row is None:
                continue
            if row.is_total:
                rows.extend(r for r in self.board.rows if r.sku_id == row.sku_id)
            else:
                rows.append(row)
        return rows

    def _after_write(self, message: str) -> None:
        self.dtc.mark_seen()
        self.table.clear_marks()
        self.dtc.notify_safe(message, title=_("Inventory"))
        self.reload_data()

    def action_buy(self) -> None:
        rows = self._selected_rows()
        lines = [purchasing.DraftLine(r.sku_id, r.warehouse_id, r.purchase_qty) for r in rows if r.purchase_qty > 0]
        if not lines:
            self.dtc.notify_safe(
                _("Nothing to buy: no selected row has a suggested purchase."), title=_("Inventory"), severity="warning"
            )
            return
        try:
            numbers = self.dtc.facades.inventory.draft_pos(lines)
        except purchasing.PurchasingError as exc:
            self.dtc.notify_safe(str(exc), title=_("Inventory"), severity="warning")
            return
        units = sum(line.qty for line in lines)
        self._after_write(
            _("Drafted {units} units on {pos}. Press p to review and send.").format(
                units=localefmt.number(units), pos=", ".join(dict.fromkeys(numbers))
            )
        )

    def action_transfer(self) -> None:
        if self.board is None:
            return
        selected = {r.key for r in self._selected_rows()}
        moves = [
            m
            for m in self.board.transfers
            if (m.sku_id, m.to_warehouse_id) in selected or (m.sku_id, m.from_warehouse_id) in selected
        ]
        if not moves:
            self.dtc.notify_safe(
                _("No transfer suggested for the selected rows."), title=_("Inventory"), severity="warning"
            )
            return
        lines = [purchasing.TransferLine(m.sku_id, m.from_warehouse_id, m.to_warehouse_id, m.qty) for m in moves]
        try:
            ids = self.dtc.facades.inventory.draft_transfers(lines)
        except purchasing.PurchasingError as exc:
            self.dtc.notify_safe(str(exc), title=_("Inventory"), severity="warning")
            return
        self._after_write(
            ngettext(
                "Drafted {count} transfer: {refs}. Dispatch it from the PO list (p, then v).",
                "Drafted {count} transfers: {refs}. Dispatch them from the PO list (p, then v).",
                len(ids),
            ).format(count=len(ids), refs=", ".join(f"TR-{i}" for i in ids))
        )

    def action_purchase_orders(self) -> None:
        self.app.push_screen(PoListScreen())

    def action_receive(self) -> None:
        row = self.table.cursor_row
        if row is None:
            return
        refs = sorted((a for a in row.inp.arrivals if a.ref.startswith("PO-")), key=lambda a: a.day)
        if not refs:
            self.dtc.notify_safe(
                _("{sku} has no open PO to receive.").format(sku=row.code), title=_("Inventory"), severity="warning"
            )
            return
        number = refs[0].ref
        detail = self.dtc.facades.inventory.po_detail(number)

        def received(quantities: dict[str, int] | None) -> None:
            if not quantities:
                return
            try:
                receipt = self.dtc.facades.inventory.receive(
                    number, quantities, expected_version=detail.summary.version
                )
            except purchasing.PurchasingError as exc:
                self.dtc.notify_safe(str(exc), title=_("Inventory"), severity="warning")
                return
            units = localefmt.number(sum(receipt.received.values()))
            self._after_write(
                _("{po}: received {units} units ({status})").format(
                    po=receipt.number, units=units, status=status_word(receipt.status)
                )
            )

        self.app.push_screen(ReceiveForm(number, detail.lines), received)

    def action_edit(self) -> None:
        row = self.table.cursor_row
        if row is not None:
            self.edit_parameters(row.sku_id, row.code)

    def edit_parameters(self, sku_id: int, code: str) -> None:
        params = self.dtc.facades.inventory.sku_parameters(sku_id)

        def saved(changes: dict[str, object] | None) -> None:
            if not changes:
                return
            try:
                self.dtc.facades.inventory.update_sku_parameters(sku_id, changes, expected_version=params.version)
            except inventory.InventoryError as exc:
                self.dtc.notify_safe(str(exc), title=_("Inventory"), severity="warning")
                return
            self._after_write(
                f"{code}: "
                + ", ".join(
                    f"{_(k.replace('_', ' '))} {v if v is not None else _('supplier')}" for k, v in changes.items()
                )
            )

        self.app.push_screen(SkuParamsForm(code, params), saved)

    def action_health(self) -> None:
        if self.board is None:
            return
        report = self.dtc.facades.inventory.health(self.board)
        self.app.push_screen(HealthScreen(report))

    @on(WindowTable.RowSelected)
    def _open_detail(self, event: WindowTable.RowSelected) -> None:
        row: BoardRow = event.row
        detail = self.dtc.facades.inventory.sku_detail(row.sku_id, warehouse_id=row.warehouse_id)

        def closed(result: str | None) -> None:
            if result == "edit":
                self.edit_parameters(row.sku_id, row.code)

        self.app.push_screen(SkuDetailScreen(detail), closed)
