"""Finding orders (by number, e-mail or SKU), an order's detail, and the order behind a ticket.

A ticket is linked to its order, in this order of trust:
1. the ticket's ``order_ref`` (the field a help desk export carries, or an agent typed);
2. an order number quoted in the subject or in a message (``#1001``, ``order 1001``,
   ``Bestellung 1001``, ``pedido 1001``, ``commande 1001``...), when such an order exists;
3. the customer's e-mail: their latest order before the ticket was opened, marked as a guess.
Nothing is stored: the link is worked out when the ticket is shown (index lookups only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session, col

from dtc_tui.models import (
    Customer,
    Fulfillment,
    OrderLine,
    Refund,
    Sku,
    StoreOrder,
    Ticket,
    TicketMessage,
)

# "#1001", "order 1001", "order no. 1001", "Bestellung Nr. 1001", "pedido nº 1001", "commande n° 1001"
_WORDS = r"order|orders|bestellung|bestellnummer|pedido|commande|ordine|bestelling|encomenda|zamówienie"
ORDER_MENTION = re.compile(
    rf"(?:#\s?|\b(?:{_WORDS})\s*(?:no\.?|nr\.?|number|nummer|n[°ºo]\.?|num\.?)?\s*[:#]?\s*)(\d{{3,12}})\b",
    re.IGNORECASE,
)
MAX_MENTIONS = 5
OTHERS_SHOWN = 5


def order_mentions(text: str) -> list[str]:
    """Order numbers quoted in a text, in the order they appear, each once."""
    seen: list[str] = []
    for found in ORDER_MENTION.finditer(text or ""):
        if found.group(1) not in seen:
            seen.append(found.group(1))
        if len(seen) >= MAX_MENTIONS:
            break
    return seen


@dataclass(frozen=True)
class OrderSummary:
    id: int
    name: str
    created_at: datetime
    email: str | None
    customer_name: str
    currency: str
    total: float
    refunded: float
    financial_status: str
    fulfillment_status: str
    cancelled: bool
    lines: int


@dataclass(frozen=True)
class LineView:
    sku_code: str | None
    name: str
    quantity: int
    price: float
    discount: float
    fulfillment_status: str


@dataclass(frozen=True)
class ShipmentView:
    carrier: str
    tracking_number: str
    tracking_url: str
    status: str
    shipped_at: datetime | None
    delivered_at: datetime | None


@dataclass(frozen=True)
class RefundView:
    amount: float
    currency: str
    refunded_at: datetime | None
    source: str


@dataclass
class OrderDetail:
    summary: OrderSummary
    channel: str
    paid_at: datetime | None
    fulfilled_at: datetime | None
    cancelled_at: datetime | None
    subtotal: float
    discount: float
    shipping: float
    taxes: float
    outstanding: float | None
    shipping_method: str
    payment_method: str
    shipping_country: str
    tags: str
    promised_by: date | None  # order day + the longest promise of its SKUs, where one is set
    lines: list[LineView] = field(default_factory=list)
    shipments: list[ShipmentView] = field(default_factory=list)
    refunds: list[RefundView] = field(default_factory=list)
    other_orders: list[OrderSummary] = field(default_factory=list)
    other_tickets: list[tuple[int, str, str]] = field(default_factory=list)  # id, subject, status

    @property
    def delivered_at(self) -> datetime | None:
        return max((s.delivered_at for s in self.shipments if s.delivered_at), default=None)


@dataclass(frozen=True)
class OrderLink:
    order_id: int
    how: str  # "order field", "subject", "message", "customer e-mail"
    guess: bool


def _summaries(session: Session, where: object, *, limit: int, order_by: object | None = None) -> list[OrderSummary]:
    lines = (
        select(func.count())
        .select_from(OrderLine)
        .where(col(OrderLine.order_id) == col(StoreOrder.id))
        .scalar_subquery()
    )
    query = select(StoreOrder, lines).where(where).limit(limit)  # type: ignore[arg-type]
    query = query.order_by(*(order_by if isinstance(order_by, tuple) else (col(StoreOrder.created_at).desc(),)))
    return [_summary(order, count) for order, count in session.execute(query)]


def _summary(order: StoreOrder, lines: int) -> OrderSummary:
    return OrderSummary(
        order.id or 0,
        order.name,
        order.created_at,
        order.email,
        order.customer_name,
        order.currency,
        order.total,
        order.refunded,
        order.financial_status,
        order.fulfillment_status,
        order.cancelled_at is not None,
        int(lines or 0),
    )


def list_orders(session: Session, *, limit: int = 50) -> list[OrderSummary]:
    """The newest orders first."""
    return _summaries(session, col(StoreOrder.id).isnot(None), limit=limit)


def find_orders(session: Session, query: str, *, limit: int = 50) -> list[OrderSummary]:
    """By order number or name (``1001``, ``#1001``), customer e-mail, or SKU code; newest first."""
    text = query.strip()
    if not text:
        return []
    if "@" in text:
        return _summaries(session, StoreOrder.email == text.lower(), limit=limit)
    number = text.lstrip("#").strip()
    # Each query reads one index: number, (source, name), then the lines' SKU code.
    by_number = _summaries(session, StoreOrder.number == number, limit=limit)
    if not by_number:
        by_number = _summaries(session, (StoreOrder.source == "shopify") & (StoreOrder.name == text), limit=limit)
    if by_number:
        return by_number
    newest_with_sku = (
        select(col(StoreOrder.id))
        .join(OrderLine, col(OrderLine.order_id) == col(StoreOrder.id))
        .where(col(OrderLine.sku_code) == text)
        .order_by(col(StoreOrder.created_at).desc())
        .limit(limit)
    )
    ids = list(session.execute(newest_with_sku).scalars().unique())
    return _summaries(session, col(StoreOrder.id).in_(ids), limit=limit) if ids else []


def order_id_by_name(session: Session, name: str) -> int | None:
    found = find_orders(session, name, limit=1)
    return found[0].id if found else None


def order_detail(session: Session, order_id: int) -> OrderDetail | None:
    order = session.get(StoreOrder, order_id)
    if order is None:
        return None
    lines = list(
        session.execute(
            select(OrderLine)
            .where(col(OrderLine.order_id) == order_id)
            .order_by(col(OrderLine.position), col(OrderLine.id))
        ).scalars()
    )
    sku_ids = [line.sku_id for line in lines if line.sku_id]
    promise = None
    if sku_ids:
        promise = session.execute(select(func.max(col(Sku.promise_days))).where(col(Sku.id).in_(sku_ids))).scalar()
    shipments = [
        ShipmentView(f.carrier, f.tracking_number, f.tracking_url, f.status, f.shipped_at, f.delivered_at)
        for f in session.execute(select(Fulfillment).where(col(Fulfillment.order_id) == order_id)).scalars()
    ]
    refunds = [
        RefundView(r.amount, r.currency, r.refunded_at, r.source)
        for r in session.execute(select(Refund).where(col(Refund.order_id) == order_id)).scalars()
    ]
    others: list[OrderSummary] = []
    if order.email:
        others = _summaries(
            session,
            (StoreOrder.email == order.email) & (StoreOrder.id != order_id),
            limit=OTHERS_SHOWN,
        )
    tickets: list[tuple[int, str, str]] = []
    if order.customer_id:
        tickets = [
            (ticket_id, subject, status)
            for ticket_id, subject, status in session.execute(
                select(col(Ticket.id), col(Ticket.subject), col(Ticket.status))
                .where(col(Ticket.customer_id) == order.customer_id)
                .order_by(col(Ticket.created_at).desc())
                .limit(OTHERS_SHOWN)
            )
        ]
    count = len(lines)
    return OrderDetail(
        summary=_summary(order, count),
        channel=order.channel,
        paid_at=order.paid_at,
        fulfilled_at=order.fulfilled_at,
        cancelled_at=order.cancelled_at,
        subtotal=order.subtotal,
        discount=order.discount,
        shipping=order.shipping,
        taxes=order.taxes,
        outstanding=order.outstanding,
        shipping_method=order.shipping_method,
        payment_method=order.payment_method,
        shipping_country=order.shipping_country,
        tags=order.tags,
        promised_by=order.created_day + timedelta(days=int(promise)) if promise else None,
        lines=[
            LineView(line.sku_code, line.name, line.quantity, line.price, line.discount, line.fulfillment_status)
            for line in lines
        ],
        shipments=shipments,
        refunds=refunds,
        other_orders=others,
        other_tickets=tickets,
    )


def _by_number(session: Session, number: str) -> int | None:
    query = (
        select(col(StoreOrder.id)).where(col(StoreOrder.number) == number).order_by(col(StoreOrder.created_at).desc())
    )
    return session.execute(query.limit(1)).scalar()


def ticket_order(session: Session, ticket_id: int) -> OrderLink | None:
    """The order a ticket is about (see the module's docstring for the order of trust)."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        return None
    if ticket.order_ref:
        for number in [*order_mentions(f"#{ticket.order_ref.lstrip('#')}"), ticket.order_ref.strip()]:
            found = _by_number(session, number)
            if found is not None:
                return OrderLink(found, "order field", guess=False)
    for number in order_mentions(ticket.subject):
        found = _by_number(session, number)
        if found is not None:
            return OrderLink(found, "subject", guess=False)
    bodies = session.execute(
        select(col(TicketMessage.body))
        .where(col(TicketMessage.ticket_id) == ticket_id)
        .order_by(col(TicketMessage.id))
        .limit(20)
    ).scalars()
    for body in bodies:
        for number in order_mentions(body):
            found = _by_number(session, number)
            if found is not None:
                return OrderLink(found, "message", guess=False)
    if ticket.customer_id:
        email = session.execute(select(col(Customer.email)).where(col(Customer.id) == ticket.customer_id)).scalar()
        if email:
            query = (
                select(col(StoreOrder.id))
                .where(col(StoreOrder.email) == email.lower(), col(StoreOrder.created_at) <= ticket.created_at)
                .order_by(col(StoreOrder.created_at).desc())
                .limit(1)
            )
            found = session.execute(query).scalar()
            if found is not None:
                return OrderLink(found, "customer e-mail", guess=True)
    return None
