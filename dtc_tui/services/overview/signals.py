"""Cross-area signals: what no single tool sees because it sits between two departments.

Each signal has a plain explanation with the numbers behind it and points at the record the
operator should open. Thresholds are settings (``signals.*``). Rules chosen where the issue is
silent are written beside each function.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from dtc_tui.i18n import N_
from dtc_tui.models import AdStatDaily, Campaign, PurchaseOrderLine, Sku, StockLevel, Ticket, Warehouse
from dtc_tui.services.common import settings
from dtc_tui.services.common.money import format_money
from dtc_tui.services.overview.messages import Message, english, message
from dtc_tui.services.overview.targets import CampaignTarget, QueueTarget, SkuTarget, Target, TeamTarget, TicketTarget

if TYPE_CHECKING:
    from dtc_tui.services.tickets.rollups import Split

SIGNAL_KINDS = {
    "stock_vs_ads": N_("Ads promote a SKU that runs out before stock arrives"),
    "ticket_rise": N_("Tickets rising about a SKU or deliveries"),
    "delivery_promise": N_("Delivery promise supply cannot keep"),
    "refund_unsynced": N_("Refund ticket solved, refund status not synced"),
    "routing_gap": N_("Tickets with no owner or escalations to nobody on duty"),
}


@dataclass(frozen=True)
class Signal:
    kind: str
    # Higher first. The overview's scale: 90-99 money burning now, 80-89 act today (a breached
    # ticket is 80-89 too), 60-79 this week, below 60 housekeeping.
    urgency: float
    title: str
    explanation: str
    area: str  # the screen Enter opens: tickets, inventory, ads, team
    target: Target = None
    numbers: dict[str, Any] = field(default_factory=dict)
    # The title and explanation as message and values (messages.py): shown in the operator's language.
    title_msg: Message | None = field(default=None, compare=False)
    explanation_msg: Message | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("title_msg")
        data.pop("explanation_msg")
        return {**data, "label": SIGNAL_KINDS[self.kind]}


def _signal(
    kind: str,
    urgency: float,
    title: Message,
    explanation: Message | str,
    area: str,
    target: Target,
    numbers: dict[str, Any],
) -> Signal:
    """A signal whose title (and explanation, when given as a message) people read in their language."""
    if isinstance(explanation, str):
        return Signal(kind, urgency, english(title), explanation, area, target, numbers, title)
    return Signal(kind, urgency, english(title), english(explanation), area, target, numbers, title, explanation)


def _setting(session: Session, key: str) -> Any:
    return settings.get(session, key)


# --- 1. ads spend on a SKU that runs out before the next arrival -----------------------------


def _daily_spend(session: Session, campaign_ids: list[int], now: datetime, days: int = 7) -> dict[int, tuple]:
    start = now.date() - timedelta(days=days)
    rows = session.execute(
        select(col(AdStatDaily.campaign_id), func.sum(col(AdStatDaily.spend)), func.sum(col(AdStatDaily.revenue)))
        .where(
            col(AdStatDaily.campaign_id).in_(campaign_ids),
            col(AdStatDaily.day) >= start,
            col(AdStatDaily.day) < now.date(),
        )
        .group_by(col(AdStatDaily.campaign_id))
    )
    return {cid: (float(spend or 0) / days, float(revenue or 0) / days) for cid, spend, revenue in rows}


def stock_vs_ads(session: Session, now: datetime) -> list[Signal]:
    """An active campaign promotes a SKU whose projected stock-out comes before its next arrival.

    Fires when the stock-out falls within the SKU's lead time (or the promise horizon, whichever
    is longer): later than that a purchase order can still fix it. Money at stake per day is the
    campaign's average daily spend over the last 7 days, spent while the product cannot ship.
    """
    from dtc_tui.services.inventory.stock_state import sku_stock_states

    campaigns = session.execute(
        select(col(Campaign.id), col(Campaign.name), col(Campaign.sku_id), col(Campaign.currency)).where(
            col(Campaign.status) == "active", col(Campaign.sku_id).is_not(None)
        )
    ).all()
    if not campaigns:
        return []
    states = sku_stock_states(session, [c.sku_id for c in campaigns], now)
    spend = _daily_spend(session, [c.id for c in campaigns], now)
    horizon = int(_setting(session, "signals.promise_horizon_days"))
    today = now.date()
    found = []
    for campaign in campaigns:
        state = states.get(campaign.sku_id)
        if state is None or state.stockout_date is None:
            continue
        arrives = state.next_inbound_date if state.days_without_stock is not None else None
        if arrives is not None and arrives <= state.stockout_date:
            continue
        if (state.stockout_date - today).days > max(state.lead_time_days, horizon):
            continue
        per_day, revenue_per_day = spend.get(campaign.id, (0.0, 0.0))
        gap = state.days_without_stock
        at_stake = per_day * gap if gap else per_day
        facts = {
            "campaign": campaign.name,
            "code": state.code,
            "out": state.stockout_date,
            "available": state.available,
            "per_day_sales": state.daily_sales,
            # Money as the rest of the app writes it (services/common/money.py: "$251", "£1,234"), the
            # same in every language; an acknowledgement's fingerprint keeps only its digits.
            "spend": format_money(per_day, campaign.currency),
            "revenue": format_money(revenue_per_day, campaign.currency),
            "at_stake": format_money(at_stake, campaign.currency),
        }
        if arrives and gap is not None:
            explanation = message(
                N_(
                    "{campaign} promotes {code}, projected out of stock on {out:%b %d} ({available:,} available, "
                    "{per_day_sales:.1f}/day); the next arrival ({inbound}) lands {arrives:%b %d}, {gap} days later. "
                    "It spends {spend}/day (7-day average) and brings {revenue}/day: "
                    "pause or cut it from the stock-out until stock lands ({at_stake} at stake)."
                ),
                inbound=state.next_inbound_ref,
                arrives=arrives,
                gap=gap,
                **facts,
            )
        else:
            explanation = message(
                N_(
                    "{campaign} promotes {code}, projected out of stock on {out:%b %d} ({available:,} available, "
                    "{per_day_sales:.1f}/day); no arrival is on order. "
                    "It spends {spend}/day (7-day average) and brings {revenue}/day: "
                    "pause or cut it from the stock-out until stock lands ({at_stake} at stake)."
                ),
                **facts,
            )
        found.append(
            _signal(
                "stock_vs_ads",
                90 + min(per_day / 50, 9),
                message(
                    N_("Cut the budget of {campaign}: {code} runs out {out:%b %d}"),
                    campaign=campaign.name,
                    code=state.code,
                    out=state.stockout_date,
                ),
                explanation,
                "ads",
                CampaignTarget(campaign.id, campaign.sku_id),
                {
                    "daily_spend": round(per_day, 2),
                    "daily_revenue": round(revenue_per_day, 2),
                    "stockout_date": state.stockout_date,
                    "next_inbound_date": arrives,
                    "days_without_stock": gap,
                    "money_at_stake": round(at_stake, 2),
                },
            )
        )
    return found


# --- 2. a rise in tickets about a SKU or about deliveries -------------------------------------


def window_counts(
    session: Session, start: datetime, end: datetime, category: str | None = None, span: Split | None = None
) -> dict:
    """Tickets created in [start, end) per SKU, or (``category`` given) ``{category: n}`` for that one
    category: whole days from the daily roll-ups, the partial days at the edges from the rows.
    ``span``: ``rollups.plan(session, start, end)`` when the caller has it (one plan per window,
    not one per count: each plan is a few capped counts of the edge days' rows)."""
    from dtc_tui.services.tickets import rollups

    if span is None:
        span = rollups.plan(session, start, end)
    found: dict = defaultdict(int)
    if span.has_days:
        assert span.first_day is not None and span.end_day is not None
        if category is None:
            for key, n in rollups.sku_counts(session, span.first_day, span.end_day).items():
                found[key] += n
        else:
            found[category] += rollups.category_count(session, category, span.first_day, span.end_day)
    # Per category with no condition on it: a condition on the category would let SQLite read the
    # category's index (every logistics ticket ever) instead of the few hours' range of the created index.
    column = col(Ticket.category) if category else col(Ticket.sku_id)
    for (part_start, part_end), sign in [*((p, 1) for p in span.partial), *((p, -1) for p in span.minus)]:
        for key, n in session.execute(
            select(column, func.count())
            .where(col(Ticket.created_at) >= part_start, col(Ticket.created_at) < part_end)
            .group_by(column)
        ):
            if key is not None and (category is None or key == category):
                found[key] += sign * int(n)
    return {key: n for key, n in found.items() if n}


def ticket_rise(session: Session, now: datetime) -> list[Signal]:
    """Tickets in the last N days (default 3) at >= 2.5x the daily rate of the 14 days before,
    and at least 8 of them: per SKU, and for "where is my order" (logistics) tickets.

    Linked to the SKU's stock-out or a late PO carrying it when there is one; a WISMO rise is
    linked to late POs. A rise without a cause found is still shown, lower in the list.
    """
    from dtc_tui.services.inventory.purchasing import list_pos
    from dtc_tui.services.inventory.stock_state import sku_stock_states
    from dtc_tui.services.tickets import rollups

    days = int(_setting(session, "signals.ticket_rise_days"))
    baseline_days = int(_setting(session, "signals.ticket_rise_baseline_days"))
    factor = float(_setting(session, "signals.ticket_rise_factor"))
    minimum = int(_setting(session, "signals.ticket_rise_min"))
    recent_start = now - timedelta(days=days)
    base_start = recent_start - timedelta(days=baseline_days)

    recent_span = rollups.plan(session, recent_start, now)  # each window's edges planned once, for both counts
    base_span = rollups.plan(session, base_start, recent_start)

    def counts(category: str | None = None) -> tuple[dict, dict]:
        """Tickets per SKU (or in one category) in the recent days and in the baseline before them."""
        return window_counts(session, recent_start, now, category, recent_span), window_counts(
            session, base_start, recent_start, category, base_span
        )

    def rising(recent: int, base: int) -> bool:
        base_rate = max(base / baseline_days, 0.5 / baseline_days)
        return recent >= minimum and recent / days >= factor * base_rate

    late = [po for po in list_pos(session, now, statuses=("sent", "partial")) if po.late_days > 0]
    late_by_sku: dict[int, list[str]] = defaultdict(list)
    if late:
        for po_id, sku_id in session.execute(
            select(col(PurchaseOrderLine.po_id), col(PurchaseOrderLine.sku_id)).where(
                col(PurchaseOrderLine.po_id).in_([po.id for po in late])
            )
        ):
            late_by_sku[sku_id].append(next(po.number for po in late if po.id == po_id))
    found = []
    recent, base = counts()
    candidates = sorted(sku_id for sku_id, n in recent.items() if rising(n, base.get(sku_id, 0)))
    states = sku_stock_states(session, candidates, now) if candidates else {}
    for sku_id in candidates:
        n, b = recent[sku_id], base.get(sku_id, 0)
        state = states.get(sku_id)
        sku = None if state else session.get(Sku, sku_id)
        code = state.code if state else (sku.code if sku else str(sku_id))
        causes = []
        if state is not None and state.state in ("out", "reorder_now"):
            when = f", projected out {state.stockout_date:%b %d}" if state.stockout_date else ""
            causes.append(f"{code} is {state.state_label}{when}")
        if late_by_sku.get(sku_id):
            causes.append(f"late PO {', '.join(late_by_sku[sku_id])}")
        cause = "; linked to: " + " and ".join(causes) if causes else "; no stock-out or late PO explains it"
        found.append(
            _signal(
                "ticket_rise",
                (86 if causes else 50) + min(n / 20, 3),
                message(N_("{count} tickets about {code} in {days} days"), count=n, code=code, days=days),
                f"{n} tickets about {code} in the last {days} days against {b} in the {baseline_days} days before "
                f"({n / days:.1f}/day vs {b / baseline_days:.1f}/day){cause}.",
                "inventory",
                SkuTarget(sku_id),
                {"recent": n, "baseline": b, "causes": causes},
            )
        )
    recent_cat, base_cat = counts("logistics")
    n, b = recent_cat.get("logistics", 0), base_cat.get("logistics", 0)
    if rising(n, b):
        cause = (
            f"; late POs: {', '.join(f'{po.number} ({po.late_days} days)' for po in late)}"
            if late
            else "; no late PO found: check the carriers"
        )
        found.append(
            _signal(
                "ticket_rise",
                80 + min(n / 100, 5),
                message(N_("Where-is-my-order tickets up: {count} in {days} days"), count=n, days=days),
                f"{n} logistics tickets in the last {days} days against {b} in the {baseline_days} days before "
                f"({n / days:.1f}/day vs {b / baseline_days:.1f}/day){cause}.",
                "tickets",
                QueueTarget("cat:logistics"),
                {"recent": n, "baseline": b, "late_pos": [p.number for p in late]},
            )
        )
    return found


# --- 3. a delivery promise supply cannot keep ---------------------------------------------


def delivery_promise(session: Session, now: datetime) -> list[Signal]:
    """A promise (campaign or SKU ``promise_days``, e.g. 3 for "3-day delivery") longer than
    what stock and shipping allow for an order placed in the next N days (default 7).

    Worst case: if the SKU runs out within that horizon, an order waits for the next arrival
    (days without stock) plus delivery from the fastest warehouse; with no stock and nothing
    on order, the supplier's lead time plus delivery.
    """
    from dtc_tui.services.inventory.stock_state import sku_stock_states

    horizon = int(_setting(session, "signals.promise_horizon_days"))
    promises: list[tuple[str, int, int, Target, str]] = []  # (who, sku_id, days, target, area)
    for cid, name, sku_id, days in session.execute(
        select(col(Campaign.id), col(Campaign.name), col(Campaign.sku_id), col(Campaign.promise_days)).where(
            col(Campaign.promise_days).is_not(None), col(Campaign.sku_id).is_not(None)
        )
    ):
        promises.append((f"campaign {name}", sku_id, days, CampaignTarget(cid, sku_id), "ads"))
    for sku_id, code, days in session.execute(
        select(col(Sku.id), col(Sku.code), col(Sku.promise_days)).where(col(Sku.promise_days).is_not(None))
    ):
        promises.append((f"SKU {code}", sku_id, days, SkuTarget(sku_id), "inventory"))
    if not promises:
        return []
    states = sku_stock_states(session, list({p[1] for p in promises}), now)
    fastest = dict(
        session.execute(
            select(col(StockLevel.sku_id), func.min(col(Warehouse.delivery_days)))
            .join(Warehouse, col(Warehouse.id) == col(StockLevel.warehouse_id))
            .where(
                col(StockLevel.sku_id).in_([p[1] for p in promises]),
                col(StockLevel.on_hand) > col(StockLevel.committed),
            )
            .group_by(col(StockLevel.sku_id))
        ).all()
    )
    slowest_any = session.execute(select(func.max(Warehouse.delivery_days))).scalar() or 0
    today = now.date()
    found = []
    for who, sku_id, promised, target, area in promises:
        state = states.get(sku_id)
        if state is None:
            continue
        ship = fastest.get(sku_id, slowest_any)
        if state.available <= 0 and state.next_inbound_date is None:
            worst = state.lead_time_days + ship
            why = f"{state.code} has no stock and nothing on order: lead time {state.lead_time_days} + {ship} days"
        elif state.stockout_date is not None and (state.stockout_date - today).days <= horizon:
            wait = state.days_without_stock if state.days_without_stock is not None else state.lead_time_days
            worst = wait + ship
            why = (
                f"{state.code} runs out {state.stockout_date:%b %d}; orders after that wait {wait} days for "
                f"{state.next_inbound_ref or 'a new order'} + {ship} days delivery"
            )
        else:
            worst = ship
            why = f"delivery from the fastest warehouse with stock takes {ship} days"
        if worst > promised:
            name = who.split(" ", 1)[1]
            title = (
                N_("campaign {name} promises {promised}-day delivery; supply allows {worst}")
                if who.startswith("campaign ")
                else N_("SKU {name} promises {promised}-day delivery; supply allows {worst}")
            )
            found.append(
                _signal(
                    "delivery_promise",
                    84 + min(worst - promised, 5),
                    message(title, name=name, promised=promised, worst=worst),
                    f"{who} promises delivery in {promised} days, but {why}: up to {worst} days. Change the copy "
                    "(ask the warehouse owner) or pause the promise.",
                    area,
                    target,
                    {"promised_days": promised, "possible_days": worst},
                )
            )
    return found


# --- 4. a refund ticket solved while the refund is not synced -------------------------------


def refund_unsynced(session: Session, now: datetime) -> list[Signal]:
    """A returns ticket (or any ticket with a refund status) solved in the last 30 days whose
    refund status is not "synced" with order processing: the refund may be paid twice or never."""
    since = now - timedelta(days=int(_setting(session, "signals.refund_lookback_days")))
    columns = (col(Ticket.id), col(Ticket.order_ref), col(Ticket.refund_status), col(Ticket.solved_at))
    solved = (col(Ticket.is_open).is_(False), col(Ticket.solved_at) >= since)
    # Three seeks on ix_ticket_refund instead of a scan of every ticket solved in the lookback (266 ->
    # 24 ms CPU at 1M): a refund status below "synced" and one above it (any other value counts, as
    # before; an OR of the two made SQLite scan every closed ticket), and the returns tickets with no
    # refund status at all.
    seeks = (
        (col(Ticket.refund_status) < "synced",),
        (col(Ticket.refund_status) > "synced",),
        (col(Ticket.refund_status).is_(None), col(Ticket.category) == "returns"),
    )
    rows = sorted(
        (row for seek in seeks for row in session.execute(select(*columns).where(*seek, *solved)).all()),
        key=lambda row: (row[3], row[0]),
    )
    return [
        _signal(
            "refund_unsynced",
            82,
            message(N_("Ticket {id}: solved, refund {status}"), id=tid, status=status)
            if status
            else message(N_("Ticket {id}: solved, refund not recorded"), id=tid),
            f"Ticket {tid} (order {order or '-'}) was solved {solved:%b %d %H:%M} UTC while its refund status is "
            f"'{status or 'not recorded'}', not 'synced' with order processing: confirm the refund before it is "
            "paid twice or not at all.",
            "tickets",
            TicketTarget(tid),
            {"refund_status": status},
        )
        for tid, order, status, solved in rows
    ]


# --- 5. categories with no owner, escalations to nobody on duty ------------------------------


def routing_gap(session: Session, now: datetime) -> list[Signal]:
    """From the team checks: categories with no routing rule or owner, and escalation
    categories whose owner is off duty now with no backup on duty."""
    from dtc_tui.services.team import checks as team_checks

    found = []
    for check in team_checks.run(session, now):
        if check.code not in ("unrouted", "escalation_uncovered"):
            continue
        urgency = 88 if check.code == "escalation_uncovered" else 75
        found.append(
            Signal(
                "routing_gap",
                urgency,
                check.message,
                check.message + ".",
                "team",
                TeamTarget(check.duty_code, check.person_handle, check.category),
                {"check": check.code},
            )
        )
    return found


SIGNALS = (stock_vs_ads, ticket_rise, delivery_promise, refund_unsynced, routing_gap)


def all_signals(session: Session, now: datetime) -> list[Signal]:
    found = [signal for compute in SIGNALS for signal in compute(session, now)]
    return sorted(found, key=lambda s: -s.urgency)
