"""Ad formulas: pure functions over plain numbers, no database.

Every ratio returns ``None`` when its denominator is zero (no spend, no clicks, no
impressions, no conversions, no store revenue): the UI and the CLI print ``None`` as "-".
A ratio whose *numerator* is zero is a real number: spend with no revenue is ROAS 0.00,
the worst case, and it must show as such rather than hide behind a dash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dtc_tui.i18n import _
from dtc_tui.services.common import localefmt


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def roas(revenue: float, spend: float) -> float | None:
    """Return on ad spend: attributed revenue / spend."""
    return ratio(revenue, spend)


def cpa(spend: float, conversions: float) -> float | None:
    """Cost per acquisition (conversion)."""
    return ratio(spend, conversions)


def cpc(spend: float, clicks: float) -> float | None:
    """Cost per click."""
    return ratio(spend, clicks)


def cpm(spend: float, impressions: float) -> float | None:
    """Cost per thousand impressions."""
    value = ratio(spend, impressions)
    return None if value is None else value * 1000


def ctr(clicks: float, impressions: float) -> float | None:
    """Click-through rate, a fraction (0.02 = 2%)."""
    return ratio(clicks, impressions)


def conversion_rate(conversions: float, clicks: float) -> float | None:
    """Conversions per click, a fraction."""
    return ratio(conversions, clicks)


def blended_roas(store_revenue: float, ad_spend: float) -> float | None:
    """Store revenue (the till, every order) / total ad spend: independent of any pixel.

    This product calls this figure MER (marketing efficiency ratio) as well; some tools use
    "MER" for the inverse, which we call ``spend_share``.
    """
    return ratio(store_revenue, ad_spend)


def spend_share(ad_spend: float, store_revenue: float) -> float | None:
    """Ad spend as a fraction of store revenue (targets: 25-30% new store, 10-15% steady)."""
    return ratio(ad_spend, store_revenue)


def contribution_margin(price: float, cost: float) -> float | None:
    """(price - cost) / price; None without a price."""
    if price <= 0:
        return None
    return (price - cost) / price


def break_even_roas(margin: float | None) -> float | None:
    """1 / contribution margin: the ROAS at which an ad sale pays exactly for itself.

    None when the margin is unknown; ``inf`` when the margin is zero or negative (no ROAS
    breaks even: every sale loses money before the ad is paid).
    """
    if margin is None:
        return None
    if margin <= 0:
        return float("inf")
    return 1 / margin


def change(current: float | None, previous: float | None) -> float | None:
    """Relative change against the previous period (0.25 = +25%); None without a base."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous)


def difference(current: float | None, previous: float | None) -> float | None:
    """Absolute change (for ratios such as ROAS, where +0.4 reads better than +15%)."""
    if current is None or previous is None:
        return None
    return current - previous


@dataclass(frozen=True)
class Totals:
    """The additive figures of a campaign, a channel, a day or the whole account."""

    spend: float = 0.0
    impressions: int = 0
    clicks: int = 0
    conversions: float = 0.0
    revenue: float = 0.0

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.spend + other.spend,
            self.impressions + other.impressions,
            self.clicks + other.clicks,
            self.conversions + other.conversions,
            self.revenue + other.revenue,
        )

    @property
    def roas(self) -> float | None:
        return roas(self.revenue, self.spend)

    @property
    def cpa(self) -> float | None:
        return cpa(self.spend, self.conversions)

    @property
    def cpc(self) -> float | None:
        return cpc(self.spend, self.clicks)

    @property
    def cpm(self) -> float | None:
        return cpm(self.spend, self.impressions)

    @property
    def ctr(self) -> float | None:
        return ctr(self.clicks, self.impressions)

    @property
    def conversion_rate(self) -> float | None:
        return conversion_rate(self.conversions, self.clicks)

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "spend": round(self.spend, 2),
            "impressions": self.impressions,
            "clicks": self.clicks,
            "conversions": round(self.conversions, 2),
            "revenue": round(self.revenue, 2),
            "roas": _round(self.roas, 4),
            "cpa": _round(self.cpa, 4),
            "cpc": _round(self.cpc, 4),
            "cpm": _round(self.cpm, 4),
            "ctr": _round(self.ctr, 6),
            "conversion_rate": _round(self.conversion_rate, 6),
        }


