"""The reorder board gives exactly the output it gave before it was made fast (issue 20, board build).

``tests/data/board_output_reference.json`` was written by the board as it was before (run
``python -m tests.test_board_output --write-reference`` on that code to write it again): for the
demo and for a generated bench-shaped inventory (Pareto sales, stock-outs, POs of every status,
draft and in-transit transfers, per-SKU overrides, SKUs without supplier or stock, a second pass
with the statistical method for class A), every row's numbers, inputs, plan, state, action and
suggestions, the total rows, the transfers, each sort's order, a few filters' rows and counts, a
narrowed board, the stock state of a few SKUs, the health KPIs, the overview (``check``) and the
output of ``inventory reorder --json`` / ``--all --json`` / ``--csv``. Each row is kept as a short
digest of its values (so a failure names the row), each section also as a count.

SQLite only: PostgreSQL sums float revenue in its plan's order (see ``tests/test_board_build.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dtc_tui import clock as clock_module
from dtc_tui import db
from dtc_tui.cli import main_group
from dtc_tui.services.inventory.board import SORTS, Board, BoardFilter, BoardRow, build_board, forget_sales_history
from dtc_tui.services.inventory.health import health
from dtc_tui.services.inventory.stock_state import sku_stock_states
from dtc_tui.services.overview.summary import build as build_overview
from tests.conftest import FIXED_NOW

REFERENCE = Path(__file__).resolve().parent / "data" / "board_output_reference.json"
WRITE = "DTC_TUI_WRITE_BOARD_REFERENCE"  # set by --write-reference

# Every public value of a row, read by name (not by the row's layout, which the fast build may change).
ROW_FIELDS = [
    "sku_id",
    "warehouse_id",
    "code",
    "name",
    "supplier_id",
    "supplier",
    "warehouse",
    "abc",
    "on_hand",
    "committed",
    "cost",
    "price",
    "stockout_days",
    "days_since_receipt",
    "aged",
    "revenue",
    "sku_version",
    "on_draft",
    "transfer_in",
    "transfer_from",
    "transfer_out",
    "purchase_qty",
    "key",
    "available",
    "velocity",
    "lead_time",
    "state",
    "state_label",
    "strategy",
    "is_total",
    "action",
]
INPUT_FIELDS = [
    "available",
    "on_hand",
    "daily_sales",
    "sigma",
    "lead_time_days",
    "review_cycle_days",
    "buffer_days",
    "moq",
    "case_pack",
    "abc",
    "method",
    "cost",
    "arrivals",
    "sold_recently",
    "had_stockout",
]
PLAN_FIELDS = [
    "inbound",
    "projected",
    "cover_days",
    "days_to_stockout",
    "urgency",
    "safety_stock",
    "reorder_point",
    "order_up_to",
    "need",
    "suggested_qty",
    "state",
    "next_arrival",
    "excess_units",
    "storage_cost_monthly",
    "today",
    "lead_time_days",
    "stockout_date",
    "reorder_by",
]
FILTERS = (
    "",
    "state:reorder",
    "wh:US-W state:urgent",
    "class:A,B -state:ok",
    "flag:transfer",
    "flag:aged,inbound",
    "sup:alpha mug",
    "-flag:inbound state:over,dead",
)


def _plain(value: Any) -> Any:
    """A value as JSON keeps it exactly (floats by their repr, dates as text)."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, float) and value != value:  # NaN would not compare equal to itself
        return "nan"
    return value


def row_values(row: BoardRow) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in ROW_FIELDS}
    values["inp"] = {name: getattr(row.inp, name) for name in INPUT_FIELDS}
    values["plan"] = {name: getattr(row.plan, name) for name in PLAN_FIELDS}
    return _plain(values)


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def section(items: Iterable[Any], as_value: Callable[[Any], Any] = _plain) -> dict[str, Any]:
    digests = [_digest(as_value(item)) for item in items]
    return {"count": len(digests), "items": digests}


def _keys(rows: Iterable[BoardRow]) -> list[list[int]]:
    return [list(r.key) for r in rows]


