"""Key press to screen in the ticket queue and the reorder board; SLA tick; change check.

    .venv/bin/python bench/latency.py DB|URL [--out FILE] [--rounds 1] [--queue-only | --board-only]

Opens the real app headless with Pilot at 120x40 on DB (one process per database, so one
size's memory does not weigh on the next) and times each key from the moment it is sent to the
next frame Textual composes (``bench.tickets.watch_frames`` notes the frames): the screen's
response, since every handler timed here updates its table before returning. The last frame
before the app is idle again is kept too, under the same name with the suffix ``SETTLED`` (the
status line, redrawn on the table's cursor message, often comes one frame period later: Textual
paces frames at 60 a second). Every key is pressed many times, so p50 and p95 mean something.
Also times:

- the one-second tick (``DtcApp.tick``: the queue redraws its visible SLA timers): its own cost
  (every visible line drawn), and the time to its frame (which waits for Textual's frame slot);
- the change check (``DtcApp.check_for_changes``: reads the change counters and reloads nothing
  when nobody changed anything), the call itself, as the app runs it every second;
- recording due breaches (``sla_breaches.record_every_breach``: what the app's tick runs every 30 s
  in a worker thread; before 2026-12-04 this timed ``record_due_breaches``, which the tick no longer runs).

A key that draws no frame is an error, not a timing: without a frame there is nothing to time
but the harness's own wait for the idle app (Pilot sleeps in 20 ms steps until the process is
idle, ~60-90 ms in all); a filter that does not parse (the app shows a toast, which ``run_test``
does not draw) is an error too, so every ``filter applied`` timing is a filter applied.

Every key's CPU time is kept too, under its name with the suffix ``CPU``: the process's CPU time
(all threads) from sending the key to the idle app. On a loaded machine the wall times wait for a
CPU; the CPU times do not, so compare those between runs. ``UI thread CPU`` is the UI thread's
share (work a screen moved to a thread, such as the queue's count, is in ``CPU`` only).

Returns (and with ``--out`` writes as JSON) ``{name: [milliseconds, ...]}``. Claims and breach
records change the database: run it on bench copies only.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.tickets import watch_frames

SIZE = (120, 40)
SETTLED = " [last frame]"  # suffix of the names timed to the last frame (the status line follows a frame later)
CPU = " [CPU]"  # suffix of the process's CPU time (all threads) from the key to the idle app: steady under load
UI_CPU = " [UI thread CPU]"  # the same, the UI thread's alone (not a count taken in a thread meanwhile)
QUEUE_FILTERS = ["lang:de", "prio:high channel:whatsapp", "cat:returns", "order", "status:pending lang:fr"]
# A field's values are separated by commas ("state:reorder,out"); a "|" is not filter syntax.
BOARD_FILTERS = ["wh:US-W", "state:reorder", "mug", "class:A,B", "sup:ningbo state:reorder,out"]

Results = dict[str, list[float]]


def _url(path: Path | str) -> str:
    """A dataset file, or a database URL as is (``run.py`` passes the PostgreSQL copy's)."""
    return str(path) if "://" in str(path) else f"sqlite:///{path}"


def _app(path: Path | str, area: str) -> Any:
    from dtc_tui import db, startup
    from dtc_tui.config import Settings
    from dtc_tui.ui.app import DtcApp

    # As the dtc-tui command runs the app (cli.main, cli._open_app): the collector paused while it
    # starts, then what exists frozen at the first screen (dtc_tui/startup.py).
    startup.pause_gc()
    startup.hold_until_app_ready()
    engine = db.make_engine(_url(path))
    # Timers far apart: the bench calls tick and the change check itself, between key presses.
    settings = Settings(operator="ana", tick_seconds=3600, sync_seconds=3600)
    return DtcApp(engine=engine, settings=settings, start_area=area)


class Timer:
    """Presses keys and notes, per name, the time from sending to the last frame it caused."""

    def __init__(self, app: Any, pilot: Any, results: Results) -> None:
        self.app, self.pilot, self.results = app, pilot, results
        self.frames = watch_frames(app)
        self.steady()

    def steady(self) -> None:
        """No blinking cursors: a blink is a frame of its own that would end a timing early."""
        from textual.widgets import Input

        for box in self.app.screen.query(Input):
            box.cursor_blink = False

    async def key(self, name: str, key: str) -> None:
        await self.action(name, lambda: self.pilot.press(key))

    async def action(self, name: str, act: Callable[[], Awaitable[Any] | Any]) -> None:
        await self.pilot.pause()
        self.frames.clear()
        started = time.perf_counter()
        cpu_started, ui_started = time.process_time(), time.thread_time()
        outcome = act()
        if asyncio.iscoroutine(outcome):
            await outcome
        await self.pilot.pause()
        cpu, ui_cpu = time.process_time() - cpu_started, time.thread_time() - ui_started
        if not self.frames:
            # Timing to the end of the pause would time Pilot's idle wait (the board's filter
            # Enter measured "85 ms, 6 ms CPU" so: its filter did not parse and drew nothing).
            raise RuntimeError(f"{name}: no frame drawn, nothing on screen to time")
        self.results.setdefault(name, []).append((self.frames[0] - started) * 1000)
        self.results.setdefault(name + SETTLED, []).append((self.frames[-1] - started) * 1000)
        self.results.setdefault(name + CPU, []).append(cpu * 1000)
        self.results.setdefault(name + UI_CPU, []).append(ui_cpu * 1000)

    async def filter(self, screen_name: str, box_id: str, text: str) -> None:
        """Types a filter, then times its last character, Enter and Esc; a filter refused (the box
        stays open with an error toast) stops the bench rather than timing the refusal."""
        from textual.widgets import Input

        await self.pilot.press("slash")
        await self.typed(text[:-1])
        await self.key(f"{screen_name}: filter, one character typed", text[-1])
        await self.key(f"{screen_name}: filter applied (Enter)", "enter")
        box = self.app.screen.query_one(box_id, Input)
        if box.has_class("-visible"):
            raise RuntimeError(f"{screen_name}: filter {text!r} typed as {box.value!r} was refused")
        await self.key(f"{screen_name}: filter cleared (Esc)", "escape")

    async def typed(self, text: str) -> None:
        keys = {" ": "space", ":": "colon", ",": "comma", "|": "vertical_line", "-": "minus"}
        for char in text:
            await self.pilot.press(keys.get(char, char))


async def queue_session(path: Path | str, rounds: int = 1) -> Results:
    results: Results = {}
    app = _app(path, "tickets")
    async with app.run_test(size=SIZE) as pilot:
        timer = Timer(app, pilot, results)
        await pilot.pause()
        for _ in range(rounds):
            for _ in range(30):
                await timer.key("queue: cursor down (j)", "j")
            for _ in range(15):
                await timer.key("queue: page down (PgDn)", "pagedown")
            for _ in range(6):
                await timer.key("queue: last row (G)", "G")
                await timer.key("queue: page up at the end (PgUp)", "pageup")
                await timer.key("queue: first row (g)", "g")
            for _ in range(2):
                for _ in range(4):  # the four sorts, back to time-to-breach
                    await timer.key("queue: next sort (o)", "o")
            for text in QUEUE_FILTERS:
                await timer.filter("queue", "#queue-filter", text)
            for _ in range(8):  # the eight views, back to all open
                await timer.key("queue: next view (v)", "v")
            from dtc_tui.ui.widgets.window_table import WindowTable

            table = app.screen.query_one(WindowTable)
            for _ in range(20):
                # The tick's own cost: what DtcApp.tick asks for (the queue's refresh), then every
                # visible line drawn, each SLA cell computed from its stored due time and now.
                started = time.perf_counter()
                app.tick()
                for y in range(table.size.height):
                    table.render_line(y)
                results.setdefault("SLA tick (every visible row redrawn)", []).append(
                    (time.perf_counter() - started) * 1000
                )
                await timer.action("SLA tick to its frame (waits for the next frame slot)", app.tick)
            for _ in range(20):
                started = time.perf_counter()
                app.check_for_changes()
                results.setdefault("change check (nothing changed)", []).append((time.perf_counter() - started) * 1000)
            for _ in range(2):  # to "Unassigned": every claim takes the ticket out of the view
                await pilot.press("v")
            for _ in range(10):
                await timer.key("queue: claim (c), write + reload", "c")
        await pilot.press("q")
    app.engine.dispose()
    return results


async def board_session(path: Path | str, rounds: int = 1) -> Results:
    results: Results = {}
    app = _app(path, "inventory")
    async with app.run_test(size=SIZE) as pilot:
        timer = Timer(app, pilot, results)
        started = time.perf_counter()
        while getattr(app.screen, "board", None) is None:
            await asyncio.sleep(0.01)
            if time.perf_counter() - started > 120:
                raise RuntimeError("the reorder board was not computed within 120 s")
        await pilot.pause()
        timer.steady()
        for _ in range(rounds):
            for _ in range(30):
                await timer.key("board: cursor down (j)", "j")
            for _ in range(15):
                await timer.key("board: page down (PgDn)", "pagedown")
            for _ in range(6):
                await timer.key("board: last row (G)", "G")
                await timer.key("board: first row (g)", "g")
            for _ in range(2):
                for _ in range(4):
                    await timer.key("board: next sort (o)", "o")
            for text in BOARD_FILTERS:
                await timer.filter("board", "#board-filter", text)
            for _ in range(6):
                await timer.key("board: next view (v)", "v")
            for _ in range(4):
                await timer.key("board: by warehouse / total (w)", "w")
            for _ in range(10):
                await timer.key("board: mark row (space)", "space")
        await pilot.press("q")
    app.engine.dispose()
    return results


def breach_recording(path: Path | str, repeat: int = 10) -> list[float]:
    """Milliseconds per ``record_every_breach``: what the app runs every 30 s, off the UI thread
    (``facades/app.py``, ``record_breaches``)."""
    from dtc_tui import db
    from dtc_tui.clock import SystemClock
    from dtc_tui.services.tickets.sla_breaches import record_every_breach

    engine = db.make_engine(_url(path))
    values = []
    for _ in range(repeat):
        started = time.perf_counter()
        with db.write_session(engine) as session:
            record_every_breach(session, SystemClock().now())
        values.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return values


def measure(path: Path | str, rounds: int = 1, queue_only: bool = False) -> Results:
    results = asyncio.run(queue_session(path, rounds))
    if queue_only:
        return results
    results.update(asyncio.run(board_session(path, rounds)))
    results["SLA breach recording (every 30 s, worker thread)"] = breach_recording(path)
    return results


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="a dataset file or a database URL")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--queue-only", action="store_true", help="only the ticket queue's keys")
    parser.add_argument("--board-only", action="store_true", help="only the reorder board's keys")
    args = parser.parse_args()
    if args.board_only:
        results = asyncio.run(board_session(args.database, args.rounds))
    else:
        results = measure(args.database, args.rounds, args.queue_only)
    if args.out:
        args.out.write_text(json.dumps(results))
    for name, values in results.items():
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        print(
            f"{name:<52} n={len(values):>3}  p50 {ordered[len(ordered) // 2]:8.1f}  p95 {p95:8.1f}  "
            f"max {ordered[-1]:8.1f} ms"
        )


if __name__ == "__main__":
    main()
