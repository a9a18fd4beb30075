"""The reorder board's kept orders, selections and state counts (``Board.ordered``, ``select``,
``prepare``) against a fresh filter and sort of the same rows, on the demo (SQLite and PostgreSQL),
after a PO receipt, a stock change and an import; and the collector handling around a board build."""

from __future__ import annotations

import gc
import threading
from collections import Counter
from collections.abc import Iterable

import pytest
from sqlalchemy import Engine, text

from dtc_tui import db, startup
from dtc_tui.services.importers.pipeline import run_import
from dtc_tui.services.inventory import purchasing
from dtc_tui.services.inventory.board import (
    SORTS,
    Board,
    BoardFilter,
    BoardRow,
    build_board,
    forget_sales_history,
    sort_rows,
)
from dtc_tui.ui.screens.inventory.board import VIEWS
from tests.conftest import FIXED_NOW, FIXTURES, make_app

FILTERS = [
    "",
    "wh:US-W",
    "state:reorder",
    "-state:ok",
    "class:A,B",
    "wh:de -class:C",
    "sup:a state:out,now",
    "-sup:o",
    "linen",
    "-state:ok -state:dead o e",
    "flag:marked",
    "-flag:marked state:reorder",
    "flag:aged,transfer -wh:US-E",
    "flag:inbound",
    "state:dead,over class:D",
]


@pytest.fixture(autouse=True)
def _fresh_history() -> None:
    forget_sales_history()


def build(engine: Engine) -> Board:
    with db.read_session(engine) as session:
        return build_board(session, FIXED_NOW)


def reference(board: Board, filters: Iterable[BoardFilter], *, totals: bool, sort: str, marked: set) -> list[BoardRow]:
    """The board's filters and sorts as they were before rows, orders and masks were kept: every
    field tested value by value on each row, the result sorted afresh."""
    rows = list(board.totals() if totals else board.rows)
    flags = {
        "aged": lambda r: r.aged,
        "transfer": lambda r: bool(r.transfer_in or r.transfer_out),
        "inbound": lambda r: bool(r.plan.inbound),
        "marked": lambda r: r.key in marked,
    }
    tests = {
        "warehouse": lambda r, v: r.warehouse.upper() == v,
        "supplier": lambda r, v: v in r.supplier.lower(),
        "abc": lambda r, v: r.abc == v,
        "state": lambda r, v: r.plan.state == v,
        "flag": lambda r, v: flags[v](r),
    }
    for board_filter in filters:
        parsed = board_filter.parsed
        for key in parsed.fields():
            test, wanted, unwanted = tests[key], parsed.include(key), parsed.exclude(key)
            rows = [
                r
                for r in rows
                if (not wanted or any(test(r, v) for v in wanted)) and not any(test(r, v) for v in unwanted)
            ]
        rows = [r for r in rows if all(w in r.code.lower() or w in r.name.lower() for w in parsed.words)]
    return rows if sort == "urgency" else sort_rows(rows, sort)


def check_every_selection(board: Board, marked: set) -> int:
    """Every view x filter x sort x per-warehouse/total: the same rows in the same order as the
    reference, and the state counts equal a recount of them. Returns how many non-empty ones."""
    shown = 0
    for raw in FILTERS:
        typed = BoardFilter.parse(raw)
        for _label, view in VIEWS.values():
            for totals in (False, True):
                for sort in SORTS:
                    selection = board.select([view, typed], totals=totals, sort=sort, marked=marked)
                    expected = reference(board, [view, typed], totals=totals, sort=sort, marked=marked)
                    assert [r.key for r in selection.rows] == [r.key for r in expected], (raw, view, totals, sort)
                    recount = Counter(r.state for r in expected)
                    assert {s: n for s, n in selection.counts.items() if n} == dict(recount), (raw, totals)
                    shown += bool(expected)
    return shown


def check_orders(board: Board) -> None:
    for totals in (False, True):
        base = board.totals() if totals else board.rows
        for sort in SORTS:
            assert [r.key for r in board.ordered(sort, totals=totals)] == [r.key for r in sort_rows(base, sort)]


def test_selections_equal_a_fresh_filter_and_sort(demo_engine: Engine) -> None:
    board = build(demo_engine)
    marked = {r.key for r in board.rows[::5]} | {r.key for r in board.totals()[::3]}
    assert check_every_selection(board, marked) > 100  # most combinations show rows: the check means something
    check_orders(board)
    # Kept masks answer again, the same; a filter on marked rows follows new marks.
    again = board.select([VIEWS["order"][1]], sort="storage")
    assert again == board.select([VIEWS["order"][1]], sort="storage")
    only_marked = BoardFilter.parse("flag:marked")
    first = {r.key for r in board.select([only_marked], marked=marked).rows}
    fewer = set(list(marked)[:3])
    assert first == {r.key for r in board.rows if r.key in marked}
    assert {r.key for r in board.select([only_marked], marked=fewer).rows} == {
        r.key for r in board.rows if r.key in fewer
    }


