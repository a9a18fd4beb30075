"""Ad spend vs returns: channel, campaign and day figures for a period, against the previous
period of equal length, blended figures from the store's own till, rules and budget moves.

Queries only here; the formulas are in ``ads_metrics`` and the rules in ``ads_rules``. The
results are plain dataclasses the screen and the CLI share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlmodel import Session, col

from dtc_tui import db, errors
from dtc_tui.errors import UserError
from dtc_tui.i18n import _
from dtc_tui.models import AdChannel, AdStatDaily, Campaign, PeakPeriod, Sku, StockLevel, StoreDaily
from dtc_tui.services.ads.metrics import (
    Period,
    Totals,
    blended_roas,
    break_even_roas,
    change,
    contribution_margin,
    difference,
    ratio,
    spend_share,
    sum_totals,
)
from dtc_tui.services.ads.rules import (
    Alert,
    BudgetMove,
    MoveCandidate,
    Peak,
    RuleSettings,
    Targets,
    cpa_message,
    cpa_over_target,
    losing_streak,
    pause_message,
    peak_on,
    spend_share_message,
    suggest_moves,
    targets_in_force,
)
from dtc_tui.services.common import fx, localefmt, settings
from dtc_tui.services.common.money import per_currency

STREAK_LOOKBACK_DAYS = 90  # how far back a losing run is counted (the rule needs only ads.pause_days)
UPCOMING_PEAK_DAYS = 30  # a peak starting within this many days after the period is announced


# --- plain data -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockInfo:
    """The promoted SKU's stock as of now (whatever the period): from the inventory service
    (state, projected stock-out, next arrival), else the on-hand total of stock_level."""

    sku_code: str
    on_hand: int
    available: int
    state: str | None = None  # inventory's label: "out of stock", "reorder now", ...
    at_risk: bool = False  # out of stock, or running out before a new order could land
    stockout_on: date | None = None
    next_inbound_on: date | None = None
    days_without_stock: int | None = None

    @property
    def text(self) -> str:
        parts = [_("{sku}: {count} on hand").format(sku=self.sku_code, count=localefmt.number(self.on_hand))]
        if self.state:
            parts.append(_(self.state))
        if self.stockout_on:
            parts.append(_("stock-out {day}").format(day=localefmt.stock_day_label(self.stockout_on)))
        return ", ".join(parts)

    def as_dict(self) -> dict[str, object]:
        return {
            "sku": self.sku_code,
            "on_hand": self.on_hand,
            "available": self.available,
            "state": self.state,
            "at_risk": self.at_risk,
            "stockout_on": _iso(self.stockout_on),
            "next_inbound_on": _iso(self.next_inbound_on),
            "days_without_stock": self.days_without_stock,
        }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


@dataclass(frozen=True)
class CampaignInfo:
    id: int
    channel: str
    channel_name: str
    name: str
    status: str
    daily_budget: float
    target_roas: float | None
    target_cpa: float | None
    sku_code: str | None
    margin: float | None
    margin_source: str  # "sku" (from the promoted SKU's price and cost) or "setting"
    promise_days: int | None
    version: int
    currency: str = "USD"  # the currency the platform bills and reports this campaign in

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True)
class ReportRow:
    """One line of a table: the account total, a channel, a campaign or a day."""

    level: str  # total | channel | campaign | day
    key: tuple[Any, ...]
    label: str
    channel: str
    current: Totals
    previous: Totals | None
    targets: Targets
    break_even: float | None
    campaign_id: int | None = None
    day: date | None = None
    alerts: tuple[Alert, ...] = ()
    streak: int = 0
    below_pause: bool = False  # day rows: ROAS below that day's pause threshold
    campaign: CampaignInfo | None = None
    stock: StockInfo | None = None
    campaigns: int = 0  # channel rows: how many campaigns
    # The currency of the row's amounts: the campaign's; for a channel, the total or a day, the
    # one currency of its campaigns, else the store currency when every amount was converted at
    # its day's fx rate. None: several currencies and a rate missing; the amounts are then only
    # in ``by_currency`` (spend and revenue per currency) and the row's money figures are blank.
    currency: str | None = None
    by_currency: tuple[tuple[str, float, float], ...] = ()
    # Day rows: the currencies whose amounts were converted to ``currency`` at that day's fx rate.
    converted_from: tuple[str, ...] = ()

    @property
    def mixed(self) -> bool:
        return self.currency is None

    @property
    def roas(self) -> float | None:
        return self.current.roas

    @property
    def roas_change(self) -> float | None:
        return difference(self.current.roas, self.previous.roas if self.previous else None)

    @property
    def spend_change(self) -> float | None:
        return change(self.current.spend, self.previous.spend if self.previous else None)

    @property
    def revenue_change(self) -> float | None:
        return change(self.current.revenue, self.previous.revenue if self.previous else None)

    @property
    def has_alert(self) -> bool:
        return bool(self.alerts) or self.below_pause

    @property
    def roas_state(self) -> str:
        """none | loss (below break-even or the pause line) | low (below target) | ok."""
        value = self.current.roas
        if value is None:
            return "none"
        if (self.break_even is not None and value < self.break_even) or value < self.targets.pause_roas:
            return "loss"
        if value < self.targets.target_roas:
            return "low"
        return "ok"

    @property
    def cpa_state(self) -> str:
        """none | over (alert: above target + tolerance) | above (above target) | ok."""
        target = self.targets.target_cpa
        if target is None or self.current.spend <= 0:
            return "none"
        if cpa_over_target(self.current, self.targets):
            return "over"
        value = self.current.cpa
        return "above" if value is not None and value > target else "ok"

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "level": self.level,
            "label": self.label,
            "channel": self.channel,
            "campaign_id": self.campaign_id,
            "day": self.day.isoformat() if self.day else None,
            **self.current.as_dict(),
            "currency": self.currency,
            "previous": self.previous.as_dict() if self.previous else None,
            "roas_change": _r(self.roas_change),
            "spend_change": _r(self.spend_change),
            "target_roas": self.targets.target_roas,
            "target_cpa": self.targets.target_cpa,
            "cpa_tolerance": self.targets.cpa_tolerance,
            "peak": self.targets.peak,
            "break_even_roas": _r(self.break_even),
            "losing_streak_days": self.streak,
            "alerts": [alert.as_dict() for alert in self.alerts],
        }
        if self.mixed:  # no one currency: the amounts are per currency, never one sum
            for name in ("spend", "revenue", "roas", "cpa", "cpc", "cpm"):
                if name in data:
                    data[name] = None
            data["previous"] = None
            data["by_currency"] = {
                code: {"spend": round(spend, 2), "revenue": round(revenue, 2)}
                for code, spend, revenue in self.by_currency
            }
        if self.campaign is not None:
            data.update(
                {
                    "status": self.campaign.status,
                    "daily_budget": self.campaign.daily_budget,
                    "margin": _r(self.campaign.margin),
                    "margin_source": self.campaign.margin_source,
                    "promise_days": self.campaign.promise_days,
                    "version": self.campaign.version,
                }
            )
        if self.stock is not None:
            data["promoted_sku"] = self.stock.as_dict()
        return data


def _r(value: float | None, digits: int = 4) -> float | None:
    if value is None or value == float("inf"):
        return None
    return round(value, digits)


@dataclass(frozen=True)
class Blended:
    """Platform-independent figures: the store's till against total ad spend."""

    store_revenue: float
    store_orders: int
    store_refunds: float
    ad_spend: float
    attributed_revenue: float
    previous_store_revenue: float
    previous_ad_spend: float
    band: tuple[float, float]
    stage: str
    # Days with store figures (orders or an imported store-daily row) in each period: with none,
    # the store revenue is unknown and blended figures are "no data", never 0. None: not counted.
    store_days: int | None = None
    previous_store_days: int | None = None
    revenue_basis: str = ""  # "net of refunds" or "gross" (the orders.revenue_basis setting)
    currency: str = "USD"  # the store currency: the till's, and ad spend converted to it
    # False when some ad spend is in another currency without an fx rate: blended ROAS, MER and
    # the spend share are then unknown (never store revenue over a sum of several currencies).
    spend_known: bool = True

    @property
    def has_store_data(self) -> bool:
        return self.store_days != 0 and self.spend_known

    @property
    def blended_roas(self) -> float | None:
        """Store revenue / ad spend (also called MER here)."""
        return blended_roas(self.store_revenue, self.ad_spend) if self.has_store_data else None

    @property
    def previous_blended_roas(self) -> float | None:
        if self.previous_store_days == 0 or not self.spend_known:
            return None
        return blended_roas(self.previous_store_revenue, self.previous_ad_spend)

    @property
    def spend_share(self) -> float | None:
        """Ad spend / store revenue."""
        return spend_share(self.ad_spend, self.store_revenue) if self.has_store_data else None

    @property
    def attributed_share(self) -> float | None:
        """What the platforms claim as a share of the till (over 100%: double counting)."""
        return ratio(self.attributed_revenue, self.store_revenue) if self.spend_known else None

    @property
    def spend_share_state(self) -> str:
        share = self.spend_share
        if share is None:
            return "none"
        low, high = self.band
        return "above" if share > high else ("below" if share < low else "within")

    def as_dict(self) -> dict[str, object]:
        return {
            "store_revenue": round(self.store_revenue, 2),
            "store_orders": self.store_orders,
            "store_refunds": round(self.store_refunds, 2),
            "ad_spend": round(self.ad_spend, 2) if self.spend_known else None,
            "attributed_revenue": round(self.attributed_revenue, 2) if self.spend_known else None,
            "currency": self.currency,
            "ad_spend_converted": self.spend_known,
            "blended_roas_store_revenue_over_ad_spend": _r(self.blended_roas),
            "previous_blended_roas": _r(self.previous_blended_roas),
            "ad_spend_share_of_store_revenue": _r(self.spend_share),
            "attributed_share_of_store_revenue": _r(self.attributed_share),
            "spend_share_target": list(self.band),
            "store_stage": self.stage,
        }


