"""``dtc-tui orders list|show``: the store's orders (imported with ``dtc-tui import shopify-orders``)."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Any

import click

from dtc_tui.commands.common import CliContext, echo_json, json_option, pass_ctx


def _plain(value: Any) -> Any:
    return asdict(value) if hasattr(value, "__dataclass_fields__") else value


@click.group("orders")
def orders_group() -> None:
    """The store's orders: list, find, show one."""


@orders_group.command("list")
@click.option("--find", "query", default="", help="Order number (1001 or #1001), customer e-mail or SKU code.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@json_option()
@pass_ctx
def orders_list(ctx: CliContext, query: str, limit: int, as_json: bool) -> None:
    """The newest orders first, or the ones matching --find."""
    from dtc_tui import db
    from dtc_tui.services.common.text import one_line
    from dtc_tui.services.orders import lookup

    with db.read_session(ctx.engine()) as session:
        found = lookup.find_orders(session, query, limit=limit) if query else lookup.list_orders(session, limit=limit)
    if as_json:
        echo_json({"orders": [_plain(order) for order in found]})
        return
    for o in found:
        state = o.financial_status + (" cancelled" if o.cancelled else "")
        click.echo(
            f"{one_line(o.name, 12):<12} {o.created_at:%Y-%m-%d %H:%M}  {o.currency} {o.total:>10,.2f}  "
            f"{state:<20} {o.fulfillment_status:<12} {o.lines:>3} lines  {one_line(o.email or '-', 40)}"
        )
    click.echo(f"{len(found)} orders", err=True)


@orders_group.command("show")
@click.argument("name")
@json_option()
@pass_ctx
def orders_show(ctx: CliContext, name: str, as_json: bool) -> None:
    """One order by its number (1001 or #1001): lines, totals, statuses, shipments, refunds."""
    from dtc_tui import db
    from dtc_tui.services.common.text import one_line
    from dtc_tui.services.orders import lookup

    with db.read_session(ctx.engine()) as session:
        order_id = lookup.order_id_by_name(session, name)
        detail = lookup.order_detail(session, order_id) if order_id is not None else None
    if detail is None:
        click.echo(f"no order {name!r}", err=True)
        sys.exit(1)
    if as_json:
        echo_json(_plain(detail))
        return
    s = detail.summary
    click.echo(
        f"Order {one_line(s.name)}  placed {s.created_at:%Y-%m-%d %H:%M} UTC  channel {one_line(detail.channel)}"
    )
    click.echo(f"Customer {one_line(s.customer_name)} <{one_line(s.email or '-')}>")
    click.echo(
        f"Total {s.currency} {s.total:,.2f} (subtotal {detail.subtotal:,.2f}, discount {detail.discount:,.2f}, "
        f"shipping {detail.shipping:,.2f}, taxes {detail.taxes:,.2f}); refunded {s.refunded:,.2f}"
    )
    click.echo(
        f"Payment {s.financial_status or '-'}{' (cancelled)' if s.cancelled else ''}; "
        f"fulfilment {s.fulfillment_status or '-'}"
    )
    for line in detail.lines:
        click.echo(
            f"  {one_line(line.sku_code or '-', 24):<24} {line.quantity:>4} x {line.price:>9,.2f}  "
            f"{one_line(line.name, 60)}"
        )
    for shipment in detail.shipments:
        tracking = " ".join(p for p in (shipment.carrier, shipment.tracking_number) if p) or "no tracking number"
        shipped = f"{shipment.shipped_at:%Y-%m-%d}" if shipment.shipped_at else "-"
        click.echo(f"  shipped {shipped}: {one_line(tracking)}")
    for refund in detail.refunds:
        click.echo(f"  refund {refund.currency} {refund.amount:,.2f} ({refund.source})")


@orders_group.command("signals")
@json_option()
@pass_ctx
def orders_signals(ctx: CliContext, as_json: bool) -> None:
    """Refunds promised but not paid, refunds paid twice, late orders with an open WISMO ticket."""
    from dtc_tui import db
    from dtc_tui.services.common.text import one_line
    from dtc_tui.services.orders.signals import order_signals

    with db.read_session(ctx.engine()) as session:
        found = order_signals(session, ctx.now())
    if as_json:
        echo_json({"signals": [_plain(signal) for signal in found]})
        return
    for signal in found:
        click.echo(f"{signal.kind:<16} {one_line(signal.message, 200)}")
    click.echo(f"{len(found)} signals", err=True)
