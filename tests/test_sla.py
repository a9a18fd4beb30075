"""SLA clocks: policy matching, states, pauses, next-response cycles, business-hours targets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from dtc_tui.services.tickets.business_hours import BusinessCalendar
from dtc_tui.services.tickets.sla import (
    FAR_FUTURE,
    Policy,
    TicketTimes,
    clocks,
    display_state,
    format_remaining,
    next_due,
    select_policy,
)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
STANDARD = Policy(id=1, name="Standard", first_response_minutes=720, next_response_minutes=240, resolution_minutes=2880)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def by_metric(ticket_clocks: list) -> dict:
    return {c.metric: c for c in ticket_clocks}


POLICIES = [
    Policy(1, "Incident", 30, 60, 240, match_category="site_incident"),
    Policy(2, "Urgent", 60, 120, 480, match_priority="urgent,high"),
    Policy(3, "Pre-sales WhatsApp", 120, None, None, match_category="presales", match_channel="whatsapp"),
    Policy(4, "VIP", 240, None, None, match_tier="vip"),
    Policy(5, "Standard", 720, 720, 2880),
]


@pytest.mark.parametrize(
    ("priority", "channel", "category", "tier", "expected"),
    [
        ("urgent", "email", "site_incident", "standard", "Incident"),  # first match wins over Urgent
        ("high", "email", "logistics", "vip", "Urgent"),  # lists match any listed value
        ("normal", "whatsapp", "presales", "standard", "Pre-sales WhatsApp"),
        ("normal", "email", "presales", "standard", "Standard"),  # channel does not match
        ("low", "chat", "returns", "vip", "VIP"),
        ("normal", "phone", "product", "standard", "Standard"),
    ],
)
def test_first_matching_policy_wins(priority: str, channel: str, category: str, tier: str, expected: str) -> None:
    policy = select_policy(POLICIES, priority=priority, channel=channel, category=category, tier=tier)
    assert policy is not None and policy.name == expected


def test_no_policy_means_no_clocks() -> None:
    assert select_policy([], priority="low", channel="email", category="x", tier="standard") is None
    assert clocks(TicketTimes(created_at=T0, status="new"), None, at(10)) == []


@pytest.mark.parametrize(
    ("elapsed", "state", "remaining"),
    [
        (0, "ok", 720),
        (539, "ok", 181),
        (541, "at_risk", 179),
        (719, "at_risk", 1),
        (720, "breached", 0),
        (800, "breached", -80),
    ],
)
def test_first_response_states_at_the_25_percent_boundary(elapsed: float, state: str, remaining: float) -> None:
    clock = by_metric(clocks(TicketTimes(created_at=T0, status="new"), STANDARD, at(elapsed)))["first_response"]
    assert clock.state == state
    assert clock.remaining_minutes == pytest.approx(remaining)
    assert clock.due_at == at(720)
    assert clock.risk_at == at(540)


def test_at_risk_fraction_is_configurable() -> None:
    clock = by_metric(clocks(TicketTimes(created_at=T0, status="new"), STANDARD, at(400), at_risk_fraction=0.5))
    assert clock["first_response"].state == "at_risk"


def test_first_response_met_or_breached_when_stopped() -> None:
    met = by_metric(clocks(TicketTimes(created_at=T0, status="open", first_response_at=at(700)), STANDARD, at(2000)))
    assert met["first_response"].state == "met"
    assert not met["first_response"].running
    late = by_metric(clocks(TicketTimes(created_at=T0, status="open", first_response_at=at(721)), STANDARD, at(2000)))
    assert late["first_response"].state == "breached"
    assert not late["first_response"].running  # stopped: it no longer drives the queue order


def test_next_response_runs_only_after_the_first_reply_and_restarts_per_customer_message() -> None:
    waiting_first = clocks(TicketTimes(created_at=T0, status="new", awaiting_since=T0), STANDARD, at(10))
    assert "next_response" not in by_metric(waiting_first)
    cycle = TicketTimes(created_at=T0, status="open", first_response_at=at(30), awaiting_since=at(100))
    clock = by_metric(clocks(cycle, STANDARD, at(300)))["next_response"]
    assert clock.started_at == at(100)
    assert clock.due_at == at(340)
    assert clock.state == "at_risk"  # 40 of 240 minutes left < 25%
    answered = TicketTimes(created_at=T0, status="open", first_response_at=at(30), awaiting_since=None)
    assert "next_response" not in by_metric(clocks(answered, STANDARD, at(300)))


def test_resolution_pauses_while_pending_but_reply_clocks_do_not() -> None:
    # Created at 0, paused from 60 to 600 (540 min), now paused again since 1000 after 100 more paused minutes.
    paused = TicketTimes(
        created_at=T0,
        status="pending",
        first_response_at=at(30),
        paused_since=at(1000),
        paused_minutes=540,
        awaiting_since=at(990),
    )
    result = by_metric(clocks(paused, STANDARD, at(5000)))
    assert result["resolution"].state == "paused"
    assert result["resolution"].due_at is None
    assert result["resolution"].elapsed_minutes == pytest.approx(1000 - 540)
    # A customer message waiting while pending still runs the next-response clock (Zendesk semantics).
    assert result["next_response"].state == "breached"
    running = TicketTimes(created_at=T0, status="open", first_response_at=at(30), paused_minutes=540)
    resolution = by_metric(clocks(running, STANDARD, at(3000)))["resolution"]
    assert resolution.due_at == at(2880 + 540)
    assert resolution.state == "at_risk"  # 420 of 2880 left < 25%


def test_solved_resolution_is_met_or_breached_net_of_pauses() -> None:
    solved = TicketTimes(
        created_at=T0, status="solved", first_response_at=at(5), solved_at=at(3000), paused_minutes=200
    )
    assert by_metric(clocks(solved, STANDARD, at(9000)))["resolution"].state == "met"
    late = TicketTimes(created_at=T0, status="solved", first_response_at=at(5), solved_at=at(3000))
    assert by_metric(clocks(late, STANDARD, at(9000)))["resolution"].state == "breached"


def test_business_hours_policy_counts_only_opening_hours() -> None:
    week = json.dumps({str(d): [["09:00", "17:00"]] for d in range(1, 6)})
    cal = BusinessCalendar.from_json("UTC", week)
    policy = Policy(9, "BH", 120, None, None, business_hours=True, calendar=cal)
    friday_late = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
    clock = by_metric(
        clocks(TicketTimes(created_at=friday_late, status="new"), policy, datetime(2026, 11, 21, 12, 0, tzinfo=UTC))
    )["first_response"]
    assert clock.due_at == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert clock.state == "ok"
    assert clock.elapsed_minutes == 60


def test_next_due_picks_the_earliest_running_clock() -> None:
    times = TicketTimes(created_at=T0, status="open", first_response_at=at(30), awaiting_since=at(100))
    nd = next_due(clocks(times, STANDARD, at(120)))
    assert (nd.metric, nd.due_at) == ("next_response", at(340))
    solved = TicketTimes(created_at=T0, status="solved", first_response_at=at(30), solved_at=at(60))
    nothing = next_due(clocks(solved, STANDARD, at(120)))
    assert nothing.due_at is None and nothing.sort_key == FAR_FUTURE


@pytest.mark.parametrize(
    ("now_offset", "status", "state"),
    [(0, "open", "ok"), (100, "open", "at_risk"), (130, "open", "breached")],
)
def test_display_state_from_stored_summary(now_offset: float, status: str, state: str) -> None:
    assert display_state(at(now_offset), at(120), at(90), status) == state


def test_display_state_without_a_running_clock() -> None:
    assert display_state(T0, None, None, "pending") == "paused"
    assert display_state(T0, None, None, "solved") == "met"


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(hours=2, minutes=14), "2h14m"),
        (timedelta(minutes=-35), "-35m00s"),
        (timedelta(days=3, hours=4), "3d4h"),
        (timedelta(seconds=9), "9s"),
        (timedelta(minutes=5, seconds=3), "5m03s"),
    ],
)
def test_format_remaining(delta: timedelta, text: str) -> None:
    assert format_remaining(T0, T0 + delta) == text


@pytest.mark.parametrize(
    ("times", "metric", "due"),
    [
        (TicketTimes(created_at=T0, status="new"), "first_response", at(720)),
        (TicketTimes(created_at=T0, status="open", first_response_at=at(10), awaiting_since=at(60)), "next_response",
         at(300)),
        (TicketTimes(created_at=T0, status="open", first_response_at=at(10)), "resolution", at(2880)),
        (TicketTimes(created_at=T0, status="open", first_response_at=at(10), paused_minutes=90), "resolution",
         at(2970)),
        (TicketTimes(created_at=T0, status="pending", first_response_at=at(10), paused_since=at(20)), None, None),
        # next response due later than resolution: resolution first
        (TicketTimes(created_at=T0, status="open", first_response_at=at(10), awaiting_since=at(2700)), "resolution",
         at(2880)),
    ],
)  # fmt: skip
def test_the_fast_reapply_summary_is_the_engines(times: TicketTimes, metric: str | None, due: datetime | None) -> None:
    import json

    from dtc_tui.services.tickets.business_hours import BusinessCalendar, micros_of, moment_of
    from dtc_tui.services.tickets.sla import SummaryRule

    def fast_summary(policy: Policy) -> tuple[datetime | None, str | None, datetime | None]:
        """SummaryRule on microseconds, turned back into moments."""
        got = SummaryRule(policy, 0.25)(
            micros_of(times.created_at),  # type: ignore[arg-type]
            micros_of(times.first_response_at),
            micros_of(times.awaiting_since),
            micros_of(times.paused_since),
            times.paused_minutes,
        )
        return moment_of(got[0]), got[1], moment_of(got[2])

    policy = Policy(5, "Standard", 720, 240, 2880)
    engine = next_due(clocks(times, policy, at(30)))
    fast = fast_summary(policy)
    assert (engine.due_at, engine.metric, engine.risk_at) == fast
    assert (fast[0], fast[1]) == (due, metric)
    # the same on business hours (Berlin, lunch gap)
    week = json.dumps({d: [["09:00", "12:00"], ["13:00", "17:30"]] for d in ("mon", "tue", "wed", "thu", "fri")})
    calendar = BusinessCalendar.from_json("Europe/Berlin", week)
    business = Policy(5, "Standard", 720, 240, 2880, business_hours=True, calendar=calendar)
    engine = next_due(clocks(times, business, at(30)))
    assert (engine.due_at, engine.metric, engine.risk_at) == fast_summary(business)


# --- docs/tickets.md's worked examples, as written there ------------------------------------------


def _doc_calendar(zone: str, hours: str, holidays: tuple[str, ...] = ()) -> BusinessCalendar:
    from datetime import date

    from dtc_tui.services.tickets.sla_validation import check_weekly_text, week_to_json

    checked = check_weekly_text(hours)
    assert not checked.errors
    return BusinessCalendar.from_json(zone, week_to_json(checked.week), {date.fromisoformat(d) for d in holidays})


@pytest.mark.parametrize(
    ("example", "zone", "hours", "holidays", "created", "minutes", "due"),
    [
        ("1 first response", "Europe/Berlin", "mon-fri 09:00-12:30, 13:30-18:00", (),
         datetime(2026, 3, 27, 15, 0, tzinfo=UTC), 240, datetime(2026, 3, 30, 9, 0, tzinfo=UTC)),
        ("1 resolution", "Europe/Berlin", "mon-fri 09:00-12:30, 13:30-18:00", (),
         datetime(2026, 3, 27, 15, 0, tzinfo=UTC), 960, datetime(2026, 3, 31, 14, 0, tzinfo=UTC)),
        ("2 Thanksgiving", "America/Los_Angeles", "mon-fri 08:00-17:00", ("2026-11-26",),
         datetime(2026, 11, 26, 0, 0, tzinfo=UTC), 240, datetime(2026, 11, 27, 19, 0, tzinfo=UTC)),
        ("4 Berlin at Christmas", "Europe/Berlin", "mon-fri 09:00-17:00", ("2026-12-25", "2026-12-26"),
         datetime(2026, 12, 24, 15, 0, tzinfo=UTC), 240, datetime(2026, 12, 28, 11, 0, tzinfo=UTC)),
        ("4 US West at Thanksgiving", "America/Los_Angeles", "mon-fri 09:00-17:00", ("2026-11-26",),
         datetime(2026, 11, 26, 0, 0, tzinfo=UTC), 240, datetime(2026, 11, 27, 20, 0, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_the_worked_examples_of_the_docs(
    example: str, zone: str, hours: str, holidays: tuple[str, ...], created: datetime, minutes: int, due: datetime
) -> None:
    calendar = _doc_calendar(zone, hours, holidays)
    assert calendar.add_minutes(created, minutes) == due, example