@dataclass(frozen=True)
class AdsReport:
    period: Period
    previous_period: Period
    rules: RuleSettings
    peaks: tuple[Peak, ...]
    peak: Peak | None  # in force at the period's end
    upcoming_peak: Peak | None
    total: ReportRow
    channels: list[ReportRow]
    campaigns: list[ReportRow]
    blended: Blended
    alerts: list[Alert]
    moves: list[BudgetMove]
    campaign_info: dict[int, CampaignInfo] = field(default_factory=dict)
    currency: str = "USD"  # the store currency: group rows and blended figures convert to it
    conversion: fx.Conversion | None = None  # the period's ad spend, with the rates used or missing
    rates: fx.Rates = field(default_factory=fx.Rates)

    @property
    def fx_note(self) -> str | None:
        """``converted to GBP at fx rates of ...`` when amounts in other currencies were converted."""
        return self.conversion.note if self.conversion is not None else None

    @property
    def fx_warning(self) -> str | None:
        """Amounts in several currencies and a rate missing: totals per currency, never one sum."""
        return self.conversion.warning if self.conversion is not None else None

    def money_lines(self) -> list[str]:
        """What a reader must know about the currencies of the figures: a note or a warning."""
        return [line for line in (self.fx_note, self.fx_warning) if line]

    def campaigns_of(self, channel: str | None) -> list[ReportRow]:
        return [row for row in self.campaigns if channel is None or row.channel == channel]

    def campaign_row(self, campaign_id: int) -> ReportRow | None:
        return next((row for row in self.campaigns if row.campaign_id == campaign_id), None)

    def currency_of(self, row: ReportRow) -> str | None:
        """A campaign row's currency (None for a channel or total row)."""
        info = self.campaign_info.get(row.campaign_id) if row.campaign_id is not None else None
        return info.currency if info else None

    def spend_by_currency(self) -> dict[str, float]:
        return per_currency((self.currency_of(row) or "USD", row.current.spend) for row in self.campaigns)

    def revenue_by_currency(self) -> dict[str, float]:
        return per_currency((self.currency_of(row) or "USD", row.current.revenue) for row in self.campaigns)

    def channel_row(self, channel: str) -> ReportRow | None:
        return next((row for row in self.channels if row.channel == channel), None)

    def as_dict(self) -> dict[str, object]:
        return {
            "period": self.period.as_dict(),
            "previous_period": self.previous_period.as_dict(),
            "currency": self.currency,
            "fx": {
                "converted": bool(self.conversion and self.conversion.converted),
                "complete": bool(self.conversion is None or self.conversion.complete),
                "note": self.fx_note,
                "warning": self.fx_warning,
                "spend_by_currency": {code: round(v, 2) for code, v in self.spend_by_currency().items()},
            },
            "peak": self.peak.name if self.peak else None,
            "blended": self.blended.as_dict(),
            "total": self.total.as_dict(),
            "channels": [row.as_dict() for row in self.channels],
            "campaigns": [row.as_dict() for row in self.campaigns],
            "alerts": [alert.as_dict() for alert in self.alerts],
            "budget_moves": [move.as_dict() for move in self.moves],
        }


