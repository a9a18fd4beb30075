"""The ticket view's order panel: lines, totals, statuses, tracking, promise, the customer's others."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from dtc_tui.ui.facades.orders import TicketOrderPanel
from dtc_tui.ui.safe import safe


def _when(value: object) -> str:
    return f"{value:%d %b %Y %H:%M}" if value is not None else "-"


def order_panel(panel: TicketOrderPanel) -> RenderableType:
    d, s = panel.detail, panel.detail.summary
    how = f"found by {panel.link.how}" if panel.link.how else ""  # no "how" on the orders screen itself
    if panel.link.guess:
        how += " (a guess: the customer's latest order)"
    title = Text("Order ", style="bold")
    title.append_text(safe(s.name, style="bold"))
    title.append(f"  {how}", style="dim yellow" if panel.link.guess else "dim")
    money = f"{s.currency} {s.total:,.2f}"
    if s.refunded:
        money += f", refunded {s.currency} {s.refunded:,.2f}"
    head = Table.grid(padding=(0, 2))
    for style in ("dim", "", "dim", ""):
        head.add_column(style=style)
    status = s.financial_status or "-"
    if s.cancelled:
        status += " (cancelled)"
    head.add_row("Total", Text(money), "Payment", safe(status))
    head.add_row("Placed", Text(_when(s.created_at)), "Fulfilment", safe(s.fulfillment_status or "-"))
    promised = f"{d.promised_by:%d %b %Y}" if d.promised_by else "-"
    head.add_row("Promised by", Text(promised), "Delivered", Text(_when(d.delivered_at)))
    lines = Table(box=None, padding=(0, 1), show_edge=False)
    for name in ("SKU", "Item", "Qty", "Price", "Status"):
        lines.add_column(name, style="dim" if name == "SKU" else "")
    for line in d.lines:
        lines.add_row(
            safe(line.sku_code or "-"),
            safe(line.name, limit=50),
            str(line.quantity),
            f"{line.price:,.2f}",
            safe(line.fulfillment_status or "-"),
        )
    parts: list[RenderableType] = [title, head, lines]
    for shipment in d.shipments:
        tracking = " ".join(p for p in (shipment.carrier, shipment.tracking_number) if p) or "no tracking number"
        parts.append(safe(f"Shipped {_when(shipment.shipped_at)}: {tracking} {shipment.tracking_url}".rstrip()))
    if d.other_orders:
        others = ", ".join(f"{o.name} ({o.financial_status or '-'})" for o in d.other_orders)
        parts.append(safe(f"Other orders: {others}", style="dim"))
    if d.other_tickets:
        tickets = ", ".join(f"#{ticket_id} {status}" for ticket_id, _subject, status in d.other_tickets)
        parts.append(safe(f"Customer's tickets: {tickets}", style="dim"))
    return Group(*parts)
