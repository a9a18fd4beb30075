"""SQLModel tables. Import this package to register every table on ``SQLModel.metadata``."""

from sqlmodel import SQLModel

from dtc_tui.models.ads import AdChannel, AdStatDaily, Campaign, PeakPeriod, StoreDaily
from dtc_tui.models.inventory import (
    DailySales,
    PurchaseOrder,
    PurchaseOrderLine,
    Sku,
    StockLevel,
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

metadata = SQLModel.metadata

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
    "metadata",
]