def sum_totals(items: list[Totals]) -> Totals:
    total = Totals()
    for item in items:
        total = total + item
    return total


def _round(value: float | None, digits: int) -> float | None:
    if value is None or value == float("inf"):
        return None
    return round(value, digits)


# --- periods ----------------------------------------------------------------------------------

PRESET_DAYS = (7, 14, 30, 90)


@dataclass(frozen=True)
class Period:
    """Whole days, both ends included."""

    start: date
    end: date
    preset: int | None = None  # 7/14/30/90 for "last N days", None for a custom range

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of equal length that ends the day before this one starts."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end, self.preset)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=offset) for offset in range(self.days)]

    @property
    def label(self) -> str:
        span = localefmt.stock_day_span(self.start, self.end)
        if self.preset:
            return _("Last {days} days ({span})").format(days=self.preset, span=span)
        return _("{span} ({days} days)").format(span=span, days=self.days)

    def as_dict(self) -> dict[str, object]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": self.days}


def last_days(days: int, now: datetime) -> Period:
    """The last ``days`` complete days: today is left out (platforms report it late and partial)."""
    if days < 1:
        raise ValueError("a period has at least one day")
    end = now.date() - timedelta(days=1)
    return Period(end - timedelta(days=days - 1), end, days)


def custom(start: date, end: date) -> Period:
    return Period(start, end, None)


def period_from_text(text: str, now: datetime) -> Period:
    """An ads period typed in the shared period language (``services.common.periods``).

    Ad figures are per day: ``7d``/``2w`` are the last 7/14 *complete* days (``last_days``, today
    left out); a day or a range (``yesterday``, ``2026-11-01..2026-11-15``) is those days. A duration
    in hours or minutes has no meaning here and is refused.
    """
    from dtc_tui.services.common import periods

    period = periods.parse_period(text, now)
    days = period.whole_days()
    if days is not None:
        return last_days(days, now)
    if period.kind == "duration":
        raise periods.PeriodError(
            _("{text!r}: ad figures are per day; use whole days (7d, 2w) or dates").format(text=text.strip())
        )
    return custom(period.first_day, period.last_day)


# --- text for the CLI and the screen (plain strings; "-" for undefined) -----------------------

DASH = "-"


def fmt_money(value: float | None, decimals: int = 0, currency: str | None = None) -> str:
    """An amount with its own currency's symbol or code (``£1,235``, ``₹56,700``); every caller
    names the currency (a campaign's, the store's): none means "mixed" (no one currency)."""
    from dtc_tui.services.common.money import format_money

    if value is None:
        return DASH
    if currency is None:
        return "mixed"
    return format_money(value, currency, decimals)


def fmt_ratio(value: float | None, decimals: int = 2) -> str:
    if value is None:
        return DASH
    if value == float("inf"):
        return "never"
    return f"{value:.{decimals}f}"


def fmt_percent(value: float | None, decimals: int = 1) -> str:
    if value is None:
        return DASH
    return f"{value * 100:.{decimals}f}%"


def fmt_signed_percent(value: float | None) -> str:
    if value is None:
        return DASH
    rounded = round(value * 100)
    return "0%" if rounded == 0 else f"{rounded:+.0f}%"


def fmt_signed(value: float | None, decimals: int = 2) -> str:
    """+0.40 / -0.12; a change that rounds to nothing shows as 0.00 (never -0.00)."""
    if value is None:
        return DASH
    rounded = round(value, decimals)
    return f"{0:.{decimals}f}" if rounded == 0 else f"{rounded:+.{decimals}f}"
