"""Ad formulas with hand-computed values; every zero denominator gives None, shown as "-"."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dtc_tui.services.ads import metrics as m
from dtc_tui.services.ads.metrics import Period, Totals


def test_roas_is_revenue_over_spend() -> None:
    assert m.roas(300.0, 100.0) == 3.0
    assert m.roas(56.0, 40.0) == pytest.approx(1.4)


def test_roas_without_spend_is_undefined_but_without_revenue_is_zero() -> None:
    assert m.roas(100.0, 0.0) is None
    # Spend with nothing back is the worst case and must show as 0.00, not hide as "-".
    assert m.roas(0.0, 100.0) == 0.0


def test_cpa_cpc_cpm_ctr_conversion_rate() -> None:
    assert m.cpa(100.0, 4) == 25.0
    assert m.cpc(100.0, 80) == 1.25
    assert m.cpm(30.0, 12_000) == pytest.approx(2.5)  # $30 for 12,000 impressions = $2.50 per 1,000
    assert m.ctr(80, 4_000) == pytest.approx(0.02)
    assert m.conversion_rate(4, 80) == pytest.approx(0.05)


@pytest.mark.parametrize(
    "value",
    [
        m.cpa(100.0, 0),
        m.cpc(100.0, 0),
        m.cpm(100.0, 0),
        m.ctr(0, 0),
        m.conversion_rate(3, 0),
        m.spend_share(100.0, 0.0),
        m.blended_roas(500.0, 0.0),
    ],
)
def test_zero_denominators_are_none(value: float | None) -> None:
    assert value is None


def test_blended_roas_and_spend_share_are_inverse_ratios() -> None:
    assert m.blended_roas(5000.0, 1250.0) == 4.0  # store revenue / ad spend (our MER)
    assert m.spend_share(1250.0, 5000.0) == 0.25  # ad spend / store revenue


def test_break_even_roas_is_one_over_contribution_margin() -> None:
    margin = m.contribution_margin(25.0, 15.0)
    assert margin == pytest.approx(0.4)
    assert m.break_even_roas(margin) == pytest.approx(2.5)
    assert m.break_even_roas(0.25) == 4.0
    assert m.contribution_margin(0.0, 5.0) is None  # no price: unknown, not a crash
    assert m.break_even_roas(None) is None
    assert m.break_even_roas(m.contribution_margin(10.0, 12.0)) == float("inf")  # loses money on every sale
    assert m.fmt_ratio(float("inf")) == "never"


def test_change_against_the_previous_period() -> None:
    assert m.change(120.0, 100.0) == pytest.approx(0.2)
    assert m.change(80.0, 100.0) == pytest.approx(-0.2)
    assert m.change(50.0, 0.0) is None
    assert m.change(None, 10.0) is None
    assert m.difference(3.2, 2.5) == pytest.approx(0.7)
    assert m.difference(3.2, None) is None


def test_totals_add_up_and_derive_every_ratio() -> None:
    day = Totals(spend=100.0, impressions=10_000, clicks=80, conversions=5, revenue=320.0)
    week = m.sum_totals([day] * 7)
    assert week.spend == 700.0
    assert week.clicks == 560
    assert week.roas == pytest.approx(3.2)
    assert week.cpa == pytest.approx(20.0)
    assert week.cpc == pytest.approx(1.25)
    assert week.cpm == pytest.approx(10.0)
    assert week.ctr == pytest.approx(0.008)
    assert week.conversion_rate == pytest.approx(0.0625)


def test_empty_totals_have_no_ratios_and_print_dashes() -> None:
    empty = Totals()
    assert [empty.roas, empty.cpa, empty.cpc, empty.cpm, empty.ctr, empty.conversion_rate] == [None] * 6
    assert m.fmt_ratio(empty.roas) == "-"
    assert m.fmt_money(empty.cpa, 2, "USD") == "-"
    assert m.fmt_percent(empty.ctr) == "-"
    assert m.fmt_signed(None) == "-"
    data = empty.as_dict()
    assert data["roas"] is None and data["cpc"] is None


def test_signed_formats_never_show_minus_zero() -> None:
    assert m.fmt_signed(-0.001) == "0.00"
    assert m.fmt_signed(0.4) == "+0.40"
    assert m.fmt_signed_percent(-0.002) == "0%"
    assert m.fmt_signed_percent(0.25) == "+25%"


def test_last_days_leaves_today_out_and_previous_has_equal_length() -> None:
    now = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    week = m.last_days(7, now)
    assert (week.start, week.end, week.days) == (date(2026, 11, 13), date(2026, 11, 19), 7)
    before = week.previous()
    assert (before.start, before.end, before.days) == (date(2026, 11, 6), date(2026, 11, 12), 7)
    assert week.label == "Last 7 days (Nov 13 - Nov 19 2026)"


def test_custom_period_previous_and_validation() -> None:
    october = m.custom(date(2026, 10, 1), date(2026, 10, 31))
    assert october.days == 31
    assert october.previous() == Period(date(2026, 8, 31), date(2026, 9, 30), None)
    assert len(october.each_day()) == 31
    with pytest.raises(ValueError, match="before it starts"):
        m.custom(date(2026, 10, 2), date(2026, 10, 1))
    with pytest.raises(ValueError):
        m.last_days(0, datetime(2026, 11, 20, tzinfo=UTC))
