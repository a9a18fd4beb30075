"""The ads screen driven by keys (Pilot), asserting on the screen and in the database.

Most tests use the hand-made account of ``test_ads_service`` on SQLite, so every figure on
screen is known in advance; the demo database is used for the look (snapshots).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from dtc_tui import db
from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.models import AuditLog, Campaign
from dtc_tui.services.tickets.sla_defaults import ensure_defaults
from dtc_tui.ui.widgets.charts import AdsCharts, SeriesPlot
from dtc_tui.ui.widgets.window_table import WindowTable
from tests.conftest import make_app, screen_text
from tests.test_ads_service import seed_ads


@pytest.fixture
def account_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'ads.db'}")
    db.upgrade(engine)
    with db.write_session(engine) as session:
        ensure_defaults(session)
    seed_ads(engine)
    yield engine
    engine.dispose()


def table(app) -> WindowTable:
    return app.screen.query_one("#ads-table", WindowTable)


def labels(app) -> list[str]:
    source = table(app).source
    assert source is not None
    return [row.label for row in source.fetch(0, 100)]


def summary(app) -> str:
    return str(app.screen.query_one("#ads-summary").render())


def detail(app) -> str:
    return str(app.screen.query_one("#ads-detail").render())


async def press(pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await pilot.pause()


async def test_opens_on_channels_with_a_total_row(
    account_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(account_engine, clock, settings, start_area="ads")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert labels(app) == ["All channels", "Google Ads", "Meta"]
        assert "30 days" in summary(app)
        assert "Blended ROAS (store revenue / ad spend, = MER) 6.33" in summary(app)  # 13,300 / 2,100
        assert "3 alerts" in summary(app)
        text = screen_text(app)
        assert "Channel" in text and "Spend▼" in text


async def test_period_keys_cycle_presets_and_the_figures_follow(
    account_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(account_engine, clock, settings, start_area="ads")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert app.screen.period.preset == 30
        await press(pilot, "p")
        assert app.screen.period.preset == 90
        await press(pilot, "p")
        assert app.screen.period.preset == 7
        assert " 7 days " in summary(app) and "Nov 13 - Nov 19 2026" in summary(app)
        total = table(app).source.fetch(0, 1)[0]
        assert total.current.spend == pytest.approx(1400.0)
        assert total.previous.spend == pytest.approx(700.0)
        await press(pilot, "p")
        assert app.screen.period.preset == 14


async def test_custom_period_form(account_engine: Engine, clock: FixedClock, settings: Settings) -> None:
    app = make_app(account_engine, clock, settings, start_area="ads")
    async with app.run_test(size=(100, 40)) as pilot:
        await press(pilot, "P")
        assert type(app.screen).__name__ == "PeriodForm"
        app.screen.query_one("#ads-period-from").value = "2026-11-06"
        app.screen.query_one("#ads-period-to").value = "bad"
        await press(pilot, "enter")
        assert type(app.screen).__name__ == "PeriodForm"  # refused, with the reason shown
        assert "not a date" in str(app.screen.query_one("#ads-form-error").render())
        app.screen.query_one("#ads-period-to").value = "2026-11-12"
        await press(pilot, "enter")
        assert type(app.screen).__name__ == "AdsScreen"
        assert app.screen.period.preset is None and app.screen.period.days == 7
        assert table(app).source.fetch(0, 1)[0].current.spend == pytest.approx(700.0)
        assert " custom " in summary(app)


async def test_drill_down_to_days_and_back(account_engine: Engine, clock: FixedClock, settings: Settings) -> None:
    app = make_app(account_engine, clock, settings, start_area="ads")
    async with app.run_test(size=(100, 40)) as pilot:
        await press(pilot, "p", "p")  # 7 days
        await press(pilot, "j", "enter")  # Google Ads
        assert app.screen.level == "campaigns"
        assert labels(app) == ["Winner", "Hero promo", "Idle"]
        assert "│  Google Ads" in screen_text(app)  # the breadcrumb after the area tabs
        await press(pilot, "enter")  # Winner
        assert app.screen.level == "days"
        days = table(app).source.fetch(0, 100)
        assert [row.day.isoformat() for row in days][:2] == ["2026-11-19", "2026-11-18"]  # newest first
        assert len(days) == 7 and all(row.roas == pytest.approx(3.2) for row in days)
        assert "google > Winner" in screen_text(app)
        await press(pilot, "escape")
        assert app.screen.level == "campaigns"
        assert table(app).cursor_row.label == "Winner"
        await press(pilot, "backspace")
        assert app.screen.level == "channels"
        assert table(app).cursor_row.label == "Google Ads"
        await press(pilot, "escape")  # nothing above the channels: stays
        assert app.screen.level == "channels"


async def test_total_row_drills_into_every_campaign(
    account_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(account_engine, clock, settings, start_area="ads")
    async with app.run_test(size=(100, 40)) as pilot:
        await press(pilot, "enter")
        assert sorted(labels(app)) == ["Hero promo", "Idle", "Loser", "Six days", "Winner"]
        # An empty campaign shows dashes and the screen keeps working.
        await press(pilot, "G")
        idle = table(app).cursor_row
        assert idle.label == "Idle"
        assert "Idle" in screen_text(app)


async def test_sort_by_next_column_and_reverse(account_engine: Engine, clock: FixedClock, settings: Settings) -> None:
    app = make_app(account_engine, clock, settings, start_area="ads")
    async with app.run_test(size=(100, 40)) as pilot:
        await press(pilot, "p", "p", "enter")  # 7 days, all campaigns, by spend
        assert labels(app) == ["Winner", "Six days", "Loser", "Hero promo", "Idle"]
        await press(pilot, "o")  # revenue, descending
        assert app.screen.sorts["campaigns"] == ("revenue", True)
        assert labels(app) == ["Winner", "Six days", "Loser", "Hero promo", "Idle"]
        await press(pilot, "o")  # ROAS, descending; no ROAS goes last
        assert labels(app) == ["Hero promo", "Winner", "Six days", "Loser", "Idle"]
        assert "ROAS▼" in screen_text(app)
        await press(pilot, "O")
        assert labels(app) == ["Loser", "Six days", "Winner", "Hero promo", "Idle"]
        assert "ROAS▲" in screen_text(app)


async def test_alerts_only(account_engine: Engine, clock: FixedClock, settings: Settings) -> None:
    app = make_app(account_engine, clock, settings, start_area="ads")
    async with app.run_test(size=(100, 40)) as pilot:
        await press(pilot, "p", "p", "a")
        assert labels(app) == ["All channels", "Meta"]
        await press(pilot, "enter")
        assert sorted(labels(app)) == ["Loser", "Six days"]
        assert "[alerts only]" in summary(app)
        await press(pilot, "a")
        assert len(labels(app)) == 5


async def test_detail_and_charts_follow_the_cursor(
    account_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(account_engine, clock, settings, start_area="ads")
    async with app.run_test(size=(100, 40)) as pilot:
        await press(pilot, "p", "p")
        plot = app.screen.query_one("#ads-chart-roas", SeriesPlot)
        assert plot.series.scope == "All channels" and len(plot.series.days) == 7
        await press(pilot, "j", "enter", "j")  # Google Ads -> Hero promo
        assert plot.series.scope == "Hero promo"
        assert plot.series.break_even == pytest.approx(4.0)
        assert "promotes HERO: 12 on hand" in detail(app)
        assert "3-day delivery promised" in detail(app)
        assert "margin 25% from its SKU" in detail(app)
        await press(pilot, "c")
        assert not app.screen.query_one(AdsCharts).display


async def test_budget_moves_in_words(account_engine: Engine, clock: FixedClock, settings: Settings) -> None:
    app = make_app(account_engine, clock, settings, start_area="ads")
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "p", "p", "b")
        assert type(app.screen).__name__ == "AdviceScreen"
        text = screen_text(app)
        assert "move $40/day from meta / Loser (ROAS 1.40) to google / Winner (ROAS 3.20)" in text
        assert "never applied" in text
        await press(pilot, "escape")
        assert type(app.screen).__name__ == "AdsScreen"


async def test_set_targets_saves_audits_and_recolours(
    account_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(account_engine, clock, settings, start_area="ads")
    async with app.run_test(size=(100, 40)) as pilot:
        await press(pilot, "p", "p", "j", "enter")  # Google Ads, cursor on Winner
        await press(pilot, "t")
        assert type(app.screen).__name__ == "TargetsForm"
        app.screen.query_one("#ads-target-roas").value = "3.5"
        app.screen.query_one("#ads-target-cpa").value = "$15"
        await press(pilot, "enter")
        assert type(app.screen).__name__ == "AdsScreen"
        with db.read_session(account_engine) as session:
            winner = session.execute(select(Campaign).where(Campaign.name == "Winner")).scalars().one()
            audit = session.execute(select(AuditLog).where(AuditLog.entity == "campaign")).scalars().all()
        assert (winner.target_roas, winner.target_cpa, winner.version) == (3.5, 15.0, 2)
        assert len(audit) == 1 and audit[0].actor == "tester" and audit[0].action == "set_targets"
        row = table(app).cursor_row
        assert row.label == "Winner" and row.targets.target_roas == 3.5
        assert row.roas_state == "low"  # 3.2 is now below its own target
        assert "Target ROAS 3.50 (own)" in detail(app)
        assert row.alerts and row.alerts[0].kind == "cpa"  # CPA 20 > 15 * 1.2


async def test_stale_target_edit_is_refused(account_engine: Engine, clock: FixedClock, settings: Settings) -> None:
    app = make_app(account_engine, clock, settings, start_area="ads")
    async with app.run_test(size=(100, 40)) as pilot:
        await press(pilot, "p", "p", "j", "enter", "t")
        # Someone else saves the campaign while the form is open.
        with db.write_session(account_engine) as session:
            session.execute(update(Campaign).where(Campaign.name == "Winner").values(target_roas=4.0, version=5))
        app.screen.query_one("#ads-target-roas").value = "3"
        await press(pilot, "enter")
        assert any("changed by someone else" in n.message for n in app._notifications)
        with db.read_session(account_engine) as session:
            winner = session.execute(select(Campaign).where(Campaign.name == "Winner")).scalars().one()
            audits = session.execute(select(func.count()).select_from(AuditLog)).scalar()
        assert (winner.target_roas, winner.version, audits) == (4.0, 5, 0)
        assert table(app).cursor_row.targets.target_roas == 4.0  # reloaded: shows the other edit


async def test_targets_need_a_campaign(account_engine: Engine, clock: FixedClock, settings: Settings) -> None:
    app = make_app(account_engine, clock, settings, start_area="ads")
    async with app.run_test(size=(100, 40)) as pilot:
        await press(pilot, "t")
        assert type(app.screen).__name__ == "AdsScreen"
        assert any("Move to a campaign first" in n.message for n in app._notifications)


async def test_empty_database_shows_dashes(tmp_path: Path, clock: FixedClock, settings: Settings) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    db.upgrade(engine)
    app = make_app(engine, clock, settings, start_area="ads")
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "enter", "p", "o", "a", "escape", "t")
        assert labels(app) == ["All channels"] or labels(app) == []
        assert "Attributed ROAS (platform revenue / ad spend) -" in summary(app)
    engine.dispose()


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_ads_snapshot(
    snap_compare,
    sqlite_demo_engine: Engine,
    clock: FixedClock,
    settings: Settings,
    size: tuple[int, int],
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="ads")
    assert snap_compare(app, run_before=_settled, terminal_size=size)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_ads_campaign_days_snapshot(
    snap_compare,
    sqlite_demo_engine: Engine,
    clock: FixedClock,
    settings: Settings,
    size: tuple[int, int],
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="ads")
    # Meta's channel row, its worst campaign by ROAS (ascending), then its days.
    assert snap_compare(
        app, run_before=_settled, press=["j", "j", "enter", "o", "o", "O", "g", "enter"], terminal_size=size
    )


async def _settled(pilot) -> None:
    """The report and its charts drawn before keys or the picture (the snapshot raced a loaded box)."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
