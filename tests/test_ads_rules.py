"""The ad rules on hand-made data: pause after N days below 2, CPA +20%, peaks, budget moves."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dtc_tui.services.ads.metrics import Totals
from dtc_tui.services.ads.rules import (
    MoveCandidate,
    Peak,
    RuleSettings,
    cpa_over_target,
    losing_streak,
    pause_threshold,
    suggest_moves,
    targets_in_force,
)

RULES = RuleSettings()
END = date(2026, 11, 19)
BLACK_FRIDAY = Peak("Black Friday", date(2026, 11, 24), date(2026, 12, 2), target_roas=2.0, cpa_tolerance=0.5)


def days_below(count: int, *, roas: float = 1.5, end: date = END, before: float = 3.0) -> dict[date, Totals]:
    """``count`` days at ``roas`` ending on ``end``, preceded by ten days at ``before``."""
    daily = {}
    for offset in range(count + 10):
        value = roas if offset < count else before
        daily[end - timedelta(days=offset)] = Totals(spend=100.0, revenue=100.0 * value)
    return daily


def test_default_rules_come_from_domain_md() -> None:
    assert (RULES.target_roas, RULES.pause_roas, RULES.pause_days, RULES.cpa_tolerance) == (2.5, 2.0, 7, 0.2)
    assert RULES.spend_share_band == (0.10, 0.15)
    assert RuleSettings(store_stage="new").spend_share_band == (0.25, 0.30)


def test_six_days_below_two_is_not_yet_a_pause() -> None:
    assert losing_streak(days_below(6), END, RULES, [], 90) == 6
    assert losing_streak(days_below(6), END, RULES, [], 90) < RULES.pause_days


def test_seven_days_below_two_is_a_pause() -> None:
    assert losing_streak(days_below(7), END, RULES, [], 90) == 7 >= RULES.pause_days


def test_exactly_two_is_not_below_two() -> None:
    assert losing_streak(days_below(7, roas=2.0), END, RULES, [], 90) == 0


def test_a_day_without_spend_breaks_the_run() -> None:
    daily = days_below(9)
    daily[END - timedelta(days=3)] = Totals()  # paused that day
    assert losing_streak(daily, END, RULES, [], 90) == 3


def test_a_day_with_spend_and_no_revenue_counts_as_below() -> None:
    daily = days_below(6)
    daily[END - timedelta(days=6)] = Totals(spend=50.0, revenue=0.0)
    assert losing_streak(daily, END, RULES, [], 90) == 7


def test_peak_days_use_a_pause_line_scaled_like_the_target() -> None:
    # Target 2.5 relaxed to 2.0 during the peak: the pause line 2.0 becomes 2.0 * 2.0 / 2.5 = 1.6.
    assert pause_threshold(date(2026, 11, 25), RULES, [BLACK_FRIDAY]) == pytest.approx(1.6)
    assert pause_threshold(date(2026, 11, 23), RULES, [BLACK_FRIDAY]) == 2.0
    peak_end = date(2026, 11, 30)
    assert losing_streak(days_below(7, roas=1.8, end=peak_end), peak_end, RULES, [BLACK_FRIDAY], 90) == 0
    assert losing_streak(days_below(7, roas=1.5, end=peak_end), peak_end, RULES, [BLACK_FRIDAY], 90) == 7


def test_targets_in_force_relax_during_a_peak_but_never_tighten() -> None:
    normal = targets_in_force(RULES, None, 20.0, None)
    assert (normal.target_roas, normal.cpa_tolerance, normal.peak, normal.pause_roas) == (2.5, 0.2, None, 2.0)
    relaxed = targets_in_force(RULES, None, 20.0, BLACK_FRIDAY)
    assert (relaxed.target_roas, relaxed.cpa_tolerance, relaxed.peak) == (2.0, 0.5, "Black Friday")
    assert relaxed.pause_roas == pytest.approx(1.6)
    assert relaxed.cpa_alert_line == pytest.approx(30.0)
    own_lower = targets_in_force(RULES, 1.8, None, BLACK_FRIDAY)
    assert own_lower.target_roas == 1.8


def test_cpa_alert_fires_only_beyond_twenty_percent_over_target() -> None:
    targets = targets_in_force(RULES, None, 20.0, None)  # alert line: 20 * 1.2 = 24
    assert not cpa_over_target(Totals(spend=240.0, conversions=10), targets)  # CPA 24.00: at the line
    assert cpa_over_target(Totals(spend=240.1, conversions=10), targets)  # CPA 24.01
    assert not cpa_over_target(Totals(spend=230.0, conversions=10), targets)  # 15% over: no alert


def test_cpa_alert_when_spend_passes_the_line_without_a_conversion() -> None:
    targets = targets_in_force(RULES, None, 20.0, None)
    assert cpa_over_target(Totals(spend=30.0), targets)
    assert not cpa_over_target(Totals(spend=20.0), targets)
    assert not cpa_over_target(Totals(), targets)
    assert not cpa_over_target(Totals(spend=500.0, conversions=1), targets_in_force(RULES, None, None, None))


def test_cpa_alert_tolerance_relaxed_in_a_peak() -> None:
    peak = targets_in_force(RULES, None, 20.0, BLACK_FRIDAY)  # line: 20 * 1.5 = 30
    assert not cpa_over_target(Totals(spend=280.0, conversions=10), peak)
    assert cpa_over_target(Totals(spend=280.0, conversions=10), targets_in_force(RULES, None, 20.0, None))


def candidate(
    cid: int,
    label: str,
    roas: float | None,
    budget: float,
    break_even: float | None = 2.5,
    target: float = 2.5,
    active: bool = True,
) -> MoveCandidate:
    return MoveCandidate(cid, label, roas, break_even, target, budget, active)


def test_budget_move_in_words_from_below_break_even_to_above_target() -> None:
    moves = suggest_moves([candidate(1, "X", 1.4, 80.0), candidate(2, "Y", 3.2, 100.0)], RULES)
    # X offers half its $80 budget; Y may grow by half of its $100: $40 fits.
    assert [move.text for move in moves] == ["move $40/day from X (ROAS 1.40) to Y (ROAS 3.20)"]
    assert moves[0].as_dict()["amount_per_day"] == 40.0


def test_budget_moves_fill_the_best_recipient_first_and_respect_its_room() -> None:
    moves = suggest_moves(
        [
            candidate(1, "Loser", 1.4, 80.0),  # offers 40
            candidate(2, "Weak", 2.0, 50.0),  # offers 25
            candidate(3, "Best", 3.2, 100.0),  # room 50
            candidate(4, "Good", 2.8, 40.0),  # room 20
            candidate(5, "Middling", 2.4, 500.0, break_even=2.0),  # above break-even, below target: left alone
            candidate(6, "Paused loser", 0.5, 500.0, active=False),
        ],
        RULES,
    )
    assert [(m.from_label, m.to_label, m.amount) for m in moves] == [
        ("Loser", "Best", 40.0),
        ("Weak", "Best", 10.0),
        ("Weak", "Good", 15.0),
    ]


def test_budget_moves_round_down_to_the_step_and_skip_crumbs() -> None:
    moves = suggest_moves([candidate(1, "A", 1.0, 33.0), candidate(2, "B", 3.0, 18.0)], RULES)
    # A offers 16.5 -> $15; B's room is 9 -> $5; nothing smaller than $5 is suggested.
    assert [(m.amount) for m in moves] == [5.0]
    assert suggest_moves([candidate(1, "A", 1.0, 8.0), candidate(2, "B", 3.0, 100.0)], RULES) == []


def test_a_low_margin_campaign_above_target_but_below_break_even_gives_not_takes() -> None:
    moves = suggest_moves(
        [candidate(1, "Thin margin", 3.5, 20.0, break_even=4.0), candidate(2, "Winner", 3.2, 100.0)], RULES
    )
    assert [(m.from_label, m.to_label, m.amount) for m in moves] == [("Thin margin", "Winner", 10.0)]


def test_no_moves_without_a_recipient_or_without_ratios() -> None:
    assert suggest_moves([candidate(1, "A", 1.0, 100.0), candidate(2, "B", None, 100.0)], RULES) == []
    assert suggest_moves([candidate(1, "A", 1.0, 100.0, break_even=None), candidate(2, "B", 3.0, 100.0)], RULES) == []
