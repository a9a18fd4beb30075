"""The daily figures derived from orders, in one place: units and revenue per SKU per warehouse per
day (``daily_sales``, what the reorder board's velocity and the ABC ranking read) and the store's
orders, revenue and refunds per day (``store_daily``, what blended ROAS reads).

Which source wins: for every day that has orders here, the orders do. Rebuilding a day replaces its
``daily_sales`` rows (the stock-out flag of a row, which comes from stock history, is kept) and its
``store_daily`` row; days without orders keep what an aggregate import (``sales``, ``store-daily``,
``shopify-sales``) gave them, so the two sources never add up on one day.

What counts:
- the till (store_daily): every order except voided ones and ones cancelled before being paid;
  revenue is the orders' totals (after discounts, with shipping and taxes), less the refunded
  amounts when ``orders.revenue_basis`` is ``net`` (the default). Refunds count on the order's day
  (the export gives no refund time).
- units (daily_sales): the lines of orders that were not cancelled or voided; lines without a SKU
  have no SKU to count against. Revenue per line = quantity x price - line discount.
- currency: only orders in the store's currency (``orders.store_currency``; empty = the currency
  most orders here are in) enter revenue; others are counted and left out (no exchange rates).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, func, not_, select
from sqlmodel import Session

from dtc_tui.i18n import _
from dtc_tui.models import DailySales, OrderLine, StoreDaily, StoreOrder
from dtc_tui.models.base import table_of
from dtc_tui.services.common import settings

ORDER = table_of(StoreOrder)
LINE = table_of(OrderLine)
SALES = table_of(DailySales)
STORE = table_of(StoreDaily)
CHUNK = 500
SALES_DAYS = 7  # days per grouped query of the daily sales rebuild

# An order in the till: not voided, and not cancelled before it was paid.
IN_TILL = and_(
    ORDER.c.financial_status != "voided", not_(and_(ORDER.c.cancelled_at.isnot(None), ORDER.c.paid_at.is_(None)))
)
# An order whose units left (or will leave) the shelf.
SOLD = and_(ORDER.c.financial_status != "voided", ORDER.c.cancelled_at.is_(None))


@dataclass
class Rebuilt:
    days: int = 0
    currency: str | None = None
    other_currency: dict[str, int] = field(default_factory=dict)  # orders left out of revenue
    converted: dict[str, int] = field(default_factory=dict)  # orders converted at their day's fx rate
    rate_days: list[date] = field(default_factory=list)  # the dates of the rates used
    sales_rows: int = 0
    basis: str = "net"

    def notes(self) -> list[str]:
        if not self.days:
            return []
        out = [
            f"daily sales and store figures rebuilt from the orders for {self.days:,} days "
            f"({self.basis} revenue in {self.currency}); on those days the orders win over imported aggregates"
        ]
        if self.converted:
            done = ", ".join(f"{count:,} in {code}" for code, count in sorted(self.converted.items()))
            first, last = min(self.rate_days), max(self.rate_days)
            when = first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
            out.append(f"orders in other currencies ({done}) converted to {self.currency} at fx rates of {when}")
        if self.other_currency:
            left = ", ".join(f"{count:,} in {code}" for code, count in sorted(self.other_currency.items()))
            out.append(
                f"orders not in the store currency {self.currency} left out of revenue ({left}): no fx rate "
                "on or before their day (import them: dtc-tui import fx-rates FILE)"
            )
        return out


def revenue_label(session: Session) -> str:
    """How the store revenue is meant, for labels: "net of refunds" or "gross"."""
    return _("net of refunds") if settings.get(session, "orders.revenue_basis") == "net" else _("gross")


def store_currency(session: Session) -> str | None:
    chosen = str(settings.get(session, "orders.store_currency") or "").strip().upper()
    if chosen:
        return chosen
    query = select(ORDER.c.currency).group_by(ORDER.c.currency).order_by(func.count().desc(), ORDER.c.currency)
    return session.execute(query.limit(1)).scalar()


def days_with_orders(session: Session, days: Iterable[date]) -> set[date]:
    wanted = sorted(set(days))
    found: set[date] = set()
    for start in range(0, len(wanted), CHUNK):
        query = select(ORDER.c.created_day).where(ORDER.c.created_day.in_(wanted[start : start + CHUNK])).distinct()
        found.update(session.execute(query).scalars())
    return found


def rebuild_days(session: Session, days: Iterable[date]) -> Rebuilt:
    """Recompute ``store_daily`` and ``daily_sales`` for ``days`` from the orders stored now."""
    wanted = sorted(set(days))
    result = Rebuilt(days=len(wanted), currency=store_currency(session))
    result.basis = str(settings.get(session, "orders.revenue_basis"))
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start : start + CHUNK]
        _rebuild_store(session, part, result)
        _rebuild_sales(session, part, result)
    return result


def _rebuild_store(session: Session, days: list[date], result: Rebuilt) -> None:
    query = (
        select(ORDER.c.created_day, ORDER.c.currency, func.count(), func.sum(ORDER.c.total), func.sum(ORDER.c.refunded))
        .where(ORDER.c.created_day.in_(days), IN_TILL)
        .group_by(ORDER.c.created_day, ORDER.c.currency)
    )
    from dtc_tui.services.common import fx

    figures: dict[date, dict[str, Any]] = {
        day: {"day": day, "orders": 0, "revenue": 0.0, "refunds": 0.0} for day in days
    }
    elsewhere: set[date] = set()
    rates: fx.Rates | None = None
    for day, currency, count, total, refunded in session.execute(query):
        rate = 1.0
        if currency != result.currency:
            rates = fx.load_rates(session) if rates is None else rates
            found = rates.rate(currency, result.currency, day) if result.currency else None
            if found is None:
                result.other_currency[currency] = result.other_currency.get(currency, 0) + int(count)
                elsewhere.add(day)
                continue
            rate = found[0]  # revenue and refunds at the rate of the order's day (or the latest before)
            result.converted[currency] = result.converted.get(currency, 0) + int(count)
            result.rate_days.append(found[1])
        row = figures[day]
        row["orders"] += int(count)
        row["refunds"] += round(float(refunded or 0) * rate, 2)
        row["revenue"] += (float(total or 0) - (float(refunded or 0) if result.basis == "net" else 0.0)) * rate
    rows = []
    for day, row in figures.items():
        if row["orders"] == 0 and day in elsewhere:
            continue  # only orders in another currency: the till of that day is not known here
        row["revenue"] = round(row["revenue"], 2)
        rows.append(row)
    from dtc_tui.services.importers.upsert import upsert  # the writers' table machinery: only when rebuilding

    upsert(session, STORE, ("day",), rows)


def _rebuild_sales(session: Session, days: list[date], result: Rebuilt) -> None:
    """The days' rows are replaced; the grouped query runs a few days at a time (a year of a busy
    store is ~10^5-10^6 rows: held at once they were most of a big import's memory). The rows are
    inserted in the order one query over all the days gives (by day, SKU, warehouse; stock-out
    flags without sales last), so they get the same ids."""
    in_currency = ORDER.c.currency == (result.currency or "")
    line_revenue = LINE.c.quantity * LINE.c.price - LINE.c.discount
    flagged = select(SALES.c.sku_id, SALES.c.warehouse_id, SALES.c.day).where(
        SALES.c.day.in_(days), SALES.c.stockout.is_(True)
    )
    stockouts = {tuple(row): None for row in session.execute(flagged)}  # the stock-out flag is kept
    session.execute(SALES.delete().where(SALES.c.day.in_(days)))
    from dtc_tui.services.importers.upsert import bulk_insert

    for start in range(0, len(days), SALES_DAYS):
        part = days[start : start + SALES_DAYS]
        query = (
            select(
                ORDER.c.created_day,
                LINE.c.sku_id,
                ORDER.c.warehouse_id,
                func.sum(LINE.c.quantity),
                func.sum(line_revenue).filter(in_currency),
            )
            .select_from(LINE.join(ORDER, ORDER.c.id == LINE.c.order_id))
            .where(ORDER.c.created_day.in_(part), SOLD, LINE.c.sku_id.isnot(None), ORDER.c.warehouse_id.isnot(None))
            .group_by(ORDER.c.created_day, LINE.c.sku_id, ORDER.c.warehouse_id)
        )
        fresh = []
        for day, sku_id, warehouse_id, units, revenue in session.execute(query):
            key = (sku_id, warehouse_id, day)
            stockout = key in stockouts
            if stockout:
                del stockouts[key]
            fresh.append(
                {
                    "sku_id": sku_id,
                    "warehouse_id": warehouse_id,
                    "day": day,
                    "units": int(units or 0),
                    "revenue": round(float(revenue or 0), 2),
                    "stockout": stockout,
                }
            )
        bulk_insert(session, SALES, fresh)
        result.sales_rows += len(fresh)
    left = [
        {"sku_id": sku_id, "warehouse_id": warehouse_id, "day": day, "units": 0, "revenue": 0.0, "stockout": True}
        for sku_id, warehouse_id, day in stockouts
    ]
    bulk_insert(session, SALES, left)
    result.sales_rows += len(left)
