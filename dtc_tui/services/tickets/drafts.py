"""Reply drafts (one per ticket and operator) and what the reply editor shows around them.

The editor saves the draft while the operator types (debounced, in a worker), so Esc, a restart
or a crash keeps it; sending the reply deletes it in the reply's own transaction (ops.add_reply),
and so does an explicit discard. The draft remembers the ticket version and the last event the
operator saw: a send after a colleague changed the ticket is refused, and ``changes_since`` says
what changed, while the text stays in the editor and in the draft.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, func, select
from sqlmodel import Session, col

from dtc_tui import db
from dtc_tui.i18n import N_, _
from dtc_tui.models import Customer, Person, ReplyDraft, Ticket, TicketEvent, TicketMessage
from dtc_tui.models.base import table_of
from dtc_tui.services.common.text import clean_text, one_line


@dataclass(frozen=True)
class DraftView:
    ticket_id: int
    body: str
    macro_id: int | None
    ticket_version: int | None
    last_event_id: int | None
    updated_at: datetime


@dataclass(frozen=True)
class ReplyContext:
    """Everything the reply editor needs about the ticket, read in one session."""

    ticket_id: int
    version: int
    last_event_id: int
    subject: str
    status: str
    priority: str
    tags: str
    language: str
    customer_name: str
    customer_email: str
    last_customer_author: str
    last_customer_at: datetime | None
    last_customer_body: str  # "" when the customer never wrote (a ticket opened by phone, say)
    agent_name: str
    draft: DraftView | None
    order_number: str | None = None  # filled by the caller from the orders area (the facade)
    tracking_url: str | None = None

    @property
    def customer_first_name(self) -> str:
        words = self.customer_name.split()
        return words[0] if words else ""

    def placeholder_values(self) -> dict[str, str | None]:
        """The values of the macros' placeholders (services/tickets/macros.PLACEHOLDERS)."""
        return {
            "customer.first_name": self.customer_first_name or None,
            "customer.name": self.customer_name or None,
            "order.number": self.order_number or None,
            "order.tracking_url": self.tracking_url or None,
            "agent.name": self.agent_name or None,
            "ticket.id": str(self.ticket_id),
        }


def _view(draft: ReplyDraft) -> DraftView:
    return DraftView(
        draft.ticket_id, draft.body, draft.macro_id, draft.ticket_version, draft.last_event_id, draft.updated_at
    )


def get_draft(session: Session, ticket_id: int, operator: str) -> DraftView | None:
    draft = session.execute(
        select(ReplyDraft).where(col(ReplyDraft.ticket_id) == ticket_id, col(ReplyDraft.operator) == operator)
    ).scalar()
    return _view(draft) if draft else None


def save_draft(
    engine: Engine,
    ticket_id: int,
    operator: str,
    body: str,
    now: datetime,
    *,
    macro_id: int | None = None,
    ticket_version: int | None = None,
    last_event_id: int | None = None,
) -> bool:
    """Keep the operator's unsent text (an upsert); empty text with no macro deletes the draft.

    Returns whether a draft is now stored. No audit row: a draft is private until it is sent.
    """
    body = clean_text(body)
    with db.write_session(engine) as session:
        if not body.strip() and macro_id is None:
            delete_in(session, ticket_id, operator)
            return False
        values = {
            "ticket_id": ticket_id,
            "operator": operator,
            "body": body,
            "macro_id": macro_id,
            "ticket_version": ticket_version,
            "last_event_id": last_event_id,
            "updated_at": now,
        }
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
        table = table_of(ReplyDraft)
        keep = {k: v for k, v in values.items() if k not in ("ticket_id", "operator")}
        session.execute(
            dialect_insert(table)
            .values(**values)
            .on_conflict_do_update(index_elements=["operator", "ticket_id"], set_=keep)
        )
        return True


