"""Core-only views of the tables that the cron paths read and write (``sla check``, the breach
record, the ticket queue's SQL), usable without importing SQLModel, pydantic or the ORM.

Why: building the SQLModel classes and importing the ORM and pydantic were about half of
``sla check``'s start (issue 20: <= 1.5x ``import sqlalchemy``). These are lightweight
``TableClause`` objects: the same table and column names and column types as the models, so the
SQL is the same and values come back the same (UTC-aware times, booleans); only the columns
those paths use are named. ``tests/test_lite_tables.py`` checks every one against its model.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Date, Float, Integer, String, column, table

from dtc_tui.models.types import UTCDateTime

ticket = table(
    "ticket",
    column("id", Integer),
    column("subject", String),
    column("channel", String),
    column("language", String),
    column("category", String),
    column("priority", String),
    column("status", String),
    column("is_open", Boolean),
    column("tags", String),
    column("customer_id", Integer),
    column("assignee_id", Integer),
    column("order_ref", String),
    column("created_at", UTCDateTime),
    column("first_response_at", UTCDateTime),
    column("awaiting_since", UTCDateTime),
    column("solved_at", UTCDateTime),
    column("paused_since", UTCDateTime),
    column("paused_minutes", Float),
    column("policy_id", Integer),
    column("next_due_at", UTCDateTime),
    column("next_due_metric", String),
    column("next_risk_at", UTCDateTime),
    column("due_sort_at", UTCDateTime),
    column("breach_check_at", UTCDateTime),
    column("version", Integer),
)

customer = table("customer", column("id", Integer), column("name", String), column("tier", String))

person = table("person", column("id", Integer), column("handle", String))

reply_draft = table("reply_draft", column("id", Integer), column("ticket_id", Integer), column("operator", String))

sla_breach = table(
    "sla_breach",
    column("id", Integer),
    column("ticket_id", Integer),
    column("metric", String),
    column("due_at", UTCDateTime),
    column("recorded_at", UTCDateTime),
)

sla_policy = table(
    "sla_policy",
    column("id", Integer),
    column("name", String),
    column("position", Integer),
    column("active", Boolean),
    column("match_priority", String),
    column("match_channel", String),
    column("match_category", String),
    column("match_tier", String),
    column("first_response_minutes", Integer),
    column("next_response_minutes", Integer),
    column("resolution_minutes", Integer),
    column("business_hours", Boolean),
    column("calendar_id", Integer),
    column("pause_statuses", String),
)

business_calendar = table(
    "business_calendar",
    column("id", Integer),
    column("name", String),
    column("timezone", String),
    column("weekly_hours", String),
)

holiday = table("holiday", column("calendar_id", Integer), column("day", Date))

# The overview's stock snapshot (services/inventory/snapshot.py): read and written by `check`.
stock_snapshot = table(
    "stock_snapshot",
    column("id", Integer),
    column("key", String),
    column("built_at", UTCDateTime),
    column("facts", String),
)

stock_snapshot_sku = table("stock_snapshot_sku", column("sku_id", Integer), column("state", String))

ALL = (
    ticket,
    customer,
    person,
    reply_draft,
    sla_breach,
    sla_policy,
    business_calendar,
    holiday,
    stock_snapshot,
    stock_snapshot_sku,
)
