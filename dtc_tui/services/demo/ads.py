"""Demo ads: four channels, campaigns with daily stats and the store's own daily totals.

Some campaigns run below ROAS 2 for weeks (pause candidates), one overshoots its CPA target,
and one promotes the demo SKU that is about to run out, with a 3-day delivery promise.
Black Friday / Cyber Monday is a peak period every year: spend rises and ROAS falls.

The shared ``rng`` is consumed exactly as before any change here (the ticket demo draws from
it next): new variations are derived without it.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import insert
from sqlmodel import Session

from dtc_tui.models import AdChannel, AdStatDaily, Campaign, PeakPeriod, StoreDaily
from dtc_tui.services.demo.inventory import HERO_CODE

if TYPE_CHECKING:  # the package imports this module
    from dtc_tui.services.demo import DemoSize

CHANNELS = [
    ("google", "Google Ads"),
    ("meta", "Meta (Facebook / Instagram)"),
    ("tiktok", "TikTok Ads"),
    ("pinterest", "Pinterest Ads"),
]
CAMPAIGN_NAMES = {
    "google": ["Search - Brand", "Search - Generic", "Shopping - All", "PMax - Bestsellers"],
    "meta": ["Prospecting - Broad", "Retargeting - 30d", "Advantage+ Shopping", "Lookalike 1%"],
    "tiktok": ["Spark Ads - UGC", "TopView Launch", "Video Shopping"],
    "pinterest": ["Home Decor Pins", "Shopping Catalog", "Seasonal Ideas", "Promoted Video"],
}
LOSERS = (1, 7)  # campaign indexes running at ROAS ~1.4 (pause candidates)
CPA_OVERSHOOT = 4  # this campaign's CPA runs about twice its target
PEAK_SPEND, PEAK_ROAS = 1.5, 0.8  # during Black Friday: more spend, lower return


def black_friday(year: int) -> tuple[date, date]:
    """Black Friday week to Cyber Monday, as fixed dates (close enough for demo data)."""
    return date(year, 11, 24), date(year, 12, 2)


def build(session: Session, rng: random.Random, now: datetime, size: DemoSize, skus: dict[str, int]) -> None:
    days: int = size.ad_days
    wanted: int = size.campaigns
    channels = {}
    for code, name in CHANNELS:
        channel = AdChannel(code=code, name=name)
        session.add(channel)
        channels[code] = channel
    session.flush()
    names = [(code, name) for code, names in CAMPAIGN_NAMES.items() for name in names]
    campaigns = []
    for index in range(wanted):
        channel_code, base = names[index % len(names)]
        name = base if index < len(names) else f"{base} #{index // len(names) + 1}"
        campaign = Campaign(
            channel_id=channels[channel_code].id or 0,
            name=name,
            daily_budget=float(rng.choice([30, 50, 80, 120, 200])),
            target_cpa=float(rng.choice([15, 20, 25, 30])),
        )  # replaced below; draw kept
        if index == 2:
            campaign.sku_id = skus.get(HERO_CODE)
            campaign.promise_days = 3
        session.add(campaign)
        campaigns.append(campaign)
    session.flush()
    today = now.date()
    first_day = today - timedelta(days=days)
    peaks = [black_friday(year) for year in range(first_day.year, today.year + 1)]
    rows = []
    store: dict = {}
    for index, campaign in enumerate(campaigns):
        # Typical ROAS per campaign; LOSERS run below 2 all along.
        roas = 1.4 if index in LOSERS else rng.uniform(2.2, 4.5)
        cpc = rng.uniform(0.8, 1.5)
        conv_rate = rng.uniform(0.015, 0.04)
        # A target CPA the campaign meets (15% headroom, in $5 steps); the overshooting one gets
        # the target its normal conversion rate would meet, so its real CPA is about twice that.
        campaign.target_cpa = float(math.ceil(cpc / conv_rate * 1.15 / 5) * 5)
        for offset in range(days):
            day = today - timedelta(days=days - offset)
            in_peak = any(start <= day <= end for start, end in peaks)
            spend = round(campaign.daily_budget * rng.uniform(0.7, 1.05) * (PEAK_SPEND if in_peak else 1.0), 2)
            clicks = int(spend / cpc)
            conversions = round(clicks * conv_rate * (0.45 if index == CPA_OVERSHOOT else 1.0), 1)
            revenue = round(spend * roas * rng.uniform(0.8, 1.2) * (PEAK_ROAS if in_peak else 1.0), 2)
            rows.append(
                {
                    "campaign_id": campaign.id,
                    "day": day,
                    "spend": spend,
                    "impressions": clicks * rng.randint(40, 90),
                    "clicks": clicks,
                    "conversions": conversions,
                    "revenue": revenue,
                }
            )
            total = store.setdefault(day, [0.0, 0.0])
            total[0] += spend
            total[1] += revenue
    for offset in range(0, len(rows), 20_000):
        session.execute(insert(AdStatDaily), rows[offset : offset + 20_000])
    # The till sees less than the platforms claim (attribution overlap), plus organic sales.
    session.execute(
        insert(StoreDaily),
        [
            {
                "day": day,
                "orders": int(revenue * 0.8 / 45),
                "revenue": round(revenue * 0.8 + spend * 2.0, 2),
                "refunds": round(revenue * 0.03, 2),
            }
            for day, (spend, revenue) in sorted(store.items())
        ],
    )
    for start, end in peaks:
        session.add(
            PeakPeriod(
                name=f"Black Friday / Cyber Monday {start.year}",
                starts_on=start,
                ends_on=end,
                target_roas=2.0,
                cpa_tolerance=0.5,
            )
        )
    session.flush()
