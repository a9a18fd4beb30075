"""Reorder board figures at scale: the board's numbers, a filter, peak memory.

    .venv/bin/python bench/inventory.py [--skus 10000] [--days 365] [--dense] [--repeat 5] [--db PATH]

Builds a temporary SQLite database (migrated schema) with SKUs x 3 warehouses x days of sales, then
times ``build_board`` (every SKU-warehouse row with velocity, safety stock, state, suggestions and
transfers) and a filter on the computed board, and measures the peak memory of a process that only
opens the database and computes the board. Prints median / min / max.

Sales rows: by default only days with a sale or a stock-out are stored (what an importer writes;
the Pareto tail sells on few days). ``--dense`` stores every day of every SKU-warehouse, zeros
included (10,000 x 3 x 365 = 10.95 million rows): the worst case.

Each measurement is a function returning numbers, so one bench entry point can import them.
"""

from __future__ import annotations

import argparse
import math
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dtc_tui import db

NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
WAREHOUSES = ("US-W", "US-E", "DE")
SHARES = (0.5, 0.3, 0.2)
SUPPLIERS = (("Alpha", 21, 200, 20), ("Beta", 35, 500, 50), ("Gamma", 14, 100, 12), ("Delta", 28, 1000, 100))
FILTER = "wh:US-W state:reorder mug"


def build_dataset(path: Path, *, skus: int = 10_000, days: int = 365, dense: bool = False, seed: int = 1) -> int:
    """Write the dataset; returns the number of daily_sales rows."""
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()
    rng = random.Random(seed)
    today = NOW.date()
    con = sqlite3.connect(path)
    con.isolation_level = None
    con.execute("PRAGMA synchronous=OFF")
    con.execute("BEGIN")
    con.executemany(
        "INSERT INTO warehouse(id, code, name, region, delivery_days) VALUES (?, ?, ?, '', 3)",
        [(i + 1, code, code) for i, code in enumerate(WAREHOUSES)],
    )
    con.executemany(
        "INSERT INTO supplier(id, name, lead_time_days, moq, case_pack) VALUES (?, ?, ?, ?, ?)",
        [(i + 1, *row) for i, row in enumerate(SUPPLIERS)],
    )
    products = ("Mug", "Tote", "Lamp", "Mat", "Cup", "Sock", "Pot", "Towel")
    sku_rows, stock_rows, rates = [], [], []
    for i in range(skus):
        cost = round(rng.uniform(2, 40), 2)
        price = round(cost * rng.uniform(1.5, 3.2), 2)
        sku_rows.append(
            (
                i + 1,
                f"SKU-{i:05d}",
                f"{products[i % len(products)]} {i}",
                "",
                "active",
                i % len(SUPPLIERS) + 1,
                cost,
                price,
                7,
                7,
                "rule",
                1,
            )
        )
        rate = 60.0 * (i + 1) ** -0.9  # a few SKUs sell most
        rates.append(rate)
        for w in range(len(WAREHOUSES)):
            cover = rng.choice((0, 5, 20, 40, 60, 90, 200))
            on_hand = int(rate * SHARES[w] * cover) + rng.randint(0, 3)
            received = (NOW - timedelta(days=rng.choice((3, 30, 90, 200)))).replace(tzinfo=None)
            stock_rows.append((i + 1, w + 1, on_hand, min(on_hand, rng.randint(0, 2)), received.isoformat(" ")))
    con.executemany(
        "INSERT INTO sku(id, code, name, variant, status, supplier_id, cost, price, buffer_days, "
        "review_cycle_days, safety_method, version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        sku_rows,
    )
    con.executemany(
        "INSERT INTO stock_level(sku_id, warehouse_id, on_hand, committed, last_received_at, version) "
        "VALUES (?, ?, ?, ?, ?, 1)",
        stock_rows,
    )
    day_text = [(today - timedelta(days=days - d)).isoformat() for d in range(days)]
    prices = [row[7] for row in sku_rows]

    def sales():
        for i, rate in enumerate(rates):
            for w, share in enumerate(SHARES):
                lam = rate * share
                limit = math.exp(-lam) if lam < 30 else 0.0
                out_from = days - rng.randint(3, 20) if rng.random() < 0.05 else days
                for d in range(days):
                    out = d >= out_from
                    units = 0 if out else _poisson(rng, lam, limit)
                    if dense or units or out:
                        yield (i + 1, w + 1, day_text[d], units, round(units * prices[i], 2), out)

    con.executemany(
        "INSERT INTO daily_sales(sku_id, warehouse_id, day, units, revenue, stockout) VALUES (?, ?, ?, ?, ?, ?)",
        sales(),
    )
    _purchase_orders(con, rng, skus)
    con.execute("COMMIT")
    count = con.execute("SELECT COUNT(*) FROM daily_sales").fetchone()[0]
    con.execute("ANALYZE")
    con.close()
    return int(count)