def board_sections(board: Board) -> dict[str, Any]:
    out: dict[str, Any] = {
        "today": board.today.isoformat(),
        "warehouses": board.warehouses,
        "settings": _digest(_plain(board.settings)),
        "rows": section(board.rows, row_values),
        "totals": section(board.totals(), row_values),
        "transfers": section(board.transfers),
        "units_sold": _digest(_plain(sorted(board.units_sold.items()))),
        "counts": board.counts(),
    }
    for totals in (False, True):
        for sort in SORTS:
            out[f"order {sort}{' totals' if totals else ''}"] = _digest(_keys(board.ordered(sort, totals=totals)))
        for raw in FILTERS:
            chosen = board.select([BoardFilter.parse(raw)], totals=totals, sort="urgency")
            out[f"filter {raw!r}{' totals' if totals else ''}"] = {
                "rows": _digest(_keys(chosen.rows)),
                "count": len(chosen.rows),
                "counts": chosen.counts,
                "view": _digest(_keys(board.view(BoardFilter.parse(raw), totals=totals, sort="cover"))),
            }
    return out


def cli(url: str, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main_group, ["--db", url, *args], catch_exceptions=False)
    lines = result.output.splitlines()
    return {"exit": result.exit_code, "lines": len(lines), "sha256": hashlib.sha256(result.output.encode()).hexdigest()}


def reorder_json(url: str, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main_group, ["--db", url, "inventory", "reorder", "--json", *args])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    return {"as_of": data["as_of"], "rows": section(data["rows"])}


