"""The fast paths of issue 20's key presses show what the slow ones showed.

- the footer relabels its key widgets in place when the screen's keys change (a focus change),
  instead of recomposing, and shows exactly what a recompose shows;
- a cursor move redraws the two lines that change, not the whole table, and the lines drawn are
  those a full redraw draws;
- the queue's count taken in a thread after the first page (past ``COUNT_LATER_FROM`` rows):
  ``…`` until it arrives, then the same count as counted at once; ``row_count`` is always exact.

No timings (bench/latency.py measures them).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine
from textual.widgets import Input
from textual.widgets._footer import FooterKey

from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.ui.widgets.footer import KeysFooter, fitting, footer_entries
from dtc_tui.ui.widgets.window_table import WindowTable
from tests.conftest import make_app, screen_text


def shown_keys(footer: KeysFooter) -> list[tuple[str, str, str, bool]]:
    return [
        (key.key_display, key.description, key.action, key.has_class("-disabled"))
        for key in footer.query(FooterKey)
        if not key.has_class("-command-palette") and key.display
    ]


def expected_keys(footer: KeysFooter) -> list[tuple[str, str, str, bool]]:
    return [
        (e.display, e.description, e.action, not e.enabled) for e in fitting(footer_entries(footer), footer.size.width)
    ]


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.pause()


def hold_thread_counts(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, Callable[[Any], int]]:
    """Every table counts later, and the count thread waits (up to 10 s) for the returned event;
    the UI thread's own count (``count()`` calls ``count_in_thread``) is never held."""
    from dtc_tui.services.tickets.queue import TicketQueueSource

    monkeypatch.setattr(WindowTable, "COUNT_LATER_FROM", 0)
    release = threading.Event()
    original = TicketQueueSource.count_in_thread

    def held(self: TicketQueueSource) -> int:
        if threading.current_thread().name == "window-table-count":
            release.wait(10)
        return original(self)

    monkeypatch.setattr(TicketQueueSource, "count_in_thread", held)
    return release, original


@pytest.mark.parametrize("area", ["tickets", "inventory"])
async def test_footer_follows_focus_changes_without_recomposing(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, area: str
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area=area)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(KeysFooter)
        assert footer.recomposes == 1
        table_keys = shown_keys(footer)
        assert table_keys == expected_keys(footer) and table_keys[0][1] == "Keys"
        await pilot.press("slash")
        await settle(pilot)
        assert isinstance(app.focused, Input)
        assert shown_keys(footer) == expected_keys(footer)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.focused, WindowTable)
        assert shown_keys(footer) == expected_keys(footer) == table_keys
        assert footer.recomposes == 1  # focus went to the box and back: no recompose
        # The same words on screen as a footer composed afresh.
        before = screen_text(app).splitlines()[-1]
        footer.call_later(footer.recompose)  # on the footer's own message loop, as Textual's footer does
        await settle(pilot)
        assert footer.recomposes == 2
        assert screen_text(app).splitlines()[-1] == before


