"""Support tickets, their messages and events, SLA policies and business calendars."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field

from dtc_tui.models import inventory, team  # noqa: F401  (their tables: this module's foreign keys point there)
from dtc_tui.models.base import TableModel, utc_field
from dtc_tui.models.enums import CATEGORIES as CATEGORIES
from dtc_tui.models.enums import CHANNELS as CHANNELS
from dtc_tui.models.enums import LANGUAGES as LANGUAGES
from dtc_tui.models.enums import METRICS as METRICS
from dtc_tui.models.enums import PRIORITIES as PRIORITIES
from dtc_tui.models.enums import SLA_STATES as SLA_STATES
from dtc_tui.models.enums import STATUSES as STATUSES
from dtc_tui.models.types import UTCDateTime


class Customer(TableModel, table=True):
    __tablename__ = "customer"
    # Customers are found by e-mail without regard to case (the orders import, inbound mail): an index
    # on ``lower(email)`` serves ``lower(email) IN (...)``, which scanned every customer once per
    # batch (an orders import slowed as its customers grew). Made by migration 0018; excluded from
    # the models-vs-migrations check (``ticket_search.include_name``: SQLite does not reflect it).
    __table_args__ = (Index("ix_customer_email_lower", text("lower(email)")),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=200, index=True)
    tier: str = Field(default="standard", max_length=20)
    tags: str = ""
    country: str | None = Field(default=None, max_length=2)
    external_id: str | None = Field(default=None, max_length=64, index=True)


class Ticket(TableModel, table=True):
    __tablename__ = "ticket"
    __table_args__ = (
        # The queue's default order is "time to next breach": the keyset index behind it.
        Index("ix_ticket_open_due", "is_open", "due_sort_at", "id"),
        Index("ix_ticket_assignee_open", "assignee_id", "is_open", "due_sort_at"),
        # A status filter's first page is read in due order from here: paused tickets (pending, on
        # hold) sort last on the queue's index, which a status filter would otherwise scan through.
        Index("ix_ticket_status_open_due", "status", "is_open", "due_sort_at", "id"),
        # Scale (issue 10, measured at 1M tickets). The queue's other orders and views: newest first,
        # by id (an index on is_open alone lists rows in id order, and lets counts read the table in
        # id order, not in due order: 5x faster), every ticket by due time.
        Index("ix_ticket_open_created", "is_open", "created_at", "id"),
        Index("ix_ticket_open", "is_open"),
        Index("ix_ticket_due", "due_sort_at", "id"),
        # Period figures (KPIs, overview, signals) read only these columns of the tickets created or
        # solved in a period: from the index alone, without a table lookup per ticket (10x faster).
        Index(
            "ix_ticket_created_cover",
            "created_at",
            "first_response_at",
            "solved_at",
            "agent_replies",
            "category",
            "sku_id",
        ),
        Index("ix_ticket_solved_cover", "solved_at", "agent_replies", "csat"),
        # The "At risk" view (issue 20): its count and first page read only the tickets whose risk time
        # has passed, from the index alone (a scan of every open ticket before: 25 ms at 1M).
        Index("ix_ticket_open_risk", "is_open", "next_risk_at", "next_due_at"),
        # ``sla check`` and the app's tick (issue 20): the open tickets to compute again are those whose
        # breach check time has passed, or whose check is unknown (NULL) and first clock is due.
        Index("ix_ticket_open_check", "is_open", "breach_check_at", "due_sort_at"),
        # The refund signal (issue 20): closed tickets with a refund status other than "synced", and
        # closed returns tickets with none, solved in the lookback: seeks here, not a scan of the period.
        Index("ix_ticket_refund", "is_open", "refund_status", "category", "solved_at"),
        # The priority sort and the "Waiting on customer" view have indexes of their own, made by SQL
        # (an expression and a partial index): models/ticket_search.py.
        UniqueConstraint("source", "external_id", name="uq_ticket_source_external"),
    )
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(default="dtc", max_length=20)
    external_id: str | None = Field(default=None, max_length=64)
    subject: str = Field(max_length=500)
    channel: str = Field(max_length=20)
    language: str = Field(default="en", max_length=8)  # "und" when nobody knows
    language_detected: bool = False  # guessed from the text (the source named none)
    category: str = Field(default="product", max_length=30, index=True)
    priority: str = Field(default="normal", max_length=10)
    status: str = Field(default="new", max_length=12)
    is_open: bool = True
    tags: str = ""
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    assignee_id: int | None = Field(default=None, foreign_key="person.id")
    team: str | None = Field(default=None, max_length=60)  # the help desk's group, as imported
    order_ref: str | None = Field(default=None, max_length=40)
    sku_id: int | None = Field(default=None, foreign_key="sku.id", index=True)
    logistics_status: str | None = Field(default=None, max_length=40)
    refund_status: str | None = Field(default=None, max_length=20)  # none, pending, synced
    promised_delivery_at: datetime | None = utc_field()
    created_at: datetime = Field(sa_type=UTCDateTime)  # indexed by ix_ticket_created_cover
    updated_at: datetime = Field(sa_type=UTCDateTime)
    first_response_at: datetime | None = utc_field()
    # Oldest customer message not yet answered: the start of the current next-response cycle.
    awaiting_since: datetime | None = utc_field()
    last_customer_message_at: datetime | None = utc_field()
    last_agent_reply_at: datetime | None = utc_field()
    agent_replies: int = 0
    solved_at: datetime | None = utc_field()  # indexed by ix_ticket_solved_cover
    paused_since: datetime | None = utc_field()
    paused_minutes: float = 0.0
    csat: int | None = None
    escalated_to_id: int | None = Field(default=None, foreign_key="person.id")
    escalated_at: datetime | None = utc_field()
    policy_id: int | None = Field(default=None, foreign_key="sla_policy.id")
    # Denormalised SLA summary, recomputed on every change, so the queue sorts in SQL.
    # next_due_at: the earliest running clock's due time (None when none runs: solved, paused).
    # next_risk_at: when that clock turns "at risk". due_sort_at: next_due_at, or a far-future
    # sentinel, never NULL, so one index orders the queue the same way on every backend.
    next_due_at: datetime | None = utc_field()
    next_due_metric: str | None = Field(default=None, max_length=20)
    next_risk_at: datetime | None = utc_field()
    due_sort_at: datetime = Field(sa_type=UTCDateTime)
    # When the ticket can next have a breach nobody recorded (sla_breaches.record_every_breach): every
    # breach of a clock due before it is recorded. Any time at or before the true one is safe (the
    # ticket is computed again, once); next_due_at always is. NULL: unknown, computed when it is due.
    breach_check_at: datetime | None = utc_field()
    version: int = 1


class TicketMessage(TableModel, table=True):
    __tablename__ = "ticket_message"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    kind: str = Field(max_length=10)  # customer, reply, note
    author: str = Field(max_length=120)
    body: str
    created_at: datetime = Field(sa_type=UTCDateTime)
    # The mail's Message-ID (customer mail read from a mailbox, or a reply sent by mail): threading.
    message_id: str | None = Field(default=None, max_length=250, index=True)


class TicketEvent(TableModel, table=True):
    __tablename__ = "ticket_event"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    kind: str = Field(max_length=30)
    actor: str = Field(max_length=120)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    data: str = "{}"


class SlaBreach(TableModel, table=True):
    """A breach recorded when it happened, so reports do not depend on when someone looked."""

    __tablename__ = "sla_breach"
    __table_args__ = (UniqueConstraint("ticket_id", "metric", "due_at", name="uq_breach_ticket_metric_due"),)
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    metric: str = Field(max_length=20)
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class BusinessCalendar(TableModel, table=True):
    __tablename__ = "business_calendar"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    timezone: str = Field(default="UTC", max_length=64)
    # JSON keyed by weekday (mon..sun or ISO 1..7): {"mon": [["09:00", "12:30"], ["13:30", "18:00"]]}.
    # The format and its checks: services/tickets/sla_validation.py and docs/tickets.md.
    weekly_hours: str = "{}"


class Holiday(TableModel, table=True):
    __tablename__ = "holiday"
    __table_args__ = (UniqueConstraint("calendar_id", "day", name="uq_holiday_calendar_day"),)
    id: int | None = Field(default=None, primary_key=True)
    calendar_id: int = Field(foreign_key="business_calendar.id", index=True)
    day: date
    name: str = Field(default="", max_length=80)


class SlaPolicy(TableModel, table=True):
    """Ordered, first match wins. Empty match fields match anything; lists are comma-separated."""

    __tablename__ = "sla_policy"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    position: int = 0
    active: bool = True
    match_priority: str = ""
    match_channel: str = ""
    match_category: str = ""
    match_tier: str = ""
    first_response_minutes: int | None = None
    next_response_minutes: int | None = None
    resolution_minutes: int | None = None
    business_hours: bool = False
    calendar_id: int | None = Field(default=None, foreign_key="business_calendar.id")
    # Statuses that pause the resolution clock (comma-separated; empty: it never pauses).
    pause_statuses: str = Field(default="pending,on_hold", max_length=40)


class Macro(TableModel, table=True):
    """A canned reply with placeholders (``{customer.first_name}``...), in one language; it may also
    set the status and priority and add or remove tags when the reply is sent
    (services/tickets/macros.py). Empty ``set_*`` fields leave the ticket's value alone."""

    __tablename__ = "macro"
    __table_args__ = (UniqueConstraint("name", "language", name="uq_macro_name_language"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    language: str = Field(default="en", max_length=8)
    body: str = ""
    set_status: str = Field(default="", max_length=12)
    set_priority: str = Field(default="", max_length=10)
    add_tags: str = ""  # space separated
    remove_tags: str = ""
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ReplyDraft(TableModel, table=True):
    """An operator's unsent reply to a ticket, saved while they type (one per ticket and operator),
    so Esc, a restart or a crash never loses it; sending or discarding it deletes the row.

    ``ticket_version`` and ``last_event_id`` are what the operator saw when they started: a send
    after someone else changed the ticket is refused and the changes since are shown.
    """

    __tablename__ = "reply_draft"
    __table_args__ = (UniqueConstraint("operator", "ticket_id", name="uq_reply_draft_operator_ticket"),)
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    operator: str = Field(max_length=100)
    body: str = ""
    macro_id: int | None = Field(default=None, foreign_key="macro.id")  # its status/tags/priority apply on send
    ticket_version: int | None = None
    last_event_id: int | None = None
    updated_at: datetime = Field(sa_type=UTCDateTime)
