"""Importers for the exports a DTC team really has, and for this app's own export format.

This module stays light (no SQLAlchemy): the CLI lists the kinds from here without paying for
the importers. ``run_import`` lives in ``pipeline``; each format has its own module.

Third-party kinds map a tool's export onto this app's tables; the table kinds (``tickets``,
``skus``...) read what ``dtc-tui export`` writes, one table per file.
"""

from __future__ import annotations

import importlib
from typing import Any

from dtc_tui.i18n import N_

# kind -> (module, class, one-line description: English, translated where shown)
FORMAT_KINDS: dict[str, tuple[str, str, str]] = {
    "shopify-products": ("shopify", "ShopifyProducts", N_("Shopify product CSV (legacy or current columns) -> SKUs")),
    "shopify-inventory": ("shopify", "ShopifyInventory", N_("Shopify inventory CSV -> stock per SKU and location")),
    "shopify-orders": (
        "shopify_orders",
        "ShopifyOrders",
        N_("Shopify orders export -> orders, lines, refunds, daily sales"),
    ),
    "shopify-sales": (
        "shopify_orders",
        "ShopifySalesReport",
        N_("Shopify Sales over time report (by day) -> store daily"),
    ),
    "zendesk": ("tickets", "ZendeskTickets", N_("Zendesk ticket export, CSV or JSON -> tickets")),
    "freshdesk": ("tickets", "FreshdeskTickets", N_("Freshdesk ticket CSV -> tickets")),
    "meta-ads": ("ads", "MetaAds", N_("Meta Ads Manager export -> daily ad stats")),
    "google-ads": ("ads", "GoogleAds", N_("Google Ads campaign report -> daily ad stats")),
    "tiktok-ads": ("ads", "TikTokAds", N_("TikTok Ads export -> daily ad stats")),
}

# kind -> table: this app's own CSV/JSON (what `dtc-tui export KIND` writes).
TABLE_KINDS: dict[str, str] = {
    "tickets": "ticket",
    "customers": "customer",
    "ticket-messages": "ticket_message",
    "ticket-events": "ticket_event",
    "sla-breaches": "sla_breach",
    "sla-policies": "sla_policy",
    "calendars": "business_calendar",
    "holidays": "holiday",
    "macros": "macro",
    "skus": "sku",
    "suppliers": "supplier",
    "warehouses": "warehouse",
    "stock": "stock_level",
    "sales": "daily_sales",
    "purchase-orders": "purchase_order",
    "purchase-order-lines": "purchase_order_line",
    "transfers": "stock_transfer",
    "orders": "store_order",
    "order-lines": "order_line",
    "fulfillments": "fulfillment",
    "refunds": "refund",
    "channels": "ad_channel",
    "campaigns": "campaign",
    "ad-stats": "ad_stat_daily",
    "store-daily": "store_daily",
    "peak-periods": "peak_period",
    "people": "person",
    "duties": "duty",
    "assignments": "assignment",
    "routing-rules": "routing_rule",
    "settings": "setting",
    "fx-rates": "fx_rate",
    "import-baselines": "import_baseline",
    "overview-acks": "overview_ack",
    "audit": "audit_log",
}
# The audit log is export-only: importing it would forge history.
EXPORT_ONLY = frozenset({"audit"})
IMPORT_KINDS = [*FORMAT_KINDS, *(kind for kind in TABLE_KINDS if kind not in EXPORT_ONLY)]
EXPORT_KINDS = list(TABLE_KINDS)


def describe(kind: str) -> str:
    if kind in FORMAT_KINDS:
        return FORMAT_KINDS[kind][2]
    return f"dtc-tui export of the {TABLE_KINDS[kind]} table (CSV or JSON)"


def importer_class(kind: str) -> Any:
    if kind in FORMAT_KINDS:
        module, name, _ = FORMAT_KINDS[kind]
        return getattr(importlib.import_module(f"dtc_tui.services.importers.{module}"), name)
    if kind in TABLE_KINDS and kind not in EXPORT_ONLY:
        from dtc_tui.services.importers.native import table_importer

        return table_importer(kind, TABLE_KINDS[kind])
    from dtc_tui.services.importers.pipeline import UnknownKind

    raise UnknownKind(f"unknown import kind {kind!r}; choose one of {', '.join(IMPORT_KINDS)}")