async def test_footer_relabels_mounts_and_removes_keys_in_place(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other keys (more, fewer, other words, disabled): the widgets show them as a recompose would."""
    from dtc_tui.ui.widgets import footer as footer_module

    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(KeysFooter)
        entries = fitting(footer_entries(footer), footer.size.width)
        assert len(entries) >= 4
        real = footer_module.footer_entries
        variants = [
            entries[:2],  # fewer: widgets removed
            [entries[0], footer_module.FooterEntry("x", "x", "Longer words here", "app.bell", False, "tip")]
            + entries[2:],  # other words, disabled, wider
            entries,  # back to all: widgets mounted
        ]
        for variant in variants:
            monkeypatch.setattr(footer_module, "footer_entries", lambda widget, v=variant: list(v))
            await footer.update_keys()
            await settle(pilot)
            assert shown_keys(footer) == [(e.display, e.description, e.action, not e.enabled) for e in variant]
            palette = footer.query_one(".-command-palette", FooterKey)
            keys = [k for k in footer.query(FooterKey) if k is not palette and k.display]
            assert all(k.region.right <= palette.region.x for k in keys)  # none under the palette hint
            line = screen_text(app).splitlines()[-1]
            assert all(f"{e.display} {e.description}" in line for e in variant)
        assert footer.recomposes == 1
        assert len(footer.query(FooterKey)) == len(entries) + 1  # hidden and shown again, none mounted twice
        monkeypatch.setattr(footer_module, "footer_entries", real)
        disabled = next(k for k in footer.query(FooterKey) if k.action == entries[1].action)
        assert not disabled.has_class("-disabled") and disabled.tooltip == (entries[1].tooltip or None)


async def test_footer_in_chinese_after_a_focus_change(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, zh_cn: None
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(KeysFooter)
        first = shown_keys(footer)
        await pilot.press("slash")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert shown_keys(footer) == expected_keys(footer) == first
        assert any(ord(ch) > 0x2E80 for _key, description, _a, _d in first for ch in description)


async def test_a_cursor_move_redraws_two_lines_and_they_are_the_full_redraws_lines(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#queue", WindowTable)
        drawn: list[int] = []
        original = WindowTable.render_line

        def counting(self: WindowTable, y: int):  # type: ignore[no-untyped-def]
            drawn.append(y)
            return original(self, y)

        monkeypatch.setattr(WindowTable, "render_line", counting)
        for key in ["j", "j", "space", "k"]:
            drawn.clear()
            await pilot.press(key)
            await settle(pilot)
            assert 1 <= len(set(drawn)) <= 2, (key, drawn)
        assert len(table.marked) == 1
        partial = screen_text(app)
        drawn.clear()
        table.refresh()  # everything drawn again: the same screen
        await settle(pilot)
        assert len(set(drawn)) > 10
        assert screen_text(app) == partial
        drawn.clear()
        await pilot.press("pagedown")  # other rows on screen: all of them drawn
        await settle(pilot)
        assert len(set(drawn)) > 10


async def test_queue_count_arrives_from_its_thread_and_matches(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dtc_tui.services.tickets.queue import TicketQueueSource

    monkeypatch.setattr(WindowTable, "COUNT_LATER_FROM", 0)
    threads: list[str] = []
    original = TicketQueueSource.count_in_thread

    def spy(self: TicketQueueSource) -> int:
        threads.append(threading.current_thread().name)
        return original(self)

    monkeypatch.setattr(TicketQueueSource, "count_in_thread", spy)
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 20)) as pilot:
        await settle(pilot)
        screen = app.screen
        table = screen.query_one("#queue", WindowTable)
        for _ in range(8):  # every view, back to all open
            await pilot.press("v")
            await settle(pilot)
            for _wait in range(100):  # the thread's count comes back through call_from_thread
                if not table.counting:
                    break
                await asyncio.sleep(0.02)
            assert not table.counting
            source = table.source
            assert isinstance(source, TicketQueueSource)
            exact = original(source)
            assert table.row_count == exact
            await settle(pilot)
            status = next(line for line in screen_text(app).splitlines() if "sort:" in line)
            assert status.rstrip().endswith(f"/{exact:,}" if exact else "0 rows")
        assert "window-table-count" in threads  # the big views were counted in the thread
        # A count still on its way when something needs it exactly: counted at once.
        await pilot.press("v")
        if table.counting:
            assert table.position_text().endswith("…")
        assert table.row_count == original(table.source)  # type: ignore[arg-type]
        assert not table.counting


async def test_moving_past_the_rows_read_before_the_count_counts_at_once(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The thread's count held back: the cursor still goes past the first page, G to the last row."""
    release, original = hold_thread_counts(monkeypatch)
    app = make_app(sqlite_demo_engine, clock, settings)
    try:
        async with app.run_test(size=(120, 20)) as pilot:
            await settle(pilot)
            table = app.screen.query_one("#queue", WindowTable)
            await pilot.press("o")  # a new sort: first page read, count held in the thread
            await settle(pilot)
            assert table.counting and table.position_text() == "1/…"
            read = table._rows_known
            assert read == table.page_height + 1
            for _ in range(read + 1):
                await pilot.press("j")
            await settle(pilot)
            assert not table.counting and table.cursor == read + 1
            exact = original(table.source)  # type: ignore[arg-type]
            assert table.row_count == exact > read + 1
            await pilot.press("G")
            await settle(pilot)
            assert table.cursor == exact - 1
            assert table.position_text() == f"{exact:,}/{exact:,}"
    finally:
        release.set()


@pytest.mark.parametrize("sort", ["due", "priority", "id"])
def test_queue_first_page_before_the_count_is_the_counted_first_page(demo_engine: Engine, sort: str) -> None:
    """Both backends: a source read from the top before its count (what the table draws first),
    counted in a thread's way afterwards, pages exactly as a source counted first."""
    from dtc_tui.services.tickets.queue import QUEUE_FILTER, VIEWS, QueueQuery, TicketQueueSource
    from tests.conftest import FIXED_NOW

    now = FIXED_NOW
    for view in VIEWS:
        for text in ["", "lang:de", "prio:high", "order"]:
            query = QueueQuery(
                view=view,
                filter=QUEUE_FILTER.parse(text),
                sort=sort,
                now=now,
                today_start=now.replace(hour=0, minute=0),
                me=1,
            )
            counted = TicketQueueSource(demo_engine, query)
            total = counted.count()
            expected = [row.id for row in counted.fetch(0, total)]
            early = TicketQueueSource(demo_engine, query)
            first = [row.id for row in early.fetch(0, 16)]  # no count yet
            assert first == expected[:16], (view, text)
            assert early.count_in_thread() == total
            early.counted(total)
            for offset in (16, max(total - 10, 0), 5):
                assert [row.id for row in early.fetch(offset, 10)] == expected[offset : offset + 10], (view, text)


async def test_clearing_the_filter_keeps_the_cursor_row_and_counts_later_when_it_is_on_the_first_page(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Esc after a filter: the same ticket under the cursor; on the first page the count of every
    open ticket is still on its way (held here), further down it is taken at once to place the row."""
    release, original = hold_thread_counts(monkeypatch)
    app = make_app(sqlite_demo_engine, clock, settings)
    try:
        async with app.run_test(size=(120, 20)) as pilot:
            await settle(pilot)
            table = app.screen.query_one("#queue", WindowTable)
            exact = table.row_count
            near, far = 3, table.page_height + 5
            assert exact > far
            near_id, far_id = table.row_at(near).id, table.row_at(far).id
            for ticket_id, index, counted_later in ((near_id, near, True), (far_id, far, False)):
                await pilot.press("slash", "i", "d", "colon", *str(ticket_id), "enter")
                await settle(pilot)
                assert table.cursor_row.id == ticket_id and table.cursor == 0
                await pilot.press("escape")
                await settle(pilot)
                assert table.cursor == index and table.cursor_row.id == ticket_id
                assert table.counting is counted_later
                assert table.row_count == exact  # exact when asked, counted or not
    finally:
        release.set()


async def test_the_tables_style_is_worked_out_once_per_repaint_and_again_after_a_theme_change(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.dom import DOMNode

    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#queue", WindowTable)
        lines = range(table.size.height)
        walks: list[int] = []

        def counted(self: DOMNode):  # type: ignore[no-untyped-def]
            walks.append(1)
            return DOMNode.rich_style.fget(self)  # type: ignore[attr-defined]

        monkeypatch.setattr(WindowTable, "rich_style", property(counted))
        table.refresh()
        cached = [table.render_line(y) for y in lines]
        assert len(walks) == 1  # not once per line
        uncached = []
        for y in lines:  # what each line was with the style worked out for it alone
            table._base = None
            uncached.append(table.render_line(y))
        assert cached == uncached
        before = table._base_style
        themes = [name for name in app.available_themes if name != app.theme]
        app.theme = "textual-light" if "textual-light" in themes else themes[0]
        await settle(pilot)
        assert table._base_style == DOMNode.rich_style.fget(table) != before  # type: ignore[attr-defined]
