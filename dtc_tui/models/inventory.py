"""SKUs, suppliers, warehouses, stock, daily sales, purchase orders and transfers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from dtc_tui.models.base import TableModel, utc_field
from dtc_tui.models.types import UTCDateTime

PO_STATUSES = ("draft", "sent", "partial", "received", "cancelled")


class Supplier(TableModel, table=True):
    __tablename__ = "supplier"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    email: str | None = Field(default=None, max_length=200)
    lead_time_days: int = 21
    moq: int = 1
    case_pack: int = 1


class Warehouse(TableModel, table=True):
    __tablename__ = "warehouse"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True)
    name: str = Field(max_length=120)
    region: str = Field(default="", max_length=40)
    # Local delivery days from this warehouse to the customer (for delivery-promise checks).
    delivery_days: int = 3


class Sku(TableModel, table=True):
    __tablename__ = "sku"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=300)
    product_handle: str | None = Field(default=None, max_length=200, index=True)
    variant: str = Field(default="", max_length=200)
    barcode: str | None = Field(default=None, max_length=64)
    weight_grams: float | None = None
    status: str = Field(default="active", max_length=20)
    supplier_id: int | None = Field(default=None, foreign_key="supplier.id", index=True)
    cost: float = 0.0
    price: float = 0.0
    # Overrides of the supplier's values; None means "use the supplier's".
    lead_time_days: int | None = None
    moq: int | None = None
    case_pack: int | None = None
    buffer_days: int = 7
    review_cycle_days: int = 7
    safety_method: str = Field(default="rule", max_length=10)  # rule | stat
    abc_override: str | None = Field(default=None, max_length=1)
    promise_days: int | None = None  # delivery promised to shoppers, e.g. 3 for "3-day delivery"
    version: int = 1


class StockLevel(TableModel, table=True):
    __tablename__ = "stock_level"
    __table_args__ = (UniqueConstraint("sku_id", "warehouse_id", name="uq_stock_sku_warehouse"),)
    id: int | None = Field(default=None, primary_key=True)
    sku_id: int = Field(foreign_key="sku.id", index=True)
    warehouse_id: int = Field(foreign_key="warehouse.id", index=True)
    on_hand: int = 0
    committed: int = 0
    last_received_at: datetime | None = utc_field()
    version: int = 1


class DailySales(TableModel, table=True):
    __tablename__ = "daily_sales"
    __table_args__ = (
        UniqueConstraint("sku_id", "warehouse_id", "day", name="uq_sales_sku_wh_day"),
        Index("ix_sales_day", "day"),
    )
    id: int | None = Field(default=None, primary_key=True)
    sku_id: int = Field(foreign_key="sku.id")
    warehouse_id: int = Field(foreign_key="warehouse.id")
    day: date
    units: int = 0
    revenue: float = 0.0
    stockout: bool = False  # the SKU was out of stock that day: excluded from velocity


class PurchaseOrder(TableModel, table=True):
    __tablename__ = "purchase_order"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=30, unique=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    warehouse_id: int = Field(foreign_key="warehouse.id")
    status: str = Field(default="draft", max_length=12, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = utc_field()
    expected_at: datetime | None = utc_field()
    received_at: datetime | None = utc_field()
    note: str = ""
    version: int = 1


class PurchaseOrderLine(TableModel, table=True):
    __tablename__ = "purchase_order_line"
    __table_args__ = (UniqueConstraint("po_id", "sku_id", name="uq_po_line_sku"),)
    id: int | None = Field(default=None, primary_key=True)
    po_id: int = Field(foreign_key="purchase_order.id", index=True)
    sku_id: int = Field(foreign_key="sku.id", index=True)
    qty_ordered: int
    qty_received: int = 0
    unit_cost: float = 0.0


class StockTransfer(TableModel, table=True):
    __tablename__ = "stock_transfer"
    id: int | None = Field(default=None, primary_key=True)
    sku_id: int = Field(foreign_key="sku.id", index=True)
    from_warehouse_id: int = Field(foreign_key="warehouse.id")
    to_warehouse_id: int = Field(foreign_key="warehouse.id")
    qty: int
    status: str = Field(default="draft", max_length=12)  # draft, in_transit, received, cancelled
    created_at: datetime = Field(sa_type=UTCDateTime)
    expected_at: datetime | None = utc_field()
    received_at: datetime | None = utc_field()


class StockSnapshot(TableModel, table=True):
    """The overview's stock facts as last computed (``services/inventory/snapshot.py``): a cache
    of what the reorder board gives, valid while ``key`` equals the inputs' watermark. One row."""

    __tablename__ = "stock_snapshot"
    id: int = Field(primary_key=True)
    key: str = Field(max_length=200)
    built_at: datetime = Field(sa_type=UTCDateTime)
    facts: str  # JSON: the SKUs to reorder and the health figures


class StockSnapshotSku(TableModel, table=True):
    """Each SKU's stock state in the snapshot above (JSON), read a few SKUs at a time."""

    __tablename__ = "stock_snapshot_sku"
    sku_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    state: str
