"""``dtc-tui orders list|show``: the store's orders (imported with ``dtc-tui import shopify-orders``)."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Any

import click

from dtc_tui.commands.common import CliContext, echo_json, json_option, pass_ctx
from dtc_tui.i18n import _, ngettext


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
    from dtc_tui.services.common.money import format_money

    for o in found:
        state = o.financial_status + (" " + _("cancelled") if o.cancelled else "")
        lines = ngettext("{count} line", "{count} lines", o.lines).format(count=f"{o.lines:>3}")
        click.echo(
            f"{one_line(o.name, 12):<12} {o.created_at:%Y-%m-%d %H:%M}  {format_money(o.total, o.currency, 2):>12}  "
            f"{state:<20} {o.fulfillment_status:<12} {lines}  {one_line(o.email or '-', 40)}"
        )
    click.echo(ngettext("{count} order", "{count} orders", len(found)).format(count=len(found)), err=True)


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
        click.echo(_("no order {name!r}").format(name=name), err=True)
        sys.exit(1)
    if as_json:
        echo_json(_plain(detail))
        return
    from dtc_tui.services.common.money import format_money

    s = detail.summary

    def money(amount: float, currency: str = s.currency) -> str:
        return format_money(amount, currency, 2)

    click.echo(
        _("Order {name}  placed {placed} UTC  channel {channel}").format(
            name=one_line(s.name), placed=f"{s.created_at:%Y-%m-%d %H:%M}", channel=one_line(detail.channel)
        )
    )
    click.echo(_("Customer {name} <{email}>").format(name=one_line(s.customer_name), email=one_line(s.email or "-")))
    click.echo(
        _(
            "Total {total} (subtotal {subtotal}, discount {discount}, shipping {shipping}, taxes {taxes}); "
            "refunded {refunded}"
        ).format(
            total=money(s.total),
            subtotal=money(detail.subtotal),
            discount=money(detail.discount),
            shipping=money(detail.shipping),
            taxes=money(detail.taxes),
            refunded=money(s.refunded),
        )
    )
    cancelled = " " + _("(cancelled)") if s.cancelled else ""
    click.echo(
        _("Payment {payment}{cancelled}; fulfilment {fulfilment}").format(
            payment=s.financial_status or "-", cancelled=cancelled, fulfilment=s.fulfillment_status or "-"
        )
    )
    for line in detail.lines:
        click.echo(
            f"  {one_line(line.sku_code or '-', 24):<24} {line.quantity:>4} x {money(line.price):>10}  "
            f"{one_line(line.name, 60)}"
        )
    for shipment in detail.shipments:
        tracking = " ".join(p for p in (shipment.carrier, shipment.tracking_number) if p) or _("no tracking number")
        shipped = f"{shipment.shipped_at:%Y-%m-%d}" if shipment.shipped_at else "-"
        click.echo("  " + _("shipped {day}: {tracking}").format(day=shipped, tracking=one_line(tracking)))
    for refund in detail.refunds:
        amount = money(refund.amount, refund.currency)
        click.echo("  " + _("refund {amount} ({source})").format(amount=amount, source=refund.source))


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
    click.echo(ngettext("{count} signal", "{count} signals", len(found)).format(count=len(found)), err=True)
