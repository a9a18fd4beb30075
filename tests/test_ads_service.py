"""The ads service on a small hand-made account (SQLite and PostgreSQL), and on the demo data.

The account, for the 7 days Nov 13-19 2026 (the previous period is Nov 6-12):
- google / Winner: $100/day, 10,000 impressions, 80 clicks, 5 conversions, $320 revenue
  (ROAS 3.2); previous week $250/day (ROAS 2.5). Budget $100/day, target CPA $20.
- meta / Loser: $40/day, $56 revenue (ROAS 1.4) on all 7 days -> pause. Budget $80/day.
- meta / Six days: $50/day; ROAS 3.0 on Nov 13, then 1.5 for 6 days -> no pause yet.
  2 conversions a day against a target CPA of $10 (alert line $12): CPA $25 -> CPA alert.
- google / Idle: no stats at all: every ratio is "-".
- google / Hero promo: promotes SKU HERO (price $40, cost $30: margin 25%, break-even 4.0),
  $10/day, $35 revenue (ROAS 3.5, below its break-even), no clicks or impressions recorded.
- The till: $1,000/day this week, $900/day the week before.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from dtc_tui import db
from dtc_tui.models import (
    AdChannel,
    AdStatDaily,
    AuditLog,
    Campaign,
    DailySales,
    PeakPeriod,
    Sku,
    StockLevel,
    StoreDaily,
    Warehouse,
)
from dtc_tui.services.ads import report as ads
from dtc_tui.services.ads.metrics import custom, last_days

WEEK_START = date(2026, 11, 13)
DAYS = [WEEK_START + timedelta(days=i) for i in range(7)]
PREVIOUS = [day - timedelta(days=7) for day in DAYS]


def seed_ads(engine: Engine) -> dict[str, int]:
    """Write the account described in the module docstring; returns campaign ids by name."""
    with db.write_session(engine) as session:
        google, meta = AdChannel(code="google", name="Google Ads"), AdChannel(code="meta", name="Meta")
        session.add_all([google, meta])
        warehouse = Warehouse(code="US-W", name="US West")
        warehouse_b = Warehouse(code="DE", name="Germany")
        sku = Sku(code="HERO", name="Hero product", cost=30.0, price=40.0)
        session.add_all([warehouse, warehouse_b, sku])
        session.flush()
        session.add_all(
            [
                StockLevel(sku_id=sku.id, warehouse_id=warehouse.id, on_hand=12),
                StockLevel(sku_id=sku.id, warehouse_id=warehouse_b.id, on_hand=0, committed=2),
            ]
        )
        campaigns = {
            "Winner": Campaign(channel_id=google.id, name="Winner", daily_budget=100.0, target_cpa=20.0),
            "Loser": Campaign(channel_id=meta.id, name="Loser", daily_budget=80.0, target_cpa=30.0),
            "Six days": Campaign(channel_id=meta.id, name="Six days", daily_budget=50.0, target_cpa=10.0),
            "Idle": Campaign(channel_id=google.id, name="Idle", daily_budget=30.0),
            "Hero promo": Campaign(
                channel_id=google.id, name="Hero promo", daily_budget=20.0, sku_id=sku.id, promise_days=3
            ),
        }
        session.add_all(campaigns.values())
        session.flush()
        ids = {name: campaign.id or 0 for name, campaign in campaigns.items()}
        stats = []
        for day in DAYS:
            stats.append(
                AdStatDaily(
                    campaign_id=ids["Winner"],
                    day=day,
                    spend=100.0,
                    impressions=10_000,
                    clicks=80,
                    conversions=5,
                    revenue=320.0,
                )
            )
            stats.append(
                AdStatDaily(
                    campaign_id=ids["Loser"],
                    day=day,
                    spend=40.0,
                    impressions=4_000,
                    clicks=40,
                    conversions=2,
                    revenue=56.0,
                )
            )
            revenue = 150.0 if day == WEEK_START else 75.0
            stats.append(
                AdStatDaily(
                    campaign_id=ids["Six days"],
                    day=day,
                    spend=50.0,
                    impressions=5_000,
                    clicks=50,
                    conversions=2,
                    revenue=revenue,
                )
            )
            stats.append(AdStatDaily(campaign_id=ids["Hero promo"], day=day, spend=10.0, revenue=35.0))
        for day in PREVIOUS:
            stats.append(
                AdStatDaily(
                    campaign_id=ids["Winner"],
                    day=day,
                    spend=100.0,
                    impressions=10_000,
                    clicks=80,
                    conversions=4,
                    revenue=250.0,
                )
            )
        session.add_all(stats)
        session.add_all([StoreDaily(day=day, orders=20, revenue=1000.0) for day in DAYS])
        session.add_all([StoreDaily(day=day, orders=18, revenue=900.0) for day in PREVIOUS])
    return ids


def report_for(engine: Engine, now: datetime) -> ads.AdsReport:
    with db.read_session(engine) as session:
        return ads.load_report(session, last_days(7, now), now)


@pytest.fixture
def account(engine: Engine) -> dict[str, int]:
    return seed_ads(engine)


def test_campaign_figures_and_previous_period(engine: Engine, account: dict[str, int], now: datetime) -> None:
    report = report_for(engine, now)
    assert (report.period.start, report.period.end) == (date(2026, 11, 13), date(2026, 11, 19))
    winner = report.campaign_row(account["Winner"])
    assert winner is not None
    c = winner.current
    assert (c.spend, c.impressions, c.clicks, c.conversions, c.revenue) == (700.0, 70_000, 560, 35, 2240.0)
    assert c.roas == pytest.approx(3.2)
    assert c.cpa == pytest.approx(20.0)
    assert c.cpc == pytest.approx(1.25)
    assert c.cpm == pytest.approx(10.0)
    assert c.ctr == pytest.approx(0.008)
    assert c.conversion_rate == pytest.approx(0.0625)
    assert winner.previous is not None and winner.previous.roas == pytest.approx(2.5)
    assert winner.roas_change == pytest.approx(0.7)
    assert winner.spend_change == pytest.approx(0.0)
    assert winner.roas_state == "ok"


def test_zero_spend_and_zero_clicks_give_dashes_not_crashes(
    engine: Engine, account: dict[str, int], now: datetime
) -> None:
    report = report_for(engine, now)
    idle = report.campaign_row(account["Idle"])
    assert idle is not None
    assert [idle.roas, idle.current.cpa, idle.current.cpc, idle.current.ctr, idle.roas_change] == [None] * 5
    assert idle.roas_state == "none" and idle.alerts == ()
    hero = report.campaign_row(account["Hero promo"])
    assert hero is not None
    assert hero.roas == pytest.approx(3.5)
    assert [hero.current.cpc, hero.current.cpm, hero.current.ctr, hero.current.conversion_rate] == [None] * 4
    assert hero.previous is not None and hero.spend_change is None  # nothing the week before


def test_break_even_from_the_promoted_sku_else_the_setting(
    engine: Engine, account: dict[str, int], now: datetime
) -> None:
    report = report_for(engine, now)
    hero = report.campaign_row(account["Hero promo"])
    winner = report.campaign_row(account["Winner"])
    assert hero is not None and winner is not None and hero.campaign is not None
    assert hero.campaign.margin == pytest.approx(0.25)  # (40 - 30) / 40
    assert hero.campaign.margin_source == "sku"
    assert hero.break_even == pytest.approx(4.0)
    assert hero.roas_state == "loss"  # ROAS 3.5 is above target 2.5 but below its break-even
    assert winner.break_even == pytest.approx(2.5)  # setting ads.contribution_margin 0.40


def test_channel_totals_and_revenue_weighted_break_even(engine: Engine, account: dict[str, int], now: datetime) -> None:
    report = report_for(engine, now)
    google = report.channel_row("google")
    assert google is not None
    assert google.campaigns == 3
    assert google.current.spend == pytest.approx(770.0)
    assert google.current.revenue == pytest.approx(2485.0)
    # margin = (2240 * 0.40 + 245 * 0.25) / 2485 = 957.25 / 2485
    assert google.break_even == pytest.approx(2485 / 957.25)
    assert report.total.current.spend == pytest.approx(1400.0)


def test_blended_figures_come_from_the_till(engine: Engine, account: dict[str, int], now: datetime) -> None:
    blended = report_for(engine, now).blended
    assert blended.store_revenue == 7000.0
    assert blended.ad_spend == pytest.approx(1400.0)
    assert blended.blended_roas == pytest.approx(5.0)  # 7000 / 1400
    assert blended.spend_share == pytest.approx(0.2)  # 1400 / 7000
    assert blended.spend_share_state == "above"  # steady store: 10-15%
    assert blended.attributed_revenue == pytest.approx(3477.0)
    assert blended.attributed_share == pytest.approx(3477 / 7000)
    assert blended.previous_blended_roas == pytest.approx(9.0)  # 6300 / 700
    # Blended and attributed differ: the platforms claim less than the till here.
    assert report_for(engine, now).total.roas == pytest.approx(3477 / 1400)


def test_alerts_pause_at_seven_days_not_six_and_cpa_over_twenty_percent(
    engine: Engine, account: dict[str, int], now: datetime
) -> None:
    report = report_for(engine, now)
    kinds = {(alert.kind, alert.campaign) for alert in report.alerts}
    assert ("pause", "Loser") in kinds
    assert ("pause", "Six days") not in kinds
    assert report.campaign_row(account["Six days"]).streak == 6  # type: ignore[union-attr]
    assert report.campaign_row(account["Loser"]).streak == 7  # type: ignore[union-attr]
    assert ("cpa", "Six days") in kinds  # CPA 25 against 10 * 1.2
    assert ("cpa", "Loser") not in kinds  # CPA 20 against 30
    assert ("cpa", "Winner") not in kinds  # CPA 20 against 20
    assert ("spend_share", "") in kinds
    assert len(report.alerts) == 3


def test_pause_alert_appears_on_the_seventh_day(engine: Engine, account: dict[str, int], now: datetime) -> None:
    with db.read_session(engine) as session:
        six = ads.load_report(session, custom(date(2026, 11, 13), date(2026, 11, 18)), now)
    assert "pause" not in {a.kind for a in six.alerts if a.campaign == "Loser"}


def test_budget_moves_in_words(engine: Engine, account: dict[str, int], now: datetime) -> None:
    moves = report_for(engine, now).moves
    assert [move.text for move in moves] == [
        "move $40/day from meta / Loser (ROAS 1.40) to google / Winner (ROAS 3.20)",
        "move $10/day from meta / Six days (ROAS 1.71) to google / Winner (ROAS 3.20)",
    ]


def test_promoted_sku_stock_from_stock_levels(engine: Engine, account: dict[str, int], now: datetime) -> None:
    hero = report_for(engine, now).campaign_row(account["Hero promo"])
    assert hero is not None and hero.stock is not None
    assert (hero.stock.sku_code, hero.stock.on_hand, hero.stock.available) == ("HERO", 12, 10)
    assert hero.campaign is not None and hero.campaign.promise_days == 3


def sell_out_hero(engine: Engine, now: datetime) -> None:
    """The hero sold 3 a day for four weeks and has nothing left."""
    with db.write_session(engine) as session:
        for level in session.execute(select(StockLevel)).scalars():
            level.on_hand = 0
        sku_id, warehouse_id = session.execute(select(StockLevel.sku_id, StockLevel.warehouse_id)).first()
        session.add_all(
            [
                DailySales(
                    sku_id=sku_id, warehouse_id=warehouse_id, day=now.date() - timedelta(days=d), units=3, revenue=120.0
                )
                for d in range(1, 29)
            ]
        )


def test_stock_alert_when_the_promoted_sku_runs_out(engine: Engine, account: dict[str, int], now: datetime) -> None:
    sell_out_hero(engine, now)
    report = report_for(engine, now)
    alerts = [a for a in report.alerts if a.kind == "stock"]
    assert [a.campaign for a in alerts] == ["Hero promo"]
    assert alerts[0].message.startswith("promotes HERO (out of stock)")
    assert "while the ad promises 3-day delivery" in alerts[0].message
    stock = report.campaign_row(account["Hero promo"]).stock  # type: ignore[union-attr]
    assert stock is not None and stock.at_risk and stock.state == "out of stock"


def test_stock_from_stock_levels_without_the_inventory_service(
    engine: Engine, account: dict[str, int], now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dtc_tui.services.inventory import stock_state as inventory

    monkeypatch.delattr(inventory, "sku_stock_states", raising=False)
    hero = report_for(engine, now).campaign_row(account["Hero promo"])
    assert hero is not None and hero.stock is not None
    assert (hero.stock.on_hand, hero.stock.available, hero.stock.state, hero.stock.at_risk) == (12, 10, None, False)
    sell_out_hero(engine, now)
    kinds = {(a.kind, a.campaign) for a in report_for(engine, now).alerts}
    assert ("stock", "Hero promo") in kinds


def test_peak_period_relaxes_targets_at_the_period_end(engine: Engine, account: dict[str, int], now: datetime) -> None:
    with db.write_session(engine) as session:
        session.add(
            PeakPeriod(
                name="Singles Day",
                starts_on=date(2026, 11, 11),
                ends_on=date(2026, 11, 19),
                target_roas=1.0,
                cpa_tolerance=2.0,
            )
        )
    report = report_for(engine, now)
    assert report.peak is not None and report.peak.name == "Singles Day"
    kinds = {(a.kind, a.campaign) for a in report.alerts}
    assert ("cpa", "Six days") not in kinds  # line is now 10 * 3 = 30 > 25
    assert ("pause", "Loser") not in kinds  # pause line 2.0 * 1.0 / 2.5 = 0.8 < 1.4
    winner = report.campaign_row(account["Winner"])
    assert winner is not None and winner.targets.target_roas == 1.0 and winner.targets.peak == "Singles Day"


def test_days_fill_the_period_and_judge_each_day(engine: Engine, account: dict[str, int], now: datetime) -> None:
    report = report_for(engine, now)
    with db.read_session(engine) as session:
        six = ads.load_days(session, report, campaign_id=account["Six days"])
        meta = ads.load_days(session, report, channel="meta")
        idle = ads.load_days(session, report, campaign_id=account["Idle"])
        everything = ads.load_days(session, report)
    assert [row.day for row in six] == DAYS
    assert [row.below_pause for row in six] == [False] + [True] * 6
    assert meta[0].current.spend == pytest.approx(90.0)  # Loser 40 + Six days 50
    assert all(row.current.spend == 0 and row.roas is None for row in idle)
    assert sum(row.current.spend for row in everything) == pytest.approx(1400.0)


def test_sort_rows_puts_undefined_values_last_both_ways(engine: Engine, account: dict[str, int], now: datetime) -> None:
    rows = report_for(engine, now).campaigns
    up = [row.label for row in ads.sort_rows(rows, "roas")]
    down = [row.label for row in ads.sort_rows(rows, "roas", descending=True)]
    assert up == ["Loser", "Six days", "Winner", "Hero promo", "Idle"]
    assert down == ["Hero promo", "Winner", "Six days", "Loser", "Idle"]
    assert set(ads.SORT_KEYS) >= {"name", "spend", "revenue", "roas", "cpa", "cpc", "cpm", "ctr", "conversion_rate"}


def test_empty_database_gives_an_empty_report(engine: Engine, now: datetime) -> None:
    report = report_for(engine, now)
    assert report.campaigns == [] and report.channels == [] and report.alerts == [] and report.moves == []
    assert report.total.roas is None and report.blended.blended_roas is None


def test_set_targets_is_audited_and_version_checked(engine: Engine, account: dict[str, int], now: datetime) -> None:
    cid = account["Winner"]
    saved = ads.set_targets(engine, cid, expected_version=1, target_roas=3.0, target_cpa=None, actor="ann", now=now)
    assert saved.version == 2
    with db.read_session(engine) as session:
        campaign = session.get(Campaign, cid)
        assert campaign is not None
        assert (campaign.target_roas, campaign.target_cpa, campaign.version) == (3.0, None, 2)
        audit = session.execute(select(AuditLog).where(AuditLog.entity == "campaign")).scalars().all()
        assert len(audit) == 1 and audit[0].actor == "ann" and '"target_cpa": 20.0' in (audit[0].before or "")
    with pytest.raises(ads.StaleEdit, match="changed by someone else"):
        ads.set_targets(engine, cid, expected_version=1, target_roas=9.0, target_cpa=1.0, actor="bob", now=now)
    with db.read_session(engine) as session:
        assert session.get(Campaign, cid).target_roas == 3.0  # type: ignore[union-attr]
        assert session.execute(select(func.count()).select_from(AuditLog)).scalar() == 1
    # The new target shows in the report.
    winner = report_for(engine, now).campaign_row(cid)
    assert winner is not None and winner.targets.target_roas == 3.0 and winner.campaign.version == 2  # type: ignore[union-attr]


def test_set_targets_rejects_nonsense(engine: Engine, account: dict[str, int], now: datetime) -> None:
    with pytest.raises(ads.TargetError, match="above 0"):
        ads.set_targets(
            engine, account["Winner"], expected_version=1, target_roas=-1.0, target_cpa=None, actor="ann", now=now
        )
    with pytest.raises(ads.TargetError, match="no longer exists"):
        ads.set_targets(engine, 999, expected_version=1, target_roas=2.0, target_cpa=None, actor="ann", now=now)


def test_parse_target() -> None:
    assert ads.parse_target(" ", "target ROAS") is None
    assert ads.parse_target("2.5x", "target ROAS") == 2.5
    assert ads.parse_target("$1,250", "target CPA") == 1250.0
    with pytest.raises(ads.TargetError, match="must be a number"):
        ads.parse_target("abc", "target CPA")
    with pytest.raises(ads.TargetError, match="above 0"):
        ads.parse_target("0", "target CPA")


def test_demo_has_the_promised_cases(demo_engine: Engine, now: datetime) -> None:
    report = report_for(demo_engine, now)
    pauses = [a for a in report.alerts if a.kind == "pause"]
    cpas = [a for a in report.alerts if a.kind == "cpa"]
    assert len(pauses) >= 2 and all(report.campaign_row(a.campaign_id or 0).streak >= 21 for a in pauses)  # type: ignore[union-attr]
    assert len(cpas) == 1
    with Session(demo_engine) as session:
        hero = session.execute(
            select(Campaign.name, Campaign.promise_days, Sku.code).join(Sku, Sku.id == Campaign.sku_id)
        ).all()
        peaks = session.execute(select(PeakPeriod.name)).scalars().all()
        first = session.execute(select(Campaign.id).order_by(Campaign.id).offset(2).limit(1)).scalar()
    assert [(code, promise) for _, promise, code in hero] == [("DEMO-HERO-1", 3)]
    assert any("Black Friday" in name for name in peaks)
    promoted = report.campaign_row(first or 0)
    assert promoted is not None and promoted.stock is not None and promoted.stock.sku_code == "DEMO-HERO-1"
    # The inventory service projects the hero's stock-out while the ad promises 3-day delivery.
    stock_alerts = [a for a in report.alerts if a.kind == "stock"]
    assert [a.campaign_id for a in stock_alerts] == [first]
    assert "DEMO-HERO-1" in stock_alerts[0].message and "3-day delivery" in stock_alerts[0].message
    assert report.moves, "the demo should suggest at least one budget move"