def delete_in(session: Session, ticket_id: int, operator: str) -> bool:
    """Delete the operator's draft of the ticket inside the caller's transaction (a sent reply)."""
    result = session.execute(
        delete(ReplyDraft).where(col(ReplyDraft.ticket_id) == ticket_id, col(ReplyDraft.operator) == operator)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def discard_draft(engine: Engine, ticket_id: int, operator: str) -> bool:
    with db.write_session(engine) as session:
        return delete_in(session, ticket_id, operator)


def tickets_with_drafts(session: Session, operator: str, ticket_ids: Iterable[int] | None = None) -> set[int]:
    """Which tickets (of ``ticket_ids``, or all) the operator has a draft on."""
    stmt = select(col(ReplyDraft.ticket_id)).where(col(ReplyDraft.operator) == operator)
    if ticket_ids is not None:
        ids = list(ticket_ids)
        if not ids:
            return set()
        stmt = stmt.where(col(ReplyDraft.ticket_id).in_(ids))
    return set(session.execute(stmt).scalars())


def last_event_id(session: Session, ticket_id: int) -> int:
    found = session.execute(
        select(func.max(col(TicketEvent.id))).where(col(TicketEvent.ticket_id) == ticket_id)
    ).scalar()
    return int(found or 0)


def agent_name(session: Session, operator: str) -> str:
    """The operator's name on the Team screen, else their login."""
    for column in (Person.os_user, Person.handle):
        name = session.execute(select(col(Person.name)).where(col(column) == operator)).scalar()
        if name:
            return str(name)
    return operator


def reply_context(session: Session, ticket_id: int, operator: str) -> ReplyContext | None:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        return None
    customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    last = session.execute(
        select(TicketMessage)
        .where(col(TicketMessage.ticket_id) == ticket_id, col(TicketMessage.kind) == "customer")
        .order_by(col(TicketMessage.created_at).desc(), col(TicketMessage.id).desc())
        .limit(1)
    ).scalar()
    return ReplyContext(
        ticket_id=ticket_id,
        version=ticket.version,
        last_event_id=last_event_id(session, ticket_id),
        subject=ticket.subject,
        status=ticket.status,
        priority=ticket.priority,
        tags=ticket.tags,
        language=ticket.language,
        customer_name=one_line(customer.name) if customer else "",
        customer_email=(customer.email or "") if customer else "",
        last_customer_author=last.author if last else "",
        last_customer_at=last.created_at if last else None,
        last_customer_body=last.body if last else "",
        agent_name=agent_name(session, operator),
        draft=get_draft(session, ticket_id, operator),
    )


EVENT_WORDS = {
    "customer_message": N_("the customer wrote again"),
    "reply": N_("replied"),
    "note": N_("added a note"),
    "status": N_("set the status"),
    "priority": N_("set the priority"),
    "assign": N_("assigned it"),
    "claim": N_("claimed it"),
    "tags": N_("changed the tags"),
    "escalate": N_("escalated it"),
    "bulk": N_("changed it in a bulk change"),
    "undo": N_("undid a change"),
    "auto_assign": N_("auto-assigned it"),
}


# What a colleague's change means to someone replying (not the SLA bookkeeping: paused_since...).
SHOWN_FIELDS = ("status", "priority", "assignee", "to", "tags", "undid")


def changes_since(session: Session, ticket_id: int, after_event_id: int | None) -> list[str]:
    """One line per change to the ticket after the event the operator last saw, oldest first."""
    stmt = (
        select(TicketEvent)
        .where(col(TicketEvent.ticket_id) == ticket_id, col(TicketEvent.id) > (after_event_id or 0))
        .order_by(col(TicketEvent.id))
        .limit(50)
    )
    lines = []
    for event in session.execute(stmt).scalars():
        data = json.loads(event.data or "{}")
        details = ", ".join(f"{k} {data[k]}" for k in SHOWN_FIELDS if data.get(k) not in (None, ""))
        words = _(EVENT_WORDS[event.kind]) if event.kind in EVENT_WORDS else event.kind
        line = f"{event.at:%H:%M} {one_line(event.actor, 40)} {words}"
        lines.append(line + (f": {one_line(details, 120)}" if details else ""))
    return lines
