"""Ad channels, campaigns, daily ad stats, the store's own daily totals and peak periods."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from dtc_tui.models import inventory  # noqa: F401  (their tables: this module's foreign keys point there)
from dtc_tui.models.base import TableModel


class AdChannel(TableModel, table=True):
    __tablename__ = "ad_channel"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=30, unique=True)  # google, meta, tiktok, pinterest
    name: str = Field(max_length=80)


class Campaign(TableModel, table=True):
    __tablename__ = "campaign"
    __table_args__ = (UniqueConstraint("channel_id", "name", name="uq_campaign_channel_name"),)
    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="ad_channel.id", index=True)
    external_id: str | None = Field(default=None, max_length=64)
    name: str = Field(max_length=200)
    status: str = Field(default="active", max_length=20)
    currency: str = Field(default="USD", max_length=3)
    daily_budget: float = 0.0
    target_roas: float | None = None
    target_cpa: float | None = None
    sku_id: int | None = Field(default=None, foreign_key="sku.id")
    promise_days: int | None = None  # delivery promised in the ad copy
    version: int = 1


class AdStatDaily(TableModel, table=True):
    __tablename__ = "ad_stat_daily"
    __table_args__ = (
        UniqueConstraint("campaign_id", "day", name="uq_adstat_campaign_day"),
        Index("ix_adstat_day", "day"),
    )
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    day: date
    spend: float = 0.0
    impressions: int = 0
    clicks: int = 0
    conversions: float = 0.0
    revenue: float = 0.0


class StoreDaily(TableModel, table=True):
    """The store's own till per day: the base of blended (platform-independent) figures."""

    __tablename__ = "store_daily"
    day: date = Field(primary_key=True)
    orders: int = 0
    revenue: float = 0.0
    refunds: float = 0.0


class PeakPeriod(TableModel, table=True):
    """A named period (e.g. Black Friday) with relaxed targets."""

    __tablename__ = "peak_period"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    starts_on: date
    ends_on: date
    target_roas: float | None = None
    cpa_tolerance: float | None = None  # e.g. 0.5 = alert at +50% instead of +20%
