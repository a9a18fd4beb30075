"""Ticket queue figures at scale: usable time, key-press latency, filter/sort, SLA tick, memory.

    .venv/bin/python bench/tickets.py [--tickets 100000] [--db PATH] [--repeat 5]

Builds a demo database with the given number of tickets (10% open) unless --db names one,
opens the app headless with Pilot at 120x40 and times each interaction from the key press to
the end of the next refresh. Prints median / min / max in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dtc_tui import db
from dtc_tui.clock import SystemClock
from dtc_tui.config import Settings


def build_database(path: Path, tickets: int) -> None:
    from dtc_tui.services import demo

    engine = db.make_engine(f"sqlite:///{path}")
    demo.build(engine, now=SystemClock().now(), seed=7, scale="small", tickets=tickets)
    engine.dispose()


async def measure(path: Path, repeat: int) -> dict[str, list[float]]:
    from dtc_tui.ui.app import DtcApp
    from dtc_tui.ui.widgets.window_table import WindowTable

    engine = db.make_engine(f"sqlite:///{path}")
    results: dict[str, list[float]] = {}

    def record(name: str, seconds: float) -> None:
        results.setdefault(name, []).append(seconds * 1000)

    for _ in range(repeat):
        started = time.perf_counter()
        app = DtcApp(engine=engine, settings=Settings(operator="bench", tick_seconds=3600, sync_seconds=3600))
        async with app.run_test(size=(120, 40)) as pilot:
            frames = watch_frames(app)
            await pilot.pause()
            table = app.screen.query_one("#queue", WindowTable)
            assert table.row_count > 0
            record("queue usable after app start", time.perf_counter() - started)

            async def timed(key: str, frames: list[float] = frames) -> float:
                """From sending the key to the end of the next frame Textual composes."""
                frames.clear()
                t0 = time.perf_counter()
                await pilot.press(key)
                await pilot.pause()
                return (frames[0] if frames else time.perf_counter()) - t0

            for key, name in [
                ("j", "cursor down (j)"),
                ("pagedown", "page down"),
                ("G", "last row (G)"),
                ("g", "first row (g)"),
                ("o", "re-sort (o)"),
                ("v", "next view (v)"),
            ]:
                record(name, await timed(key))
            await pilot.press("slash")
            for char in "lang:de":
                await pilot.press("colon" if char == ":" else char)
            record("filter lang:de (Enter to redraw)", await timed("enter"))
            await pilot.press("escape")
            await pilot.pause()
            t0 = time.perf_counter()
            for y in range(table.size.height):
                table.render_line(y)
            record("SLA tick (redraw every visible row)", time.perf_counter() - t0)
            record("claim (c) incl. write + reload", await timed("c"))
            await pilot.press("q")
    return results


def watch_frames(app) -> list[float]:
    """Times at which the app hands a composed frame to the terminal (headless: to nowhere)."""
    frames: list[float] = []
    original = app._display

    def display(screen, renderable):
        if renderable is not None:
            frames.append(time.perf_counter())
        return original(screen, renderable)

    app._display = display
    return frames


def check_cost(path: Path, repeat: int) -> list[float]:
    from dtc_tui.services.common.audit import counters

    engine = db.make_engine(f"sqlite:///{path}")
    times = []
    for _ in range(repeat * 20):
        t0 = time.perf_counter()
        with db.read_session(engine) as session:
            counters(session)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def report(results: dict[str, list[float]]) -> None:
    print(f"{'measurement':<40} {'median':>9} {'min':>9} {'max':>9}  (ms)")
    for name, values in results.items():
        print(f"{name:<40} {statistics.median(values):>9.1f} {min(values):>9.1f} {max(values):>9.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = args.db or Path(scratch) / "bench.db"
        if args.db is None:
            t0 = time.perf_counter()
            build_database(path, args.tickets)
            print(f"built {args.tickets:,} tickets in {time.perf_counter() - t0:.1f} s")
        results = asyncio.run(measure(path, args.repeat))
        results["change check (counters poll)"] = check_cost(path, args.repeat)
        report(results)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory (RSS, whole process): {peak:.0f} MB")


if __name__ == "__main__":
    main()
