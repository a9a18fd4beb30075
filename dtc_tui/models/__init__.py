"""SQLModel tables, one module per area.

The area modules are imported on first use (``from dtc_tui.models import Ticket`` loads
``models/tickets.py`` and the modules it has foreign keys to), so a headless command builds only
the table classes it touches: building all 40 SQLModel classes was about a quarter of ``sla
check``'s start (issue 20). ``metadata`` (and ``load_all()``) loads every module first, so
``metadata.tables`` / ``create_all`` / Alembic always see the whole schema.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from dtc_tui.models.ads import AdChannel, AdStatDaily, Campaign, PeakPeriod, StoreDaily
    from dtc_tui.models.inventory import (
        DailySales,
        PurchaseOrder,
        PurchaseOrderLine,
        Sku,
        StockLevel,
        StockSnapshot,
        StockSnapshotSku,
        StockTransfer,
        Supplier,
        Warehouse,
    )
    from dtc_tui.models.mail import MailCursor, MailInbound, Outbox
    from dtc_tui.models.money import FxRate
    from dtc_tui.models.orders import Fulfillment, OrderLine, Refund, StoreOrder
    from dtc_tui.models.rollups import BreachDay, TicketDay, TicketDayFrt, TicketSkuDay
    from dtc_tui.models.system import AuditLog, ChangeCounter, DbActivity, OverviewAck, Presence, Setting
    from dtc_tui.models.team import Assignment, Duty, Person, RoutingRule
    from dtc_tui.models.tickets import (
        BusinessCalendar,
        Customer,
        Holiday,
        Macro,
        ReplyDraft,
        SlaBreach,
        SlaPolicy,
        Ticket,
        TicketEvent,
        TicketMessage,
    )

# Every model class -> the module that defines it.
_MODULE_OF: dict[str, str] = {
    "AdChannel": "ads",
    "AdStatDaily": "ads",
    "Campaign": "ads",
    "PeakPeriod": "ads",
    "StoreDaily": "ads",
    "DailySales": "inventory",
    "PurchaseOrder": "inventory",
    "PurchaseOrderLine": "inventory",
    "Sku": "inventory",
    "StockLevel": "inventory",
    "StockSnapshot": "inventory",
    "StockSnapshotSku": "inventory",
    "StockTransfer": "inventory",
    "Supplier": "inventory",
    "Warehouse": "inventory",
    "MailCursor": "mail",
    "MailInbound": "mail",
    "Outbox": "mail",
    "FxRate": "money",
    "Fulfillment": "orders",
    "OrderLine": "orders",
    "Refund": "orders",
    "StoreOrder": "orders",
    "BreachDay": "rollups",
    "TicketDay": "rollups",
    "TicketDayFrt": "rollups",
    "TicketSkuDay": "rollups",
    "AuditLog": "system",
    "ChangeCounter": "system",
    "DbActivity": "system",
    "OverviewAck": "system",
    "Presence": "system",
    "Setting": "system",
    "Assignment": "team",
    "Duty": "team",
    "Person": "team",
    "RoutingRule": "team",
    "BusinessCalendar": "tickets",
    "Customer": "tickets",
    "Holiday": "tickets",
    "Macro": "tickets",
    "ReplyDraft": "tickets",
    "SlaBreach": "tickets",
    "SlaPolicy": "tickets",
    "Ticket": "tickets",
    "TicketEvent": "tickets",
    "TicketMessage": "tickets",
}
AREA_MODULES = tuple(dict.fromkeys(_MODULE_OF.values()))


def load_all() -> MetaData:
    """Import every model module; the complete ``SQLModel.metadata``."""
    from sqlmodel import SQLModel

    for module in AREA_MODULES:
        importlib.import_module(f"dtc_tui.models.{module}")
    return SQLModel.metadata


def __getattr__(name: str) -> Any:
    if name == "metadata":
        return load_all()
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'dtc_tui.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"dtc_tui.models.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "AdChannel",
    "AdStatDaily",
    "Assignment",
    "AuditLog",
    "BreachDay",
    "BusinessCalendar",
    "Campaign",
    "ChangeCounter",
    "Customer",
    "DailySales",
    "Duty",
    "Fulfillment",
    "FxRate",
    "Holiday",
    "Macro",
    "MailCursor",
    "MailInbound",
    "OrderLine",
    "OverviewAck",
    "Outbox",
    "PeakPeriod",
    "Person",
    "DbActivity",
    "Presence",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "Refund",
    "ReplyDraft",
    "RoutingRule",
    "Setting",
    "Sku",
    "SlaBreach",
    "SlaPolicy",
    "StockLevel",
    "StockSnapshot",
    "StockSnapshotSku",
    "StockTransfer",
    "StoreOrder",
    "StoreDaily",
    "Supplier",
    "Ticket",
    "TicketDay",
    "TicketDayFrt",
    "TicketEvent",
    "TicketMessage",
    "TicketSkuDay",
    "Warehouse",
    "load_all",
    "metadata",
]