# --- queries ----------------------------------------------------------------------------------


def _read(session: Session, stmt: Any) -> Any:
    """Run a read on the session's connection: plain rows, without the ORM's per-row overhead."""
    return session.connection().execute(stmt)


def rule_settings(session: Session) -> RuleSettings:
    return RuleSettings.from_values(lambda key: settings.get(session, key))


def load_peaks(session: Session) -> tuple[Peak, ...]:
    rows = _read(
        session,
        select(
            col(PeakPeriod.name),
            col(PeakPeriod.starts_on),
            col(PeakPeriod.ends_on),
            col(PeakPeriod.target_roas),
            col(PeakPeriod.cpa_tolerance),
        ).order_by(col(PeakPeriod.starts_on)),
    )
    return tuple(Peak(*row) for row in rows)


def load_campaigns(session: Session, rules: RuleSettings) -> list[CampaignInfo]:
    stmt = (
        select(
            col(Campaign.id),
            col(AdChannel.code),
            col(AdChannel.name),
            col(Campaign.name),
            col(Campaign.status),
            col(Campaign.daily_budget),
            col(Campaign.target_roas),
            col(Campaign.target_cpa),
            col(Sku.code),
            col(Sku.price),
            col(Sku.cost),
            col(Campaign.promise_days),
            col(Campaign.version),
            col(Campaign.currency),
        )
        .join(AdChannel, col(AdChannel.id) == col(Campaign.channel_id))
        .outerjoin(Sku, col(Sku.id) == col(Campaign.sku_id))
        .order_by(col(AdChannel.code), col(Campaign.name), col(Campaign.id))
    )
    result = []
    for (
        cid,
        channel,
        channel_name,
        name,
        status,
        budget,
        t_roas,
        t_cpa,
        sku_code,
        price,
        cost,
        promise,
        version,
        currency,
    ) in _read(session, stmt):
        margin = contribution_margin(price, cost) if sku_code is not None and price else None
        source = "sku" if margin is not None else "setting"
        result.append(
            CampaignInfo(
                cid,
                channel,
                channel_name,
                name,
                status,
                float(budget or 0),
                t_roas,
                t_cpa,
                sku_code,
                margin if margin is not None else rules.contribution_margin,
                source,
                promise,
                version,
                currency or "USD",
            )
        )
    return result


def _totals_by_campaign(session: Session, period: Period) -> dict[int, Totals]:
    stmt = (
        select(
            col(AdStatDaily.campaign_id),
            func.sum(col(AdStatDaily.spend)),
            func.sum(col(AdStatDaily.impressions)),
            func.sum(col(AdStatDaily.clicks)),
            func.sum(col(AdStatDaily.conversions)),
            func.sum(col(AdStatDaily.revenue)),
        )
        .where(col(AdStatDaily.day) >= period.start, col(AdStatDaily.day) <= period.end)
        .group_by(col(AdStatDaily.campaign_id))
    )
    return {cid: _totals(row) for cid, *row in _read(session, stmt)}


