"""Inventory health KPIs beside their targets (shared/domain.md section 3).

Definitions chosen here (the domain names the targets, not the formulas):
- aged share: SKUs in stock with any warehouse whose last receipt is older than ``inventory.aged_days``
  (180), over SKUs in stock. Target <= 5%.
- turnover: annual COGS / stock value at cost. COGS = units sold over the ABC window x cost, scaled to
  365 days. The stock value is today's (no stock history is kept), standing in for the average. >= 6.
- core stock-out rate: stock-out days of class A SKU-warehouse positions over the velocity window,
  over (positions x window days). Target < 3%.
- slow-moving share: SKUs in stock with more than ``inventory.slow_cover_days`` (90) of cover over all
  warehouses, or no sale in the velocity window, over SKUs in stock. Target < 10%.
- overstock: units above ``inventory.overstock_days`` (120) of cover, their value at cost and the
  monthly storage cost (+18% of that value a month).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlmodel import Session

from dtc_tui.i18n import _
from dtc_tui.services.common import settings as settings_service
from dtc_tui.services.inventory.board import Board, build_board


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    value: float | None  # None: nothing to measure (no stock, no class A SKU...)
    target: float
    comparison: str  # "<=", "<" or ">="
    detail: str

    @property
    def ok(self) -> bool | None:
        if self.value is None:
            return None
        if self.comparison == "<=":
            return self.value <= self.target
        if self.comparison == "<":
            return self.value < self.target
        return self.value >= self.target


@dataclass(frozen=True)
class Health:
    kpis: tuple[Kpi, ...]
    skus: int
    skus_in_stock: int
    stock_value: float
    cogs_annual: float
    overstock_units: int
    overstock_value: float
    storage_cost_monthly: float
    dead_skus: int
    dead_value: float
    states: dict[str, int]

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["kpis"] = [{**asdict(k), "ok": k.ok} for k in self.kpis]
        return data


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class HealthFigures:
    """The counts and sums behind ``Health``, from one board (the overview's stock snapshot keeps
    these: the KPIs' words and targets are made from them where they are shown)."""

    skus: int
    skus_in_stock: int
    aged: int
    slow: int
    stock_value: float
    cogs_annual: float
    core_positions: int
    core_out_days: int
    window_days: int
    aged_days: int
    slow_cover_days: int
    overstock_units: int
    overstock_value: float
    storage_cost_monthly: float
    dead_skus: int
    dead_value: float
    states: dict[str, int]


def figures(board: Board) -> HealthFigures:
    cfg = board.settings
    totals = board.totals()
    in_stock = [t for t in totals if t.on_hand > 0]
    costs = {t.sku_id: t.cost for t in totals}
    cogs = sum(units * costs.get(sku_id, 0.0) for sku_id, units in board.units_sold.items())
    core = [r for r in board.rows if r.abc == "A"]
    over = [r for r in board.rows if r.plan.excess_units > 0]
    dead = [t for t in totals if t.state == "dead"]
    return HealthFigures(
        skus=len(totals),
        skus_in_stock=len(in_stock),
        aged=sum(1 for t in in_stock if t.aged),
        slow=sum(1 for t in in_stock if t.velocity <= 0 or (t.inp.available / t.velocity) > cfg.slow_cover_days),
        stock_value=sum(r.on_hand * r.cost for r in board.rows if r.on_hand > 0),
        cogs_annual=cogs * 365 / cfg.abc_window_days,
        core_positions=len(core),
        core_out_days=sum(r.stockout_days for r in core),
        window_days=cfg.window_days,
        aged_days=cfg.aged_days,
        slow_cover_days=cfg.slow_cover_days,
        overstock_units=sum(r.plan.excess_units for r in over),
        overstock_value=sum(r.plan.excess_units * r.cost for r in over),
        storage_cost_monthly=sum(r.plan.storage_cost_monthly for r in over),
        dead_skus=len(dead),
        dead_value=sum(t.on_hand * t.cost for t in dead),
        states=board.counts(),
    )


def health(session: Session, now: datetime, board: Board | None = None) -> Health:
    return health_from(session, figures(board or build_board(session, now)))


def health_from(session: Session, f: HealthFigures) -> Health:
    """The KPIs beside their targets (settings, read now) from a board's figures."""

    def target(key: str) -> float:
        return float(settings_service.get(session, key))

    kpis = (
        Kpi(
            "aged_share",
            _("SKUs aged > {days} days").format(days=f.aged_days),
            _share(f.aged, f.skus_in_stock),
            target("inventory.aged_share_target"),
            "<=",
            _("{count} of {total} SKUs in stock").format(count=f.aged, total=f.skus_in_stock),
        ),
        Kpi(
            "turnover",
            _("Turnover (times a year)"),
            f.cogs_annual / f.stock_value if f.stock_value else None,
            target("inventory.turnover_target"),
            ">=",
            _("COGS {cogs}/year over stock {value} at cost").format(
                cogs=f"{f.cogs_annual:,.0f}", value=f"{f.stock_value:,.0f}"
            ),
        ),
        Kpi(
            "core_stockout_rate",
            _("Stock-out rate, class A"),
            _share(f.core_out_days, f.core_positions * f.window_days),
            target("inventory.core_stockout_target"),
            "<",
            _("{out} stock-out days over {positions} positions x {days} days").format(
                out=f.core_out_days, positions=f.core_positions, days=f.window_days
            ),
        ),
        Kpi(
            "slow_share",
            _("Slow-moving SKUs"),
            _share(f.slow, f.skus_in_stock),
            target("inventory.slow_share_target"),
            "<",
            _("{count} of {total} SKUs in stock have > {days} days of cover").format(
                count=f.slow, total=f.skus_in_stock, days=f.slow_cover_days
            ),
        ),
    )
    return Health(
        kpis=kpis,
        skus=f.skus,
        skus_in_stock=f.skus_in_stock,
        stock_value=f.stock_value,
        cogs_annual=f.cogs_annual,
        overstock_units=f.overstock_units,
        overstock_value=f.overstock_value,
        storage_cost_monthly=f.storage_cost_monthly,
        dead_skus=f.dead_skus,
        dead_value=f.dead_value,
        states=f.states,
    )
