"""Demo tickets: the mix of domain.md section 2 relative to ``now``.

Open tickets are a few hours to days old, so some are breached, some at risk and some waiting
on the customer; solved tickets over the last 30 days feed the KPIs. Written with bulk inserts
and explicit ids so ``--scale large`` (100k tickets) stays well under a minute.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine, insert, text
from sqlmodel import Session

from dtc_tui import db
from dtc_tui.models import Customer, Macro, SlaBreach, Ticket, TicketEvent, TicketMessage, ticket_search
from dtc_tui.services.demo.inventory import HERO_CODE
from dtc_tui.services.tickets.sla import (
    FAR_FUTURE,
    Policy,
    TicketTimes,
    clocks,
    next_breach_check,
    next_due,
    select_policy,
)
from dtc_tui.services.tickets.sla_policies import load_policies

if TYPE_CHECKING:  # the package imports this module
    from dtc_tui.services.demo import DemoSize

CATEGORY_MIX = [
    ("logistics", 62),
    ("returns", 23),
    ("payment", 5),
    ("product", 5),
    ("site_incident", 2),
    ("presales", 3),
]
CHANNEL_MIX = [("email", 40), ("chat", 25), ("whatsapp", 20), ("messenger", 10), ("phone", 5)]
LANGUAGE_MIX = [("en", 50), ("de", 20), ("es", 12), ("fr", 10), ("ar", 8)]
PRIORITY_MIX = [("normal", 60), ("low", 15), ("high", 20), ("urgent", 5)]
OPEN_STATUS_MIX = [("new", 30), ("open", 40), ("pending", 20), ("on_hold", 10)]

SUBJECTS = {
    "logistics": {
        "en": "Where is my order #{order}?",
        "de": "Wo ist meine Bestellung #{order}?",
        "es": "¿Dónde está mi pedido #{order}?",
        "fr": "Où est ma commande #{order} ?",
        "ar": "أين طلبي رقم {order}؟",
    },
    "returns": {
        "en": "Return request for order #{order}",
        "de": "Rücksendung für Bestellung #{order}",
        "es": "Devolución del pedido #{order}",
        "fr": "Retour de la commande #{order}",
        "ar": "طلب إرجاع للطلب {order}",
    },
    "payment": {
        "en": "Charged twice / Stripe dispute #{order}",
        "de": "Doppelt abgebucht #{order}",
        "es": "Cobro duplicado #{order}",
        "fr": "Débité deux fois #{order}",
        "ar": "خصم مرتين {order}",
    },
    "product": {
        "en": "Question about {product}",
        "de": "Frage zu {product}",
        "es": "Pregunta sobre {product}",
        "fr": "Question sur {product}",
        "ar": "سؤال عن {product}",
    },
    "site_incident": {
        "en": "Checkout error: payment page not loading",
        "de": "Fehler an der Kasse",
        "es": "Error en el pago",
        "fr": "Erreur au paiement",
        "ar": "خطأ في صفحة الدفع",
    },
    "presales": {
        "en": "Do you ship {product} to {country}?",
        "de": "Liefert ihr {product} nach {country}?",
        "es": "¿Envían {product} a {country}?",
        "fr": "Livrez-vous {product} en {country} ?",
        "ar": "هل تشحنون {product} إلى {country}؟",
    },
}
FIRST_NAMES = [
    "Emma",
    "Liam",
    "Sofia",
    "Lukas",
    "Chloé",
    "Omar",
    "Mia",
    "Noah",
    "Lucía",
    "Yuki",
    "Amira",
    "Jonas",
    "Léa",
    "Mateo",
    "Hana",
    "Fatima",
    "Oliver",
    "Elena",
    "Wei",
    "Zoë",
]
LAST_NAMES = [
    "Müller",
    "Smith",
    "García",
    "Dubois",
    "Al-Sayed",
    "Rossi",
    "Tanaka",
    "Nowak",
    "Silva",
    "Johnson",
    "Schneider",
    "Martin",
    "Haddad",
    "Kim",
    "O'Brien",
    "Jensen",
]
COUNTRIES = ["US", "DE", "ES", "FR", "AE", "GB", "MX", "CA", "AU", "NL"]
PRODUCTS = ["Linen Tote", "Bamboo Cup", "Yoga Mat", "Ceramic Mug", "Desk Lamp", "Travel Pillow"]


def _pick(rng: random.Random, mix: list[tuple[str, int]]) -> str:
    return rng.choices([value for value, _ in mix], weights=[weight for _, weight in mix])[0]


def build(
    engine: Engine, rng: random.Random, now: datetime, size: DemoSize, people: dict[str, int], skus: dict[str, int]
) -> None:
    n_open: int = size.tickets_open
    n_closed: int = size.tickets_closed
    n_customers: int = size.customers
    agents = [people["ana"], people["eli"], people["ana"], people["eli"], people["dana"]]
    sku_ids = list(skus.values())
    with db.write_session(engine) as session:
        policies = load_policies(session)
        customers = []
        for index in range(n_customers):
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            tier = "vip" if rng.random() < 0.05 else "standard"
            customers.append(
                {
                    "id": index + 1,
                    "name": name,
                    "tier": tier,
                    "email": f"customer{index + 1}@example.com",
                    "tags": "",
                    "country": rng.choice(COUNTRIES),
                }
            )
        # A customer whose name would be markup if the UI ever interpreted it.
        customers[0]["name"] = "[bold red]Mallory[/] \x1b]52;c;ZXZpbA==\x07"
        session.execute(insert(Customer), customers)
        tickets, messages, events, breaches = [], [], [], []
        total = n_open + n_closed
        for ticket_id in range(1, total + 1):
            is_open = ticket_id <= n_open

            def lookup(priority: str, channel: str, category: str, tier: str):
                return select_policy(policies, priority=priority, channel=channel, category=category, tier=tier)

            row, msgs, policy = _ticket(rng, ticket_id, is_open, now, customers, agents, sku_ids, skus, lookup)
            row["policy_id"] = policy.id if policy else None
            times = TicketTimes(
                created_at=row["created_at"],
                status=row["status"],
                first_response_at=row["first_response_at"],
                awaiting_since=row["awaiting_since"],
                solved_at=row["solved_at"],
                paused_since=row["paused_since"],
                paused_minutes=row["paused_minutes"],
            )
            ticket_clocks = clocks(times, policy, now)
            nd = next_due(ticket_clocks)
            row.update(
                next_due_at=nd.due_at,
                next_due_metric=nd.metric,
                next_risk_at=nd.risk_at,
                due_sort_at=nd.due_at or FAR_FUTURE,
                breach_check_at=next_breach_check(ticket_clocks, now),  # its breaches are recorded below
            )
            for clock in ticket_clocks:
                if clock.state == "breached" and clock.due_at is not None and clock.due_at <= now:
                    breaches.append(
                        {
                            "ticket_id": ticket_id,
                            "metric": clock.metric,
                            "due_at": clock.due_at,
                            "recorded_at": clock.due_at,
                        }
                    )
            tickets.append(row)
            messages.extend(msgs)
            events.append(
                {
                    "ticket_id": ticket_id,
                    "kind": "created",
                    "actor": "customer",
                    "at": row["created_at"],
                    "data": json.dumps({"channel": row["channel"]}),
                }
            )
        _flush(session, Ticket, tickets)
        _flush(session, TicketMessage, messages)
        _flush(session, TicketEvent, events)
        _flush(session, SlaBreach, breaches)
        _flush(session, Macro, [{**m, "updated_at": now} for m in DEMO_MACROS])
        _fix_sequences(session)
        # Every demo ticket into the queue's full-text index at once (not 20k per breach tick).
        ticket_search.fold_stale(session.connection(), limit=n_open + n_closed)


# Canned replies to try in the reply editor (ctrl+o); "Where is my order" in two languages.
DEMO_MACROS: list[dict[str, str]] = [
    {
        "name": "Where is my order",
        "language": "en",
        "body": "Hi {customer.first_name},\n\nyour order {order.number} is on its way; you can follow it here: "
        "{order.tracking_url}\n\nBest regards,\n{agent.name}",
        "set_status": "pending",
        "set_priority": "",
        "add_tags": "wismo",
        "remove_tags": "",
    },
    {
        "name": "Where is my order",
        "language": "de",
        "body": "Hallo {customer.first_name},\n\nIhre Bestellung {order.number} ist unterwegs; hier können Sie sie "
        "verfolgen: {order.tracking_url}\n\nViele Grüße\n{agent.name}",
        "set_status": "pending",
        "set_priority": "",
        "add_tags": "wismo",
        "remove_tags": "",
    },
    {
        "name": "Refund issued",
        "language": "en",
        "body": "Hi {customer.first_name},\n\nwe have refunded order {order.number}; the money is back on your "
        "card within 5 working days.\n\nBest regards,\n{agent.name}",
        "set_status": "solved",
        "set_priority": "",
        "add_tags": "refund",
        "remove_tags": "wismo",
    },
    {
        "name": "Damaged item: photo please",
        "language": "en",
        "body": "Hi {customer.first_name},\n\nsorry the item arrived damaged. Could you send us a photo of it "
        "and of the box? We will replace it at once.\n\n{agent.name}",
        "set_status": "pending",
        "set_priority": "high",
        "add_tags": "damaged",
        "remove_tags": "",
    },
]


def _flush(session: Session, model: type, rows: list[dict]) -> None:
    for start in range(0, len(rows), 10_000):
        session.execute(insert(model), rows[start : start + 10_000])


def _fix_sequences(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ("customer", "ticket"):
        session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))")
        )


def _ticket(
    rng: random.Random,
    ticket_id: int,
    is_open: bool,
    now: datetime,
    customers: list[dict],
    agents: list[int],
    sku_ids: list[int],
    skus: dict[str, int],
    lookup: Callable[[str, str, str, str], Policy | None],
) -> tuple[dict, list[dict], Policy | None]:
    category = _pick(rng, CATEGORY_MIX)
    language = _pick(rng, LANGUAGE_MIX)
    customer = customers[rng.randrange(len(customers))]
    order = 10_000 + ticket_id
    subject = SUBJECTS[category][language].format(
        order=order, product=rng.choice(PRODUCTS), country=customer["country"]
    )
    sku_id = rng.choice(sku_ids) if category in ("product", "returns", "logistics") and sku_ids else None
    if category == "logistics" and is_open and rng.random() < 0.15:
        sku_id = skus.get(HERO_CODE, sku_id)  # tickets piling up about the SKU that runs out
    priority = "urgent" if category == "site_incident" else _pick(rng, PRIORITY_MIX)
    channel = _pick(rng, CHANNEL_MIX)
    policy = lookup(priority, channel, category, customer["tier"])
    first_target = float(policy.first_response_minutes or 720) if policy else 720.0
    if is_open:
        # Most of the queue is young; a tail of older tickets is what breaches.
        hours = rng.choices([rng.uniform(0.1, 8), rng.uniform(8, 20), rng.uniform(20, 40)], weights=[70, 22, 8])[0]
        created = now - timedelta(hours=hours)
        status = _pick(rng, OPEN_STATUS_MIX)
    else:
        created = now - timedelta(minutes=rng.uniform(60 * 42, 60 * 24 * 30))
        status = "solved" if rng.random() < 0.7 else "closed"
    row = {
        "id": ticket_id,
        "source": "dtc",
        "external_id": None,
        "subject": subject,
        "channel": channel,
        "language": language,
        "category": category,
        "priority": priority,
        "status": status,
        "is_open": is_open,
        "tags": "",
        "customer_id": customer["id"],
        "assignee_id": rng.choice(agents) if (not is_open or rng.random() < 0.6) else None,
        "order_ref": f"#{order}",
        "sku_id": sku_id,
        "logistics_status": rng.choice(["in transit", "delayed at customs", "out for delivery", "label created"])
        if category == "logistics"
        else None,
        "refund_status": None,
        "promised_delivery_at": None,
        "created_at": created,
        "updated_at": created,
        "first_response_at": None,
        "awaiting_since": None,
        "last_customer_message_at": created,
        "last_agent_reply_at": None,
        "agent_replies": 0,
        "solved_at": None,
        "paused_since": None,
        "paused_minutes": 0.0,
        "csat": None,
        "escalated_to_id": None,
        "escalated_at": None,
        "version": 1,
    }
    if ticket_id == 2:
        row["subject"] = "Refund [@click=app.quit]now[/] \x1b[2J\x1b]8;;http://evil.example\x07link"
    messages = [
        {
            "ticket_id": ticket_id,
            "kind": "customer",
            "author": customer["name"],
            "body": f"{subject}\n\nOrder {order}. Please help.",
            "created_at": created,
        }
    ]
    agent_name = "Support team"
    if status == "new":
        row["awaiting_since"] = created
    else:
        # First replies mostly well inside the policy's target; about one in twelve is late.
        late = rng.random() < 0.08
        first = created + timedelta(minutes=first_target * (rng.uniform(1.0, 1.6) if late else rng.uniform(0.1, 0.85)))
        if is_open:
            first = min(first, now - timedelta(minutes=1))
        row.update(first_response_at=first, last_agent_reply_at=first, agent_replies=1, updated_at=first)
        messages.append(
            {
                "ticket_id": ticket_id,
                "kind": "reply",
                "author": agent_name,
                "body": "Thanks for writing; we are looking into it.",
                "created_at": first,
            }
        )
        if status == "open":
            again = first + (now - first) * rng.uniform(0.1, 0.9)
            row.update(awaiting_since=again, last_customer_message_at=again, updated_at=again)
            messages.append(
                {
                    "ticket_id": ticket_id,
                    "kind": "customer",
                    "author": customer["name"],
                    "body": "Any news?",
                    "created_at": again,
                }
            )
        elif status in ("pending", "on_hold"):
            row["paused_since"] = first
        elif not is_open:
            replies = 1 if rng.random() < 0.78 else rng.randint(2, 4)
            solved = first + timedelta(minutes=rng.uniform(30, 60 * 40))
            row.update(
                solved_at=solved,
                agent_replies=replies,
                updated_at=solved,
                csat=rng.choices([5, 4, 3, 2, 1], weights=[55, 25, 10, 5, 5])[0] if rng.random() < 0.4 else None,
            )
            if category == "returns":
                row["refund_status"] = "synced" if rng.random() < 0.99 else "pending"
    if category == "returns" and is_open:
        row["refund_status"] = "pending"
    return row, messages, policy