def _totals(row: Sequence[Any]) -> Totals:
    spend, impressions, clicks, conversions, revenue = row
    return Totals(
        float(spend or 0), int(impressions or 0), int(clicks or 0), float(conversions or 0), float(revenue or 0)
    )


def _daily_by_campaign(
    session: Session, start: date, end: date, campaign_ids: list[int] | None = None
) -> dict[int, dict[date, Totals]]:
    stmt = select(
        col(AdStatDaily.campaign_id), col(AdStatDaily.day), col(AdStatDaily.spend), col(AdStatDaily.revenue)
    ).where(col(AdStatDaily.day) >= start, col(AdStatDaily.day) <= end)
    if campaign_ids is not None:
        stmt = stmt.where(col(AdStatDaily.campaign_id).in_(campaign_ids))
    result: dict[int, dict[date, Totals]] = {}
    for cid, day, spend, revenue in _read(session, stmt):
        result.setdefault(cid, {})[day] = Totals(spend=float(spend or 0), revenue=float(revenue or 0))
    return result


def _daily_money(
    session: Session, period: Period, campaign_ids: list[int]
) -> dict[int, list[tuple[date, float, float]]]:
    """(day, spend, revenue) per campaign: what a conversion needs (each amount at its day's rate)."""
    result: dict[int, list[tuple[date, float, float]]] = {}
    if not campaign_ids:
        return result
    stmt = select(
        col(AdStatDaily.campaign_id), col(AdStatDaily.day), col(AdStatDaily.spend), col(AdStatDaily.revenue)
    ).where(
        col(AdStatDaily.day) >= period.start,
        col(AdStatDaily.day) <= period.end,
        col(AdStatDaily.campaign_id).in_(campaign_ids),
    )
    for cid, day, spend, revenue in _read(session, stmt):
        result.setdefault(cid, []).append((day, float(spend or 0), float(revenue or 0)))
    return result


@dataclass(frozen=True)
class _InStore:
    """A campaign's totals in the store currency (None: an amount had no fx rate), and the
    conversions behind them (for the note or the warning)."""

    current: Totals | None
    previous: Totals | None
    conversion: fx.Conversion | None = None


def _in_store_currency(
    session: Session,
    infos: list[CampaignInfo],
    current: dict[int, Totals],
    previous: dict[int, Totals],
    periods: tuple[Period, Period],
    store: str,
    rates: fx.Rates,
) -> dict[int, _InStore]:
    foreign = [info for info in infos if info.currency != store]
    ids = [info.id for info in foreign]
    daily_now, daily_before = _daily_money(session, periods[0], ids), _daily_money(session, periods[1], ids)
    out = {
        info.id: _InStore(current.get(info.id, Totals()), previous.get(info.id, Totals()))
        for info in infos
        if info.currency == store
    }
    for info in foreign:
        converted: list[Totals | None] = []
        seen: fx.Conversion | None = None
        for daily, totals in ((daily_now, current), (daily_before, previous)):
            days = daily.get(info.id, [])
            spend = fx.convert(((d, info.currency, s) for d, s, _r in days), store, rates)
            revenue = fx.convert(((d, info.currency, r) for d, _s, r in days), store, rates)
            both = spend.merge(revenue)
            seen = both if seen is None else seen
            base = totals.get(info.id, Totals())
            converted.append(replace(base, spend=spend.total, revenue=revenue.total) if both.complete else None)
        out[info.id] = _InStore(converted[0], converted[1], seen)
    return out


def revenue_label(session: Session) -> str:
    from dtc_tui.services.orders.daily import revenue_label as label

    return label(session)


def _store(session: Session, period: Period) -> tuple[float, int, float, int]:
    """The till over the period (store_daily: rebuilt from orders where there are orders, see
    services.orders.daily) and how many days it has figures for."""
    stmt = select(
        func.sum(StoreDaily.revenue), func.sum(StoreDaily.orders), func.sum(StoreDaily.refunds), func.count()
    ).where(col(StoreDaily.day) >= period.start, col(StoreDaily.day) <= period.end)
    revenue, orders, refunds, days = _read(session, stmt).one()
    return float(revenue or 0), int(orders or 0), float(refunds or 0), int(days or 0)


def promoted_stock(session: Session, sku_codes: Iterable[str], now: datetime) -> dict[str, StockInfo]:
    """The promoted SKUs' stock, by SKU code.

    The inventory service's ``sku_stock_states`` gives the state and the projected stock-out;
    without it (an older inventory module) the on-hand total over every warehouse is shown.
    """
    codes = sorted(set(sku_codes))
    if not codes:
        return {}
    from dtc_tui.services.inventory import stock_state as inventory

    states = getattr(inventory, "sku_stock_states", None)
    if states is not None:
        ids = dict(_read(session, select(col(Sku.id), col(Sku.code)).where(col(Sku.code).in_(codes))).all())
        return {
            state.code: StockInfo(
                state.code,
                state.on_hand,
                state.available,
                state.state_label,
                state.at_risk,
                state.stockout_date,
                state.next_inbound_date,
                state.days_without_stock,
            )
            for state in states(session, list(ids), now).values()
        }
    stmt = (
        select(
            col(Sku.code),
            func.coalesce(func.sum(col(StockLevel.on_hand)), 0),
            func.coalesce(func.sum(col(StockLevel.on_hand) - col(StockLevel.committed)), 0),
        )
        .outerjoin(StockLevel, col(StockLevel.sku_id) == col(Sku.id))
        .where(col(Sku.code).in_(codes))
        .group_by(Sku.code)
    )
    return {
        code: StockInfo(code, int(on_hand), int(available), at_risk=int(available) <= 0)
        for code, on_hand, available in _read(session, stmt)
    }


