"""The ticket view's order panel: lines, totals, statuses, tracking, promise, the customer's others."""

from __future__ import annotations

from datetime import datetime

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from dtc_tui.i18n import N_, _
from dtc_tui.services.common import localefmt
from dtc_tui.services.common.money import format_money
from dtc_tui.ui.facades.orders import TicketOrderPanel
from dtc_tui.ui.safe import safe

# How the order was found (services/orders/lookup.py), as the panel says it.
HOW_LABEL = {
    "order field": N_("found by order field"),
    "subject": N_("found by subject"),
    "message": N_("found by message"),
    "customer e-mail": N_("found by customer e-mail"),
}


def _when(value: datetime | None) -> str:
    if value is None:
        return "-"
    return localefmt.brief_day(value, year=True) + " " + localefmt.brief_day_time(value).rsplit(" ", 1)[-1]


def order_panel(panel: TicketOrderPanel) -> RenderableType:
    d, s = panel.detail, panel.detail.summary
    how = ""  # no "how" on the orders screen itself
    if panel.link.how:
        how = (
            _(HOW_LABEL[panel.link.how])
            if panel.link.how in HOW_LABEL
            else _("found by {how}").format(how=panel.link.how)
        )
    if panel.link.guess:
        how += " " + _("(a guess: the customer's latest order)")
    title = Text(_("Order") + " ", style="bold")
    title.append_text(safe(s.name, style="bold"))
    title.append(f"  {how}", style="dim yellow" if panel.link.guess else "dim")
    money = format_money(s.total, s.currency, 2)
    if s.refunded:
        money += ", " + _("refunded {amount}").format(amount=format_money(s.refunded, s.currency, 2))
    head = Table.grid(padding=(0, 2))
    for style in ("dim", "", "dim", ""):
        head.add_column(style=style)
    status = s.financial_status or "-"
    if s.cancelled:
        status += " " + _("(cancelled)")
    head.add_row(_("Total"), Text(money), _("Payment"), safe(status))
    head.add_row(_("Placed"), Text(_when(s.created_at)), _("Fulfilment"), safe(s.fulfillment_status or "-"))
    promised = localefmt.brief_day(d.promised_by, year=True) if d.promised_by else "-"
    head.add_row(_("Promised by"), Text(promised), _("Delivered"), Text(_when(d.delivered_at)))
    lines = Table(box=None, padding=(0, 1), show_edge=False)
    for name in (N_("SKU"), N_("Item"), N_("Qty"), N_("Price"), N_("Status")):
        lines.add_column(_(name), style="dim" if name == "SKU" else "")
    for line in d.lines:
        lines.add_row(
            safe(line.sku_code or "-"),
            safe(line.name, limit=50),
            localefmt.number(line.quantity),
            format_money(line.price, s.currency, 2),
            safe(line.fulfillment_status or "-"),
        )
    parts: list[RenderableType] = [title, head, lines]
    for shipment in d.shipments:
        tracking = " ".join(p for p in (shipment.carrier, shipment.tracking_number) if p) or _("no tracking number")
        shipped = _("Shipped {when}: {tracking}").format(when=_when(shipment.shipped_at), tracking=tracking)
        parts.append(safe(f"{shipped} {shipment.tracking_url}".rstrip()))
    if d.other_orders:
        others = ", ".join(f"{o.name} ({o.financial_status or '-'})" for o in d.other_orders)
        parts.append(safe(_("Other orders: {orders}").format(orders=others), style="dim"))
    if d.other_tickets:
        tickets = ", ".join(f"#{ticket_id} {status}" for ticket_id, _subject, status in d.other_tickets)
        parts.append(safe(_("Customer's tickets: {tickets}").format(tickets=tickets), style="dim"))
    return Group(*parts)
