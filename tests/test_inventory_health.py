"""Health KPIs on a hand-made inventory: ageing, turnover, core stock-outs, slow movers, overstock."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from dtc_tui import db
from dtc_tui.services.inventory.board import forget_sales_history
from dtc_tui.services.inventory.health import health
from tests.inventory_world import NOW, every_day, make_world


@pytest.fixture(autouse=True)
def _fresh_history() -> None:
    forget_sales_history()


def test_health_kpis_by_hand(engine: Engine) -> None:
    world = make_world(engine)
    world.add_sku("OLD", cost=10.0, price=20.0)
    world.add_sku("NEW", cost=5.0, price=8.0)
    # OLD: 100 on hand received 200 days ago, sells 1 a day over the 90-day ABC window.
    world.stock("OLD", "US-W", 100, received_days_ago=200)
    world.sales("OLD", "US-W", every_day(1, days=90), price=20.0)
    # NEW: 100 on hand received 10 days ago, sells 2 a day but was out of stock 2 days last week.
    world.stock("NEW", "US-W", 100, received_days_ago=10)
    world.sales("NEW", "US-W", {d: 2 for d in range(1, 91) if d not in (3, 4)}, stockout={3, 4}, price=8.0)
    with db.read_session(engine) as session:
        report = health(session, NOW)
    kpi = {k.key: k for k in report.kpis}

    assert kpi["aged_share"].value == pytest.approx(1 / 2)  # OLD's receipt is older than 180 days
    assert kpi["aged_share"].ok is False

    # COGS over 90 days: 90 x 10.00 + 176 x 5.00 = 1,780 -> x 365/90 a year; stock at cost 1,000 + 500.
    cogs_annual = (90 * 10.0 + 176 * 5.0) * 365 / 90
    assert report.cogs_annual == pytest.approx(cogs_annual)
    assert report.stock_value == 1500
    assert kpi["turnover"].value == pytest.approx(cogs_annual / 1500)
    assert kpi["turnover"].ok is False  # 4.8 < 6

    # Both are class A (OLD 1,800 of 3,208 revenue, NEW ranked after 56%): 2 out days / (2 x 28).
    assert kpi["core_stockout_rate"].value == pytest.approx(2 / 56)
    assert kpi["core_stockout_rate"].ok is False  # 3.6% is not under 3%

    # OLD has 100 days of cover (> 90: slow); NEW 100 / (52 / 26) = 50 days.
    assert kpi["slow_share"].value == pytest.approx(1 / 2)
    assert report.overstock_units == 0 and report.dead_skus == 0


def test_overstock_and_dead_stock_value(engine: Engine) -> None:
    world = make_world(engine)
    world.add_sku("HEAP", cost=4.0, abc_override="B")
    world.add_sku("GONE", cost=3.0, abc_override="C")
    world.stock("HEAP", "US-W", 1500)  # 10/day: 1,200 is 120 days of cover, 300 units too many
    world.sales("HEAP", "US-W", every_day(10))
    world.stock("GONE", "DE", 50)  # never sold
    with db.read_session(engine) as session:
        report = health(session, NOW)
    assert report.overstock_units == 300 + 50
    assert report.overstock_value == pytest.approx(300 * 4.0 + 50 * 3.0)
    assert report.storage_cost_monthly == pytest.approx((300 * 4.0 + 50 * 3.0) * 0.18)
    assert report.dead_skus == 1 and report.dead_value == pytest.approx(150.0)
    assert report.states["overstock"] == 1 and report.states["dead"] == 1


def test_empty_database_has_no_kpi_values(engine: Engine) -> None:
    with db.read_session(engine) as session:
        report = health(session, NOW)
    assert all(k.value is None and k.ok is None for k in report.kpis)
    assert report.skus == 0