def _weighted_break_even(rows: Iterable[tuple[Totals, CampaignInfo]], fallback: float) -> float | None:
    """Break-even of a group: 1 / its revenue-weighted margin (spend-weighted without revenue)."""
    items = list(rows)
    revenue = sum(t.revenue for t, _info in items)
    if revenue > 0:
        margin = sum(t.revenue * (c.margin or fallback) for t, c in items) / revenue
    else:
        spend = sum(t.spend for t, _info in items)
        margin = sum(t.spend * (c.margin or fallback) for t, c in items) / spend if spend > 0 else fallback
    return break_even_roas(margin)


def load_report(session: Session, period: Period, now: datetime) -> AdsReport:
    """Everything the ads screen and ``dtc-tui ads report/check`` show for one period."""
    rules = rule_settings(session)
    peaks = load_peaks(session)
    peak = peak_on(period.end, peaks)
    upcoming = next(
        (p for p in peaks if period.end < p.starts_on <= period.end + timedelta(days=UPCOMING_PEAK_DAYS)), None
    )
    previous_period = period.previous()
    infos = load_campaigns(session, rules)
    current = _totals_by_campaign(session, period)
    previous = _totals_by_campaign(session, previous_period)
    streaks = _losing_streaks(session, period.end, rules, peaks)
    stock = promoted_stock(session, [c.sku_code for c in infos if c.sku_code], now)
    store = fx.store_currency(session)
    rates = fx.load_rates(session) if any(info.currency != store for info in infos) else fx.Rates()
    in_store = _in_store_currency(session, infos, current, previous, (period, previous_period), store, rates)
    conversion: fx.Conversion | None = None
    for item in in_store.values():
        if item.conversion is not None:
            conversion = item.conversion if conversion is None else conversion.merge(item.conversion)

    campaigns: list[ReportRow] = []
    for info in infos:
        totals = current.get(info.id, Totals())
        targets = targets_in_force(rules, info.target_roas, info.target_cpa, peak)
        streak = streaks.get(info.id, 0)
        sku_stock = stock.get(info.sku_code) if info.sku_code else None
        row = ReportRow(
            "campaign",
            ("campaign", info.id),
            info.name,
            info.channel,
            totals,
            previous.get(info.id, Totals()),
            targets,
            break_even_roas(info.margin),
            campaign_id=info.id,
            streak=streak,
            campaign=info,
            stock=sku_stock,
            currency=info.currency,
        )
        campaigns.append(replace(row, alerts=tuple(_campaign_alerts(row, info, rules))))

    channels = []
    for code in sorted({info.channel for info in infos}):
        members = [row for row in campaigns if row.channel == code]
        channels.append(
            _group_row(
                "channel",
                ("channel", code),
                members[0].campaign.channel_name if members[0].campaign else code,
                code,
                members,
                rules,
                peak,
                store,
                in_store,
            )
        )
    total = _group_row("total", ("total",), _("All channels"), "", campaigns, rules, peak, store, in_store)
    now_in_store = [in_store[row.campaign_id].current for row in campaigns if row.campaign_id is not None]
    before_in_store = [in_store[row.campaign_id].previous for row in campaigns if row.campaign_id is not None]
    spend_known = all(t is not None for t in now_in_store)
    store_spend = sum_totals([t for t in now_in_store if t is not None])
    store_before = sum_totals([t for t in before_in_store if t is not None])

    store_revenue, store_orders, store_refunds, store_days = _store(session, period)
    prev_store_revenue, _orders, _refunds, prev_store_days = _store(session, previous_period)
    blended = Blended(
        store_revenue,
        store_orders,
        store_refunds,
        store_spend.spend,
        store_spend.revenue,
        prev_store_revenue,
        store_before.spend if all(t is not None for t in before_in_store) else 0.0,
        rules.spend_share_band,
        rules.store_stage,
        store_days,
        prev_store_days,
        revenue_label(session),
        store,
        spend_known,
    )
    alerts = [alert for row in campaigns for alert in row.alerts]
    if blended.spend_share_state == "above" and blended.spend_share is not None:
        alerts.insert(0, Alert("spend_share", spend_share_message(blended.spend_share, rules), currency=store))
    moves = suggest_moves(
        (
            MoveCandidate(
                row.campaign_id or 0,
                f"{row.channel} / {row.label}",
                row.roas,
                row.break_even,
                row.targets.target_roas,
                row.campaign.daily_budget if row.campaign else 0.0,
                bool(row.campaign and row.campaign.active),
                row.currency or store,
            )
            for row in campaigns
            if row.current.spend > 0
        ),
        rules,
    )
    return AdsReport(
        period,
        previous_period,
        rules,
        peaks,
        peak,
        upcoming,
        total,
        channels,
        campaigns,
        blended,
        alerts,
        moves,
        {info.id: info for info in infos},
        store,
        conversion,
        rates,
    )


