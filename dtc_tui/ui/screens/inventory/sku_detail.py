"""The board's detail view of one SKU, and the inventory health panel."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Sparkline, Static

from dtc_tui.i18n import N_, _, pgettext
from dtc_tui.services.common import localefmt
from dtc_tui.services.inventory.board import BoardRow
from dtc_tui.services.inventory.health import Health
from dtc_tui.services.inventory.stock_state import SalesPoint, SkuDetail
from dtc_tui.ui import states
from dtc_tui.ui.safe import safe
from dtc_tui.ui.widgets.vim import VimScroll

if TYPE_CHECKING:
    from dtc_tui.ui.app import DtcApp

STATE_STYLE = {
    "out": "bold red",
    "reorder_now": "red",
    "reorder_soon": "yellow",
    "ok": "green",
    "overstock": "magenta",
    "dead": "dim",
}
STATE_SHORT = {
    "out": N_("OUT"),
    "reorder_now": N_("NOW"),
    "reorder_soon": N_("SOON"),
    "ok": N_("ok"),
    "overstock": N_("OVER"),
    "dead": N_("DEAD"),
}

# The board state as one of the shared states (glyph + NO_COLOR style): out and reorder now are
# "!", soon and overstock "~", ok "✓".
STATE_MARK = {
    "out": "breached",
    "reorder_now": "breached",
    "reorder_soon": "at_risk",
    "ok": "met",
    "overstock": "at_risk",
    "dead": "neutral",
}

MODAL_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 100%; max-width: 120; height: auto; max-height: 100%;
    border: round $accent; background: $surface; padding: 0 1; }}
{name} VerticalScroll {{ height: auto; max-height: 85vh; }}
{name} .inv-heading {{ text-style: bold; color: $accent; height: 1; margin-top: 1; }}
{name} Sparkline {{ height: 4; }}
{name} .inv-hint {{ color: $text-muted; height: 1; }}
"""


def state_text(state: str, *, short: bool = False) -> Text:
    from dtc_tui.services.inventory.rules import STATE_LABELS

    word = _(STATE_SHORT[state] if short else STATE_LABELS[state])
    return states.mark(STATE_MARK.get(state, "neutral"), word, colour=STATE_STYLE.get(state, ""))


def days_text(value: float | None, *, suffix: str | None = None) -> Text:
    suffix = _("d") if suffix is None else suffix  # "12d" / "12天"
    if value is None:
        return Text("-", style="dim")
    if value > 999:
        return Text(">999" + suffix, style="dim")
    return Text(f"{int(value)}{suffix}")  # whole days, rounded down like the stock-out date


