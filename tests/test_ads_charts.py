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


# --- issue 15: a day in several currencies is never drawn as 0 ----------------------------------


def test_a_day_in_two_currencies_is_converted_at_its_rate_or_left_as_a_gap(engine, tmp_path) -> None:
    """USD and INR campaigns of one channel: from the first INR rate on, each day is converted to
    the store currency (the caption says so); before it, the day is a gap, never a 0."""
    from dtc_tui import db
    from dtc_tui.services.ads import report as ads
    from dtc_tui.services.ads.metrics import last_days
    from dtc_tui.ui.screens.ads.report import series_of
    from dtc_tui.ui.widgets.charts import roas_caption, runs, spend_caption
    from tests.conftest import FIXED_NOW
    from tests.test_money_fx import DAYS, PAIR, import_rates, seed

    seed(engine, PAIR, store="USD")
    import_rates(engine, tmp_path, "2026-11-16,USD,INR,83\n")  # no rate for Nov 13-15
    with db.read_session(engine) as session:
        report = ads.load_report(session, last_days(7, FIXED_NOW), FIXED_NOW)
        days = ads.load_days(session, report, channel="meta")
    assert [row.day for row in days] == DAYS
    series = series_of(days, "Meta", report.rules.target_roas, None, report)
    assert series.currency == "USD" and series.converted == ("INR",) and series.gaps == 3
    assert list(series.spend) == [None, None, None, 2000.0, 2000.0, 2000.0, 2000.0]  # 1,000 + 83,000 / 83
    assert list(series.revenue[3:]) == [4600.0] * 4 and series.roas[3] == pytest.approx(2.3)
    assert series.roas[:3] == [None, None, None]
    assert runs(series.spend) == [([3, 4, 5, 6], [2000.0] * 4)]  # one line from the first converted day
    caption = str(spend_caption(series))
    assert "(USD at fx rates; gaps: mixed currencies, no rate)" in caption
    assert "target" in str(roas_caption(series))
    averaged, size = bucketed(series, 2)  # a bucket of gaps stays a gap, the other averages known days
    assert size == 4 and averaged.spend == [2000.0, 2000.0] and averaged.roas[0] == pytest.approx(2.3)
    gaps_only, _size = bucketed(ChartSeries("x", DAYS[:4], [None] * 4, [None] * 4, [None] * 4, 2.5, None), 2)
    assert gaps_only.spend == [None, None] and gaps_only.roas == [None, None]


def test_chart_captions_in_chinese(zh_cn) -> None:
    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(3)]
    series = ChartSeries(
        "Meta", days, [None, 5.0, 6.0], [None, 10.0, 12.0], [None, 2.0, 2.0], 2.5, 2.0, "GBP", ("USD",), 1
    )
    from dtc_tui.ui.widgets.charts import roas_caption, spend_caption

    assert str(spend_caption(series)) == "花费 / 收入 （按汇率折 GBP；空缺：多币种且无汇率）: Meta"
    assert str(roas_caption(series)) == "ROAS  目标 2.50  保本 2.00"
