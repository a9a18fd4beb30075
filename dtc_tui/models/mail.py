"""The email channel: replies waiting to be sent, mail already read, and where each mailbox was left."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from dtc_tui.models import tickets  # noqa: F401  (their tables: this module's foreign keys point there)
from dtc_tui.models.base import TableModel, utc_field
from dtc_tui.models.types import UTCDateTime

OUTBOX_STATES = ("queued", "sending", "retrying", "sent", "failed")
INBOUND_OUTCOMES = ("ticket", "message", "event", "ignored", "unreadable", "duplicate")


class Outbox(TableModel, table=True):
    """One reply to send. Written in the transaction that records the reply; the sender claims it
    compare-and-set (status + attempts), so two processes never both send it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    ticket_message_id: int | None = Field(default=None, foreign_key="ticket_message.id", index=True)
    # Generated once when the reply is recorded: a resend carries the same id, so it is recognisable.
    message_id: str = Field(max_length=250, unique=True)
    status: str = Field(default="queued", max_length=10)
    from_address: str = Field(max_length=250)
    to_address: str = Field(max_length=250)
    to_name: str = Field(default="", max_length=200)
    subject: str = Field(max_length=600)
    in_reply_to: str | None = Field(default=None, max_length=250)
    thread_references: str = ""  # the References header
    body: str
    auto_submitted: bool = False
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=120)
    claimed_at: datetime | None = utc_field()
    sent_at: datetime | None = utc_field()
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_type=UTCDateTime)


class MailInbound(TableModel, table=True):
    """Every mail read from a mailbox and what became of it (also the "could not read" list)."""

    __tablename__ = "mail_inbound"
    __table_args__ = (UniqueConstraint("source", "source_ref", name="uq_mail_inbound_source_ref"),)
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=250)  # "maildir:/path" or "imap:user@host/INBOX"
    source_ref: str = Field(max_length=250)  # Maildir key or "UIDVALIDITY:UID"
    message_id: str | None = Field(default=None, max_length=250, index=True)
    outcome: str = Field(max_length=12)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    reason: str = Field(default="", max_length=500)
    from_address: str = Field(default="", max_length=250)
    subject: str = Field(default="", max_length=500)
    received_at: datetime = Field(sa_type=UTCDateTime, index=True)


class MailCursor(TableModel, table=True):
    """Where an IMAP folder was left: a changed UIDVALIDITY means the UIDs start again."""

    __tablename__ = "mail_cursor"
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=250, unique=True)
    uidvalidity: int = 0
    last_uid: int = 0
    updated_at: datetime = Field(sa_type=UTCDateTime)
