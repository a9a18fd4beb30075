"""Demo inventory: suppliers, three warehouses, SKUs with daily sales, stock and purchase orders.

Built in: fast movers, long tail, a few dead SKUs, stock-out days, one warehouse short where
another has surplus (a transfer case), sent and late POs, and ``DEMO-HERO-1``: a SKU that runs
out before its next PO arrives while an ad campaign promotes it.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlmodel import Session

from dtc_tui.models import (
    DailySales,
    PurchaseOrder,
    PurchaseOrderLine,
    Sku,
    StockLevel,
    Supplier,
    Warehouse,
)

WAREHOUSES = [("US-W", "US West (Reno)", "US", 3), ("US-E", "US East (Newark)", "US", 2),
              ("DE", "Germany (Leipzig)", "EU", 4)]
SUPPLIERS = [("Shenzhen Bright Textiles", 21, 200, 20), ("Ningbo HomeGoods Co.", 35, 500, 50),
             ("Porto Ceramics Lda", 14, 100, 12), ("Yiwu Small Parts", 28, 1000, 100)]
PRODUCTS = ["Linen Tote", "Bamboo Cup", "Yoga Mat", "Ceramic Mug", "Desk Lamp", "Phone Stand", "Wool Beanie",
            "Travel Pillow", "Water Bottle", "Cable Organizer", "Scented Candle", "Plant Pot", "Notebook",
            "Sunglasses", "Backpack", "Socks 3-pack", "Apron", "Tea Towel", "Cutting Board", "Coffee Grinder"]
VARIANTS = ["Black", "White", "Sand", "Olive", "Navy", "Rose", "S", "M", "L"]
HERO_CODE = "DEMO-HERO-1"


def build(session: Session, rng: random.Random, now: datetime, size: object) -> dict[str, int]:
    n_skus: int = size.skus  # type: ignore[attr-defined]
    days: int = size.sales_days  # type: ignore[attr-defined]
    warehouses = []
    for code, name, region, delivery in WAREHOUSES:
        wh = Warehouse(code=code, name=name, region=region, delivery_days=delivery)
        session.add(wh)
        warehouses.append(wh)
    suppliers = []
    for name, lead, moq, pack in SUPPLIERS:
        sup = Supplier(name=name, lead_time_days=lead, moq=moq, case_pack=pack,
                       email=f"orders@{name.split()[0].lower()}.example")
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
        # Pareto-ish demand: a few SKUs sell most.
        rank_rate = 40.0 / (1 + index * 0.35) if index < n_skus * 0.9 else 0.0
        sku = Sku(code=code, name=f"{product} {variant}", product_handle=product.lower().replace(" ", "-"),
                  variant=variant, supplier_id=supplier.id, cost=cost,
                  price=round(cost * rng.uniform(1.6, 3.2), 2), buffer_days=7,
                  promise_days=3 if index == 0 else None)
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
                    sales_rows.append({"sku_id": sku.id, "warehouse_id": wh.id, "day": day, "units": units,
                                       "revenue": round(units * sku.price, 2), "stockout": out})
            cover_days = rng.choice([2, 8, 20, 35, 60, 120, 400]) if rate else rng.choice([0, 50, 300])
            on_hand = int(rate * cover_days) if rate else cover_days
            if index == 0:
                on_hand = int(rate * 4)  # the hero runs out in about four days
            received_days_ago = rng.choice([5, 20, 45, 90, 200]) if rate else 240
            stock_rows.append({"sku_id": sku.id, "warehouse_id": wh.id, "on_hand": on_hand,
                               "committed": min(on_hand, int(rate)),
                               "last_received_at": now - timedelta(days=received_days_ago), "version": 1})
    session.execute(insert(StockLevel), stock_rows)
    for start in range(0, len(sales_rows), 20_000):
        session.execute(insert(DailySales), sales_rows[start:start + 20_000])
    _purchase_orders(session, rng, now, suppliers, warehouses, skus)
    session.flush()
    return skus


def _poisson(rng: random.Random, rate: float) -> int:
    if rate > 30:
        return max(int(rng.gauss(rate, math.sqrt(rate))), 0)
    limit, k, p = math.exp(-rate), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _purchase_orders(session: Session, rng: random.Random, now: datetime, suppliers: list[Supplier],
                     warehouses: list[Warehouse], skus: dict[str, int]) -> None:
    codes = list(skus)
    plans = [("sent", 10, 11), ("sent", 30, -3), ("partial", 25, 2), ("draft", 0, None), ("received", 60, -30)]
    for number, (status, sent_days_ago, due_in) in enumerate(plans, start=1):
        supplier = suppliers[number % len(suppliers)]
        po = PurchaseOrder(number=f"PO-{1000 + number}", supplier_id=supplier.id or 0,
                           warehouse_id=warehouses[number % len(warehouses)].id or 0, status=status,
                           created_at=now - timedelta(days=sent_days_ago + 1))
        if status != "draft":
            po.sent_at = now - timedelta(days=sent_days_ago)
            po.expected_at = now + timedelta(days=due_in or 0)
        if status == "received":
            po.received_at = now - timedelta(days=35)
        session.add(po)
        session.flush()
        lines = [HERO_CODE] if number == 1 else rng.sample(codes[1:40], 3)
        for code in lines:
            qty = supplier.moq * rng.randint(1, 3)
            received = qty if status == "received" else (qty // 2 if status == "partial" else 0)
            session.add(PurchaseOrderLine(po_id=po.id or 0, sku_id=skus[code], qty_ordered=qty,
                                          qty_received=received, unit_cost=round(rng.uniform(2, 30), 2)))
