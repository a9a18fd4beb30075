"""Orders benchmark: a Shopify orders export of N lines, imported, re-imported, then looked up.

    .venv/bin/python bench/orders.py [--lines 100000] [--keep DIR]

Writes an export shaped like the real sample (``fixtures/shopify_orders_gbp.csv``'s header; ~1.6
lines per order, 2,000 SKUs, a few lines without SKU, refunds and cancellations), imports it into a
fresh SQLite database in a child process (so the peak memory is that import's alone; the derived
daily figures are rebuilt in the same transaction), imports it again (every line unchanged), and
times lookups by number, e-mail and SKU and the ticket view's order panel (link + detail).
Targets (issue 14): >= 20,000 lines/s, <= 300 MB, panel <= 10 ms, lookups < 50 ms.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "fixtures" / "shopify_orders_gbp.csv"
NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def write_export(path: Path, lines: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    with open(SAMPLE, encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    start = NOW - timedelta(days=365)
    written = orders = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.DictWriter(handle, fieldnames=header)
        out.writeheader()
        while written < lines:
            orders += 1
            count = min(rng.choice((1, 1, 1, 2, 2, 3)), lines - written)
            created = start + timedelta(minutes=rng.randrange(365 * 24 * 60))
            stamp = created.strftime("%Y-%m-%d %H:%M:%S +0000")
            prices = [round(rng.uniform(8, 90), 2) for _ in range(count)]
            total = round(sum(prices) + 4.0, 2)
            refunded = total if rng.random() < 0.05 else (round(prices[0] / 2, 2) if rng.random() < 0.05 else 0.0)
            for position, price in enumerate(prices):
                sku = "" if rng.random() < 0.02 else f"SKU-{rng.randrange(2000):04d}"
                row = {name: "" for name in header}
                row.update(
                    {
                        "Name": f"#{1000 + orders}",
                        "Created at": stamp,
                        "Lineitem quantity": str(rng.choice((1, 1, 2))),
                        "Lineitem name": f"Product {sku or 'custom'} - M",
                        "Lineitem price": f"{price:.2f}",
                        "Lineitem sku": sku,
                        "Lineitem fulfillment status": "fulfilled",
                        "Lineitem discount": "0.00",
                    }
                )
                if position == 0:
                    row.update(
                        {
                            "Email": f"customer{rng.randrange(lines // 3 + 1)}@example.com",
                            "Financial Status": "refunded" if refunded == total else "paid",
                            "Paid at": stamp,
                            "Fulfillment Status": "fulfilled",
                            "Fulfilled at": (created + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S +0000"),
                            "Currency": "GBP",
                            "Subtotal": f"{sum(prices):.2f}",
                            "Shipping": "4.00",
                            "Taxes": "0.00",
                            "Total": f"{total:.2f}",
                            "Discount Amount": "0.00",
                            "Refunded Amount": f"{refunded:.2f}",
                            "Cancelled at": stamp if refunded == total and rng.random() < 0.5 else "",
                            "Source": rng.choice(("web", "web", "tiktok", "pos")),
                            "Id": str(5_000_000 + orders),
                        }
                    )
                out.writerow(row)
                written += 1
    return orders


def child(url: str, path: str) -> None:
    """Import once in this process; print seconds, lines and peak memory as JSON."""
    sys.path.insert(0, str(ROOT))
    from dtc_tui import db
    from dtc_tui.services.importers.pipeline import run_import

    engine = db.make_engine(url)
    db.ensure_current(engine)
    started = time.perf_counter()
    summary = run_import(engine, "shopify-orders", Path(path), now=NOW, actor="bench")
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rows": summary.rows, "errors": len(summary.errors), "peak_mb": peak_mb}))


def lookups(url: str) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import select

    from dtc_tui import db
    from dtc_tui.models import StoreOrder, Ticket
    from dtc_tui.services.orders.lookup import find_orders, order_detail, ticket_order

    engine = db.make_engine(url)
    with db.write_session(engine) as session:
        name, email = session.execute(select(StoreOrder.name, StoreOrder.email).limit(1).offset(500)).one()
        ticket = Ticket(
            subject=f"Where is my order {name}?",
            channel="email",
            created_at=NOW,
            updated_at=NOW,
            due_sort_at=NOW,
        )
        session.add(ticket)
        session.flush()
        ticket_id = ticket.id
    timings: dict[str, list[float]] = {"by number": [], "by e-mail": [], "by SKU": [], "ticket order panel": []}
    for _ in range(20):
        with db.read_session(engine) as session:
            for label, query in (("by number", name.lstrip("#")), ("by e-mail", email), ("by SKU", "SKU-0042")):
                started = time.perf_counter()
                find_orders(session, query, limit=50)
                timings[label].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            link = ticket_order(session, ticket_id)
            assert link is not None
            order_detail(session, link.order_id)
            timings["ticket order panel"].append((time.perf_counter() - started) * 1000)
    return {label: statistics.median(values) for label, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--child", nargs=2, metavar=("URL", "FILE"))
    parser.add_argument("--json", type=Path, help="also write the figures to this file (bench/run.py reads it)")
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="dtc-orders-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    export = work / "orders_export.csv"
    orders = write_export(export, args.lines)
    url = f"sqlite:///{work / 'orders.db'}"
    print(f"{args.lines:,} lines, {orders:,} orders, {export.stat().st_size / 1e6:.1f} MB")
    figures: dict[str, object] = {"lines": args.lines, "orders": orders, "imports": {}}
    for label in ("first import", "re-import"):
        out = subprocess.run(
            [sys.executable, __file__, "--child", url, str(export)], capture_output=True, text=True, check=True
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        rate = result["rows"] / result["seconds"]
        print(f"{label}: {result['seconds']:.2f} s, {rate:,.0f} lines/s, peak {result['peak_mb']:.0f} MB")
        figures["imports"][label] = result  # type: ignore[index]
    figures["lookups_ms"] = found = lookups(url)
    for label, ms in found.items():
        print(f"{label}: {ms:.2f} ms (median of 20)")
    if args.json:
        args.json.write_text(json.dumps(figures))


if __name__ == "__main__":
    main()
