"""Tickets meet orders: the link (order field, number quoted, customer e-mail), the ticket view's order
panel, and ``dtc-tui orders``."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from dtc_tui import db
from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.models import Customer, StoreOrder, Ticket, TicketMessage
from dtc_tui.services.importers.pipeline import run_import
from dtc_tui.services.orders.lookup import find_orders, order_mentions, ticket_order
from tests.conftest import FIXED_NOW, FIXTURES, make_app, screen_text
from tests.test_tickets_ui import filter_queue

GBP = FIXTURES / "shopify_orders_gbp.csv"


def sample_orders() -> dict[str, dict[str, str]]:
    with open(GBP, encoding="utf-8-sig", newline="") as handle:
        orders: dict[str, dict[str, str]] = {}
        for row in csv.DictReader(handle):
            orders.setdefault(row["Name"], row)
    return orders


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("Where is my order #1057?", ["1057"]),
        ("order 1001 and order no. 1002", ["1001", "1002"]),
        ("Meine Bestellung Nr. 1003 ist nicht angekommen", ["1003"]),
        ("¿Dónde está mi pedido 1004?", ["1004"]),
        ("Ma commande n° 1005 est en retard", ["1005"]),
        ("Order #1006, again #1006", ["1006"]),
        ("I ordered 2 items on 12 May", []),
        ("call me at 555", []),
    ],
)
def test_order_numbers_quoted_in_text(text: str, numbers: list[str]) -> None:
    assert order_mentions(text) == numbers


def add_ticket(session, subject: str, *, customer_id: int | None = None, order_ref: str | None = None) -> int:  # type: ignore[no-untyped-def]
    ticket = Ticket(
        subject=subject,
        channel="email",
        customer_id=customer_id,
        order_ref=order_ref,
        created_at=FIXED_NOW,
        updated_at=FIXED_NOW,
        due_sort_at=FIXED_NOW + timedelta(hours=4),
        next_due_at=FIXED_NOW + timedelta(hours=4),
    )
    session.add(ticket)
    session.flush()
    return ticket.id or 0


def test_a_ticket_finds_its_order_by_field_number_or_e_mail(engine: Engine) -> None:
    orders = sample_orders()
    assert run_import(engine, "shopify-orders", GBP, now=FIXED_NOW, actor="tester").errors == []
    names = list(orders)
    by_subject, by_field, by_body = names[3], names[4], names[5]
    guessed_email = orders[names[0]]["Email"].lower()
    with db.write_session(engine) as session:
        customer_id = session.execute(select(Customer.id).where(Customer.email == guessed_email)).scalar_one()
        stranger = Customer(name="Nobody", email="nobody@example.com")
        session.add(stranger)
        session.flush()
        ids = {
            "subject": add_ticket(session, f"Where is my order {by_subject}?"),
            "field": add_ticket(session, "Parcel late", order_ref=by_field.lstrip("#")),
            "body": add_ticket(session, "Frage"),
            "email": add_ticket(session, "Still waiting", customer_id=customer_id),
            "none": add_ticket(session, "Order #99999 missing", customer_id=stranger.id),
        }
        session.add(
            TicketMessage(
                ticket_id=ids["body"],
                kind="customer",
                author="kunde@example.com",
                body=f"Meine Bestellung {by_body.lstrip('#')} ist nicht da",
                created_at=FIXED_NOW,
            )
        )
    with db.read_session(engine) as session:
        names_of = dict(session.execute(select(StoreOrder.id, StoreOrder.name)).all())
        links = {kind: ticket_order(session, ticket_id) for kind, ticket_id in ids.items()}
        latest = max(
            (o for o in orders.values() if o["Email"].lower() == guessed_email),
            key=lambda o: datetime.fromisoformat(o["Created at"]),
        )["Name"]
    assert links["none"] is None
    found = {kind: (names_of[link.order_id], link.how, link.guess) for kind, link in links.items() if link}
    assert found == {
        "subject": (by_subject, "subject", False),
        "field": (by_field, "order field", False),
        "body": (by_body, "message", False),
        "email": (latest, "customer e-mail", True),
    }


def test_find_orders_by_number_e_mail_and_sku(engine: Engine) -> None:
    orders = sample_orders()
    run_import(engine, "shopify-orders", GBP, now=FIXED_NOW, actor="tester")
    name, first = next(iter(orders.items()))
    with db.read_session(engine) as session:
        assert [o.name for o in find_orders(session, name.lstrip("#"))] == [name]
        by_mail = find_orders(session, first["Email"].upper())
        assert {o.name for o in by_mail} == {n for n, o in orders.items() if o["Email"] == first["Email"]}
        sku = first["Lineitem sku"]
        with open(GBP, encoding="utf-8-sig", newline="") as handle:
            with_sku = {row["Name"] for row in csv.DictReader(handle) if row["Lineitem sku"] == sku}
        assert {o.name for o in find_orders(session, sku)} == with_sku


def test_orders_cli_list_and_show_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dtc_tui.cli import main_group

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    assert runner.invoke(main_group, ["--db", url, "import", "shopify-orders", str(GBP)]).exit_code == 0
    orders = sample_orders()
    listed = runner.invoke(main_group, ["--db", url, "orders", "list", "--limit", "500", "--json"])
    assert listed.exit_code == 0, listed.output
    assert {o["name"] for o in json.loads(listed.stdout)["orders"]} == set(orders)
    refunded = next(n for n, o in orders.items() if float(o["Refunded Amount"] or 0) > 0)
    shown = runner.invoke(main_group, ["--db", url, "orders", "show", refunded, "--json"])
    data = json.loads(shown.stdout)
    assert data["summary"]["refunded"] == pytest.approx(float(orders[refunded]["Refunded Amount"]))
    assert [r["amount"] for r in data["refunds"]] == [pytest.approx(float(orders[refunded]["Refunded Amount"]))]
    missing = runner.invoke(main_group, ["--db", url, "orders", "show", "#424242"])
    assert missing.exit_code == 1 and "no order" in missing.output


async def test_the_ticket_view_shows_the_order_of_a_wismo_ticket(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    orders = sample_orders()
    assert run_import(sqlite_demo_engine, "shopify-orders", GBP, now=FIXED_NOW, actor="tester").errors == []
    name = next(n for n, o in orders.items() if o["Fulfilled at"])
    from dtc_tui.services.common.money import format_money

    order = orders[name]
    with db.write_session(sqlite_demo_engine) as session:
        ticket_id = add_ticket(session, f"Where is my order {name}? [b]now[/b]")
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(140, 50)) as pilot:
        await filter_queue(pilot, f"id:{ticket_id}")
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "TicketScreen"
        shown = screen_text(app)
        await pilot.press("O")  # the order itself, on the orders screen
        await pilot.pause()
        assert type(app.screen).__name__ == "OrdersScreen"
        assert f"1 order for '{name}'" in screen_text(app)
    assert f"Order {name}" in shown and "found by subject" in shown
    assert order["Lineitem sku"] in shown
    assert format_money(float(order["Total"]), order["Currency"], 2) in shown  # £46.11: money.py, its own currency
    shipped = datetime.fromisoformat(order["Fulfilled at"]).astimezone(UTC)
    assert f"Shipped {shipped:%b} {shipped.day}, {shipped:%Y %H:%M}: no tracking number" in shown
    assert "[b]now[/b]" in shown  # the subject is shown as text


def test_signals_come_from_order_facts(engine: Engine) -> None:
    from dtc_tui.services.common import settings as settings_store
    from dtc_tui.services.orders.signals import order_signals

    orders = sample_orders()
    run_import(engine, "shopify-orders", GBP, now=FIXED_NOW, actor="tester")
    live = [n for n, o in orders.items() if not o["Cancelled at"] and not float(o["Refunded Amount"] or 0)]
    refunded = next(n for n, o in orders.items() if float(o["Refunded Amount"] or 0) > 0)
    late, unpaid, overpaid = live[0], live[1], live[2]
    with db.write_session(engine) as session:
        wismo = add_ticket(session, f"Where is my order {late}?")
        session.get(Ticket, wismo).category = "logistics"  # type: ignore[union-attr]
        promised_ids = []
        for name in (unpaid, refunded):  # the refunded one shows its refund: no signal
            ticket_id = add_ticket(session, "Refund please", order_ref=name)
            ticket = session.get(Ticket, ticket_id)
            assert ticket is not None
            ticket.is_open, ticket.status, ticket.refund_status = False, "solved", "pending"
            ticket.solved_at = FIXED_NOW - timedelta(days=10)
            promised_ids.append(ticket_id)
        order = session.execute(select(StoreOrder).where(StoreOrder.name == overpaid)).scalar_one()
        order.refunded = order.total + 5
    with db.read_session(engine) as session:
        found = {(s.kind, s.order_name): s for s in order_signals(session, FIXED_NOW)}
    assert set(found) == {("late_with_wismo", late), ("refund_not_paid", unpaid), ("refund_twice", overpaid)}
    coupon = found[("late_with_wismo", late)]
    assert coupon.ticket_id == wismo
    assert coupon.amount == pytest.approx(round(float(orders[late]["Total"]) * 0.10, 2))
    assert not coupon.needs_approval
    assert found[("refund_not_paid", unpaid)].ticket_id == promised_ids[0]
    with db.write_session(engine) as session:
        settings_store.put(session, "cs.compensation_limit", 1.0, actor="tester", now=FIXED_NOW)
    with db.read_session(engine) as session:
        again = [s for s in order_signals(session, FIXED_NOW) if s.kind == "late_with_wismo"]
    assert [s.needs_approval for s in again] == [True]
    assert "needs approval" in again[0].message