def _losing_streaks(session: Session, end: date, rules: RuleSettings, peaks: tuple[Peak, ...]) -> dict[int, int]:
    """Each campaign's run of losing days ending on ``end``, counted up to STREAK_LOOKBACK_DAYS.

    The rule needs only ``pause_days``: read that window for every campaign, and look further
    back only for the few campaigns that lost on every day of it.
    """
    window = max(rules.pause_days, 1)
    daily = _daily_by_campaign(session, end - timedelta(days=window - 1), end)
    streaks = {cid: losing_streak(days, end, rules, peaks, window) for cid, days in daily.items()}
    longer = sorted(cid for cid, streak in streaks.items() if streak >= window)
    if longer and window < STREAK_LOOKBACK_DAYS:
        history = _daily_by_campaign(session, end - timedelta(days=STREAK_LOOKBACK_DAYS - 1), end, longer)
        for cid in longer:
            streaks[cid] = losing_streak(history.get(cid, {}), end, rules, peaks, STREAK_LOOKBACK_DAYS)
    return streaks


def _campaign_alerts(row: ReportRow, info: CampaignInfo, rules: RuleSettings) -> list[Alert]:
    alerts = []
    if info.active and row.streak >= rules.pause_days:
        message = pause_message(row.streak, row.targets, row.roas, capped=row.streak >= STREAK_LOOKBACK_DAYS)
        alerts.append(Alert("pause", message, info.id, info.channel, info.name, info.currency))
    if cpa_over_target(row.current, row.targets):
        message = cpa_message(row.current, row.targets, info.currency)
        alerts.append(Alert("cpa", message, info.id, info.channel, info.name, info.currency))
    if info.active and row.stock is not None and row.stock.at_risk and row.current.spend > 0:
        message = stock_message(row.stock, info.promise_days)
        alerts.append(Alert("stock", message, info.id, info.channel, info.name, info.currency))
    return alerts


def stock_message(stock: StockInfo, promise_days: int | None) -> str:
    """Marketing promotes what the warehouse is about to run out of: say when, and the promise."""
    state = _(stock.state) if stock.state else _("no stock available")
    text = _("promotes {sku} ({state})").format(sku=stock.sku_code, state=state)
    if stock.stockout_on:
        text += _(": stock-out {day}").format(day=localefmt.stock_day_label(stock.stockout_on))
    if stock.next_inbound_on:
        text += _(", next arrival {day}").format(day=localefmt.stock_day_label(stock.next_inbound_on))
        if stock.days_without_stock:
            text += _(", {days} days without stock").format(days=stock.days_without_stock)
    if promise_days:
        text += _(", while the ad promises {days}-day delivery").format(days=promise_days)
    return text + _(": pause or switch the product")


def _group_row(
    level: str,
    key: tuple[Any, ...],
    label: str,
    channel: str,
    members: list[ReportRow],
    rules: RuleSettings,
    peak: Peak | None,
    store: str = "USD",
    in_store: dict[int, _InStore] | None = None,
) -> ReportRow:
    """A channel's or the account's row: its campaigns summed in their one currency, else in the
    store currency at each day's fx rate, else (a rate missing) per currency only."""
    currencies = {row.currency for row in members}
    converted = [in_store.get(row.campaign_id) if in_store and row.campaign_id is not None else None for row in members]
    currency: str | None
    by_currency: tuple[tuple[str, float, float], ...] = ()
    weights: list[tuple[Totals, CampaignInfo]] = []
    if len(currencies) <= 1:
        currency = next(iter(currencies), None) or store
        current = sum_totals([row.current for row in members])
        previous: Totals | None = sum_totals([row.previous for row in members if row.previous is not None])
        weights = [(row.current, row.campaign) for row in members if row.campaign]
    elif all(item is not None and item.current is not None for item in converted):
        currency = store
        current = sum_totals([item.current for item in converted if item and item.current])
        befores = [item.previous for item in converted if item is not None]
        previous = sum_totals([t for t in befores if t is not None]) if all(t is not None for t in befores) else None
        weights = [
            (item.current, row.campaign)
            for row, item in zip(members, converted, strict=True)
            if row.campaign and item and item.current
        ]
    else:
        currency = None  # several currencies, a rate missing: never one sum
        raw = sum_totals([row.current for row in members])
        current = Totals(0.0, raw.impressions, raw.clicks, raw.conversions, 0.0)
        previous = None
        spend = per_currency((row.currency or store, row.current.spend) for row in members)
        revenue = per_currency((row.currency or store, row.current.revenue) for row in members)
        by_currency = tuple((code, amount, revenue.get(code, 0.0)) for code, amount in spend.items())
    break_even = _weighted_break_even(weights, rules.contribution_margin) if weights else None
    targets = targets_in_force(rules, None, None, peak)
    return ReportRow(
        level,
        key,
        label,
        channel,
        current,
        previous,
        targets,
        break_even,
        alerts=tuple(alert for row in members for alert in row.alerts),
        campaigns=len(members),
        currency=currency,
        by_currency=by_currency,
    )


