"""Duties of each growth stage (shared/domain.md sections 1 and 5).

A stage includes the duties of the stages before it. Codes are stable keys: templates load
idempotently by code.
"""

from __future__ import annotations

# code, name, function, stage (startup < growth < mature)
DUTIES: list[tuple[str, str, str, str]] = [
    ("site_build", "Site build, speed and uptime", "tech", "startup"),
    ("site_release", "Live-site changes (tested before release)", "tech", "growth"),
    ("payments", "Payments and chargebacks", "tech", "startup"),
    ("content_listings", "Content and product listings", "marketing", "startup"),
    ("seo", "SEO", "marketing", "growth"),
    ("paid_ads", "Paid ads and ROAS", "marketing", "startup"),
    ("social_kol", "Social media and KOL", "marketing", "growth"),
    ("email_crm", "Email / CRM and CLV", "marketing", "growth"),
    ("delivery_copy", "Delivery promises in marketing copy", "marketing", "growth"),
    ("localization", "Localization", "marketing", "mature"),
    ("cs_manager", "Customer service management", "customer_service", "growth"),
    ("presales", "Pre-sales inquiries", "customer_service", "startup"),
    ("aftersales", "After-sales, returns and exchanges", "customer_service", "startup"),
    ("wismo", "Where-is-my-order and logistics tickets", "customer_service", "startup"),
    ("refund_status", "Refund status synced with order processing", "customer_service", "growth"),
    ("order_processing", "Order processing", "supply_chain", "startup"),
    ("purchasing", "Purchasing and reorders", "supply_chain", "startup"),
    ("warehouse", "Warehouse and stock levels", "supply_chain", "growth"),
    ("logistics", "Logistics carriers and tracking", "supply_chain", "growth"),
    ("analytics", "Analytics and dashboards", "data", "growth"),
    ("ltv_cac", "LTV:CAC watch", "data", "mature"),
]

STAGES = ("startup", "growth", "mature")

# Ticket category -> duty code that owns it (routing default).
CATEGORY_DUTY = {
    "logistics": "wismo",
    "returns": "aftersales",
    "payment": "payments",
    "product": "aftersales",
    "site_incident": "site_build",
    "presales": "presales",
}


def duties_for(stage: str) -> list[tuple[str, str, str, str]]:
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; choose one of {', '.join(STAGES)}")
    upto = STAGES.index(stage)
    return [duty for duty in DUTIES if STAGES.index(duty[3]) <= upto]
