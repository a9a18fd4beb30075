"""The reorder rules as pure functions: no database, no clock, hand-checkable.

Definitions (shared/domain.md section 3, and the choices where it is silent):

- velocity = units sold on in-stock days / in-stock days of the window (stock-out days are left out
  of both, so a SKU that was empty half the month is not judged on half its demand).
- safety stock = the buffer held against demand and lead-time surprises: daily sales x buffer days
  (rule method), or z x sigma(daily demand) x sqrt(lead time) (statistical method); none for class C.
- reorder point = daily sales x lead time + safety stock: when the projected stock (available +
  inbound) falls to it, order. domain.md calls this sum "safety stock" ("daily sales x replenishment
  cycle + buffer stock", the cycle being the lead time: 50/day, 21 d, 7 d -> 1,400); this code calls
  it the reorder point, as the ROP column does, and keeps "safety stock" for the buffer (350 there).
- order-up-to = reorder point + daily sales x review cycle, i.e. forecast over lead time + cycle +
  safety stock; suggested = order-up-to - projected stock, then at least the MOQ, then whole case
  packs. (Adding the lead-time forecast to domain.md's "safety stock" would count it twice.)
- class strategy: A keeps at least 30 days of stock (the reorder point never covers fewer days),
  B is replenished dynamically (the plain rule), C is bought on demand (no buffer stock),
  D is cleared (never reordered).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from dtc_tui.i18n import N_
from dtc_tui.models.enums import AbcClass, StockState, values

STATES = values(StockState)
STATE_LABELS = {
    "out": N_("out of stock"),
    "reorder_now": N_("reorder now"),
    "reorder_soon": N_("reorder soon"),
    "ok": N_("ok"),
    "overstock": N_("overstock"),
    "dead": N_("dead stock"),
}
CLASSES = values(AbcClass)
STRATEGY = {"A": N_("keep 30 days"), "B": N_("dynamic"), "C": N_("on demand"), "D": N_("clear")}


# --- the formulas -------------------------------------------------------------------------------


def velocity(units_in_stock: float, window_days: int, stockout_days: int) -> float:
    """Average daily sales over the in-stock days of the window (0 when it was never in stock)."""
    in_stock_days = window_days - stockout_days
    if in_stock_days <= 0:
        return 0.0
    return units_in_stock / in_stock_days


def demand_sigma(units_in_stock: float, squares_in_stock: float, window_days: int, stockout_days: int) -> float:
    """Standard deviation of daily demand over the in-stock days (missing days count as 0 sold)."""
    n = window_days - stockout_days
    if n <= 1:
        return 0.0
    mean = units_in_stock / n
    variance = (squares_in_stock - n * mean * mean) / (n - 1)
    return math.sqrt(max(variance, 0.0))


def safety_stock_rule(daily_sales: float, buffer_days: float) -> float:
    """The rule method's safety (buffer) stock: daily sales x buffer days."""
    return daily_sales * buffer_days


def safety_stock_stat(sigma: float, lead_time_days: float, z: float) -> float:
    """The statistical method's safety stock: z x sigma(daily demand) x sqrt(lead time)."""
    return z * sigma * math.sqrt(max(lead_time_days, 0.0))


def reorder_point(daily_sales: float, lead_time_days: float, safety_stock: float) -> float:
    """Demand over the lead time + safety stock (domain.md's "safety stock": 50 x 21 + 50 x 7 = 1,400)."""
    return daily_sales * lead_time_days + safety_stock


def round_order(need: float, moq: int, case_pack: int) -> int:
    """A purchase quantity: nothing when nothing is needed, else at least the MOQ, in whole case packs."""
    if need <= 0:
        return 0
    qty = max(math.ceil(need - 1e-9), max(moq, 1))
    pack = max(case_pack, 1)
    return math.ceil(qty / pack) * pack


@dataclass(frozen=True)
class Arrival:
    day: date
    qty: int
    ref: str  # "PO-1001" or "TR-12"


def days_until_stockout(available: float, daily_sales: float, arrivals: Sequence[Arrival], today: date) -> int | None:
    """Whole days until the shelf is empty, counting arrivals that land before it empties.

    None when nothing sells (and something is on the shelf). An overdue arrival counts as arriving
    today. An arrival after the stock-out does not move the date: the gap is the point.
    """
    if daily_sales <= 0:
        return 0 if available <= 0 and not any(a.day <= today for a in arrivals) else None
    runway = max(available, 0) / daily_sales
    if not arrivals:
        return math.floor(runway + 1e-9)
    for arrival in sorted(arrivals, key=lambda a: a.day):
        offset = max((arrival.day - today).days, 0)
        if offset > runway:
            break
        runway += arrival.qty / daily_sales
    return math.floor(runway + 1e-9)


