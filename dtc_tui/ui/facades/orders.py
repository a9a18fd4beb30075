"""What screens ask about orders: the order behind a ticket, lookups, an order's detail.

Screens call these methods with ids and values and get the services' dataclasses back; no session
or ORM object leaves this class.
"""

from __future__ import annotations

from dataclasses import dataclass

from dtc_tui import db
from dtc_tui.services.orders import lookup
from dtc_tui.services.orders.lookup import OrderDetail, OrderLink, OrderSummary
from dtc_tui.ui.facades.base import Facade


@dataclass(frozen=True)
class TicketOrderPanel:
    link: OrderLink
    detail: OrderDetail


class OrdersFacade(Facade):
    def ticket_order(self, ticket_id: int) -> TicketOrderPanel | None:
        """The order a ticket is about, with how it was found (a guess is marked), or None."""
        with db.read_session(self.engine) as session:
            link = lookup.ticket_order(session, ticket_id)
            if link is None:
                return None
            detail = lookup.order_detail(session, link.order_id)
        return TicketOrderPanel(link, detail) if detail is not None else None

    def find(self, query: str, limit: int = 50) -> list[OrderSummary]:
        with db.read_session(self.engine) as session:
            return lookup.find_orders(session, query, limit=limit)

    def recent(self, limit: int = 50) -> list[OrderSummary]:
        with db.read_session(self.engine) as session:
            return lookup.list_orders(session, limit=limit)

    def detail(self, order_id: int) -> OrderDetail | None:
        with db.read_session(self.engine) as session:
            return lookup.order_detail(session, order_id)
