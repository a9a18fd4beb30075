"""The orders screen (``O`` from the ticket queue): find by number, e-mail or SKU, read the detail."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import Engine

from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.services.importers.pipeline import run_import
from tests.conftest import FIXED_NOW, FIXTURES, make_app, screen_text

GBP = FIXTURES / "shopify_orders_gbp.csv"


def first_lines() -> dict[str, dict[str, str]]:
    with open(GBP, encoding="utf-8-sig", newline="") as handle:
        orders: dict[str, dict[str, str]] = {}
        for row in csv.DictReader(handle):
            orders.setdefault(row["Name"], row)
    return orders


@pytest.fixture
def orders_engine(sqlite_demo_engine: Engine) -> Engine:
    assert run_import(sqlite_demo_engine, "shopify-orders", GBP, now=FIXED_NOW, actor="tester").errors == []
    return sqlite_demo_engine


async def test_find_an_order_by_e_mail_and_read_it(
    orders_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    orders = first_lines()
    refunded = next(o for o in orders.values() if float(o["Refunded Amount"] or 0) > 0)
    app = make_app(orders_engine, clock, settings)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("O")
        await pilot.pause()
        assert type(app.screen).__name__ == "OrdersScreen"
        assert f"{min(len(orders), 50)} orders, newest first" in screen_text(app)  # the newest 50
        for char in refunded["Email"]:
            await pilot.press(char)
        await pilot.press("enter")
        await pilot.pause()
        shown = screen_text(app)
        assert f"Order {refunded['Name']}" in shown
        assert f"refunded £{float(refunded['Refunded Amount']):,.2f}" in shown  # money.py: the currency's own symbol
        assert refunded["Lineitem sku"] in shown
        await pilot.press("escape")
        assert type(app.screen).__name__ == "TicketsScreen"


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_orders_screen_snapshot(
    snap_compare, orders_engine: Engine, clock: FixedClock, settings: Settings, size: tuple[int, int]
) -> None:
    name = next(iter(first_lines()))

    async def find(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("O")
        await pilot.pause()
        for char in name.lstrip("#"):
            await pilot.press(char)
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(make_app(orders_engine, clock, settings), run_before=find, terminal_size=size)


async def test_refund_state_from_the_order_screen(orders_engine: Engine, clock: FixedClock, settings: Settings) -> None:
    """$ on an order sets the refund state of the customer's ticket (here the only one)."""
    from sqlalchemy import select, update

    from dtc_tui import db
    from dtc_tui.models import Customer, StoreOrder, Ticket
    from dtc_tui.services.tickets import ops
    from dtc_tui.ui.screens.orders.search import OrdersScreen

    with db.write_session(orders_engine) as session:
        order = session.execute(select(StoreOrder).where(StoreOrder.customer_id.is_not(None))).scalars().first()  # type: ignore[union-attr]
        assert order is not None
        name, customer_id = order.name, order.customer_id
        customer = session.get(Customer, customer_id)
        assert customer is not None
    ticket_id = ops.create_ticket(orders_engine, subject="refund?", channel="email", now=FIXED_NOW, actor="x")
    with db.write_session(orders_engine) as session:
        session.execute(
            update(Ticket).where(Ticket.id == ticket_id).values(customer_id=customer_id, refund_status="pending")
        )
        others = (
            session.execute(select(Ticket.id).where(Ticket.customer_id == customer_id, Ticket.id != ticket_id))
            .scalars()
            .all()
        )
        session.execute(update(Ticket).where(Ticket.id.in_(others)).values(customer_id=None))  # type: ignore[union-attr]
    app = make_app(orders_engine, clock, settings)
    async with app.run_test(size=(140, 45)) as pilot:
        await app.push_screen(OrdersScreen(name.lstrip("#")))
        await pilot.pause()
        await pilot.press("enter")  # find: the list takes the focus, the find box keeps its text
        await pilot.pause()
        await pilot.press("dollar_sign")
        await pilot.pause()
        options = app.screen.query_one("OptionList")
        ids = [o.id for o in options._options]
        assert ids[options.highlighted] == "pending"  # opens on the current state
        options.highlighted = ids.index("synced")
        await pilot.press("enter")
        await pilot.pause()
    with db.read_session(orders_engine) as session:
        assert session.get(Ticket, ticket_id).refund_status == "synced"  # type: ignore[union-attr]
