"""Demo inventory: suppliers, three warehouses, SKUs with daily sales, stock, purchase orders, transfers.

Built in: fast movers, a long tail, dead SKUs (the last 10% never sell), stock-out days (whose
warehouses are empty today), stock spread so most rows are fine and some need a reorder, a few are
overstocked or aged; one warehouse short where another has surplus (``SKU-00001``: a transfer case);
a transfer in transit; sent, late, partial, draft and received POs; and ``DEMO-HERO-1``: a SKU that
runs out in about four days while ``PO-1001`` brings more only later, and an ad campaign promotes it.

Sales rows are stored only for days with a sale or a stock-out (as importers store them), which keeps
``--scale large`` (10k SKUs) fast.

The shared ``rng`` is consumed exactly as in the first version (the ads and ticket demos draw from
it next, and their data must not move): every new variation comes from ``local``, a generator
seeded from the shared one's state without drawing from it.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import insert
from sqlmodel import Session

from dtc_tui.models import (
    DailySales,
    PurchaseOrder,
    PurchaseOrderLine,
    Sku,
    StockLevel,
    StockTransfer,
    Supplier,
    Warehouse,
)

if TYPE_CHECKING:  # the package imports this module
    from dtc_tui.services.demo import DemoSize

WAREHOUSES = [
    ("US-W", "US West (Reno)", "US", 3),
    ("US-E", "US East (Newark)", "US", 2),
    ("DE", "Germany (Leipzig)", "EU", 4),
]
SUPPLIERS = [
    ("Shenzhen Bright Textiles", 21, 200, 20),
    ("Ningbo HomeGoods Co.", 35, 500, 50),
    ("Porto Ceramics Lda", 14, 100, 12),
    ("Yiwu Small Parts", 28, 1000, 100),
]
PRODUCTS = [
    "Linen Tote",
    "Bamboo Cup",
    "Yoga Mat",
    "Ceramic Mug",
    "Desk Lamp",
    "Phone Stand",
    "Wool Beanie",
    "Travel Pillow",
    "Water Bottle",
    "Cable Organizer",
    "Scented Candle",
    "Plant Pot",
    "Notebook",
    "Sunglasses",
    "Backpack",
    "Socks 3-pack",
    "Apron",
    "Tea Towel",
    "Cutting Board",
    "Coffee Grinder",
]
VARIANTS = ["Black", "White", "Sand", "Olive", "Navy", "Rose", "S", "M", "L"]
HERO_CODE = "DEMO-HERO-1"
TRANSFER_CASE = 1  # SKU index short in US-W with surplus in DE
IN_TRANSIT = 2  # SKU index with a transfer on its way to US-E
BUFFER_DAYS, REVIEW_DAYS = 7, 7


def build(session: Session, rng: random.Random, now: datetime, size: DemoSize) -> dict[str, int]:
    n_skus: int = size.skus
    days: int = size.sales_days
    local = random.Random(repr(rng.getstate()[1][:8]))  # deterministic, and draws nothing from rng
    warehouses = []
    for code, name, region, delivery in WAREHOUSES:
        wh = Warehouse(code=code, name=name, region=region, delivery_days=delivery)
        session.add(wh)
        warehouses.append(wh)
    suppliers = []
    for name, lead, moq, pack in SUPPLIERS:
        sup = Supplier(
            name=name, lead_time_days=lead, moq=moq, case_pack=pack, email=f"orders@{name.split()[0].lower()}.example"
        )
        session.add(sup)
        suppliers.append(sup)
    session.flush()
    today = now.date()
    skus: dict[str, int] = {}
    stock_rows = []
    sales_rows = []
    for index in range(n_skus):
        product = PRODUCTS[index % len(PRODUCTS)]
        variant = VARIANTS[(index // len(PRODUCTS)) % len(VARIANTS)]
        code = HERO_CODE if index == 0 else f"SKU-{index:05d}"
        supplier = suppliers[index % len(suppliers)]
        cost = round(rng.uniform(2, 40), 2)
        # Pareto-ish demand: a few SKUs sell most; the last 10% never sell (dead stock).
        rank_rate = 40.0 / (1 + index * 0.35) if index < n_skus * 0.9 else 0.0
        price = round(cost * rng.uniform(1.6, 3.2), 2)
        if index >= n_skus * 0.6 and local.random() < 0.3:
            price = round(cost * local.uniform(1.2, 1.55), 2)  # thin margin in the tail: class D
        sku = Sku(
            code=code,
            name=f"{product} {variant}",
            product_handle=product.lower().replace(" ", "-"),
            variant=variant,
            supplier_id=supplier.id,
            cost=cost,
            price=price,
            buffer_days=BUFFER_DAYS,
            review_cycle_days=REVIEW_DAYS,
            promise_days=3 if index == 0 else None,
        )
        session.add(sku)
        session.flush()
        skus[code] = sku.id or 0
        for wh_index, wh in enumerate(warehouses):
            share = (0.5, 0.3, 0.2)[wh_index]
            rate = rank_rate * share
            stockout_from = days - rng.randint(3, 12) if rng.random() < 0.05 else None
            for offset in range(days):
                day = today - timedelta(days=days - offset)
                out = stockout_from is not None and offset >= stockout_from
                units = 0 if out or rate == 0 else _poisson(rng, rate)
                if units or out:
                    sales_rows.append(
                        {
                            "sku_id": sku.id,
                            "warehouse_id": wh.id,
                            "day": day,
                            "units": units,
                            "revenue": round(units * sku.price, 2),
                            "stockout": out,
                        }
                    )
            rng.choice([2, 8, 20, 35, 60, 120, 400] if rate else [0, 50, 300])  # first version's draws, kept
            if rate:
                rng.choice([5, 20, 45, 90, 200])
            on_hand = _on_hand(local, index, wh_index, rate, supplier.lead_time_days, stockout_from is not None)
            received_days_ago = local.choice([3, 9, 16, 30, 45, 60, 90, 120]) if local.random() > 0.02 else 200
            if not rate:
                received_days_ago = local.choice([120, 150, 240])
            stock_rows.append(
                {
                    "sku_id": sku.id,
                    "warehouse_id": wh.id,
                    "on_hand": on_hand,
                    "committed": min(on_hand, int(rate)),
                    "last_received_at": now - timedelta(days=received_days_ago),
                    "version": 1,
                }
            )
    session.execute(insert(StockLevel), stock_rows)
    for start in range(0, len(sales_rows), 20_000):
        session.execute(insert(DailySales), sales_rows[start : start + 20_000])
    _purchase_orders(session, rng, local, now, suppliers, warehouses, skus)
    _transfers(session, now, warehouses, skus)
    session.flush()
    return skus


def _on_hand(local: random.Random, index: int, wh_index: int, rate: float, lead: int, empty: bool) -> int:
    """Stock as days of cover around the reorder point, so the board shows every state."""
    if index == 0:
        return int(rate * 4)  # the hero runs out in about four days
    if index == TRANSFER_CASE:
        return int(rate * (3 if wh_index == 0 else 200 if wh_index == 2 else lead + 40))
    if empty:
        return 0  # its stock-out runs to today
    if not rate:
        return local.choice([0, 40, 120, 300])
    reorder_point = lead + BUFFER_DAYS
    draw = local.random()
    if draw < 0.10:
        cover = local.uniform(0.3, 1.0) * reorder_point  # reorder now
    elif draw < 0.20:
        cover = reorder_point + local.uniform(0, 14)  # reorder soon
    elif draw < 0.94:
        cover = reorder_point + local.uniform(15, 45)  # fine
    else:
        cover = local.uniform(150, 400)  # overstock
    return max(int(rate * cover), 1 if rate < 0.2 and draw >= 0.10 else 0)


def _poisson(rng: random.Random, rate: float) -> int:
    if rate > 30:
        return max(int(rng.gauss(rate, math.sqrt(rate))), 0)
    limit, k, p = math.exp(-rate), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _purchase_orders(
    session: Session,
    rng: random.Random,
    local: random.Random,
    now: datetime,
    suppliers: list[Supplier],
    warehouses: list[Warehouse],
    skus: dict[str, int],
) -> None:
    codes = list(skus)
    plans = [("sent", 10, 11), ("sent", 30, -3), ("partial", 25, 2), ("draft", 0, None), ("received", 60, -30)]
    for number, (status, sent_days_ago, due_in) in enumerate(plans, start=1):
        # PO-1001 comes from the hero's supplier; the others keep the first version's suppliers.
        supplier_index = 0 if number == 1 else number % len(suppliers)
        supplier = suppliers[supplier_index]
        po = PurchaseOrder(
            number=f"PO-{1000 + number}",
            supplier_id=supplier.id or 0,
            warehouse_id=warehouses[number % len(warehouses)].id or 0,
            status=status,
            created_at=now - timedelta(days=sent_days_ago + 1),
        )
        if status != "draft":
            po.sent_at = now - timedelta(days=sent_days_ago)
            po.expected_at = now + timedelta(days=due_in or 0)
        if status == "received":
            po.received_at = now - timedelta(days=35)
        session.add(po)
        session.flush()
        if number == 1:
            lines = [HERO_CODE]
        else:
            rng.sample(codes[1:40], 3)  # the first version's draw, kept; lines match the PO's supplier
            same_supplier = [c for i, c in enumerate(codes[3:40], start=3) if i % len(suppliers) == supplier_index]
            lines = local.sample(same_supplier, min(3, len(same_supplier)))
        for code in lines:
            qty = supplier.moq * rng.randint(1, 3)
            received = qty if status == "received" else (qty // 2 if status == "partial" else 0)
            session.add(
                PurchaseOrderLine(
                    po_id=po.id or 0,
                    sku_id=skus[code],
                    qty_ordered=qty,
                    qty_received=received,
                    unit_cost=round(rng.uniform(2, 30), 2),
                )
            )


def _transfers(session: Session, now: datetime, warehouses: list[Warehouse], skus: dict[str, int]) -> None:
    codes = list(skus)
    if len(codes) <= IN_TRANSIT:
        return
    session.add(
        StockTransfer(
            sku_id=skus[codes[IN_TRANSIT]],
            from_warehouse_id=warehouses[2].id or 0,
            to_warehouse_id=warehouses[1].id or 0,
            qty=60,
            status="in_transit",
            created_at=now - timedelta(days=3),
            expected_at=now + timedelta(days=4),
        )
    )
