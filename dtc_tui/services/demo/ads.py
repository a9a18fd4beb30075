"""Demo ads: four channels, campaigns with daily stats and the store's own daily totals.

Some campaigns run below ROAS 2 for weeks (pause candidates), one overshoots its CPA target,
and one promotes the demo SKU that is about to run out, with a 3-day delivery promise.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlmodel import Session

from dtc_tui.models import AdChannel, AdStatDaily, Campaign, PeakPeriod, StoreDaily
from dtc_tui.services.demo.inventory import HERO_CODE

CHANNELS = [("google", "Google Ads"), ("meta", "Meta (Facebook / Instagram)"), ("tiktok", "TikTok Ads"),
            ("pinterest", "Pinterest Ads")]
CAMPAIGN_NAMES = {
    "google": ["Search - Brand", "Search - Generic", "Shopping - All", "PMax - Bestsellers"],
    "meta": ["Prospecting - Broad", "Retargeting - 30d", "Advantage+ Shopping", "Lookalike 1%"],
    "tiktok": ["Spark Ads - UGC", "TopView Launch", "Video Shopping"],
    "pinterest": ["Home Decor Pins", "Shopping Catalog", "Seasonal Ideas", "Promoted Video"],
}


def build(session: Session, rng: random.Random, now: datetime, size: object, skus: dict[str, int]) -> None:
    days: int = size.ad_days  # type: ignore[attr-defined]
    wanted: int = size.campaigns  # type: ignore[attr-defined]
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
        campaign = Campaign(channel_id=channels[channel_code].id or 0, name=name,
                            daily_budget=float(rng.choice([30, 50, 80, 120, 200])),
                            target_cpa=float(rng.choice([15, 20, 25, 30])))
        if index == 2:
            campaign.sku_id = skus.get(HERO_CODE)
            campaign.promise_days = 3
        session.add(campaign)
        campaigns.append(campaign)
    session.flush()
    today = now.date()
    rows = []
    store: dict = {}
    for index, campaign in enumerate(campaigns):
        # Typical ROAS per campaign; indexes 1 and 7 are the losers.
        roas = 1.4 if index in (1, 7) else rng.uniform(2.2, 4.5)
        cpc = rng.uniform(0.8, 1.5)
        conv_rate = rng.uniform(0.015, 0.04)
        for offset in range(days):
            day = today - timedelta(days=days - offset)
            spend = round(campaign.daily_budget * rng.uniform(0.7, 1.05), 2)
            clicks = int(spend / cpc)
            conversions = round(clicks * conv_rate * (0.45 if index == 4 else 1.0), 1)
            revenue = round(spend * roas * rng.uniform(0.8, 1.2), 2)
            rows.append({"campaign_id": campaign.id, "day": day, "spend": spend,
                         "impressions": clicks * rng.randint(40, 90), "clicks": clicks,
                         "conversions": conversions, "revenue": revenue})
            total = store.setdefault(day, [0.0, 0.0])
            total[0] += spend
            total[1] += revenue
    for start in range(0, len(rows), 20_000):
        session.execute(insert(AdStatDaily), rows[start:start + 20_000])
    # The till sees less than the platforms claim (attribution overlap), plus organic sales.
    session.execute(insert(StoreDaily), [
        {"day": day, "orders": int(revenue * 0.8 / 45), "revenue": round(revenue * 0.8 + spend * 2.0, 2),
         "refunds": round(revenue * 0.03, 2)}
        for day, (spend, revenue) in sorted(store.items())
    ])
    year = today.year
    session.add(PeakPeriod(name="Black Friday / Cyber Monday", starts_on=datetime(year, 11, 24).date(),
                           ends_on=datetime(year, 12, 2).date(), target_roas=2.0, cpa_tolerance=0.5))
    session.flush()
