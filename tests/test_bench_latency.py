"""The key-press harness (bench/latency.py) times what it claims: every filter it types parses (a
refused one draws no result), and a key that draws no frame stops it instead of timing Pilot's own
wait for the idle app (the board's filter Enter once read "85 ms, 6 ms CPU" so)."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static

from bench.latency import BOARD_FILTERS, QUEUE_FILTERS, Timer
from dtc_tui.services.inventory.board import BoardFilter
from dtc_tui.services.tickets.queue import QUEUE_FILTER


def test_every_bench_filter_parses() -> None:
    for text in BOARD_FILTERS:
        assert not BoardFilter.parse(text).empty, text
    for text in QUEUE_FILTERS:
        assert not QUEUE_FILTER.parse(text).empty, text


class _Counter(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("0", id="count")

    def bump(self) -> None:
        self.query_one("#count", Static).update("1")


async def test_a_key_is_timed_to_its_frame_and_a_key_drawing_nothing_stops_the_bench() -> None:
    app = _Counter()
    async with app.run_test() as pilot:
        results: dict[str, list[float]] = {}
        timer = Timer(app, pilot, results)
        await timer.action("bump", app.bump)
        assert len(results["bump"]) == 1 and results["bump"][0] < 1000
        with pytest.raises(RuntimeError, match="nothing: no frame drawn"):
            await timer.action("nothing", lambda: None)
        assert "nothing" not in results