# --- ABC ------------------------------------------------------------------------------------------


def abc_classes(
    revenue: dict[int, float], margin: dict[int, float], *, a_share: float, b_share: float, d_margin: float
) -> dict[int, str]:
    """Class by cumulative revenue share: a SKU is A while the revenue ranked *before* it is under
    ``a_share`` (so the SKU that crosses 80% is still A), B while under a_share + b_share, else C.
    C SKUs (the low-volume tail) with a gross margin below ``d_margin`` are D. Ties rank by id.
    """
    total = sum(max(v, 0.0) for v in revenue.values())
    ranked = sorted(revenue, key=lambda k: (-revenue[k], k))
    classes: dict[int, str] = {}
    before = 0.0
    for sku_id in ranked:
        share_before = before / total if total > 0 else 1.0
        value = max(revenue[sku_id], 0.0)
        if value > 0 and share_before < a_share - 1e-12:
            cls = "A"
        elif value > 0 and share_before < a_share + b_share - 1e-12:
            cls = "B"
        else:
            cls = "D" if margin.get(sku_id, 1.0) < d_margin else "C"
        classes[sku_id] = cls
        before += value
    return classes


# --- one row ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """The settings the rules read (see services/settings.py)."""

    class_a_days: int = 30
    reorder_soon_days: int = 14
    overstock_days: int = 120
    dead_days: int = 90
    stat_z: float = 1.65
    storage_cost_monthly: float = 0.18


@dataclass(slots=True)
class RowInput:
    """What the rules need about one SKU in one warehouse (or the SKU in total)."""

    available: int
    on_hand: int
    daily_sales: float
    sigma: float
    lead_time_days: int
    review_cycle_days: int
    buffer_days: int
    moq: int
    case_pack: int
    abc: str
    method: str  # rule | stat
    cost: float
    arrivals: tuple[Arrival, ...] = ()
    sold_recently: bool = False  # sold anything within the dead-stock window (inventory.dead_days)
    had_stockout: bool = False


@dataclass(slots=True)
class RowPlan:
    inbound: int
    projected: int  # available + inbound
    cover_days: float | None  # available / daily sales
    days_to_stockout: int | None
    urgency: int | None  # days to stock-out minus lead time: below 0 the next order lands too late
    safety_stock: float  # the buffer: daily sales x buffer days, or z x sigma x sqrt(lead time); 0 for class C
    reorder_point: float  # lead-time demand + safety stock (class A: at least class_a_days of sales)
    order_up_to: float
    need: float  # order-up-to - projected, when the state calls for an order
    suggested_qty: int  # need rounded to MOQ and case pack (before drafts and transfers)
    state: str
    next_arrival: Arrival | None
    excess_units: int  # above overstock_days of cover
    storage_cost_monthly: float
    today: date
    lead_time_days: int

    @property
    def stockout_date(self) -> date | None:
        return None if self.days_to_stockout is None else self.today + timedelta(days=self.days_to_stockout)

    @property
    def reorder_by(self) -> date | None:
        """The last day an order placed now still lands before the stock-out."""
        if self.days_to_stockout is None:
            return None
        return self.today + timedelta(days=self.days_to_stockout - self.lead_time_days)


def plan_row(row: RowInput, policy: Policy, today: date) -> RowPlan:
    # Once per board row (30k at 10k SKUs): the formulas above written out where they are one
    # product or sum (the same operations in the same order, so the same floats).
    v = row.daily_sales
    lead = row.lead_time_days if row.lead_time_days > 0 else 0
    available = row.available
    arrivals = row.arrivals
    if arrivals:
        inbound = sum(a.qty for a in arrivals)
        days_out = days_until_stockout(available, v, arrivals, today)
    else:
        inbound = 0
        if v <= 0:
            days_out = 0 if available <= 0 else None
        else:
            days_out = math.floor((available if available > 0 else 0) / v + 1e-9)
    projected = available + inbound
    abc = row.abc
    if abc == "C":
        safety = 0.0
    elif row.method == "stat":
        safety = safety_stock_stat(row.sigma, lead, policy.stat_z)
    else:
        safety = v * row.buffer_days  # safety_stock_rule
    rop = v * lead + safety  # reorder_point
    if abc == "A" and rop < v * policy.class_a_days:
        rop = v * policy.class_a_days
    order_up_to = rop + v * row.review_cycle_days
    cover = available / v if v > 0 else None
    state = _state(row, policy, projected, rop, days_out, lead, cover)
    need = order_up_to - projected if state in _ORDERING and abc != "D" and order_up_to > projected else 0.0
    excess = 0
    if available > 0:
        excess = max(int(available - v * policy.overstock_days), 0)
    # Urgency ranks the board. Not urgent: an empty row that is not "out" (nobody buys it), and class D,
    # which is being cleared (running out is the goal).
    urgency = None if days_out is None or abc == "D" or (available <= 0 and state != "out") else days_out - lead
    return RowPlan(
        inbound,
        projected,
        cover,
        days_out,
        urgency,
        safety,
        rop,
        order_up_to,
        need,
        round_order(need, row.moq, row.case_pack) if need > 0 else 0,
        state,
        min(arrivals, key=_arrival_day) if arrivals else None,
        excess,
        excess * row.cost * policy.storage_cost_monthly,
        today,
        lead,
    )