class StockoutStrip(Widget):
    """One line under the chart: a red mark where the SKU was out of stock (any warehouse)."""

    DEFAULT_CSS = "StockoutStrip { height: 1; }"

    def __init__(self, points: tuple[SalesPoint, ...], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.points = points

    def render(self) -> Text:
        width = max(self.size.width, 1)
        text = Text()
        n = len(self.points)
        for column in range(width):
            start, end = column * n // width, max((column + 1) * n // width, column * n // width + 1)
            out = any(p.stockout for p in self.points[start:end])
            text.append("▀" if out else " ", style="red" if out else "")
        return text


class SkuDetailScreen(ModalScreen[str | None]):
    """Sales over 180 days, stock per warehouse, open POs and the numbers behind the suggestion.

    Dismisses with "edit" when the operator wants to change the SKU's parameters.
    """

    DEFAULT_CSS = MODAL_CSS.format(name="SkuDetailScreen")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", N_("Close"), id="inventory_detail.close"),
        Binding("w", "next_focus", N_("Next warehouse"), id="inventory_detail.focus"),
        Binding("e", "edit", N_("Edit parameters"), id="inventory_detail.edit"),
        Binding("H", "history", N_("History"), id="inventory_detail.history"),
    ]

    def __init__(self, detail: SkuDetail) -> None:
        super().__init__()
        self.detail = detail
        self.focus_rows: list[BoardRow] = [*detail.warehouses, detail.total]
        self.focus_index = next(
            (i for i, r in enumerate(self.focus_rows) if r.key == detail.focus.key), len(self.focus_rows) - 1
        )

    @property
    def dtc(self) -> DtcApp:
        return self.app  # type: ignore[return-value]

    def action_history(self) -> None:
        """The audit log filtered on this record (Esc comes back here)."""
        from dtc_tui.ui.screens.audit.log import open_history

        open_history(self.app, "sku", self.detail.code)

    def compose(self) -> ComposeResult:
        d = self.detail
        with Vertical():
            with VimScroll():
                title = safe(d.code, style="bold")
                title.append("  ")
                title.append_text(safe(d.name))
                title.append("   " + _("class") + " ")
                title.append(d.abc, style="bold")
                title.append(f" ({_(d.strategy)})   ")
                title.append_text(state_text(d.total.state))
                yield Static(title, id="inv-detail-title")
                supplier = Text(_("Supplier: "), style="dim")
                supplier.append_text(safe(d.supplier))
                yield Static(supplier)
                yield Static(self._sales_caption(), classes="inv-heading")
                yield Sparkline([p.units for p in d.sales], summary_function=statistics.mean, id="inv-sales")
                yield StockoutStrip(d.sales, id="inv-stockouts")
                yield Static(_("Stock per warehouse"), classes="inv-heading")
                yield Static(self._stock_table(), id="inv-stock")
                yield Static(_("Open purchase orders and transfers"), classes="inv-heading")
                yield Static(self._inbound_table(), id="inv-inbound")
                yield Static("", classes="inv-heading", id="inv-numbers-title")
                yield Static("", id="inv-numbers")
            yield Static(_("w next warehouse   e edit lead time / MOQ / buffer   Esc close"), classes="inv-hint")

    def on_mount(self) -> None:
        self._show_numbers()

    def _sales_caption(self) -> Text:
        sales = self.detail.sales
        total = sum(p.units for p in sales)
        peak = max((p.units for p in sales), default=0)
        out_days = sum(1 for p in sales if p.stockout)
        text = Text(
            _("Sales, last {days} days: {units} units, best day {best}").format(
                days=len(sales), units=localefmt.number(total), best=localefmt.number(peak)
            )
        )
        if out_days:
            text.append(_(", {days} stock-out days (red)").format(days=out_days), style="red")
        return text

    def _stock_table(self) -> Table:
        table = Table(box=None, padding=(0, 1, 0, 0), expand=False, show_edge=False)
        for label, justify in [
            (N_("WH"), "left"),
            (N_("On hand"), "right"),
            (N_("Avail"), "right"),
            (N_("Inbound"), "right"),
            (N_("/day"), "right"),
            (N_("Cover"), "right"),
            (N_("Out on"), "left"),
            (N_("State"), "left"),
            (N_("Action"), "left"),
        ]:
            table.add_column(_(label), justify=justify, no_wrap=True)  # type: ignore[arg-type]
        for row in [*self.detail.warehouses, self.detail.total]:
            out_on = row.plan.stockout_date
            table.add_row(
                safe(_(row.warehouse) if row.is_total else row.warehouse, style="bold" if row.is_total else ""),
                localefmt.number(row.on_hand),
                localefmt.number(row.available),
                localefmt.number(row.plan.inbound) if row.plan.inbound else "-",
                f"{row.velocity:.1f}",
                days_text(row.plan.cover_days),
                Text(localefmt.stock_day_label(out_on) if out_on else "-"),
                state_text(row.state, short=True),
                safe(row.action),
            )
        return table

    def _inbound_table(self) -> Table | Text:
        d = self.detail
        if not d.open_pos and not d.transfers:
            return Text(_("None."), style="dim")
        table = Table(box=None, padding=(0, 2, 0, 0), expand=False, show_edge=False)
        for label in (_("Ref"), _("Status"), _("To"), _("Open qty"), _("Expected")):
            table.add_column(label, no_wrap=True)
        for po, line in d.open_pos:
            expected = po.expected_at.strftime("%Y-%m-%d") if po.expected_at else "-"
            status = (
                states.mark("breached", _("late {days}d").format(days=po.late_days))
                if po.late_days
                else Text(_(po.status))
            )
            table.add_row(safe(po.number), status, safe(po.warehouse), localefmt.number(line.open_qty), expected)
        for transfer in d.transfers:
            expected = transfer.expected_at.strftime("%Y-%m-%d") if transfer.expected_at else "-"
            to = safe(transfer.from_warehouse)
            to.append(" -> ")
            to.append_text(safe(transfer.to_warehouse))
            table.add_row(
                transfer.ref, _(transfer.status.replace("_", " ")), to, localefmt.number(transfer.qty), expected
            )
        return table

    def _show_numbers(self) -> None:
        from dtc_tui.services.inventory.stock_state import explain

        row = self.focus_rows[self.focus_index]
        cfg = self.dtc.facades.inventory.board_settings()
        lines = explain(row, self.detail.params, cfg.window_days, cfg.policy)
        title = Text(_("The numbers behind the suggestion: "))
        title.append_text(safe(row.warehouse if not row.is_total else _("all warehouses")))
        self.query_one("#inv-numbers-title", Static).update(title)
        table = Table(box=None, padding=(0, 1), show_header=False, expand=True)
        table.add_column(no_wrap=True, style="bold")
        table.add_column()
        for label, value in lines:
            table.add_row(label, Text(value))
        self.query_one("#inv-numbers", Static).update(table)

    def action_next_focus(self) -> None:
        self.focus_index = (self.focus_index + 1) % len(self.focus_rows)
        self._show_numbers()

    def action_edit(self) -> None:
        self.dismiss("edit")

    def action_close(self) -> None:
        self.dismiss(None)


