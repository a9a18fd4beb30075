"""This app's tables as the own export format sees them: columns, value kinds, areas."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, Float, Integer, Table

from dtc_tui.models import metadata
from dtc_tui.models.types import UTCDateTime

TABLE_AREAS = {
    "ticket": "tickets",
    "customer": "tickets",
    "ticket_message": "tickets",
    "ticket_event": "tickets",
    "sla_breach": "tickets",
    "sla_policy": "tickets",
    "business_calendar": "tickets",
    "holiday": "tickets",
    "macro": "tickets",
    "sku": "inventory",
    "supplier": "inventory",
    "warehouse": "inventory",
    "stock_level": "inventory",
    "daily_sales": "inventory",
    "purchase_order": "inventory",
    "purchase_order_line": "inventory",
    "stock_transfer": "inventory",
    "store_order": "orders",
    "order_line": "orders",
    "fulfillment": "orders",
    "refund": "orders",
    "ad_channel": "ads",
    "campaign": "ads",
    "ad_stat_daily": "ads",
    "store_daily": "ads",
    "peak_period": "ads",
    "person": "team",
    "duty": "team",
    "assignment": "team",
    "routing_rule": "team",
    "setting": "setting",
    "fx_rate": "ads",
    "import_baseline": "setting",
    "overview_ack": "overview",
    "audit_log": "audit",
}
# Ticket columns the app derives (the SLA summary): recomputed on import, never compared.
DERIVED = {
    "ticket": frozenset(
        {"policy_id", "next_due_at", "next_due_metric", "next_risk_at", "due_sort_at", "breach_check_at"}
    )
}


def table(name: str) -> Table:
    return metadata.tables[name]


def kind_of(column: Column) -> str:
    """The value kind of a column: int, float, bool, date, datetime or str."""
    sql_type = column.type
    if isinstance(sql_type, UTCDateTime):
        return "datetime"
    if isinstance(sql_type, Boolean):
        return "bool"
    if isinstance(sql_type, Date):
        return "date"
    if isinstance(sql_type, Integer):
        return "int"
    if isinstance(sql_type, Float):
        return "float"
    return "str"


def ordered_columns(tbl: Table) -> list[Column]:
    return list(tbl.columns)