def load_days(
    session: Session, report: AdsReport, *, channel: str | None = None, campaign_id: int | None = None
) -> list[ReportRow]:
    """One row per day of the report's period (days without data show zeros), oldest first.

    Scope: one campaign, one channel, or the whole account. Each day is judged by the targets
    in force that day (a peak period relaxes them).
    """
    stmt = (
        select(
            col(AdStatDaily.day),
            col(Campaign.currency),
            func.sum(col(AdStatDaily.spend)),
            func.sum(col(AdStatDaily.impressions)),
            func.sum(col(AdStatDaily.clicks)),
            func.sum(col(AdStatDaily.conversions)),
            func.sum(col(AdStatDaily.revenue)),
        )
        .join(Campaign, col(Campaign.id) == col(AdStatDaily.campaign_id))
        .where(col(AdStatDaily.day) >= report.period.start, col(AdStatDaily.day) <= report.period.end)
        .group_by(col(AdStatDaily.day), col(Campaign.currency))
    )
    info = report.campaign_info.get(campaign_id) if campaign_id is not None else None
    if campaign_id is not None:
        stmt = stmt.where(col(AdStatDaily.campaign_id) == campaign_id)
        scope = report.campaign_row(campaign_id)
    elif channel is not None:
        ids = [row.campaign_id for row in report.campaigns_of(channel)]
        stmt = stmt.where(col(AdStatDaily.campaign_id).in_(ids))
        scope = report.channel_row(channel)
    else:
        scope = report.total
    per_day: dict[date, dict[str, Totals]] = {}
    for day, currency, *row in _read(session, stmt):
        per_day.setdefault(day, {})[currency or report.currency] = _totals(row)
    scope_currency = scope.currency if scope is not None else report.currency
    rules, peaks = report.rules, report.peaks
    targets_by_peak: dict[str | None, Targets] = {}  # one Targets per peak (or none), not per day
    label = channel or (info.channel if info else "")
    break_even = scope.break_even if scope else None
    rows = []
    for day in report.period.each_day():
        amounts = per_day.get(day, {})
        totals, currency, by_currency = _day_in_currency(amounts, day, scope_currency, report)
        converted_from = tuple(sorted(code for code in amounts if currency is not None and code != currency))
        peak = peak_on(day, peaks) if peaks else None
        key = peak.name if peak else None
        targets = targets_by_peak.get(key)
        if targets is None:
            targets = targets_in_force(
                rules, info.target_roas if info else None, info.target_cpa if info else None, peak
            )
            targets_by_peak[key] = targets
        value = totals.roas
        rows.append(
            ReportRow(
                "day",
                ("day", day),
                day.isoformat(),
                label,
                totals,
                None,
                targets,
                break_even,
                campaign_id=campaign_id,
                day=day,
                campaign=info,
                below_pause=value is not None and value < targets.pause_roas,
                currency=currency,
                by_currency=by_currency,
                converted_from=converted_from,
            )
        )
    return rows


@dataclass(frozen=True)
class ChartDays:
    """A scope's days as the charts draw them: every amount in one currency, or a gap.

    A day whose spend is in several currencies (or in another currency than the chart's) is
    converted at that day's fx rate; without a rate it is a gap (None), never 0."""

    currency: str | None
    days: tuple[date, ...]
    spend: tuple[float | None, ...]
    revenue: tuple[float | None, ...]
    roas: tuple[float | None, ...]
    converted: tuple[str, ...] = ()  # currencies converted at fx rates to ``currency``
    gaps: int = 0  # days left out: several currencies and no fx rate


def chart_days(rows: Sequence[ReportRow], report: AdsReport) -> ChartDays:
    """Day rows (oldest first) in one currency: the rows' one currency, else the store's."""
    currencies = {
        row.currency for row in rows if row.currency is not None and (row.current.spend or row.current.revenue)
    }
    currency: str = report.currency
    if not any(row.mixed for row in rows) and len(currencies) <= 1:
        currency = next(iter(currencies), None) or next((row.currency for row in rows if row.currency), currency)
    spend: list[float | None] = []
    revenue: list[float | None] = []
    roas: list[float | None] = []
    converted: set[str] = set()
    gaps = 0
    for row in rows:
        day = row.day or report.period.start
        if row.mixed:
            amounts = [(code, s, r) for code, s, r in row.by_currency]
        elif row.currency != currency and (row.current.spend or row.current.revenue):
            amounts = [(row.currency or currency, row.current.spend, row.current.revenue)]
        else:
            spend.append(row.current.spend)
            revenue.append(row.current.revenue)
            roas.append(row.roas)
            converted.update(row.converted_from)
            continue
        spent = fx.convert(((day, code, s) for code, s, _r in amounts), currency, report.rates)
        earned = fx.convert(((day, code, r) for code, _s, r in amounts), currency, report.rates)
        if spent.complete and earned.complete:
            spend.append(spent.total)
            revenue.append(earned.total)
            roas.append(earned.total / spent.total if spent.total else None)
            converted.update(code for code, _s, _r in amounts if code != currency)
        else:
            gaps += 1
            spend.append(None)
            revenue.append(None)
            roas.append(None)
    return ChartDays(
        currency,
        tuple(row.day or report.period.start for row in rows),
        tuple(spend),
        tuple(revenue),
        tuple(roas),
        tuple(sorted(converted)),
        gaps,
    )