class HealthScreen(ModalScreen[None]):
    """Health KPIs beside their targets, plus overstock and dead stock."""

    DEFAULT_CSS = MODAL_CSS.format(name="HealthScreen")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,h", "close", N_("Close"), id="inventory_health.close")]

    def __init__(self, health: Health) -> None:
        super().__init__()
        self.health = health

    def compose(self) -> ComposeResult:
        h = self.health
        table = Table(box=None, padding=(0, 1), expand=True)
        table.add_column("KPI", no_wrap=True)
        table.add_column(_("Now"), justify="right", no_wrap=True)
        table.add_column(_("Target"), justify="right", no_wrap=True)
        table.add_column("", no_wrap=True)
        table.add_column(_("Basis"))
        for kpi in h.kpis:
            percent = kpi.key != "turnover"
            value = "-" if kpi.value is None else (f"{kpi.value:.1%}" if percent else f"{kpi.value:.1f}")
            target = f"{kpi.comparison} {kpi.target:.0%}" if percent else f"{kpi.comparison} {kpi.target:g}"
            verdict = (
                Text("-", style="dim")
                if kpi.ok is None
                else (states.mark("met", _("ok")) if kpi.ok else states.mark("breached", pgettext("off target", "off")))
            )
            table.add_row(_(kpi.label), value, target, verdict, Text(kpi.detail, style="dim"))
        summary = Text()
        number = localefmt.number
        summary.append(
            _("{in_stock} of {skus} SKUs in stock, worth {value} at cost").format(
                in_stock=number(h.skus_in_stock), skus=number(h.skus), value=number(h.stock_value)
            )
            + "\n"
        )
        summary.append(
            _("Overstock: {units} units above cover, {value} at cost, ").format(
                units=number(h.overstock_units), value=number(h.overstock_value)
            )
        )
        summary.append(
            _("{cost} a month in storage").format(cost=number(h.storage_cost_monthly)) + "\n", style="magenta"
        )
        summary.append(
            _("Dead stock: {skus} SKUs, {value} at cost").format(skus=number(h.dead_skus), value=number(h.dead_value))
            + "\n",
            style="dim",
        )
        for state, count in h.states.items():
            summary.append_text(state_text(state))
            summary.append(f" {localefmt.number(count)}   ")
        with Vertical():
            yield Static(Text(_("Inventory health"), style="bold"))
            yield Static(table)
            yield Static(summary)
            yield Static(_("Esc close"), classes="inv-hint")

    def action_close(self) -> None:
        self.dismiss(None)
