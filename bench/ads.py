"""Ads figures at scale: 50 campaigns x 2 years of daily stats; every period's table and charts.

    .venv/bin/python bench/ads.py [--campaigns 50] [--days 730] [--repeat 7] [--db PATH]

Builds a temporary SQLite database with the demo ads generator (channels, campaigns, daily
stats, the store's till, Black Friday peaks) unless --db names one, then measures:

- service: everything one screen state needs, without the UI: the report (campaign, channel,
  previous-period, streak, till and stock queries, rules, budget moves), the sorted rows, the
  day series of the charted scope and both plotext charts built at their 80x24 size;
- screen: the real app headless at 80x24, from a key press to the end of the next frame.

Prints median / min / max in milliseconds. The measurements are functions returning numbers
(``service_figures``, ``screen_figures``), so a single bench entry point can import them.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine

from dtc_tui import db

NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
CHART_SIZE = (37, 8)  # one plotext chart at 80x24 (half the width, the chart row minus its caption)
BUDGET_MS = 200.0


def build_database(path: Path, *, campaigns: int = 50, days: int = 730, seed: int = 7) -> int:
    """Write the ads demo data at scale; returns the number of ad_stat_daily rows."""
    from dtc_tui.services.demo import ads as ads_demo
    from dtc_tui.services.demo import inventory as inventory_demo
    from dtc_tui.services.tickets.sla_defaults import ensure_defaults

    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    rng = random.Random(seed)
    with db.write_session(engine) as session:
        ensure_defaults(session)
        # A small catalogue, so the promoted SKU's stock state is part of what is measured.
        skus = inventory_demo.build(session, rng, NOW, SimpleNamespace(skus=150, sales_days=180))
        ads_demo.build(session, rng, NOW, SimpleNamespace(ad_days=days, campaigns=campaigns), skus)
    engine.dispose()
    return campaigns * days


def periods() -> list[tuple[str, Any]]:
    from dtc_tui.services.ads.metrics import custom, last_days

    cases: list[tuple[str, Any]] = [(f"{n} days", last_days(n, NOW)) for n in (7, 14, 30, 90)]
    end = NOW.date() - timedelta(days=1)
    cases.append(("custom 2 years", custom(end - timedelta(days=729), end)))
    cases.append(("custom Black Friday 2025", custom(date(2025, 11, 1), date(2025, 11, 30))))
    return cases


def draw_charts(rows: list[Any], scope: Any) -> int:
    """Both charts built to text at their 80x24 size, as the screen renders them."""
    from textual_plotext.plot import Plot

    from dtc_tui.ui.screens.ads.report import series_of
    from dtc_tui.ui.widgets.charts import draw_roas, draw_spend_revenue

    series = series_of(rows, scope.label, scope.targets.target_roas, scope.break_even)
    size = 0
    for draw in (draw_spend_revenue, draw_roas):
        plot = Plot()
        draw(plot, series, CHART_SIZE[0])
        plot.plotsize(*CHART_SIZE)
        size += len(plot.build())
    return size


def one_state(engine: Engine, period: Any, level: str) -> None:
    """What the screen computes for one state: report, sorted rows, chart series, charts."""
    from dtc_tui.services.ads import report as ads

    with db.read_session(engine) as session:
        report = ads.load_report(session, period, NOW)
        if level == "channels":
            ads.sort_rows(report.channels, "spend", True)
            scope, days = report.total, ads.load_days(session, report)
        elif level == "campaigns":
            channel = report.channels[0].channel
            ads.sort_rows(report.campaigns_of(channel), "spend", True)
            scope, days = report.channel_row(channel), ads.load_days(session, report, channel=channel)
        else:
            scope = report.campaigns[0]
            days = ads.load_days(session, report, campaign_id=scope.campaign_id)
            ads.sort_rows(days, "name", True)
    draw_charts(days, scope)


def timed(function: Callable[[], Any], repeat: int) -> list[float]:
    function()  # warm the page cache and the imports
    values = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        function()
        values.append((time.perf_counter() - t0) * 1000)
    return values


def service_figures(engine: Engine, repeat: int = 7) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {}
    for name, period in periods():
        for level in ("channels", "campaigns", "days"):
            results[f"{name}: {level} + charts"] = timed(lambda p=period, lv=level: one_state(engine, p, lv), repeat)
    return results


async def screen_figures(path: Path, repeat: int = 7) -> dict[str, list[float]]:
    """The real screen at 80x24: key press to the end of the next composed frame."""
    from dtc_tui.clock import FixedClock
    from dtc_tui.config import Settings
    from dtc_tui.ui.app import DtcApp

    engine = db.make_engine(f"sqlite:///{path}")
    results: dict[str, list[float]] = {}

    def record(name: str, seconds: float) -> None:
        results.setdefault(name, []).append(seconds * 1000)

    for _ in range(repeat):
        started = time.perf_counter()
        app = DtcApp(
            engine=engine,
            settings=Settings(operator="bench", tick_seconds=3600, sync_seconds=3600),
            clock=FixedClock(NOW),
            start_area="ads",
        )
        async with app.run_test(size=(80, 24)) as pilot:
            frames = watch_frames(app)
            await pilot.pause()
            record("screen usable after app start (30 days)", time.perf_counter() - started)

            async def key(name: str, frames: list[float] = frames) -> float:
                frames.clear()
                t0 = time.perf_counter()
                await pilot.press(name)
                await pilot.pause()
                return (frames[-1] if frames else time.perf_counter()) - t0

            for label in ("90 days", "7 days", "14 days", "30 days"):
                record(f"p -> {label}", await key("p"))
            record("j (charts follow the cursor)", await key("j"))
            record("Enter: channel -> campaigns", await key("enter"))
            record("o: re-sort campaigns", await key("o"))
            record("Enter: campaign -> days", await key("enter"))
            record("Esc: back to campaigns", await key("escape"))
            frames.clear()
            t0 = time.perf_counter()
            end = NOW.date() - timedelta(days=1)
            from dtc_tui.services.ads.metrics import custom

            app.screen._set_period(custom(end - timedelta(days=729), end))
            await pilot.pause()
            record("custom 2-year period (campaigns)", (frames[-1] if frames else time.perf_counter()) - t0)
    engine.dispose()
    return results


def watch_frames(app: Any) -> list[float]:
    """Times at which the app hands a composed frame to the (headless) terminal."""
    frames: list[float] = []
    original = app._display

    def display(screen: Any, renderable: Any) -> Any:
        if renderable is not None:
            frames.append(time.perf_counter())
        return original(screen, renderable)

    app._display = display
    return frames


def report(results: dict[str, list[float]]) -> None:
    print(f"{'measurement':<52} {'median':>8} {'min':>8} {'max':>8}  (ms)")
    for name, values in results.items():
        # App start-up is Textual's own cost, not a table's: the budget does not apply to it.
        over = statistics.median(values) > BUDGET_MS and not name.startswith("screen usable")
        flag = "  OVER BUDGET" if over else ""
        print(f"{name:<52} {statistics.median(values):>8.1f} {min(values):>8.1f} {max(values):>8.1f}{flag}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--campaigns", type=int, default=50)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = args.db or Path(scratch) / "ads-bench.db"
        if args.db is None:
            t0 = time.perf_counter()
            rows = build_database(path, campaigns=args.campaigns, days=args.days)
            print(
                f"built {args.campaigns} campaigns x {args.days} days = {rows:,} daily rows "
                f"in {time.perf_counter() - t0:.1f} s"
            )
        engine = db.make_engine(f"sqlite:///{path}")
        print(f"budget: {BUDGET_MS:.0f} ms per table, charts included")
        report(service_figures(engine, args.repeat))
        engine.dispose()
        report(asyncio.run(screen_figures(path, args.repeat)))


if __name__ == "__main__":
    main()
