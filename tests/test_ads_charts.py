"""Chart data: long periods are averaged into buckets so a braille chart does not overdraw."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dtc_tui.ui.widgets.charts import ChartSeries, bucketed, tick_positions


def series(days: int) -> ChartSeries:
    start = date(2026, 1, 1)
    return ChartSeries(
        "All",
        [start + timedelta(days=i) for i in range(days)],
        [10.0] * days,
        [float(20 + i % 2 * 20) for i in range(days)],
        [2.0 if i % 2 == 0 else 4.0 for i in range(days)],
        2.5,
        2.0,
    )


def test_short_series_is_untouched() -> None:
    original = series(30)
    assert bucketed(original, 70) == (original, 1)


def test_long_series_is_averaged_per_day_and_roas_comes_from_sums() -> None:
    averaged, size = bucketed(series(730), 70)
    assert size == 11  # ceil(730 / 70)
    assert len(averaged.days) == 67
    assert averaged.days[1] == date(2026, 1, 12)
    assert averaged.spend[0] == pytest.approx(10.0)  # still dollars per day
    # Days 0-10: revenue 20,40,20,...,20 (six 20s, five 40s) = 320 over spend 110.
    assert averaged.revenue[0] == pytest.approx(320 / 11)
    assert averaged.roas[0] == pytest.approx(320 / 110)


def test_days_without_spend_have_no_roas_point() -> None:
    empty = ChartSeries("Idle", [date(2026, 1, 1)] * 200, [0.0] * 200, [0.0] * 200, [None] * 200, 2.5, None)
    averaged, _ = bucketed(empty, 50)
    assert all(value is None for value in averaged.roas)


def test_tick_positions_spread_and_include_both_ends() -> None:
    assert tick_positions(30, 3) == [0, 14, 29]
    assert tick_positions(2, 5) == [0, 1]
    assert tick_positions(0, 5) == []
