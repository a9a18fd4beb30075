"""Ad rules from shared/domain.md section 4, over plain data (no database).

- Target ROAS (default 2.5; a campaign may set its own).
- Pause: ROAS below 2 on each of N calendar days in a row (default 7) ending on the period's
  last day. A day without spend breaks the run: the campaign was not spending, so there is
  nothing to pause.
- CPA alert: CPA more than 20% over the campaign's target CPA; spend above the alert line
  with no conversion at all also alerts (the CPA is unbounded).
- Peak periods (e.g. Black Friday) relax the targets: the peak's target ROAS and CPA
  tolerance replace the normal ones when the period's last day falls inside the peak, and
  each day inside a peak is judged by a pause threshold scaled by the same factor as the
  target (2.0 x 2.0/2.5 = 1.6 with the defaults).
- Budget moves: from campaigns below break-even to campaigns at or above target, in words,
  never applied.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from dtc_tui.i18n import _
from dtc_tui.services.ads.metrics import Totals, fmt_money, fmt_ratio

SETTING_KEYS = (
    "ads.target_roas",
    "ads.pause_roas",
    "ads.pause_days",
    "ads.cpa_tolerance",
    "ads.contribution_margin",
    "ads.budget_share_new",
    "ads.budget_share_steady",
    "ads.store_stage",
    "ads.cpc_warning",
    "ads.budget_move_fraction",
    "ads.budget_move_max_increase",
    "ads.budget_move_step",
)


@dataclass(frozen=True)
class RuleSettings:
    target_roas: float = 2.5
    pause_roas: float = 2.0
    pause_days: int = 7
    cpa_tolerance: float = 0.20
    contribution_margin: float = 0.40
    budget_share_new: tuple[float, float] = (0.25, 0.30)
    budget_share_steady: tuple[float, float] = (0.10, 0.15)
    store_stage: str = "steady"  # new | steady: which spend-share band applies
    cpc_warning: float = 1.5
    budget_move_fraction: float = 0.5  # share of a losing campaign's daily budget to move
    budget_move_max_increase: float = 0.5  # a winner grows by at most this share of its budget
    budget_move_step: float = 5.0  # amounts are rounded down to this step

    @classmethod
    def from_values(cls, get: Callable[[str], Any]) -> RuleSettings:
        """Build from a settings getter (``lambda key: settings.get(session, key)``)."""
        values = {key: get(key) for key in SETTING_KEYS}
        return cls(
            target_roas=float(values["ads.target_roas"]),
            pause_roas=float(values["ads.pause_roas"]),
            pause_days=int(values["ads.pause_days"]),
            cpa_tolerance=float(values["ads.cpa_tolerance"]),
            contribution_margin=float(values["ads.contribution_margin"]),
            budget_share_new=_band(values["ads.budget_share_new"]),
            budget_share_steady=_band(values["ads.budget_share_steady"]),
            store_stage=str(values["ads.store_stage"]),
            cpc_warning=float(values["ads.cpc_warning"]),
            budget_move_fraction=float(values["ads.budget_move_fraction"]),
            budget_move_max_increase=float(values["ads.budget_move_max_increase"]),
            budget_move_step=float(values["ads.budget_move_step"]),
        )

    @property
    def spend_share_band(self) -> tuple[float, float]:
        return self.budget_share_new if self.store_stage == "new" else self.budget_share_steady


def _band(value: Any) -> tuple[float, float]:
    low, high = value
    return float(low), float(high)


@dataclass(frozen=True)
class Peak:
    name: str
    starts_on: date
    ends_on: date
    target_roas: float | None = None
    cpa_tolerance: float | None = None

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


def peak_on(day: date, peaks: Iterable[Peak]) -> Peak | None:
    """The peak covering ``day``; with overlapping peaks, the most relaxed target wins."""
    found = [peak for peak in peaks if peak.covers(day)]
    if not found:
        return None
    return min(found, key=lambda p: p.target_roas if p.target_roas is not None else math.inf)


@dataclass(frozen=True)
class Targets:
    """What a campaign is judged against over a period."""

    target_roas: float
    target_cpa: float | None
    cpa_tolerance: float
    peak: str | None = None  # the name of the peak period that relaxed these targets
    pause_roas: float = 2.0  # a ROAS below this counts towards the pause rule

    @property
    def cpa_alert_line(self) -> float | None:
        return None if self.target_cpa is None else self.target_cpa * (1 + self.cpa_tolerance)


def targets_in_force(
    rules: RuleSettings, campaign_roas: float | None, campaign_cpa: float | None, peak: Peak | None
) -> Targets:
    target = campaign_roas if campaign_roas is not None else rules.target_roas
    tolerance = rules.cpa_tolerance
    if peak is None:
        return Targets(target, campaign_cpa, tolerance, None, rules.pause_roas)
    # A peak only ever relaxes: a campaign whose own target is already lower keeps it.
    if peak.target_roas is not None:
        target = min(target, peak.target_roas)
    if peak.cpa_tolerance is not None:
        tolerance = max(tolerance, peak.cpa_tolerance)
    return Targets(target, campaign_cpa, tolerance, peak.name, pause_line(rules, peak))


def pause_line(rules: RuleSettings, peak: Peak | None) -> float:
    """The pause threshold, scaled down by a peak's relaxed target (2.0 x 2.0/2.5 = 1.6)."""
    if peak is None or peak.target_roas is None or peak.target_roas >= rules.target_roas:
        return rules.pause_roas
    return rules.pause_roas * peak.target_roas / rules.target_roas


