"""The store's orders: the spine that tickets (WISMO, refunds), stock (units sold) and ads (the till) share.

Amounts are in the order's own ``currency``; nothing here converts or adds up across currencies.
``created_day`` is the day in the shop's own time (the offset the export carries), which is the day
the store's reports and the derived daily figures use.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from dtc_tui.models import inventory, tickets  # noqa: F401  (their tables: this module's foreign keys point there)
from dtc_tui.models.base import TableModel, utc_field
from dtc_tui.models.types import UTCDateTime


class StoreOrder(TableModel, table=True):
    # "order" is an SQL keyword: the table is store_order.
    __tablename__ = "store_order"
    __table_args__ = (
        UniqueConstraint("source", "name", name="uq_order_source_name"),
        Index("ix_order_day", "created_day"),
        Index("ix_order_email_created", "email", "created_at"),
        Index("ix_order_created", "created_at", "id"),  # the newest orders first
    )
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(default="shopify", max_length=20)  # the system the order came from
    name: str = Field(max_length=40)  # the store's order number as shown, e.g. "#1001"
    number: str = Field(max_length=40, index=True)  # the digits of the name, e.g. "1001": tickets quote it
    external_id: str | None = Field(default=None, max_length=64)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    email: str | None = Field(default=None, max_length=200)  # lower-cased
    customer_name: str = Field(default="", max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_day: date
    paid_at: datetime | None = utc_field()
    fulfilled_at: datetime | None = utc_field()
    cancelled_at: datetime | None = utc_field()
    currency: str = Field(max_length=3)
    subtotal: float = 0.0
    discount: float = 0.0
    shipping: float = 0.0
    taxes: float = 0.0
    total: float = 0.0
    refunded: float = 0.0
    outstanding: float | None = None
    financial_status: str = Field(default="", max_length=30)  # paid, pending, refunded, voided...
    fulfillment_status: str = Field(default="", max_length=30)  # fulfilled, unfulfilled, partial...
    channel: str = Field(default="", max_length=60)  # Shopify's Source: web, pos, tiktok, draft, an app id
    tags: str = ""
    discount_code: str = Field(default="", max_length=200)
    shipping_method: str = Field(default="", max_length=200)
    payment_method: str = Field(default="", max_length=200)
    shipping_country: str = Field(default="", max_length=60)
    campaign: str | None = Field(default=None, max_length=200)  # utm_campaign, where the export carries it
    location: str = Field(default="", max_length=120)
    warehouse_id: int | None = Field(default=None, foreign_key="warehouse.id")  # where the units left from
    version: int = 1


class OrderLine(TableModel, table=True):
    __tablename__ = "order_line"
    __table_args__ = (
        UniqueConstraint("order_id", "line_key", name="uq_order_line_key"),
        Index("ix_order_line_sku", "sku_id", "order_id"),
        Index("ix_order_line_code", "sku_code"),
    )
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="store_order.id")
    # The line's identity inside its order: "sku:CODE", or "name:LINE ITEM NAME" for a line
    # without a SKU; "#2"... when the same one appears twice.
    line_key: str = Field(max_length=400)
    position: int = 1
    sku_id: int | None = Field(default=None, foreign_key="sku.id")
    sku_code: str | None = Field(default=None, max_length=64)
    name: str = Field(default="", max_length=300)
    quantity: int = 0
    price: float = 0.0
    compare_at_price: float | None = None
    discount: float = 0.0
    fulfillment_status: str = Field(default="", max_length=30)
    requires_shipping: bool | None = None
    vendor: str = Field(default="", max_length=200)


class Fulfillment(TableModel, table=True):
    """A shipment: carrier and tracking where a file gives them; from the orders export only the time."""

    __tablename__ = "fulfillment"
    __table_args__ = (UniqueConstraint("order_id", "source", "tracking_number", name="uq_fulfillment_tracking"),)
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="store_order.id", index=True)
    source: str = Field(default="orders-export", max_length=20)
    carrier: str = Field(default="", max_length=80)
    tracking_number: str = Field(default="", max_length=120, index=True)
    tracking_url: str = Field(default="", max_length=500)
    status: str = Field(default="", max_length=30)
    shipped_at: datetime | None = utc_field()
    delivered_at: datetime | None = utc_field()


class Refund(TableModel, table=True):
    """Money returned on an order. The orders export carries only the total refunded (no time)."""

    __tablename__ = "refund"
    __table_args__ = (UniqueConstraint("order_id", "source", "external_id", name="uq_refund_order_source"),)
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="store_order.id", index=True)
    source: str = Field(default="orders-export", max_length=20)
    external_id: str = Field(default="", max_length=64)  # the refund's id where a file gives one
    amount: float = 0.0
    currency: str = Field(max_length=3)
    refunded_at: datetime | None = utc_field()
    note: str = ""
