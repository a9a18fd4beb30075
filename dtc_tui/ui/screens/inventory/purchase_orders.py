"""The purchase order list (with transfers) and one PO's lines: send, receive, edit, cancel."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Static

from dtc_tui.i18n import N_, NC_, _, ngettext
from dtc_tui.services.common import localefmt
from dtc_tui.services.inventory import purchasing
from dtc_tui.services.inventory.purchasing import PoDetail, PoLine, PoSummary, PurchasingError, TransferRow
from dtc_tui.ui.safe import safe
from dtc_tui.ui.screens.base import TitleBar
from dtc_tui.ui.screens.inventory.forms import ConfirmForm, PromptForm, ReceiveForm
from dtc_tui.ui.widgets.footer import KeysFooter
from dtc_tui.ui.widgets.window_table import Column, ListSource, WindowTable

if TYPE_CHECKING:
    from dtc_tui.ui.app import DtcApp

STATUS_STYLE = {
    "draft": "cyan",
    "sent": "",
    "partial": "yellow",
    "received": "green",
    "cancelled": "dim",
    "in_transit": "",
    "late": "bold red",
}


STATUS_WORDS = {
    "draft": N_("draft"),
    "sent": N_("sent"),
    "partial": N_("partial"),
    "received": N_("received"),
    "cancelled": N_("cancelled"),
    "in_transit": N_("in transit"),
    "late": N_("late"),
}


def status_word(status: str) -> str:
    """A PO's or transfer's status in the language spoken (the stored value stays English)."""
    return _(STATUS_WORDS.get(status, status.replace("_", " ")))


def shown_columns(columns: Sequence[Column]) -> list[Column]:
    """The columns with their titles in the language spoken now (the lists hold N_ marks)."""
    return [replace(column, label=_(column.label)) for column in columns]


def status_cell(status: str, late_days: int = 0) -> Text:
    if late_days:
        return Text(status_word("late"), style=STATUS_STYLE["late"])
    return Text(status_word(status), style=STATUS_STYLE.get(status, ""))


def day_cell(value: datetime | None) -> Text:
    return Text(value.strftime("%Y-%m-%d") if value else "-", style="" if value else "dim")


PO_COLUMNS = [
    Column("number", N_("PO"), 8, lambda r, n: safe(r.number)),
    Column("status", N_("Status"), 8, lambda r, n: status_cell(r.status, r.late_days)),
    Column("supplier", N_("Supplier"), 12, lambda r, n: safe(r.supplier), flex=1),
    Column("warehouse", N_("WH"), 4, lambda r, n: safe(r.warehouse)),
    Column(
        "units",
        N_("Recv/Ordered"),
        12,
        lambda r, n: Text(f"{localefmt.number(r.units_received)}/{localefmt.number(r.units_ordered)}"),
        align="right",
    ),
    Column("expected", N_("Expected"), 10, lambda r, n: day_cell(r.expected_at)),
    Column(
        "late",
        N_("Late"),
        5,
        lambda r, n: (
            Text(_("{days}d").format(days=r.late_days), style="bold red") if r.late_days else Text("-", style="dim")
        ),
        align="right",
    ),
]

TRANSFER_COLUMNS = [
    Column("ref", N_("Transfer"), 8, lambda r, n: Text(r.ref)),
    Column("status", N_("Status"), 10, lambda r, n: status_cell(r.status)),
    Column("sku", N_("SKU"), 12, lambda r, n: safe(r.code), flex=1),
    Column("from", N_("From"), 5, lambda r, n: safe(r.from_warehouse)),
    Column("to", N_("To"), 5, lambda r, n: safe(r.to_warehouse)),
    Column("qty", N_("Qty"), 7, lambda r, n: Text(localefmt.number(r.qty)), align="right"),
    Column("expected", N_("Expected"), 10, lambda r, n: day_cell(r.expected_at)),
]

LINE_COLUMNS = [
    Column("code", N_("SKU"), 12, lambda r, n: safe(r.code)),
    Column("name", N_("Name"), 12, lambda r, n: safe(r.name), flex=1),
    Column("ordered", N_("Ordered"), 8, lambda r, n: Text(localefmt.number(r.qty_ordered)), align="right"),
    Column("received", N_("Received"), 8, lambda r, n: Text(localefmt.number(r.qty_received)), align="right"),
    Column(
        "open",
        NC_("quantity not yet received", "Open"),
        7,
        lambda r, n: Text(localefmt.number(r.open_qty), style="bold" if r.open_qty else "dim"),
        align="right",
    ),
    Column("cost", N_("Unit cost"), 9, lambda r, n: Text(localefmt.number(r.unit_cost, 2)), align="right"),
]

SCREEN_CSS = """
{name} #po-status {{ height: 1; padding: 0 1; background: $panel; }}
{name} #po-header {{ height: auto; padding: 0 1; background: $panel; }}
"""


class _PoBase(Screen[None]):
    """Shared by the PO screens: the app handle, running a write and reporting its error."""

    @property
    def dtc(self) -> DtcApp:
        return self.app  # type: ignore[return-value]

    def now(self) -> datetime:
        return self.dtc.clock.now()

    def write(self, action: Callable[[], Any], done: str | Callable[[Any], str]) -> bool:
        """Run a service write; notify its result or its one-line error. True when it worked."""
        try:
            result = action()
        except PurchasingError as exc:
            self.dtc.notify_safe(str(exc), title=_("Purchasing"), severity="warning")
            return False
        self.dtc.mark_seen()
        self.dtc.notify_safe(done(result) if callable(done) else done, title=_("Purchasing"))
        self.reload_data()
        return True

    def reload_data(self) -> None:  # pragma: no cover - overridden
        pass

    def set_title(self, text: Text) -> None:
        text.append(f"   {self.dtc.operator}@{self.dtc.database_label}", style="dim")
        self.query_one(TitleBar).update(text)

    # --- PO actions shared by the list and the detail ------------------------------------------

    def send_po(self, po: PoSummary) -> None:
        if po.status != "draft":
            self.dtc.notify_safe(
                _("{po} is {status}, not a draft").format(po=po.number, status=status_word(po.status)),
                title=_("Purchasing"),
                severity="warning",
            )
            return
        default = self.dtc.facades.inventory.default_expected(po.id)

        def parse(value: str) -> datetime:
            return purchasing.parse_expected(value, self.now())

        def sent(expected: datetime | None) -> None:
            if expected is not None:
                self.write(
                    lambda: self.dtc.facades.inventory.mark_sent(
                        po.id, expected_version=po.version, expected_at=expected
                    ),
                    lambda when: _("{po} sent; expected {day}").format(po=po.number, day=f"{when:%Y-%m-%d}"),
                )

        self.app.push_screen(
            PromptForm(
                _("Send {po}").format(po=po.number),
                _("Expected arrival (YYYY-MM-DD or +days)"),
                default.strftime("%Y-%m-%d"),
                parse,
                hint=_("Default: today + lead time. Enter sends, Esc cancels."),
            ),
            sent,
        )

    def receive_po(self, po: PoSummary) -> None:
        if po.status not in ("sent", "partial"):
            self.dtc.notify_safe(
                _("{po} is {status}: only sent POs can be received").format(
                    po=po.number, status=status_word(po.status)
                ),
                title=_("Purchasing"),
                severity="warning",
            )
            return
        detail = self.dtc.facades.inventory.po_detail(po.id)

        def received(quantities: dict[str, int] | None) -> None:
            if quantities:
                self.write(
                    lambda: self.dtc.facades.inventory.receive(
                        po.id, quantities, expected_version=detail.summary.version
                    ),
                    lambda r: _("{po}: received {units} units ({status})").format(
                        po=r.number, units=localefmt.number(sum(r.received.values())), status=status_word(r.status)
                    ),
                )

        self.app.push_screen(ReceiveForm(po.number, detail.lines), received)

    def cancel_po(self, po: PoSummary) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.write(
                    lambda: self.dtc.facades.inventory.cancel(po.id, expected_version=po.version),
                    _("{po} cancelled").format(po=po.number),
                )

        self.app.push_screen(
            ConfirmForm(_("Cancel {po} ({status})?").format(po=po.number, status=status_word(po.status))), answered
        )

    def set_expected(self, po: PoSummary) -> None:
        def parse(value: str) -> datetime:
            return purchasing.parse_expected(value, self.now())

        def chosen(expected: datetime | None) -> None:
            if expected is not None:
                self.write(
                    lambda: self.dtc.facades.inventory.set_expected(po.id, expected, expected_version=po.version),
                    _("{po}: expected {day}").format(po=po.number, day=f"{expected:%Y-%m-%d}"),
                )

        current = po.expected_at.strftime("%Y-%m-%d") if po.expected_at else ""
        self.app.push_screen(
            PromptForm(
                _("Expected arrival of {po}").format(po=po.number), _("Date (YYYY-MM-DD or +days)"), current, parse
            ),
            chosen,
        )


class PoListScreen(_PoBase):
    """Every PO, open ones first (soonest expected first), with lateness; ``v`` shows transfers."""

    DEFAULT_CSS = SCREEN_CSS.format(name="PoListScreen")
    AREA_TITLE = N_("Purchase orders")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("Back"), id="po_list.back"),
        Binding("v", "toggle_view", N_("POs/transfers"), id="po_list.view"),
        Binding("a", "toggle_open", N_("Open/all"), id="po_list.open"),
        Binding("s", "send", N_("Send"), id="po_list.send"),
        Binding("r", "receive", N_("Receive"), id="po_list.receive"),
        Binding("d", "expected", N_("Arrival date"), id="po_list.expected"),
        Binding("x", "cancel", N_("Cancel PO"), show=False, id="po_list.cancel"),
        Binding("H", "history", N_("History"), show=False, id="po_list.history"),
    ]
    HELP_ROWS: ClassVar[list[tuple[str, str]]] = [
        ("Enter", N_("Open the PO: its lines, edit drafts")),
        (N_("s on a transfer"), N_("Dispatch it (stock leaves the source)")),
        (N_("r on a transfer"), N_("Receive it (stock arrives)")),
    ]

    @property
    def HELP_EXTRA(self) -> list[tuple[str, str]]:
        """The help rows in the language spoken now."""
        return [(_(key), _(text)) for key, text in self.HELP_ROWS]

    def __init__(self, select: str | None = None) -> None:
        super().__init__()
        self.showing = "pos"
        self.open_only = False
        self.select = select

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title-bar")
        yield WindowTable(
            shown_columns(PO_COLUMNS), clock=self.dtc.clock, id="po-table", empty_text=_("No purchase orders.")
        )
        yield Static(id="po-status")
        yield KeysFooter()

    @property
    def table(self) -> WindowTable:
        return self.query_one("#po-table", WindowTable)

    def on_mount(self) -> None:
        self.reload_data()
        if self.select is not None:
            for index, row in enumerate(self.table.source.fetch(0, self.table.row_count)):  # type: ignore[union-attr]
                if getattr(row, "number", None) == self.select:
                    self.table.cursor = index
                    break
        self.table.focus()

    def on_screen_resume(self) -> None:
        self.reload_data()

    def reload_data(self) -> None:
        inventory = self.dtc.facades.inventory
        if self.showing == "pos":
            rows: list[Any] = inventory.purchase_orders(open_only=self.open_only)
        else:
            rows = inventory.transfers(open_only=self.open_only)
        columns = shown_columns(PO_COLUMNS if self.showing == "pos" else TRANSFER_COLUMNS)
        if self.table.columns != columns:
            self.table.set_columns(columns)
        self.table.set_source(ListSource(rows, key=lambda r: (type(r).__name__, r.id)), keep_cursor=True)
        title = Text(_("Purchase orders") if self.showing == "pos" else _("Transfers"), style="bold")
        title.append("  " + (_("open only") if self.open_only else _("all")))
        self.set_title(title)
        self.update_status(rows)

    def update_status(self, rows: list[Any]) -> None:
        text = Text()
        if self.showing == "pos":
            late = sum(1 for r in rows if r.late_days)
            drafts = sum(1 for r in rows if r.status == "draft")
            open_count = sum(1 for r in rows if r.is_open)
            text.append(_("{open} open  {drafts} draft").format(open=open_count, drafts=drafts) + "  ")
            text.append(_("{late} late").format(late=late), style="bold red" if late else "green")
        else:
            text.append(
                _("{moving} in transit  {drafts} draft").format(
                    moving=sum(1 for r in rows if r.status == "in_transit"),
                    drafts=sum(1 for r in rows if r.status == "draft"),
                )
            )
        text.append(f"   {self.table.position_text()}", style="dim")
        self.query_one("#po-status", Static).update(text)

    @on(WindowTable.CursorMoved)
    def _moved(self) -> None:
        rows = self.table.source.fetch(0, self.table.row_count) if self.table.source else []
        self.update_status(list(rows))

    def current(self) -> Any | None:
        return self.table.cursor_row

    def action_history(self) -> None:
        """The audit log filtered on the PO (or transfer) under the cursor."""
        from dtc_tui.ui.screens.audit.log import open_history

        row = self.current()
        if isinstance(row, PoSummary):
            open_history(self.app, "purchase_order", row.number)
        elif row is not None and getattr(row, "id", None) is not None:
            open_history(self.app, "stock_transfer", row.id)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_toggle_view(self) -> None:
        self.showing = "transfers" if self.showing == "pos" else "pos"
        self.table.cursor = 0
        self.reload_data()

    def action_toggle_open(self) -> None:
        self.open_only = not self.open_only
        self.reload_data()

    @on(WindowTable.RowSelected)
    def _open(self, event: WindowTable.RowSelected) -> None:
        if isinstance(event.row, PoSummary):
            self.app.push_screen(PoDetailScreen(event.row.id))

    def action_send(self) -> None:
        row = self.current()
        if isinstance(row, PoSummary):
            self.send_po(row)
        elif isinstance(row, TransferRow):
            self.write(
                lambda: self.dtc.facades.inventory.dispatch_transfer(row.id),
                lambda when: _("{ref} dispatched; expected {day}").format(ref=row.ref, day=f"{when:%Y-%m-%d}"),
            )

    def action_receive(self) -> None:
        row = self.current()
        if isinstance(row, PoSummary):
            self.receive_po(row)
        elif isinstance(row, TransferRow):
            self.write(
                lambda: self.dtc.facades.inventory.receive_transfer(row.id),
                _("{ref} received: {qty} x {sku} in {warehouse}").format(
                    ref=row.ref, qty=localefmt.number(row.qty), sku=row.code, warehouse=row.to_warehouse
                ),
            )

    def action_expected(self) -> None:
        row = self.current()
        if isinstance(row, PoSummary):
            self.set_expected(row)

    def action_cancel(self) -> None:
        row = self.current()
        if isinstance(row, PoSummary):
            self.cancel_po(row)
        elif isinstance(row, TransferRow):
            self.write(
                lambda: self.dtc.facades.inventory.cancel_transfer(row.id),
                _("{ref} cancelled").format(ref=row.ref),
            )


class PoDetailScreen(_PoBase):
    """One PO: its lines; drafts can be edited, sent POs received."""

    DEFAULT_CSS = SCREEN_CSS.format(name="PoDetailScreen")
    AREA_TITLE = N_("Purchase order")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("Back"), id="po_detail.back"),
        Binding("e", "edit_line", N_("Edit qty"), id="po_detail.edit"),
        Binding("a", "add_line", N_("Add line"), id="po_detail.add"),
        Binding("s", "send", N_("Send"), id="po_detail.send"),
        Binding("r", "receive", N_("Receive"), id="po_detail.receive"),
        Binding("d", "expected", N_("Arrival date"), id="po_detail.expected"),
        Binding("x", "cancel", N_("Cancel PO"), show=False, id="po_detail.cancel"),
        Binding("H", "history", N_("History"), show=False, id="po_detail.history"),
    ]

    def __init__(self, po_id: int) -> None:
        super().__init__()
        self.po_id = po_id
        self.detail: PoDetail | None = None

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title-bar")
        yield Static(id="po-header")
        yield WindowTable(shown_columns(LINE_COLUMNS), clock=self.dtc.clock, id="po-lines", empty_text=_("No lines."))
        yield Static(id="po-status")
        yield KeysFooter()

    @property
    def table(self) -> WindowTable:
        return self.query_one("#po-lines", WindowTable)

    def on_mount(self) -> None:
        self.reload_data()
        self.table.focus()

    def reload_data(self) -> None:
        self.detail = self.dtc.facades.inventory.po_detail(self.po_id)
        po = self.detail.summary
        title = Text(_("Purchase order") + " ", style="bold")
        title.append_text(safe(po.number, style="bold"))
        self.set_title(title)
        header = Text()
        header.append_text(status_cell(po.status, po.late_days))
        header.append("  ")
        header.append_text(safe(po.supplier))
        header.append("  " + _("to {warehouse}").format(warehouse=po.warehouse) + "  ")
        header.append(_("created {day}").format(day=f"{po.created_at:%Y-%m-%d}"), style="dim")
        if po.sent_at:
            header.append("  " + _("sent {day}").format(day=f"{po.sent_at:%Y-%m-%d}"), style="dim")
        if po.expected_at:
            expected = _("expected {day}").format(day=f"{po.expected_at:%Y-%m-%d}")
            header.append("  " + expected, style="bold red" if po.late_days else "")
        if po.late_days:
            late = ngettext("({days} day late)", "({days} days late)", po.late_days).format(days=po.late_days)
            header.append(" " + late, style="bold red")
        self.query_one("#po-header", Static).update(header)
        self.table.set_source(ListSource(list(self.detail.lines), key=lambda r: r.sku_id), keep_cursor=True)
        status = Text(
            _("{received} of {ordered} units received   value {value}").format(
                received=localefmt.number(po.units_received),
                ordered=localefmt.number(po.units_ordered),
                value=localefmt.number(po.value, 2),
            )
            + "   "
        )
        hint = {
            "draft": N_("e edit qty  a add line  s send"),
            "sent": N_("r receive  d arrival date"),
            "partial": N_("r receive the rest  d arrival date"),
        }.get(po.status, "")
        status.append(_(hint) if hint else "", style="dim")
        self.query_one("#po-status", Static).update(status)

    def action_back(self) -> None:
        self.app.pop_screen()

    def _po(self) -> PoSummary | None:
        return self.detail.summary if self.detail else None

    def action_history(self) -> None:
        from dtc_tui.ui.screens.audit.log import open_history

        po = self._po()
        if po is not None:
            open_history(self.app, "purchase_order", po.number)

    def action_edit_line(self) -> None:
        po, line = self._po(), self.table.cursor_row
        if po is None or not isinstance(line, PoLine):
            return
        if po.status != "draft":
            self.dtc.notify_safe(
                _("{po} is {status}: only draft lines can be edited").format(
                    po=po.number, status=status_word(po.status)
                ),
                title=_("Purchasing"),
                severity="warning",
            )
            return

        def chosen(qty: int | None) -> None:
            if qty is not None:
                self.write(
                    lambda: self.dtc.facades.inventory.set_line_qty(
                        po.id, line.sku_id, qty, expected_version=po.version
                    ),
                    f"{line.code}: {localefmt.number(qty)}" if qty else _("{sku} removed").format(sku=line.code),
                )

        title = Text(f"{po.number}: ", style="bold")
        title.append_text(safe(line.code, style="bold"))
        self.app.push_screen(
            PromptForm(title, _("Quantity (0 removes the line)"), str(line.qty_ordered), _parse_qty), chosen
        )

    def action_add_line(self) -> None:
        po = self._po()
        if po is None:
            return
        if po.status != "draft":
            self.dtc.notify_safe(
                _("{po} is {status}: lines can be added to drafts only").format(
                    po=po.number, status=status_word(po.status)
                ),
                title=_("Purchasing"),
                severity="warning",
            )
            return

        def chosen(value: tuple[str, int] | None) -> None:
            if value is not None:
                code, qty = value
                self.write(
                    lambda: self.dtc.facades.inventory.add_line(po.id, code, qty, expected_version=po.version),
                    f"{po.number}: +{localefmt.number(qty)} x {code}",
                )

        self.app.push_screen(
            PromptForm(_("Add a line to {po}").format(po=po.number), _("SKU=QTY (same supplier)"), "", parse_sku_qty),
            chosen,
        )

    def action_send(self) -> None:
        if (po := self._po()) is not None:
            self.send_po(po)

    def action_receive(self) -> None:
        if (po := self._po()) is not None:
            self.receive_po(po)

    def action_expected(self) -> None:
        if (po := self._po()) is not None:
            self.set_expected(po)

    def action_cancel(self) -> None:
        if (po := self._po()) is not None:
            self.cancel_po(po)


def _parse_qty(value: str) -> int:
    value = value.strip().replace(",", "")
    if not value.isdigit():
        raise ValueError(_("{value!r} is not a whole number").format(value=value))
    return int(value)


def parse_sku_qty(value: str) -> tuple[str, int]:
    code, sep, qty = value.strip().rpartition("=")
    if not sep or not code.strip():
        raise ValueError(_("write it as SKU=QTY, e.g. SKU-00012=200"))
    return code.strip(), _parse_qty(qty)
