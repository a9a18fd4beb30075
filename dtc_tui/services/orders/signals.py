"""Signals from order facts, not from hand-set flags (issue 14 point 5).

- ``refund_not_paid``: a solved ticket promised a refund (its refund status is pending or promised)
  more than ``orders.refund_wait_days`` ago, and its order shows no refund.
- ``refund_twice``: an order refunded more than it was paid, or with refunds from two sources.
- ``late_with_wismo``: an open logistics ("where is my order") ticket whose order is past its
  promised delivery (order day + the longest promise days of its SKUs, else ``orders.promise_days``)
  and not delivered; the suggested coupon (``orders.late_coupon_share`` of the total, domain.md
  section 2) needs approval above the agent's authority (``cs.compensation_limit``, in the store's
  currency; an order in another currency always needs approval: the limit cannot be compared).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session, col

from dtc_tui.i18n import _
from dtc_tui.models import Refund, StoreOrder, Ticket
from dtc_tui.services.common import localefmt, settings
from dtc_tui.services.common.money import format_money
from dtc_tui.services.orders import lookup
from dtc_tui.services.orders.daily import store_currency

PROMISED = ("pending", "promised")
MAX_OPEN_TICKETS = 500  # newest open logistics tickets checked per run


@dataclass(frozen=True)
class OrderSignal:
    kind: str
    order_id: int
    order_name: str
    ticket_id: int | None
    message: str
    amount: float | None = None
    currency: str = ""
    needs_approval: bool = False


def order_signals(session: Session, now: datetime) -> list[OrderSignal]:
    return [*refund_not_paid(session, now), *refund_twice(session), *late_with_wismo(session, now)]


def refund_not_paid(session: Session, now: datetime) -> list[OrderSignal]:
    wait = int(settings.get(session, "orders.refund_wait_days"))
    since = now - timedelta(days=int(settings.get(session, "signals.refund_lookback_days")) + wait)
    tickets = session.execute(
        select(col(Ticket.id), col(Ticket.solved_at)).where(
            col(Ticket.is_open).is_(False),
            col(Ticket.solved_at) >= since,
            col(Ticket.solved_at) <= now - timedelta(days=wait),
            col(Ticket.refund_status).in_(PROMISED),
        )
    ).all()
    found = []
    for ticket_id, solved_at in tickets:
        link = lookup.ticket_order(session, ticket_id)
        if link is None or link.guess:
            continue  # a refund check on a guessed order would accuse the wrong one
        order = session.get(StoreOrder, link.order_id)
        if order is None or order.refunded > 0:
            continue
        days = (now - solved_at).days
        found.append(
            OrderSignal(
                "refund_not_paid",
                link.order_id,
                order.name,
                ticket_id,
                _("Ticket {ticket} promised a refund {days} days ago; order {order} shows none").format(
                    ticket=ticket_id, days=days, order=order.name
                ),
            )
        )
    return found


def refund_twice(session: Session) -> list[OrderSignal]:
    sources = (
        select(col(Refund.order_id))
        .group_by(col(Refund.order_id))
        .having(func.count(func.distinct(col(Refund.source))) > 1)
    )
    query = select(
        col(StoreOrder.id),
        col(StoreOrder.name),
        col(StoreOrder.total),
        col(StoreOrder.refunded),
        col(StoreOrder.currency),
    ).where((col(StoreOrder.refunded) > col(StoreOrder.total) + 0.005) | col(StoreOrder.id).in_(sources))
    return [
        OrderSignal(
            "refund_twice",
            order_id,
            name,
            None,
            _("Order {order}: refunded {refunded} of {total}").format(
                order=name, refunded=format_money(refunded, currency, 2), total=format_money(total, currency, 2)
            )
            if refunded > total + 0.005
            else _("Order {order}: refunds recorded from two sources").format(order=name),
            refunded,
            currency,
        )
        for order_id, name, total, refunded, currency in session.execute(query)
    ]


def late_with_wismo(session: Session, now: datetime) -> list[OrderSignal]:
    default_days = int(settings.get(session, "orders.promise_days"))
    share = float(settings.get(session, "orders.late_coupon_share"))
    limit = float(settings.get(session, "cs.compensation_limit"))
    till = store_currency(session)
    tickets = session.execute(
        select(col(Ticket.id))
        .where(col(Ticket.is_open).is_(True), col(Ticket.category) == "logistics")
        .order_by(col(Ticket.created_at).desc())
        .limit(MAX_OPEN_TICKETS)
    ).scalars()
    found = []
    for ticket_id in tickets:
        link = lookup.ticket_order(session, ticket_id)
        detail = lookup.order_detail(session, link.order_id) if link else None
        if detail is None or detail.summary.cancelled or detail.delivered_at is not None:
            continue
        promised = detail.promised_by or (detail.summary.created_at.date() + timedelta(days=default_days))
        if promised >= now.date():
            continue
        s = detail.summary
        coupon = round(s.total * share, 2)
        approval = s.currency != till or coupon > limit
        why = " " + _("(needs approval: above the agent's limit)") if coupon > limit else ""
        if s.currency != till:
            why = " " + _("(needs approval: the agent's limit is in {currency})").format(currency=till)
        found.append(
            OrderSignal(
                "late_with_wismo",
                s.id,
                s.name,
                ticket_id,
                _(
                    "Order {order} was promised by {day} and is not delivered; ticket {ticket} is open. "
                    "Suggest a coupon of {coupon}{why}"
                ).format(
                    order=s.name,
                    day=localefmt.stock_day_label(promised),
                    ticket=ticket_id,
                    coupon=format_money(coupon, s.currency, 2),
                    why=why,
                ),
                coupon,
                s.currency,
                approval,
            )
        )
    return found