def test_prepared_board_equals_a_fresh_one_after_a_receipt_a_stock_change_and_an_import(
    demo_engine: Engine,
) -> None:
    before = build(demo_engine)
    before.prepare([view for _label, view in VIEWS.values()])
    receipt = purchasing.receive(demo_engine, "PO-1001", actor="tester", now=FIXED_NOW)
    received = build(demo_engine)
    code, units = next(iter(receipt.received.items()))
    on_hand = {
        b: sum(r.on_hand for r in board.rows if r.code == code)
        for b, board in (("before", before), ("after", received))
    }
    assert units > 0 and on_hand["after"] == on_hand["before"] + units
    with db.write_session(demo_engine) as session:  # a count correction of one SKU
        session.execute(
            text("UPDATE stock_level SET on_hand = on_hand + 5000 WHERE sku_id = (SELECT MIN(id) FROM sku)")
        )
    run_import(demo_engine, "shopify-inventory", FIXTURES / "shopify_inventory_export.csv", now=FIXED_NOW, actor="t")
    after = build(demo_engine)
    after.prepare([view for _label, view in VIEWS.values()])
    assert len(after.rows) > len(received.rows)  # the import added SKUs and a warehouse
    check_orders(after)
    marked = {r.key for r in after.rows[::4]}
    assert check_every_selection(after, marked) > 100


def test_prepare_in_a_worker_while_the_screen_selects(demo_engine: Engine) -> None:
    board = build(demo_engine)
    views = [view for _label, view in VIEWS.values()]
    worker = threading.Thread(target=board.prepare, args=(views,))
    worker.start()
    seen = []
    for sort in [*SORTS, *SORTS]:
        for totals in (False, True):
            seen.append((sort, totals, [r.key for r in board.select(views[1:2], totals=totals, sort=sort).rows]))
    worker.join()
    for sort, totals, keys in seen:
        expected = reference(board, views[1:2], totals=totals, sort=sort, marked=set())
        assert keys == [r.key for r in expected]
    check_orders(board)


async def test_status_counts_follow_the_view_and_a_refresh_resorts(demo_engine: Engine, clock, settings) -> None:
    app = make_app(demo_engine, clock, settings, start_area="inventory")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        await pilot.press("o", "o", "o", "w", "v")  # storage cost, all warehouses, "To order"
        await pilot.pause()
        assert (screen.sort, screen.totals, screen.view) == ("storage", True, "order")
        shown = [r.key for r in screen.rows]
        assert {s: n for s, n in screen.selection.counts.items() if n} == dict(Counter(r.state for r in screen.rows))
        for _ in range(5):  # cursor moves change no count
            await pilot.press("j")
        await pilot.pause()
        assert [r.key for r in screen.rows] == shown
        status = str(screen.query_one("#board-status").render())
        assert f"OUT {screen.selection.counts['out']}" in status or not screen.selection.counts["out"]
        # A receipt, then a refresh: the new board's order, not the kept one of the old board.
        app.screen.dtc.facades.inventory.receive("PO-1001", None, expected_version=None)
        await pilot.press("r")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        fresh = build(demo_engine)
        expected = reference(fresh, [VIEWS["order"][1]], totals=True, sort="storage", marked=set())
        assert [r.key for r in screen.rows] == [r.key for r in expected]
        assert {s: n for s, n in screen.selection.counts.items() if n} == dict(Counter(r.state for r in expected))


def test_a_board_built_in_long_lived_is_frozen_only_where_dtc_tui_manages_the_collector(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    with startup.long_lived():  # as in the tests: the interpreter's default, nothing frozen
        assert not gc.isenabled()
        kept = [[i] for i in range(1000)]
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    monkeypatch.setattr(startup, "_managed", True)
    try:
        with startup.long_lived():
            kept += [[i] for i in range(1000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen + 1000
    finally:
        gc.unfreeze()
    assert len(kept) == 2000


def test_overlapping_long_lived_builds_turn_the_collector_back_on_at_the_end() -> None:
    first, second = startup.long_lived(), startup.long_lived()
    first.__enter__()
    second.__enter__()  # e.g. a refresh's build while the last board is still prepared
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the other one still builds
    second.__exit__(None, None, None)
    assert gc.isenabled()
