"""Each cross-area signal on a small hand-made dataset where it must fire and one where it must not."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import Engine, insert, update

from dtc_tui import db
from dtc_tui.models import AdChannel, AdStatDaily, Campaign, Duty, Person, RoutingRule, Ticket
from dtc_tui.services.inventory.board import forget_sales_history
from dtc_tui.services.overview import signals
from dtc_tui.services.overview.targets import SkuTarget, TicketTarget
from dtc_tui.services.tickets import ops
from tests.inventory_world import NOW, TODAY, World, every_day, make_world


def run(engine: Engine, compute) -> list[signals.Signal]:
    forget_sales_history()
    with db.read_session(engine) as session:
        return compute(session, NOW)


def campaign(
    engine: Engine, sku_id: int | None, *, spend: float = 50.0, status: str = "active", promise_days: int | None = None
) -> int:
    with db.write_session(engine) as s:
        channel = AdChannel(code=f"ch{sku_id}{status}{promise_days}", name="Google Ads")
        s.add(channel)
        s.flush()
        row = Campaign(
            channel_id=channel.id or 0,
            name=f"Promo {sku_id}",
            status=status,
            sku_id=sku_id,
            daily_budget=spend,
            promise_days=promise_days,
        )
        s.add(row)
        s.flush()
        s.execute(
            insert(AdStatDaily),
            [
                {
                    "campaign_id": row.id,
                    "day": TODAY - timedelta(days=d),
                    "spend": spend,
                    "impressions": 1000,
                    "clicks": 50,
                    "conversions": 2,
                    "revenue": spend * 3,
                }
                for d in range(1, 8)
            ],
        )
        return row.id or 0


def runs_out_in_3_days(engine: Engine, arrival_in_days: int) -> tuple[World, int]:
    world = make_world(engine)
    sku = world.add_sku("HOT", supplier="Beta")  # 14 days lead time
    world.stock("HOT", "US-W", 30)
    world.sales("HOT", "US-W", every_day(10))
    world.po("PO-1", "Beta", "US-W", {"HOT": 500}, expected_in_days=arrival_in_days)
    return world, sku


def test_stock_vs_ads_fires_when_the_shelf_empties_before_the_next_arrival(engine: Engine) -> None:
    _world, sku = runs_out_in_3_days(engine, arrival_in_days=10)
    campaign(engine, sku, spend=50)
    found = run(engine, signals.stock_vs_ads)
    assert len(found) == 1
    signal = found[0]
    assert signal.numbers["daily_spend"] == 50.0
    assert signal.numbers["stockout_date"] == TODAY + timedelta(days=3)
    assert signal.numbers["days_without_stock"] == 7
    assert signal.numbers["money_at_stake"] == 350.0  # 7 days x $50/day
    assert "HOT" in signal.explanation and "50/day" in signal.explanation


def test_stock_vs_ads_is_quiet_when_stock_lands_in_time_or_the_campaign_is_paused(engine: Engine) -> None:
    _world, sku = runs_out_in_3_days(engine, arrival_in_days=2)
    campaign(engine, sku)
    campaign(engine, sku, status="paused")
    assert run(engine, signals.stock_vs_ads) == []


def _ticket(engine: Engine, *, sku_id: int | None = None, days_ago: float, category: str = "product") -> int:
    ticket_id = ops.create_ticket(
        engine,
        subject="About my order",
        channel="email",
        now=NOW,
        actor="test",
        category=category,
        created_at=NOW - timedelta(days=days_ago),
    )
    with db.write_session(engine) as s:
        s.execute(update(Ticket).where(Ticket.id == ticket_id).values(sku_id=sku_id))
    return ticket_id


def test_ticket_rise_about_a_sku_links_its_stock_out(engine: Engine) -> None:
    _world, sku = runs_out_in_3_days(engine, arrival_in_days=10)
    for i in range(9):
        _ticket(engine, sku_id=sku, days_ago=0.1 + i * 0.2)
    _ticket(engine, sku_id=sku, days_ago=8)
    found = run(engine, signals.ticket_rise)
    assert [s.target for s in found] == [SkuTarget(sku)]
    assert found[0].numbers["recent"] == 9 and found[0].numbers["baseline"] == 1
    assert "HOT is reorder now" in found[0].explanation or "HOT is out of stock" in found[0].explanation


def test_ticket_rise_is_quiet_at_the_usual_rate(engine: Engine) -> None:
    _world, sku = runs_out_in_3_days(engine, arrival_in_days=10)
    for i in range(9):
        _ticket(engine, sku_id=sku, days_ago=0.1 + i * 0.3)
    for i in range(40):  # 40 in the 14 days before: 2.9/day, the recent 3/day is no rise
        _ticket(engine, sku_id=sku, days_ago=3.2 + i * 0.33)
    assert run(engine, signals.ticket_rise) == []


def test_delivery_promise_longer_than_supply_allows(engine: Engine) -> None:
    world, sku = runs_out_in_3_days(engine, arrival_in_days=10)
    campaign(engine, sku, promise_days=3)
    found = run(engine, signals.delivery_promise)
    assert len(found) == 1
    assert found[0].numbers == {"promised_days": 3, "possible_days": 7 + 3}  # 7 days without stock + 3 delivery
    assert world.sku["HOT"] == found[0].target.sku_id


def test_delivery_promise_kept_when_stock_lasts(engine: Engine) -> None:
    world = make_world(engine)
    sku = world.add_sku("CALM", supplier="Beta", promise_days=5)
    world.stock("CALM", "US-W", 5000)
    world.sales("CALM", "US-W", every_day(10))
    assert run(engine, signals.delivery_promise) == []
    assert sku


def test_refund_solved_without_sync(engine: Engine) -> None:
    pending = _ticket(engine, days_ago=2, category="returns")
    synced = _ticket(engine, days_ago=2, category="returns")
    for ticket_id, status in ((pending, "pending"), (synced, "synced")):
        ops.set_status(engine, ticket_id, "solved", "ana", NOW - timedelta(days=1))
        with db.write_session(engine) as s:
            s.execute(update(Ticket).where(Ticket.id == ticket_id).values(refund_status=status))
    found = run(engine, signals.refund_unsynced)
    assert [s.target for s in found] == [TicketTarget(pending)]
    assert "'pending'" in found[0].explanation


def test_refund_signal_names_exactly_the_tickets_its_rule_names(engine: Engine) -> None:
    """The signal reads three index seeks; the rule it implements is one predicate, checked here on every
    mix of refund state (values only an import could write too, on either side of "synced"), category,
    age and openness."""
    rng = random.Random(20)
    states = [None, "pending", "promised", "synced", "Refunded", "voided"]
    expected: list[int] = []
    lookback = timedelta(days=30)
    for i in range(60):
        category = rng.choice(["returns", "product", "shipping"])
        ticket_id = _ticket(engine, days_ago=70, category=category)
        state, solved_days_ago, is_open = rng.choice(states), rng.choice([1, 5, 29, 31, 60]), rng.random() < 0.2
        solved_at = NOW - timedelta(days=solved_days_ago, minutes=i)
        with db.write_session(engine) as s:
            s.execute(
                update(Ticket)
                .where(Ticket.id == ticket_id)
                .values(
                    refund_status=state, solved_at=solved_at, is_open=is_open, status="open" if is_open else "solved"
                )
            )
        if (
            not is_open
            and solved_at >= NOW - lookback
            and (category == "returns" or state is not None)
            and state != "synced"
        ):
            expected.append(ticket_id)
    found = run(engine, signals.refund_unsynced)
    # Oldest solved first, as before: ticket i was solved i minutes before its day.
    assert [s.target for s in found] == [TicketTarget(t) for t in sorted(expected, key=lambda t: _solved(engine, t))]
    assert len(found) >= 5


def _solved(engine: Engine, ticket_id: int) -> object:
    with db.read_session(engine) as s:
        return s.get(Ticket, ticket_id).solved_at  # type: ignore[union-attr]


def test_routing_gap_for_unrouted_categories_and_uncovered_escalations(engine: Engine) -> None:
    found = run(engine, signals.routing_gap)
    assert {s.target.category for s in found} >= {"site_incident", "logistics"}  # nothing is routed
    with db.write_session(engine) as s:
        # Tech owner in Auckland, off duty at 14:00 UTC (03:00 there), no backup.
        owner = Person(name="Kiri", handle="kiri", timezone="Pacific/Auckland", work_hours="09:00-17:00")
        duty = Duty(code="site_build", name="Site", function="tech")
        s.add_all([owner, duty])
        s.flush()
        from dtc_tui.models import Assignment

        s.add(Assignment(person_id=owner.id or 0, duty_id=duty.id or 0, role="A"))
        s.add(RoutingRule(category="site_incident", duty_id=duty.id))
    found = {s.target.category: s for s in run(engine, signals.routing_gap)}
    assert found["site_incident"].numbers["check"] == "escalation_uncovered"
    assert "kiri" in found["site_incident"].explanation
    with db.write_session(engine) as s:
        s.execute(update(Person).values(timezone="UTC"))  # now on duty
    found = {s.target.category for s in run(engine, signals.routing_gap)}
    assert "site_incident" not in found