def pause_threshold(day: date, rules: RuleSettings, peaks: Iterable[Peak]) -> float:
    return pause_line(rules, peak_on(day, peaks))


def losing_streak(
    daily: Mapping[date, Totals], end: date, rules: RuleSettings, peaks: Iterable[Peak], lookback: int
) -> int:
    """Consecutive days ending on ``end`` with spend and a ROAS below the pause threshold."""
    peaks = list(peaks)
    streak = 0
    for offset in range(lookback):
        day = end - timedelta(days=offset)
        figures = daily.get(day)
        if figures is None or figures.spend <= 0:
            break
        value = figures.roas
        if value is None or value >= pause_threshold(day, rules, peaks):
            break
        streak += 1
    return streak


def cpa_over_target(totals: Totals, targets: Targets) -> bool:
    line = targets.cpa_alert_line
    if line is None or totals.spend <= 0:
        return False
    value = totals.cpa
    if value is None:  # spend without a single conversion
        return totals.spend > line
    return value > line


# --- alerts -----------------------------------------------------------------------------------

ALERT_KINDS = ("pause", "cpa", "spend_share", "stock")


@dataclass(frozen=True)
class Alert:
    kind: str  # pause | cpa | spend_share | stock
    message: str
    campaign_id: int | None = None
    channel: str = ""
    campaign: str = ""
    currency: str | None = None  # the currency of the amounts in the message

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "campaign_id": self.campaign_id,
            "channel": self.channel,
            "campaign": self.campaign,
            "message": self.message,
            "currency": self.currency,
        }

    @property
    def subject(self) -> str:
        if self.campaign:
            return f"{self.channel} / {self.campaign}"
        return _("store")


def pause_message(streak: int, targets: Targets, period_roas: float | None, capped: bool = False) -> str:
    days = f"{streak}+" if capped else str(streak)
    relaxed = " " + _("(relaxed for {peak})").format(peak=targets.peak) if targets.peak else ""
    line = fmt_ratio(targets.pause_roas) + relaxed
    return _(
        "ROAS below {line} for {days} days in a row (period ROAS {roas}): "
        "recommend pausing it and fixing the landing page"
    ).format(line=line, days=days, roas=fmt_ratio(period_roas))


def cpa_message(totals: Totals, targets: Targets, currency: str) -> str:
    """Amounts in the campaign's own currency (its spend, CPA and target are all in it)."""
    tolerance = f"+{targets.cpa_tolerance * 100:.0f}%"
    if totals.cpa is None:
        return _("{spend} spent without a conversion (target CPA {target}, alert above {tolerance})").format(
            spend=fmt_money(totals.spend, 2, currency),
            target=fmt_money(targets.target_cpa, 2, currency),
            tolerance=tolerance,
        )
    over = (totals.cpa / (targets.target_cpa or 1)) - 1
    return _("CPA {cpa} is {over} over its target {target} (alert above {tolerance})").format(
        cpa=fmt_money(totals.cpa, 2, currency),
        over=f"{over * 100:.0f}%",
        target=fmt_money(targets.target_cpa, 2, currency),
        tolerance=tolerance,
    )


