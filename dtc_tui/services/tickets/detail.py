"""Everything the ticket view shows: fields, SLA clocks, thread, events, order and SKU."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from dtc_tui.i18n import _
from dtc_tui.models import Customer, Person, Sku, SlaPolicy, StockLevel, Ticket, TicketEvent, TicketMessage
from dtc_tui.services.common.language import UNKNOWN as UNKNOWN_LANGUAGE
from dtc_tui.services.tickets.sla import Clock
from dtc_tui.services.tickets.sla_store import SlaContext


@dataclass(frozen=True)
class MessageView:
    kind: str
    author: str
    body: str
    created_at: datetime
    id: int = 0


@dataclass(frozen=True)
class EventView:
    kind: str
    actor: str
    at: datetime
    data: dict[str, Any]


@dataclass
class TicketDetail:
    id: int
    version: int
    subject: str
    status: str
    priority: str
    channel: str
    language: str
    category: str
    tags: str
    created_at: datetime
    customer: str
    customer_email: str
    customer_tier: str
    assignee: str | None
    assignee_id: int | None
    escalated_to: str | None
    order_ref: str | None
    logistics_status: str | None
    refund_status: str | None
    sku_code: str | None
    sku_name: str | None
    sku_on_hand: int | None
    policy: str | None
    csat: int | None
    clocks: list[Clock] = field(default_factory=list)
    messages: list[MessageView] = field(default_factory=list)
    events: list[EventView] = field(default_factory=list)
    language_detected: bool = False  # guessed from the text because the source named no language

    @property
    def language_label(self) -> str:
        """``de``, ``de (detected)`` or ``unknown``: how sure the app is of the customer's language."""
        if self.language == UNKNOWN_LANGUAGE:
            return _("unknown")
        return _("{language} (detected)").format(language=self.language) if self.language_detected else self.language


def ticket_detail(session: Session, ticket_id: int, now: datetime) -> TicketDetail | None:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        return None
    customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    assignee = session.get(Person, ticket.assignee_id) if ticket.assignee_id else None
    escalated = session.get(Person, ticket.escalated_to_id) if ticket.escalated_to_id else None
    policy = session.get(SlaPolicy, ticket.policy_id) if ticket.policy_id else None
    sku = session.get(Sku, ticket.sku_id) if ticket.sku_id else None
    on_hand = None
    if sku is not None:
        on_hand = sum(
            session.execute(select(col(StockLevel.on_hand)).where(col(StockLevel.sku_id) == sku.id)).scalars()
        )
    messages = [
        MessageView(m.kind, m.author, m.body, m.created_at, m.id or 0)
        for m in session.execute(
            select(TicketMessage)
            .where(col(TicketMessage.ticket_id) == ticket_id)
            .order_by(col(TicketMessage.created_at), col(TicketMessage.id))
        ).scalars()
    ]
    event_rows = session.execute(
        select(TicketEvent)
        .where(col(TicketEvent.ticket_id) == ticket_id)
        .order_by(col(TicketEvent.at), col(TicketEvent.id))
    ).scalars()
    events = [EventView(e.kind, e.actor, e.at, json.loads(e.data or "{}")) for e in event_rows]
    return TicketDetail(
        id=ticket.id or 0,
        version=ticket.version,
        subject=ticket.subject,
        status=ticket.status,
        priority=ticket.priority,
        channel=ticket.channel,
        language=ticket.language,
        category=ticket.category,
        tags=ticket.tags,
        created_at=ticket.created_at,
        customer=customer.name if customer else "",
        customer_email=(customer.email or "") if customer else "",
        customer_tier=customer.tier if customer else "standard",
        assignee=assignee.handle if assignee else None,
        assignee_id=ticket.assignee_id,
        escalated_to=escalated.handle if escalated else None,
        order_ref=ticket.order_ref,
        logistics_status=ticket.logistics_status,
        refund_status=ticket.refund_status,
        sku_code=sku.code if sku else None,
        sku_name=sku.name if sku else None,
        sku_on_hand=on_hand,
        policy=policy.name if policy else None,
        csat=ticket.csat,
        clocks=SlaContext(session).clocks(ticket, now),
        messages=messages,
        events=events,
        language_detected=ticket.language_detected,
    )


def ticket_ids_exist(session: Session, ids: list[int]) -> set[int]:
    return set(session.execute(select(col(Ticket.id)).where(col(Ticket.id).in_(ids))).scalars())


@dataclass(frozen=True)
class SlaClocks:
    """A ticket's SLA clocks as of ``now`` (the ticket view redraws them every second)."""

    now: datetime
    clocks: list[Clock]


def sla_clocks(session: Session, ticket_id: int, now: datetime) -> SlaClocks:
    ticket = session.get(Ticket, ticket_id)
    return SlaClocks(now, SlaContext(session).clocks(ticket, now) if ticket else [])


def ticket_tags(session: Session, ticket_id: int) -> str:
    """The tags as stored (space separated), "" when the ticket is gone."""
    ticket = session.get(Ticket, ticket_id)
    return ticket.tags if ticket else ""
