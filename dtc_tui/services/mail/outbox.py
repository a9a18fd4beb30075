"""Replies waiting to go out: written with the reply, read by the ticket view, retried by an operator.

``enqueue_reply`` runs inside the transaction that records the reply (``ops.add_reply``), so a
reply is either recorded *and* queued or neither. Its headers are fixed there, once: the
Message-ID, the subject with the ticket number, and the threading headers from the customer's
last message, so a resend is the same mail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import formataddr, make_msgid

from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from dtc_tui import db
from dtc_tui.i18n import _
from dtc_tui.models import Customer, Outbox, Ticket, TicketMessage
from dtc_tui.services.common import audit
from dtc_tui.services.common.localefmt import day_and_time
from dtc_tui.services.common.text import one_line
from dtc_tui.services.mail.settings import MailSettings

TICKET_TAG = re.compile(r"\[#(\d+)\]")
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|antw|r|rif|vs)\s*:\s*)+", re.IGNORECASE)
MAX_REFERENCES = 20


@dataclass(frozen=True)
class ReplyIdentity:
    """Who a reply is from: the From address for the ticket's channel and the operator's signature."""

    from_address: str
    from_name: str = ""
    signature: str = ""
    auto_submitted: bool = False
    by_channel: tuple[tuple[str, str], ...] = ()  # (ticket channel, From address) overrides

    def sender(self, channel: str) -> str:
        address = dict(self.by_channel).get(channel) or self.from_address
        return formataddr((self.from_name, address)) if self.from_name else address


def reply_identity(settings: MailSettings, operator: str) -> ReplyIdentity | None:
    """The identity replies go out with, or None when sending is not configured."""
    if not settings.sending_enabled:
        return None
    return ReplyIdentity(
        from_address=settings.from_address,
        from_name=settings.from_name,
        signature=settings.signatures.get(operator, ""),
        by_channel=tuple(sorted(settings.from_by_channel.items())),
    )


@dataclass(frozen=True)
class OutboxView:
    id: int
    ticket_id: int
    ticket_message_id: int | None
    status: str
    to_address: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None

    def describe(self) -> str:
        if self.status == "sent" and self.sent_at:
            return _("sent {time} to {address}").format(time=day_and_time(self.sent_at), address=self.to_address)
        if self.status == "failed":
            return _("failed: {reason}").format(reason=self.last_error or _("unknown reason"))
        if self.status == "retrying":
            return _("queued, retry {time} (attempt {attempt}): {reason}").format(
                time=f"{self.next_attempt_at:%H:%M}", attempt=self.attempts, reason=self.last_error or ""
            )
        if self.status == "sending":
            return _("sending to {address}").format(address=self.to_address)
        return _("queued for {address}").format(address=self.to_address)


def reply_subject(subject: str, ticket_id: int) -> str:
    """``Re: <subject> [#1234]``: one "Re:", one ticket tag, whatever the subject carried before."""
    bare = TICKET_TAG.sub("", _REPLY_PREFIX.sub("", one_line(subject))).strip()
    return one_line(f"Re: {bare} [#{ticket_id}]", 600)


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip(" >") or "localhost"


def enqueue_reply(
    session: Session, ticket: Ticket, message: TicketMessage, identity: ReplyIdentity, now: datetime
) -> Outbox | None:
    """Queue ``message`` (a recorded reply) to the ticket's customer; None when they have no address."""
    customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    if customer is None or not customer.email or "@" not in customer.email:
        return None
    thread = [
        mid
        for mid in session.execute(
            select(col(TicketMessage.message_id))
            .where(col(TicketMessage.ticket_id) == ticket.id, col(TicketMessage.message_id).is_not(None))
            .order_by(col(TicketMessage.created_at), col(TicketMessage.id))
        ).scalars()
        if mid
    ]
    last_customer = session.execute(
        select(col(TicketMessage.message_id))
        .where(
            col(TicketMessage.ticket_id) == ticket.id,
            col(TicketMessage.kind) == "customer",
            col(TicketMessage.message_id).is_not(None),
        )
        .order_by(col(TicketMessage.created_at).desc(), col(TicketMessage.id).desc())
        .limit(1)
    ).scalar()
    sender = identity.sender(ticket.channel)
    message_id = make_msgid(idstring=f"t{ticket.id}", domain=_domain(sender))
    body = message.body
    if identity.signature.strip():
        body = f"{body}\n\n-- \n{identity.signature.strip()}"
    row = Outbox(
        ticket_id=ticket.id or 0,
        ticket_message_id=message.id,
        message_id=message_id,
        status="queued",
        from_address=sender,
        to_address=customer.email.strip(),
        to_name=one_line(customer.name, 200),
        subject=reply_subject(ticket.subject, ticket.id or 0),
        in_reply_to=last_customer,
        thread_references=" ".join(thread[-MAX_REFERENCES:]),
        body=body,
        auto_submitted=identity.auto_submitted,
        next_attempt_at=now,
        created_at=now,
    )
    message.message_id = message_id
    session.add(message)
    session.add(row)
    return row


def _view(row: Outbox) -> OutboxView:
    return OutboxView(
        id=row.id or 0,
        ticket_id=row.ticket_id,
        ticket_message_id=row.ticket_message_id,
        status=row.status,
        to_address=row.to_address,
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
        last_error=row.last_error,
    )


def for_ticket(session: Session, ticket_id: int) -> list[OutboxView]:
    rows = session.execute(select(Outbox).where(col(Outbox.ticket_id) == ticket_id).order_by(col(Outbox.id))).scalars()
    return [_view(row) for row in rows]


def retry(engine: Engine, outbox_id: int, operator: str, now: datetime) -> bool:
    """Put a failed (or waiting) reply back at the front of the queue; False when it is not failed."""
    with db.write_session(engine) as session:
        result = session.exec(
            update(Outbox)
            .where(col(Outbox.id) == outbox_id, col(Outbox.status).in_(("failed", "retrying")))
            .values(status="queued", next_attempt_at=now, attempts=0)
        )
        if result.rowcount == 0:
            return False
        row = session.get(Outbox, outbox_id)
        audit.record(
            session,
            actor=operator,
            now=now,
            entity="ticket",
            entity_id=row.ticket_id if row else 0,
            action="mail_retry",
            after={"outbox": outbox_id},
        )
        return True


def counts(session: Session) -> dict[str, int]:
    from sqlalchemy import func

    rows = session.execute(select(col(Outbox.status), func.count()).group_by(col(Outbox.status)))
    return {status: int(n) for status, n in rows}


def failed(session: Session, limit: int = 20) -> list[OutboxView]:
    rows = session.execute(
        select(Outbox).where(col(Outbox.status) == "failed").order_by(col(Outbox.id).desc()).limit(limit)
    ).scalars()
    return [_view(row) for row in rows]