def spend_share_message(share: float, rules: RuleSettings) -> str:
    low, high = rules.spend_share_band
    stage = {"new": _("new"), "steady": _("steady")}.get(rules.store_stage, rules.store_stage)
    return _("ad spend is {share} of store revenue, above the {stage}-store target of {band}").format(
        share=f"{share * 100:.1f}%", stage=stage, band=f"{low * 100:.0f}-{high * 100:.0f}%"
    )


# --- budget moves -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MoveCandidate:
    campaign_id: int
    label: str  # "channel / campaign"
    roas: float | None
    break_even: float | None
    target_roas: float
    daily_budget: float
    active: bool = True
    currency: str = "USD"  # its budget's currency: budget moves stay within one currency


@dataclass(frozen=True)
class BudgetMove:
    from_id: int
    from_label: str
    from_roas: float
    to_id: int
    to_label: str
    to_roas: float
    amount: float  # per day
    currency: str = "USD"  # both campaigns' budget currency

    @property
    def text(self) -> str:
        return _("move {amount}/day from {source} (ROAS {source_roas}) to {target} (ROAS {target_roas})").format(
            amount=fmt_money(self.amount, 0, self.currency),
            source=self.from_label,
            source_roas=fmt_ratio(self.from_roas),
            target=self.to_label,
            target_roas=fmt_ratio(self.to_roas),
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "from_campaign_id": self.from_id,
            "from": self.from_label,
            "from_roas": round(self.from_roas, 4),
            "to_campaign_id": self.to_id,
            "to": self.to_label,
            "to_roas": round(self.to_roas, 4),
            "amount_per_day": self.amount,
            "currency": self.currency,
            "text": self.text,
        }


@dataclass
class _Recipient:
    candidate: MoveCandidate
    room: float
    given: list[float] = field(default_factory=list)


def suggest_moves(candidates: Iterable[MoveCandidate], rules: RuleSettings) -> list[BudgetMove]:
    """Greedy: the worst donors give first, to the best recipients first.

    A donor (active, spending, ROAS below its break-even) offers ``budget_move_fraction`` of its
    daily budget; a recipient (active, ROAS at or above its target and its break-even) takes at most
    ``budget_move_max_increase`` of its own daily budget. Amounts are rounded down to
    ``budget_move_step``; nothing smaller than one step is suggested.
    """
    step = rules.budget_move_step if rules.budget_move_step > 0 else 1.0
    items = list(candidates)
    donors = sorted(
        (
            c
            for c in items
            if c.active
            and c.roas is not None
            and c.break_even is not None
            and c.roas < c.break_even
            and c.daily_budget > 0
        ),
        key=lambda c: (c.roas, c.campaign_id),
    )
    recipients = [
        _Recipient(c, _floor(c.daily_budget * rules.budget_move_max_increase, step))
        for c in sorted((c for c in items if _earns(c)), key=lambda c: (-(c.roas or 0), c.campaign_id))
    ]
    moves: list[BudgetMove] = []
    for donor in donors:
        offer = _floor(donor.daily_budget * rules.budget_move_fraction, step)
        for recipient in recipients:
            if offer < step:
                break
            if recipient.candidate.currency != donor.currency:
                continue  # a budget in one currency is not room in another
            amount = min(offer, recipient.room)
            if amount < step:
                continue
            recipient.room -= amount
            offer -= amount
            moves.append(
                BudgetMove(
                    donor.campaign_id,
                    donor.label,
                    donor.roas or 0.0,
                    recipient.candidate.campaign_id,
                    recipient.candidate.label,
                    recipient.candidate.roas or 0.0,
                    amount,
                    donor.currency,
                )
            )
    return moves


def _earns(candidate: MoveCandidate) -> bool:
    """At or above its target ROAS and not below its break-even (a low-margin SKU can be both)."""
    value = candidate.roas
    if not candidate.active or value is None or candidate.daily_budget <= 0 or value < candidate.target_roas:
        return False
    return candidate.break_even is None or value >= candidate.break_even


def _floor(value: float, step: float) -> float:
    return math.floor(value / step + 1e-9) * step
