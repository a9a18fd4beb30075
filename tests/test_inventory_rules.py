"""The reorder rules on hand-computed numbers (no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from dtc_tui.services.inventory.rules import (
    Arrival,
    Policy,
    RowInput,
    abc_classes,
    days_until_stockout,
    demand_sigma,
    gap_units,
    plan_row,
    plan_transfers,
    reorder_point,
    reorder_point_formula,
    round_order,
    safety_stock_formula,
    safety_stock_rule,
    safety_stock_stat,
    velocity,
)

TODAY = date(2026, 11, 20)
POLICY = Policy()


def row(**changes: object) -> RowInput:
    base = RowInput(
        available=5000,
        on_hand=5000,
        daily_sales=50.0,
        sigma=0.0,
        lead_time_days=21,
        review_cycle_days=7,
        buffer_days=7,
        moq=1,
        case_pack=1,
        abc="B",
        method="rule",
        cost=10.0,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_domain_worked_example_50_a_day_21_day_cycle_7_day_buffer_is_1400() -> None:
    # domain.md's "safety stock" (daily sales x cycle + buffer) is the reorder point; the buffer is 350
    assert reorder_point(50, 21, safety_stock_rule(50, 7)) == 1400
    plan = plan_row(row(available=1000), POLICY, TODAY)
    assert plan.reorder_point == 1400
    assert plan.safety_stock == 350
    assert plan.order_up_to == 1400 + 50 * 7  # + the review cycle's demand
    assert plan.state == "reorder_now"  # 1,000 projected <= 1,400
    assert plan.need == 1750 - 1000
    assert plan.suggested_qty == 750


def test_statistical_method_swaps_only_the_buffer() -> None:
    # 50/day over 16 days of lead time + 1.65 x sigma 10 x sqrt(16) = 800 + 66 = 866
    assert safety_stock_stat(10, 16, 1.65) == pytest.approx(66)
    assert reorder_point(50, 16, safety_stock_stat(10, 16, 1.65)) == pytest.approx(866)
    plan = plan_row(row(method="stat", sigma=10.0, lead_time_days=16, available=10_000), POLICY, TODAY)
    assert plan.reorder_point == pytest.approx(866)
    assert plan.safety_stock == pytest.approx(66)
    assert (
        safety_stock_formula(row(method="stat", sigma=10.0, lead_time_days=16), POLICY)
        == "1.65 x sigma 10.0 x sqrt(16)"
    )


@pytest.mark.parametrize(
    ("need", "moq", "pack", "expected"),
    [
        (850, 200, 20, 860),  # above the MOQ: up to whole cases of 20
        (50, 200, 24, 216),  # below the MOQ: the MOQ, then whole cases (200 -> 9 x 24)
        (1201, 1, 100, 1300),
        (0.2, 1, 1, 1),  # a fraction of a unit still needs one
        (0, 500, 50, 0),  # nothing needed: nothing ordered, whatever the MOQ
        (-30, 500, 50, 0),
        (100, 0, 0, 100),  # a zero MOQ or case pack counts as 1
    ],
)
def test_order_quantity_rounds_to_moq_then_case_pack(need: float, moq: int, pack: int, expected: int) -> None:
    assert round_order(need, moq, pack) == expected


def test_suggestion_uses_the_skus_moq_and_case_pack() -> None:
    plan = plan_row(row(available=900, moq=200, case_pack=20), POLICY, TODAY)
    assert plan.need == 850  # 1,750 - 900
    assert plan.suggested_qty == 860


def test_stockout_days_are_left_out_of_velocity() -> None:
    # 60 units over a 28-day window of which 8 days were out of stock: 60 / 20 in-stock days.
    assert velocity(60, 28, 8) == 3.0
    assert velocity(60, 28, 0) == pytest.approx(60 / 28)
    assert velocity(0, 28, 28) == 0.0  # never in stock: no division by zero


def test_demand_sigma_counts_missing_days_as_zero() -> None:
    # In-stock days: 2, 4, 4, 4, 5, 5, 7, 9 and two days without a row (0, 0): n = 10.
    units = [2, 4, 4, 4, 5, 5, 7, 9, 0, 0]
    mean = sum(units) / 10
    sample_var = sum((u - mean) ** 2 for u in units) / 9
    sigma = demand_sigma(sum(units), sum(u * u for u in units), 12, 2)
    assert sigma == pytest.approx(sample_var**0.5)
    assert demand_sigma(0, 0, 28, 28) == 0.0


def test_stockout_date_counts_arrivals_that_land_in_time() -> None:
    # 100 units at 10/day: empty after 10 days; 50 arriving on day 5 push it to day 15.
    assert days_until_stockout(100, 10, (), TODAY) == 10
    in_time = (Arrival(TODAY + timedelta(days=5), 50, "PO-1"),)
    assert days_until_stockout(100, 10, in_time, TODAY) == 15
    # An arrival after the shelf is empty does not move the stock-out date (the gap is the point).
    late = (Arrival(TODAY + timedelta(days=12), 500, "PO-2"),)
    assert days_until_stockout(100, 10, late, TODAY) == 10
    # An overdue arrival counts as arriving today.
    overdue = (Arrival(TODAY - timedelta(days=3), 50, "PO-3"),)
    assert days_until_stockout(100, 10, overdue, TODAY) == 15
    assert days_until_stockout(0, 10, (), TODAY) == 0
    assert days_until_stockout(40, 0, (), TODAY) is None


def test_reorder_by_is_the_stockout_date_minus_lead_time() -> None:
    plan = plan_row(row(available=1500), POLICY, TODAY)  # 30 days of cover, 21 days lead time
    assert plan.stockout_date == TODAY + timedelta(days=30)
    assert plan.reorder_by == TODAY + timedelta(days=9)
    assert plan.urgency == 9


def test_states_by_projected_stock() -> None:
    assert plan_row(row(available=0), POLICY, TODAY).state == "out"
    assert plan_row(row(available=1400), POLICY, TODAY).state == "reorder_now"  # at the reorder point
    assert plan_row(row(available=1401), POLICY, TODAY).state == "reorder_soon"
    assert plan_row(row(available=1400 + 50 * 14), POLICY, TODAY).state == "reorder_soon"
    assert plan_row(row(available=1400 + 50 * 14 + 1), POLICY, TODAY).state == "ok"
    assert plan_row(row(available=50 * 121), POLICY, TODAY).state == "overstock"  # > 120 days of cover
    # Inbound counts: 1,000 on hand + 1,000 arriving in 5 days is above the reorder point.
    inbound = (Arrival(TODAY + timedelta(days=5), 1000, "PO-1"),)
    assert plan_row(row(available=1000, arrivals=inbound), POLICY, TODAY).state == "reorder_soon"


def test_stockout_before_a_late_inbound_is_reorder_now() -> None:
    # 3 days of stock, a big PO lands in 11 days: plenty projected, but the shelf is empty for 8 days.
    late = (Arrival(TODAY + timedelta(days=11), 5000, "PO-1001"),)
    plan = plan_row(row(available=150, arrivals=late), POLICY, TODAY)
    assert plan.state == "reorder_now"
    assert plan.need == 0  # buying more would not help; the board says "expedite PO-1001"
    assert plan.days_to_stockout == 3
    assert gap_units(row(available=150, arrivals=late), plan, transfer_days=7) == 50 * 11 - 150
    assert gap_units(row(available=150, arrivals=late), plan, transfer_days=14) == 0  # a transfer lands too late


def test_dead_and_overstock_without_sales() -> None:
    # Nothing sold in the velocity window: dead when nothing sold in the dead-stock window (90 days) either.
    assert plan_row(row(daily_sales=0, sold_recently=False), POLICY, TODAY).state == "dead"
    assert plan_row(row(daily_sales=0, sold_recently=True), POLICY, TODAY).state == "overstock"


def test_zero_sales_skus_do_not_divide_by_zero() -> None:
    plan = plan_row(row(daily_sales=0, available=0, sigma=0, method="stat"), POLICY, TODAY)
    assert plan.state == "ok"  # nothing on the shelf, nobody buying: nothing to do
    assert plan.cover_days is None and plan.urgency is None and plan.suggested_qty == 0
    dead = plan_row(row(daily_sales=0, available=30, cost=4.0), POLICY, TODAY)
    assert dead.excess_units == 30 and dead.storage_cost_monthly == pytest.approx(30 * 4.0 * 0.18)


def test_overstock_storage_cost_is_18_percent_of_the_excess_value_a_month() -> None:
    # 10/day, 1,500 available: 120 days are fine (1,200), 300 units are excess at 10.00 each.
    plan = plan_row(row(daily_sales=10, available=1500, cost=10.0), POLICY, TODAY)
    assert plan.state == "overstock"
    assert plan.excess_units == 300
    assert plan.storage_cost_monthly == pytest.approx(300 * 10.0 * 0.18)


def test_class_strategies() -> None:
    # A: the reorder point covers at least 30 days (50 x 30 = 1,500 > 1,400).
    a = plan_row(row(abc="A", available=1450), POLICY, TODAY)
    assert a.reorder_point == 1500 and a.safety_stock == 350 and a.state == "reorder_now"
    assert "30 days" in reorder_point_formula(row(abc="A"), a, POLICY)
    # C: bought on demand, no buffer: reorder point = lead-time demand only.
    c = plan_row(row(abc="C", available=2000), POLICY, TODAY)
    assert c.reorder_point == 50 * 21 and c.safety_stock == 0
    # D: cleared, never reordered, and an empty D row is not an alarm.
    d = plan_row(row(abc="D", available=100), POLICY, TODAY)
    assert d.state == "ok" and d.need == 0 and d.suggested_qty == 0 and d.urgency is None
    assert plan_row(row(abc="D", available=0), POLICY, TODAY).state == "ok"


def test_abc_boundaries_by_cumulative_revenue() -> None:
    revenue = {1: 50.0, 2: 30.0, 3: 10.0, 4: 5.0, 5: 4.0, 6: 1.0, 7: 0.0}
    margins = {sku: 0.6 for sku in revenue} | {6: 0.2, 7: 0.3}
    classes = abc_classes(revenue, margins, a_share=0.80, b_share=0.15, d_margin=0.40)
    # Revenue ranked before: 1 -> 0%, 2 -> 50% (A: under 80%), 3 -> exactly 80% (B), 4 -> 90% (B),
    # 5 -> exactly 95% (C), 6 -> 99% with a 20% margin (D), 7 sold nothing with a 30% margin (D).
    assert classes == {1: "A", 2: "A", 3: "B", 4: "B", 5: "C", 6: "D", 7: "D"}
    assert abc_classes({}, {}, a_share=0.8, b_share=0.15, d_margin=0.4) == {}
    assert abc_classes({1: 0.0}, {1: 0.5}, a_share=0.8, b_share=0.15, d_margin=0.4) == {1: "C"}


def test_transfer_from_the_warehouse_with_most_surplus_first() -> None:
    moves = plan_transfers(9, [(1, 120.0, -5), (2, 40.0, 3)], {3: 100, 4: 50})
    # The most urgent need (warehouse 1) takes 100 from warehouse 3 and 20 from 4; warehouse 2 gets 30.
    assert [(m.from_warehouse_id, m.to_warehouse_id, m.qty) for m in moves] == [(3, 1, 100), (4, 1, 20), (4, 2, 30)]
    assert plan_transfers(9, [(1, 10.0, 0)], {}) == []
    assert plan_transfers(9, [(1, 10.0, 0)], {1: 50}) == []  # never from itself
