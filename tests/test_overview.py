"""The overview on the demo data: every signal present, Enter opens the item, check exits 1."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from dtc_tui import clock as clock_module
from dtc_tui.cli import main_group
from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.services.inventory.board import forget_sales_history
from dtc_tui.services.overview import summary as overview
from dtc_tui.services.overview.signals import SIGNAL_KINDS
from dtc_tui.services.overview.targets import TicketTarget
from tests.conftest import FIXED_NOW, make_app, screen_text


@pytest.fixture(autouse=True)
def _fresh_history() -> None:
    forget_sales_history()


def test_demo_has_every_signal_and_every_area(demo_engine: Engine) -> None:
    result = overview.build(demo_engine, FIXED_NOW)
    kinds = {s.kind for s in result.signals}
    assert kinds == set(SIGNAL_KINDS)
    areas = {i.area for i in result.items}
    assert areas == {"tickets", "inventory", "ads", "team"}
    urgencies = [i.urgency for i in result.items]
    assert urgencies == sorted(urgencies, reverse=True)
    assert result.items[0].kind == "signal_stock_vs_ads"
    # Capped lists say how many more there are.
    breached = [i for i in result.items if i.kind == "ticket_breached"]
    assert breached[-1].title == f"... and {result.counts['ticket_breached'] - len(breached) + 1} more"


async def test_overview_is_the_first_screen_and_enter_opens_the_item(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="overview")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert type(app.screen).__name__ == "OverviewScreen"
        shown = screen_text(app)
        assert "◆ Cut the budget of Shopping - All: DEMO-HERO-1" in shown
        assert "Breached now" in shown
        await pilot.press("enter")  # the stock-vs-ads signal opens the campaign's days on the Ads screen
        await pilot.pause()
        assert app.current_mode == "ads"
        assert app.screen.level == "days"
        await pilot.press("0")
        await pilot.pause()
        table = app.screen.query_one("#overview-items")
        ticket_row = next(i for i, item in enumerate(table.source.rows) if isinstance(item.target, TicketTarget))
        table.cursor = ticket_row
        ticket_id = table.source.rows[ticket_row].target.ticket_id
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "TicketScreen"
        assert app.screen.ticket_id == ticket_id


def test_check_exits_1_and_lists_the_signals(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The escalation gap exists only while Dana is off duty: the demo and the check both run at
    # the test clock (Friday 14:00 UTC), not at whatever hour CI happens to run.
    monkeypatch.setattr(clock_module, "utcnow", lambda: FIXED_NOW)
    runner = CliRunner()
    assert runner.invoke(main_group, ["--db", database_url, "demo"]).exit_code == 0
    result = runner.invoke(main_group, ["--db", database_url, "check", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["needs_attention"] is True
    assert {s["kind"] for s in data["signals"]} == set(SIGNAL_KINDS)
    text = runner.invoke(main_group, ["--db", database_url, "overview"])
    assert text.exit_code == 0
    assert "◆" in text.output and "Breached now" in text.output


def test_check_on_an_empty_database_flags_only_the_unrouted_categories(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'quiet.db'}"
    assert CliRunner().invoke(main_group, ["--db", url, "db", "upgrade"]).exit_code == 0  # check does not create
    result = CliRunner().invoke(main_group, ["--db", url, "check", "--json"])
    data = json.loads(result.output)
    # No tickets, stock or ads yet: only "nobody owns these categories" needs attention.
    assert {i["kind"] for i in data["items"]} == {"signal_routing_gap"}
    assert result.exit_code == 1
    # A stage template routes every category; what is left is to name an owner for each duty.
    assert CliRunner().invoke(main_group, ["--db", url, "team", "template", "startup"]).exit_code == 0
    after = json.loads(CliRunner().invoke(main_group, ["--db", url, "check", "--json"]).output)
    assert {i["kind"] for i in after["items"]} == {"team_no_accountable", "team_no_responsible"}


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_overview_snapshot(
    snap_compare,
    sqlite_demo_engine: Engine,
    clock: FixedClock,
    settings: Settings,
    size: tuple[int, int],
) -> None:
    async def settle(pilot) -> None:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    app = make_app(sqlite_demo_engine, clock, settings, start_area="overview")
    assert snap_compare(app, terminal_size=size, run_before=settle)
