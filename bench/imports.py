"""Import benchmark: a 100k-row Zendesk-style ticket CSV and a 2-year Meta Ads daily export.

    .venv/bin/python bench/imports.py [--tickets 100000] [--campaigns 50] [--days 730] [--keep DIR]

Writes the files to a temporary directory, then imports each one into a fresh SQLite database
in a child process (so the peak memory is that import's alone), then imports it again (every
row unchanged). Prints rows/s and the child's peak resident memory. Target (issue 7): tickets
>= 20,000 rows/s and < 300 MB.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
PRIORITIES = ["Low", "Normal", "High", "Urgent"]
ZENDESK_HEADER = [
    "Id",
    "Requester",
    "Requester id",
    "Requester email",
    "Assignee",
    "Group",
    "Subject",
    "Tags",
    "Status",
    "Priority",
    "Via",
    "Ticket type",
    "Created at",
    "Updated at",
    "Assigned at",
    "Due date",
    "Solved at",
    "Satisfaction Score",
    "Replies",
    "First reply time in minutes",
    "First reply time in minutes within business hours",
    "First resolution time in minutes",
    "Full resolution time in minutes",
    "Requester wait time in minutes",
    "On hold time in minutes",
]
META_HEADER = [
    "Day",
    "Campaign name",
    "Ad set name",
    "Ad name",
    "Campaign delivery",
    "Attribution setting",
    "Results",
    "Result indicator",
    "Reach",
    "Frequency",
    "Cost per results",
    "Amount spent (USD)",
    "Impressions",
    "CPM (cost per 1,000 impressions) (USD)",
    "Link clicks",
    "CPC (cost per link click) (USD)",
    "CTR (link click-through rate)",
    "Clicks (all)",
    "CTR (all)",
    "Purchases",
    "Purchases conversion value",
    "Purchase ROAS (return on ad spend)",
    "Cost per purchase (USD)",
    "Reporting starts",
    "Reporting ends",
]


def write_tickets(path: Path, count: int, rng: random.Random) -> None:
    """A year of tickets shaped like the demo: 90% solved or closed, open ones from the last two
    days, first replies mostly within the 12 h target (15% late), resolutions within ~2 days."""
    vias = ["Mail", "Web form", "Chat", "WhatsApp", "Facebook", "Voice"]
    tags = ["wismo"] * 6 + ["refund", "return", "chargeback", "checkout", "presales", "product"]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ZENDESK_HEADER)
        for number in range(1, count + 1):
            if rng.random() < 0.9:
                status = rng.choice(["Solved", "Solved", "Solved", "Closed"])
                created = NOW - timedelta(minutes=rng.uniform(60 * 48, 60 * 24 * 365))
            else:
                status = rng.choice(["New", "Open", "Open", "Pending", "Hold"])
                created = NOW - timedelta(minutes=rng.uniform(5, 60 * 48))
            late = rng.random() < 0.15
            first = None if status == "New" else rng.uniform(60 * 12, 60 * 14) if late else rng.uniform(10, 60 * 9)
            if first is not None and created + timedelta(minutes=first) > NOW:
                first = max((NOW - created).total_seconds() / 60 - 1, 1)
            solved = (
                created + timedelta(minutes=(first or 0) + rng.uniform(30, 60 * 40))
                if status in ("Solved", "Closed")
                else None
            )
            updated = solved or min(created + timedelta(minutes=(first or 0) + rng.uniform(1, 600)), NOW)
            customer = rng.randrange(1, count // 4 + 2)
            writer.writerow(
                [
                    number,
                    f"Customer {customer}",
                    900000 + customer,
                    f"c{customer}@example.com",
                    rng.choice(["Ana Weber", "Eli Ramos", ""]),
                    "Support",
                    f"Question about order #{10000 + number}",
                    rng.choice(tags),
                    status,
                    rng.choices(PRIORITIES, weights=[15, 60, 20, 5])[0],
                    rng.choice(vias),
                    "Question",
                    created.strftime("%Y-%m-%d %H:%M:%S"),
                    updated.strftime("%Y-%m-%d %H:%M:%S"),
                    "",
                    "",
                    solved.strftime("%Y-%m-%d %H:%M:%S") if solved else "",
                    rng.choice(["Good", "Bad", "Offered", ""]),
                    rng.randint(1, 4) if first else 0,
                    f"{first:.0f}" if first else "",
                    "",
                    "",
                    "",
                    "",
                    "0",
                ]
            )


def write_ads(path: Path, campaigns: int, days: int, rng: random.Random) -> int:
    rows = 0
    start = NOW.date() - timedelta(days=days)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(META_HEADER)
        for offset in range(days):
            day: date = start + timedelta(days=offset)
            for campaign in range(campaigns):
                for ad_set in ("Broad", "Lookalike"):
                    spend = rng.uniform(5, 200)
                    impressions = int(spend * rng.uniform(80, 150))
                    clicks = int(impressions * rng.uniform(0.005, 0.02))
                    purchases = rng.randint(0, 8)
                    writer.writerow(
                        [
                            day.isoformat(),
                            f"Campaign {campaign:03d}",
                            ad_set,
                            "Ad 1",
                            "active",
                            "7-day click",
                            purchases,
                            "purchase",
                            impressions // 2,
                            1.9,
                            "",
                            f"{spend:.2f}",
                            f"{impressions:,}",
                            "",
                            clicks,
                            "",
                            "",
                            clicks + 5,
                            "",
                            purchases,
                            f"{purchases * rng.uniform(30, 60):.2f}",
                            "",
                            "",
                            day.isoformat(),
                            day.isoformat(),
                        ]
                    )
                    rows += 1
    return rows


def child(kind: str, file: str, database: str) -> None:
    """Runs in a fresh process: one import, then the same file again; prints JSON."""
    from dtc_tui import db
    from dtc_tui.services.importers.pipeline import run_import
    from dtc_tui.services.tickets.sla_defaults import ensure_defaults

    engine = db.make_engine(f"sqlite:///{database}")
    db.upgrade(engine)
    with db.write_session(engine) as session:
        ensure_defaults(session)
    results = []
    for _attempt in range(2):
        started, cpu = time.perf_counter(), time.process_time()
        summary = run_import(engine, kind, Path(file), now=NOW, actor="bench")
        seconds = time.perf_counter() - started
        results.append(
            {
                "rows": summary.rows,
                "seconds": seconds,
                "cpu": time.process_time() - cpu,
                "inserted": summary.inserted,
                "unchanged": summary.unchanged,
                "errors": len(summary.errors),
            }
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print(json.dumps({"runs": results, "peak_mb": peak_mb}))


def measure(kind: str, file: Path, directory: Path) -> None:
    database = directory / f"{kind}.db"
    for stale in directory.glob(f"{kind}.db*"):
        stale.unlink()
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(file), str(database)],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    size_mb = file.stat().st_size / 1e6
    for label, run in zip(("first import", "same file again"), data["runs"], strict=True):
        rate, cpu_rate = run["rows"] / run["seconds"], run["rows"] / run["cpu"]
        print(
            f"{kind:<10} {label:<16} {run['rows']:>8,} rows ({size_mb:4.1f} MB) in {run['seconds']:5.2f} s = "
            f"{rate:>7,.0f} rows/s (per CPU second: {cpu_rate:>7,.0f})  inserted {run['inserted']:>7,}  "
            f"unchanged {run['unchanged']:>7,}  errors {run['errors']}"
        )
    print(f"{kind:<10} peak memory of the importing process: {data['peak_mb']:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--campaigns", type=int, default=50)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--keep", type=Path, default=None, help="write the files here and keep them")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "FILE", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    rng = random.Random(7)
    import os
    import timeit

    loop_us = min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6
    print(
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, "
        f"sum(range(1000)) takes {loop_us:.1f} us (a yardstick to compare machines)"
    )
    with tempfile.TemporaryDirectory() as scratch:
        directory = args.keep or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        tickets = directory / "zendesk_tickets.csv"
        ads = directory / "meta_ads_2y.csv"
        started = time.perf_counter()
        write_tickets(tickets, args.tickets, rng)
        ad_rows = write_ads(ads, args.campaigns, args.days, rng)
        print(
            f"generated {args.tickets:,} tickets and {ad_rows:,} ad rows "
            f"({args.campaigns} campaigns x 2 ad sets x {args.days} days) in {time.perf_counter() - started:.1f} s"
        )
        measure("zendesk", tickets, directory)
        measure("meta-ads", ads, directory)


if __name__ == "__main__":
    main()