def _poisson(rng: random.Random, lam: float, limit: float) -> int:
    if lam >= 30:
        return max(int(rng.gauss(lam, math.sqrt(lam))), 0)
    k, p = 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _purchase_orders(con: sqlite3.Connection, rng: random.Random, skus: int) -> None:
    created = (NOW - timedelta(days=20)).replace(tzinfo=None).isoformat(" ")
    for n in range(1, 301):
        status = rng.choice(("draft", "sent", "sent", "partial"))
        expected = (NOW + timedelta(days=rng.randint(-5, 30))).replace(tzinfo=None).isoformat(" ")
        con.execute(
            "INSERT INTO purchase_order(id, number, supplier_id, warehouse_id, status, created_at, "
            "expected_at, note, version) VALUES (?, ?, ?, ?, ?, ?, ?, '', 1)",
            (
                n,
                f"PO-{n:05d}",
                n % len(SUPPLIERS) + 1,
                n % len(WAREHOUSES) + 1,
                status,
                created,
                None if status == "draft" else expected,
            ),
        )
        for sku in rng.sample(range(1, min(skus, 2000) + 1), 5):
            qty = rng.choice((200, 500, 1000))
            con.execute(
                "INSERT INTO purchase_order_line(po_id, sku_id, qty_ordered, qty_received, unit_cost) "
                "VALUES (?, ?, ?, ?, 5.0)",
                (n, sku, qty, qty // 2 if status == "partial" else 0),
            )


# --- measurements (each returns numbers) -------------------------------------------------------------


def time_board(path: Path, repeat: int = 5) -> tuple[list[float], list[float]]:
    """Seconds to compute the board: (cold, warm).

    Cold: a fresh engine, so the sales history before the velocity window is read too (the first
    board of a process or a day, and every headless command). Warm: the same engine again, as the
    app's refresh after a change: only the velocity window is read.
    """
    from dtc_tui.services.inventory.board import build_board

    cold, warm = [], []
    for _ in range(repeat):
        engine = db.make_engine(f"sqlite:///{path}")
        for results in (cold, warm):
            started = time.perf_counter()
            with db.read_session(engine) as session:
                board = build_board(session, NOW)
            results.append(time.perf_counter() - started)
            assert board.rows
        engine.dispose()
    return cold, warm


def time_filter(path: Path, repeat: int = 5, raw: str = FILTER) -> tuple[list[float], int]:
    """Seconds to parse a filter and apply it to a computed board (what a key press in the filter costs)."""
    from dtc_tui.services.inventory.board import BoardFilter, build_board

    engine = db.make_engine(f"sqlite:///{path}")
    with db.read_session(engine) as session:
        board = build_board(session, NOW)
    engine.dispose()
    results, shown = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        shown = len(board.view(BoardFilter.parse(raw)))
        results.append(time.perf_counter() - started)
    return results, shown


def peak_memory_mb(path: Path) -> float:
    """Peak resident memory (MB) of a fresh process that opens the database and computes the board."""
    code = (
        "import resource, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})\n"
        "from bench.inventory import NOW\n"
        "from dtc_tui import db\n"
        "from dtc_tui.services.inventory.board import build_board\n"
        f"engine = db.make_engine('sqlite:///{path}')\n"
        "with db.read_session(engine) as s:\n"
        "    board = build_board(s, NOW)\n"
        "    board.totals()\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def run(
    skus: int = 10_000, days: int = 365, dense: bool = False, repeat: int = 5, path: Path | None = None
) -> dict[str, object]:
    """Build (unless ``path`` exists) and measure; returns the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        built = 0.0
        if path is None or not path.exists():
            path = path or Path(tmp) / "inventory-bench.db"
            started = time.perf_counter()
            build_dataset(path, skus=skus, days=days, dense=dense)
            built = time.perf_counter() - started
        con = sqlite3.connect(path)
        rows = con.execute("SELECT COUNT(*) FROM daily_sales").fetchone()[0]
        pairs = con.execute("SELECT COUNT(*) FROM stock_level").fetchone()[0]
        con.close()
        cold, warm = time_board(path, repeat)
        filtered, shown = time_filter(path, repeat)
        return {
            "sales_rows": rows,
            "sku_warehouse_rows": pairs,
            "build_seconds": built,
            "board_cold_seconds": cold,
            "board_warm_seconds": warm,
            "filter_seconds": filtered,
            "filter_rows": shown,
            "peak_memory_mb": peak_memory_mb(path),
        }


def _summary(values: list[float], scale: float = 1000.0) -> str:
    return (
        f"median {statistics.median(values) * scale:8.1f} ms   min {min(values) * scale:8.1f}   "
        f"max {max(values) * scale:8.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--dense", action="store_true", help="store every day, zeros included (worst case)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", type=Path, default=None, help="reuse (or keep) this database file")
    args = parser.parse_args()
    result = run(args.skus, args.days, args.dense, args.repeat, args.db)
    print(
        f"dataset: {args.skus:,} SKUs x 3 warehouses x {args.days} days, {result['sales_rows']:,} sales rows "
        f"({'dense' if args.dense else 'days with sales only'}), built in {result['build_seconds']:.1f} s"
    )
    rows = f"{result['sku_warehouse_rows']:,} rows"
    print(f"board, cold ({rows}): {_summary(result['board_cold_seconds'])}")  # type: ignore[arg-type]
    print(f"board, warm ({rows}): {_summary(result['board_warm_seconds'])}")  # type: ignore[arg-type]
    print(f"filter {FILTER!r} ({result['filter_rows']} rows): {_summary(result['filter_seconds'])}")  # type: ignore[arg-type]
    print(f"peak memory (board process): {result['peak_memory_mb']:.0f} MB")


if __name__ == "__main__":
    main()
