"""Orders: find one by number, e-mail or SKU (``O`` from the ticket queue), and read its detail."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from dtc_tui.i18n import N_, _, ngettext
from dtc_tui.services.common import localefmt
from dtc_tui.services.common.money import format_money
from dtc_tui.services.orders.lookup import OrderSummary
from dtc_tui.ui.facades.orders import OrdersFacade, TicketOrderPanel
from dtc_tui.ui.safe import safe
from dtc_tui.ui.screens.base import TitleBar
from dtc_tui.ui.screens.tickets.order_panel import order_panel
from dtc_tui.ui.widgets.footer import KeysFooter
from dtc_tui.ui.widgets.vim import VimDataTable, VimScroll

COLUMNS = (N_("Order"), N_("Placed"), N_("Customer"), N_("Total"), N_("Payment"), N_("Fulfilment"), N_("Lines"))


class OrdersScreen(Screen[None]):
    AREA = "tickets"
    AREA_TITLE = N_("Orders")
    DEFAULT_CSS = """
    OrdersScreen #orders-find { margin: 0 1; }
    OrdersScreen #orders-table { height: auto; max-height: 40%; }
    OrdersScreen #orders-detail { height: 1fr; padding: 0 1; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("Back"), id="orders.back"),
        Binding("slash", "find", N_("Find"), id="orders.find"),
        Binding("dollar_sign", "refund", N_("Refund state"), id="orders.refund"),
    ]

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.query_text = query
        self.found: list[OrderSummary] = []
        self.shown_tickets: list[tuple[int, str, str]] = []  # the customer's tickets of the order shown

    def facade(self) -> OrdersFacade:
        return self.app.facades.orders  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        yield TitleBar(Text(_("Orders"), style="bold"), id="title-bar")
        yield Input(self.query_text, placeholder=_("order number, e-mail or SKU; Enter to find"), id="orders-find")
        yield VimDataTable(id="orders-table", cursor_type="row", zebra_stripes=True)
        with VimScroll(id="orders-detail"):
            yield Static(id="orders-panel")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*(_(column) for column in COLUMNS))
        self.run_find(self.query_text)
        self.query_one(Input).focus()

    def run_find(self, query: str) -> None:
        facade = self.facade()
        self.found = facade.find(query) if query.strip() else facade.recent()
        table = self.query_one(DataTable)
        table.clear()
        for o in self.found:
            state = (o.financial_status or "-") + (" " + _("cancelled") if o.cancelled else "")
            table.add_row(
                safe(o.name),
                f"{o.created_at:%Y-%m-%d}",
                safe(o.email or o.customer_name or "-", limit=28),
                Text(format_money(o.total, o.currency, 2), justify="right"),
                safe(state),
                safe(o.fulfillment_status or "-"),
                localefmt.number(o.lines),
            )
        count = len(self.found)
        if query.strip():
            what = ngettext("{count} order for {query!r}", "{count} orders for {query!r}", count)
        else:
            what = ngettext("{count} order, newest first", "{count} orders, newest first", count)
        what = what.format(count=localefmt.number(count), query=query.strip())
        title = Text(_("Orders"), style="bold")
        title.append("   ")
        title.append_text(safe(what, style="dim"))
        self.query_one(TitleBar).update(title)
        self.query_one("#orders-panel", Static).update(Text(_("No order found.") if not self.found else ""))
        if self.found:
            self.show_detail(0)

    def show_detail(self, index: int) -> None:
        if not 0 <= index < len(self.found):
            return
        detail = self.facade().detail(self.found[index].id)
        if detail is None:
            self.query_one("#orders-panel", Static).update(Text(_("This order no longer exists.")))
            return
        from dtc_tui.services.orders.lookup import OrderLink

        self.shown_tickets = list(detail.other_tickets)
        self.query_one("#orders-panel", Static).update(
            order_panel(TicketOrderPanel(OrderLink(detail.summary.id, "", guess=False), detail))
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.run_find(event.value)
        self.query_one(DataTable).focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail(event.cursor_row)

    def action_find(self) -> None:
        self.query_one(Input).focus()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_refund(self) -> None:
        """Set the refund state of one of the order's customer tickets (closes the refund signals)."""
        from dtc_tui.ui.widgets.modals import ChoiceModal

        tickets = self.shown_tickets
        if not tickets:
            self.app.notify(_("This order's customer has no ticket to set a refund state on."), severity="warning")
            return
        if len(tickets) == 1:
            self._refund_for(tickets[0][0])
            return
        options = [(str(i), f"#{i} {status}  {subject}") for i, subject, status in tickets]
        self.app.push_screen(
            ChoiceModal(_("Refund state of which ticket?"), options),
            lambda value: self._refund_for(int(value)) if value else None,
        )

    def _refund_for(self, ticket_id: int) -> None:
        from dtc_tui.services.tickets.ops import REFUND_STATES
        from dtc_tui.ui.widgets.modals import ChoiceModal

        app = self.app
        detail = app.facades.tickets.detail(ticket_id)  # type: ignore[attr-defined]
        if detail is None:
            app.notify(_("ticket {id} no longer exists").format(id=ticket_id), severity="warning")
            return
        current = detail.refund_status or "none"

        def chosen(value: str | None) -> None:
            if value is None or value == current:
                return
            with app.user_errors(title=_("Refund state")):  # type: ignore[attr-defined]
                change = app.with_retry(  # type: ignore[attr-defined]
                    lambda: app.facades.tickets.set_refund_status(ticket_id, value, detail.version)  # type: ignore[attr-defined]
                )
                app.notify_safe(change.message)  # type: ignore[attr-defined]
                app.mark_seen()  # type: ignore[attr-defined]

        app.push_screen(
            ChoiceModal(
                _("Refund state of ticket {id}").format(id=ticket_id),
                [(state, _(label)) for state, label in REFUND_STATES.items()],
                current,
            ),
            chosen,
        )