def snapshot(url: str) -> dict[str, Any]:
    """Everything the reference keeps of one database, at the fixed time."""
    engine = db.make_engine(url)
    out: dict[str, Any] = {}
    try:
        with db.read_session(engine) as session:
            forget_sales_history()
            out["board, history read"] = board_sections(build_board(session, FIXED_NOW))
            out["board, history kept"] = board_sections(build_board(session, FIXED_NOW))
            ids = sorted({r.sku_id for r in build_board(session, FIXED_NOW).rows})
            narrow = [ids[0], ids[1], ids[len(ids) // 2], ids[-1], *ids[5:9]]
            small = build_board(session, FIXED_NOW, sku_ids=narrow)
            out["narrowed board"] = {
                "rows": section(small.rows, row_values),
                "totals": section(small.totals(), row_values),
                "transfers": section(small.transfers),
            }
            states = sku_stock_states(session, narrow, FIXED_NOW)
            out["stock states"] = section((states[k] for k in sorted(states)), lambda s: _plain(s.as_dict()))
            out["health"] = _digest(_plain(health(session, FIXED_NOW).as_dict()))
        overview = build_overview(engine, FIXED_NOW).as_dict()
        out["overview"] = {key: section(overview[key]) for key in ("items", "headlines", "signals")}
        out["overview"]["counts"] = overview["counts"]
    finally:
        engine.dispose()
    forget_sales_history()
    out["reorder --json"] = reorder_json(url)
    out["reorder --all --json"] = reorder_json(url, "--all")
    out["reorder --json -w DE"] = reorder_json(url, "--warehouse", "DE")
    out["reorder --csv"] = cli(url, "inventory", "reorder", "--csv")
    out["reorder (text)"] = cli(url, "inventory", "reorder")
    out["inventory health --json"] = cli(url, "inventory", "health", "--json")
    return out


def generated(path: Path, *, stat_a: bool = False) -> str:
    """A bench-shaped inventory (``bench/inventory.py``) made rough at the edges."""
    from bench.inventory import build_dataset

    build_dataset(path, skus=240, days=150, seed=7)
    con = sqlite3.connect(path)
    with con:
        now = FIXED_NOW.replace(tzinfo=None)
        stamp = now.isoformat(" ")
        con.executemany(
            "INSERT INTO stock_transfer(sku_id, from_warehouse_id, to_warehouse_id, qty, status, created_at, "
            "expected_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (sku, 1 + sku % 3, 1 + (sku + 1) % 3, 5 + sku % 40, status, stamp, expected)
                for sku in range(3, 240, 11)
                for status, expected in (
                    ("draft", None),
                    ("in_transit", (now + timedelta(days=sku % 9 - 2)).isoformat(" ")),
                    ("in_transit", None),
                )
                if (sku + len(status)) % 2 == 0 or status == "draft"
            ],
        )
        con.execute("UPDATE sku SET abc_override = 'A' WHERE id % 37 = 0")
        con.execute("UPDATE sku SET abc_override = 'd' WHERE id % 41 = 0")
        con.execute("UPDATE sku SET safety_method = 'stat' WHERE id % 5 = 0")
        con.execute("UPDATE sku SET lead_time_days = id % 30, moq = 1 + id % 7 * 25, case_pack = 1 + id % 4 * 6 "
                    "WHERE id % 6 = 0")  # fmt: skip
        con.execute("UPDATE sku SET lead_time_days = -3 WHERE id = 42")
        con.execute("UPDATE sku SET supplier_id = NULL WHERE id % 23 = 0")
        con.execute("UPDATE sku SET price = 0 WHERE id = 99")
        con.execute("UPDATE stock_level SET on_hand = 0, committed = 4 WHERE (sku_id * 3 + warehouse_id) % 17 = 0")
        con.execute("UPDATE stock_level SET committed = on_hand + 2 WHERE (sku_id + warehouse_id) % 29 = 0")
        con.execute("UPDATE stock_level SET last_received_at = NULL WHERE (sku_id + warehouse_id) % 13 = 0")
        con.execute("DELETE FROM stock_level WHERE sku_id IN (77, 78) AND warehouse_id = 2")
        con.execute("DELETE FROM stock_level WHERE sku_id = 120")  # a SKU with no stock record
        con.execute("DELETE FROM daily_sales WHERE sku_id = 130")  # stock, never sold
        con.execute(
            "INSERT INTO sku(code, name, variant, status, cost, price, buffer_days, review_cycle_days, "
            "safety_method, version) VALUES ('NEW-1', 'New mug', '', 'active', 3.5, 9.0, 7, 7, 'rule', 2)"
        )
    con.close()
    url = f"sqlite:///{path}"
    if stat_a:  # written as rows: the settings service takes a list only as long as its default (empty)
        con = sqlite3.connect(path)
        with con:
            con.executemany(
                "INSERT INTO setting(key, value) VALUES (?, ?)",
                [("inventory.stat_classes", '["A"]'), ("inventory.transfer_days", "2")],
            )
        con.close()
    return url


def demo(path: Path) -> str:
    url = f"sqlite:///{path}"
    result = CliRunner().invoke(main_group, ["--db", url, "demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return url


SCENARIOS: dict[str, Callable[[Path], str]] = {
    "demo": demo,
    "generated": generated,
    "generated, statistical class A": lambda path: generated(path, stat_a=True),
}


def scenario(name: str, tmp: Path) -> dict[str, Any]:
    forget_sales_history()
    return json.loads(json.dumps(snapshot(SCENARIOS[name](tmp / "board.db"))))


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock_module, "utcnow", lambda: FIXED_NOW)  # the CLI's SystemClock reads this


def _differences(got: Any, expected: Any, where: str = "") -> list[str]:
    if isinstance(expected, dict) and isinstance(got, dict):
        out = [f"{where}: keys {sorted(set(got) ^ set(expected))}"] if set(got) != set(expected) else []
        for key in expected:
            if key in got:
                out += _differences(got[key], expected[key], f"{where}/{key}")
        return out
    if isinstance(expected, list) and isinstance(got, list) and len(got) == len(expected):
        return [f"{where}[{i}]" for i, (g, e) in enumerate(zip(got, expected, strict=True)) if g != e][:5]
    return [] if got == expected else [f"{where}: {got!r} != {expected!r}"[:300]]


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_board_output_matches_the_reference(name: str, tmp_path: Path, fixed_clock: None) -> None:
    got = scenario(name, tmp_path)
    if os.environ.get(WRITE):  # run inside pytest, so the config and environment are the tests'
        stored = json.loads(REFERENCE.read_text(encoding="utf-8")) if REFERENCE.exists() else {}
        stored[name] = got
        REFERENCE.write_text(json.dumps({k: stored[k] for k in SCENARIOS if k in stored}, indent=1) + "\n")
    expected = json.loads(REFERENCE.read_text(encoding="utf-8"))[name]
    assert not _differences(got, expected)


def test_the_reference_covers_what_it_says() -> None:
    expected = json.loads(REFERENCE.read_text(encoding="utf-8"))
    for name in SCENARIOS:
        board = expected[name]["board, history read"]
        assert board["rows"]["count"] > 20 and board["transfers"]["count"] > 0, name
        assert all(board["counts"][state] for state in ("out", "reorder_now", "reorder_soon", "ok")), name
        assert expected[name]["reorder --json"]["rows"]["count"] > 0, name
    generated_board = expected["generated"]["board, history read"]
    assert generated_board["rows"]["count"] > 700 and generated_board["counts"]["dead"] > 0


if __name__ == "__main__" and "--write-reference" in sys.argv:
    os.environ[WRITE] = "1"
    code = pytest.main([__file__, "-q", "-p", "no:xdist", "-k", "matches_the_reference"])
    del os.environ[WRITE]
    print(f"wrote {REFERENCE}")
    sys.exit(code or pytest.main([__file__, "-q", "-p", "no:xdist"]))  # and check it reads back the same