_ORDERING = frozenset(("out", "reorder_now", "reorder_soon"))


def _arrival_day(arrival: Arrival) -> date:
    return arrival.day


def safety_stock_formula(row: RowInput, policy: Policy) -> str:
    """How the safety stock was reached, for the detail view."""
    lead = max(row.lead_time_days, 0)
    if row.abc == "C":
        return "no buffer (class C: bought on demand)"
    if row.method == "stat":
        return f"{policy.stat_z} x sigma {row.sigma:.1f} x sqrt({lead})"
    return f"{row.daily_sales:.1f}/day x {row.buffer_days} d buffer"


def reorder_point_formula(row: RowInput, plan: RowPlan, policy: Policy) -> str:
    """How the reorder point was reached, for the detail view."""
    v, lead = row.daily_sales, max(row.lead_time_days, 0)
    text = f"{v:.1f}/day x {lead} d lead time + {safety_stock_formula(row, policy)}"
    if (
        row.abc == "A"
        and v > 0
        and plan.reorder_point <= v * policy.class_a_days + 1e-9
        and v * lead + plan.safety_stock < plan.reorder_point - 1e-9
    ):
        text += f", raised to {policy.class_a_days} days of sales (class A)"
    return text


def _state(
    row: RowInput, policy: Policy, projected: float, rop: float, days_out: int | None, lead: int, cover: float | None
) -> str:
    v = row.daily_sales
    if row.available <= 0:
        # Empty and nobody asked for it lately, or a class D SKU being cleared: nothing to do.
        return "out" if (v > 0 or row.had_stockout) and row.abc != "D" else "ok"
    if v <= 0:
        return "overstock" if row.sold_recently else "dead"
    if row.abc != "D":
        if projected <= rop or (days_out is not None and days_out < lead):
            return "reorder_now"
        if projected <= rop + v * policy.reorder_soon_days:
            return "reorder_soon"
    if cover is not None and cover > policy.overstock_days:
        return "overstock"
    return "ok"


# --- transfers before purchases -------------------------------------------------------------------


def gap_units(row: RowInput, plan: RowPlan, transfer_days: int) -> float:
    """Units a transfer should bring to bridge an empty shelf until the next arrival.

    0 when the stock lasts until then, or when a transfer (``transfer_days`` on the way) would land
    after the arrival anyway.
    """
    arrival = plan.next_arrival
    if arrival is None or row.daily_sales <= 0 or plan.days_to_stockout is None:
        return 0.0
    offset = max((arrival.day - plan.today).days, 0)
    if plan.days_to_stockout >= offset or offset <= transfer_days:
        return 0.0
    return max(row.daily_sales * offset - max(row.available, 0), 0.0)


@dataclass(frozen=True)
class TransferSuggestion:
    sku_id: int
    from_warehouse_id: int
    to_warehouse_id: int
    qty: int


def plan_transfers(
    sku_id: int, needs: Iterable[tuple[int, float, int | None]], surplus: dict[int, int]
) -> list[TransferSuggestion]:
    """Cover warehouses that need stock from warehouses of the same SKU with surplus.

    ``needs`` holds (warehouse id, units needed, urgency); ``surplus`` what each other warehouse can
    give without falling below its own order-up-to level. The most urgent need is served first,
    from the source with the largest surplus.
    """
    left = {wh: qty for wh, qty in surplus.items() if qty > 0}
    result: list[TransferSuggestion] = []
    for wh, need, _urgency in sorted(needs, key=lambda n: (n[2] if n[2] is not None else 10**9, n[0])):
        wanted = math.ceil(need - 1e-9)
        for source in sorted(left, key=lambda w: (-left[w], w)):
            if wanted <= 0:
                break
            if source == wh or left[source] <= 0:
                continue
            give = min(left[source], wanted)
            result.append(TransferSuggestion(sku_id, source, wh, give))
            left[source] -= give
            wanted -= give
    return result
