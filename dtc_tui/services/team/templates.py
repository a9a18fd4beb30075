"""Duties of each growth stage (shared/domain.md sections 1 and 5).

A stage includes the duties of the stages before it. Codes are stable keys: templates load
idempotently by code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

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
DUTY_ORDER = {code: index for index, (code, *_rest) in enumerate(DUTIES)}  # template position of each duty

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


@dataclass(frozen=True)
class TemplateResult:
    stage: str
    added: list[str]  # duty codes created
    present: list[str]  # duty codes that already existed (left exactly as they were)
    rules_added: list[str]  # ticket categories that got a default routing rule


def load_template(session: Session, stage: str, *, actor: str, now: datetime) -> TemplateResult:
    """Create the stage's duties that do not exist yet (matched by code) and a default routing rule
    for each ticket category that has none. Never touches people, assignments or existing rows."""
    from dtc_tui.models import Duty, RoutingRule
    from dtc_tui.services.common import audit

    wanted = duties_for(stage)
    existing = {d.code: d for d in session.exec(select(Duty))}
    added, present = [], []
    for code, name, function, _stage in wanted:
        if code in existing:
            present.append(code)
            continue
        duty = Duty(code=code, name=name, function=function, position=DUTY_ORDER[code])
        session.add(duty)
        session.flush()
        existing[code] = duty
        added.append(code)
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="duty",
            entity_id=duty.id,
            action="create",
            after={"code": code, "name": name, "function": function, "template": stage},
        )
    routed = set(session.exec(select(RoutingRule.category)))
    rules_added = []
    for category, code in CATEGORY_DUTY.items():
        if category in routed or code not in existing:
            continue
        session.add(RoutingRule(category=category, duty_id=existing[code].id))
        rules_added.append(category)
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="routing_rule",
            entity_id=category,
            action="create",
            after={"duty": code, "backup": None, "template": stage},
        )
    session.flush()
    return TemplateResult(stage, added, present, rules_added)