def _day_in_currency(
    amounts: dict[str, Totals], day: date, scope_currency: str | None, report: AdsReport
) -> tuple[Totals, str | None, tuple[tuple[str, float, float], ...]]:
    """One day of a scope: in its one currency, else converted to the store currency at that
    day's rate, else per currency (a rate missing)."""
    if not amounts:
        return Totals(), scope_currency or report.currency, ()
    if len(amounts) == 1:
        ((code, totals),) = amounts.items()
        if scope_currency is None or code == scope_currency:
            return totals, code, ()
    store = report.currency
    spend = fx.convert(((day, code, t.spend) for code, t in amounts.items()), store, report.rates)
    revenue = fx.convert(((day, code, t.revenue) for code, t in amounts.items()), store, report.rates)
    raw = sum_totals(list(amounts.values()))
    if spend.complete and revenue.complete:
        return replace(raw, spend=spend.total, revenue=revenue.total), store, ()
    mixed = tuple((code, t.spend, t.revenue) for code, t in sorted(amounts.items()))
    return Totals(0.0, raw.impressions, raw.clicks, raw.conversions, 0.0), None, mixed


# --- sorting (shared by the screen and the CLI) -----------------------------------------------

SORT_KEYS: dict[str, Callable[[ReportRow], Any]] = {
    "name": lambda r: r.day or r.label.lower(),
    "spend": lambda r: r.current.spend,
    "spend_change": lambda r: r.spend_change,
    "revenue": lambda r: r.current.revenue,
    "roas": lambda r: r.roas,
    "roas_change": lambda r: r.roas_change,
    "break_even": lambda r: r.break_even,
    "conversions": lambda r: r.current.conversions,
    "cpa": lambda r: r.current.cpa,
    "cpc": lambda r: r.current.cpc,
    "cpm": lambda r: r.current.cpm,
    "ctr": lambda r: r.current.ctr,
    "conversion_rate": lambda r: r.current.conversion_rate,
    "impressions": lambda r: r.current.impressions,
    "clicks": lambda r: r.current.clicks,
    "alerts": lambda r: len(r.alerts) + (1 if r.below_pause else 0),
}


def sort_rows(rows: Iterable[ReportRow], key: str, descending: bool = False) -> list[ReportRow]:
    """Sort by one of ``SORT_KEYS``; rows without a value ("-") go last either way."""
    getter = SORT_KEYS[key]
    items = list(rows)
    present = [row for row in items if getter(row) is not None]
    missing = [row for row in items if getter(row) is None]
    return sorted(present, key=getter, reverse=descending) + missing


# --- targets (a write) ------------------------------------------------------------------------


class TargetError(UserError, ValueError):
    """A target the operator typed that cannot be saved; the message is shown as is."""


class StaleEdit(TargetError, errors.StaleEdit):
    """Someone else changed the campaign since it was read."""


def parse_target(text: str, what: str) -> float | None:
    """'' -> None (use the default); otherwise a positive number ('$25', '2.5x' accepted)."""
    cleaned = text.strip().lstrip("$£€¥₹").rstrip("xX").replace(",", "").strip()
    if not cleaned:
        return None
    try:
        value = float(cleaned)
    except ValueError as exc:
        raise TargetError(_("{what} must be a number, not {text!r}").format(what=what, text=text.strip())) from exc
    if not 0 < value < 1_000_000:
        raise TargetError(_("{what} must be above 0").format(what=what))
    return value


@dataclass(frozen=True)
class TargetsSaved:
    campaign_id: int
    version: int
    target_roas: float | None
    target_cpa: float | None


def set_targets(
    engine: Engine,
    campaign_id: int,
    *,
    expected_version: int,
    target_roas: float | None,
    target_cpa: float | None,
    actor: str,
    now: datetime,
) -> TargetsSaved:
    """Save a campaign's own target ROAS and CPA (None = use the default), refusing a stale edit."""
    from dtc_tui.services.common.audit import record

    for value, what in ((target_roas, _("target ROAS")), (target_cpa, _("target CPA"))):
        if value is not None and value <= 0:
            raise TargetError(_("{what} must be above 0").format(what=what))
    with db.write_session(engine) as session:
        current = session.execute(
            select(
                col(Campaign.name), col(Campaign.version), col(Campaign.target_roas), col(Campaign.target_cpa)
            ).where(col(Campaign.id) == campaign_id)
        ).one_or_none()
        if current is None:
            raise TargetError(_("campaign {id} no longer exists").format(id=campaign_id))
        name, version, old_roas, old_cpa = current
        stmt = update(Campaign).where(col(Campaign.id) == campaign_id, col(Campaign.version) == expected_version)
        result = session.exec(stmt.values(target_roas=target_roas, target_cpa=target_cpa, version=Campaign.version + 1))
        if result.rowcount != 1:
            raise StaleEdit(
                _(
                    "campaign {name!r} was changed by someone else since you opened it "
                    "(version {version}, you had {expected}); reload and try again"
                ).format(name=name, version=version, expected=expected_version)
            )
        record(
            session,
            actor=actor,
            now=now,
            entity="campaign",
            entity_id=campaign_id,
            action="set_targets",
            before={"target_roas": old_roas, "target_cpa": old_cpa, "version": version},
            after={"target_roas": target_roas, "target_cpa": target_cpa, "version": expected_version + 1},
        )
    return TargetsSaved(campaign_id, expected_version + 1, target_roas, target_cpa)
