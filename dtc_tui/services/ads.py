"""Ad spend and returns per campaign (the full ROAS service comes in the ads issue)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from dtc_tui.models import AdChannel, AdStatDaily, Campaign


@dataclass(frozen=True)
class CampaignTotals:
    campaign_id: int
    channel: str
    name: str
    spend: float
    revenue: float

    @property
    def roas(self) -> float | None:
        return self.revenue / self.spend if self.spend else None


def campaign_totals(session: Session, start: date, end: date) -> list[CampaignTotals]:
    stmt = (select(Campaign.id, AdChannel.code, Campaign.name, func.coalesce(func.sum(AdStatDaily.spend), 0),
                   func.coalesce(func.sum(AdStatDaily.revenue), 0))
            .join(AdChannel, AdChannel.id == Campaign.channel_id)
            .outerjoin(AdStatDaily, (AdStatDaily.campaign_id == Campaign.id) & (AdStatDaily.day >= start)
                       & (AdStatDaily.day <= end))
            .group_by(Campaign.id, AdChannel.code, Campaign.name).order_by(AdChannel.code, Campaign.name))
    return [CampaignTotals(r[0], r[1], r[2], float(r[3]), float(r[4])) for r in session.execute(stmt)]
