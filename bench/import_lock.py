"""How long an import holds the SQLite write lock, and how long another writer waits (issue 16).

    .venv/bin/python bench/import_lock.py [--tickets 50000]

Builds a database with the default policies, imports a Zendesk-style file of ``--tickets`` rows
(first import), then re-imports a changed copy (every 10th ticket's status and priority moved,
the rest unchanged). During each import another process writes one small row every 20 ms
(``BEGIN IMMEDIATE``, one UPDATE, COMMIT) and records how long each write waited. Prints, per
import: the import's wall time, its longest write transaction (the lock hold) and the other
writer's longest and median wait. Targets: hold <= 1 s, wait <= 2 s.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.imports import NOW, write_tickets


def changed_copy(source: Path, target: Path) -> None:
    with open(source, encoding="utf-8", newline="") as src, open(target, "w", encoding="utf-8", newline="") as dst:
        reader, writer = csv.reader(src), csv.writer(dst)
        header = next(reader)
        writer.writerow(header)
        status, priority = header.index("Status"), header.index("Priority")
        for number, row in enumerate(reader):
            if number % 10 == 0:
                row[status] = "Open" if row[status] in ("Solved", "Closed") else "Solved"
                row[priority] = "High" if row[priority] != "High" else "Low"
            writer.writerow(row)


def child_import(database: str, file: str) -> None:
    """One import with every write transaction timed; prints JSON."""
    from dtc_tui import db
    from dtc_tui.services.importers.pipeline import run_import

    holds: list[float] = []
    original = db.write_session

    @contextmanager
    def timed(engine):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        with original(engine) as session:
            yield session
        holds.append(time.perf_counter() - started)

    db.write_session = timed  # type: ignore[assignment]
    engine = db.make_engine(f"sqlite:///{database}")
    started = time.perf_counter()
    summary = run_import(engine, "zendesk", Path(file), now=NOW, actor="bench")
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - started,
                "hold": max(holds, default=0.0),
                "inserted": summary.inserted,
                "updated": summary.updated,
                "unchanged": summary.unchanged,
            }
        )
    )


def measure(database: Path, file: Path, label: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", str(database), str(file)], stdout=subprocess.PIPE, text=True
    )
    conn = sqlite3.connect(database, isolation_level=None, timeout=60)
    conn.execute("PRAGMA busy_timeout=60000")
    waits = []
    while proc.poll() is None:
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE setting SET value = value WHERE 0")
        conn.execute(
            "INSERT INTO change_counter (area, counter) VALUES ('bench', 1) "
            "ON CONFLICT (area) DO UPDATE SET counter = counter + 1"
        )
        conn.execute("COMMIT")
        waits.append(time.perf_counter() - started)
        time.sleep(0.02)
    conn.close()
    out = json.loads(proc.stdout.read().strip().splitlines()[-1])  # type: ignore[union-attr]
    print(
        f"{label:<28} {out['seconds']:6.1f} s  (ins {out['inserted']:,} upd {out['updated']:,} "
        f"same {out['unchanged']:,})  write-lock hold {out['hold']:5.2f} s   other writer: "
        f"max wait {max(waits):5.2f} s, median {statistics.median(waits) * 1000:4.0f} ms, {len(waits)} writes"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--child", nargs=2, metavar=("DB", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_import(*args.child)
        return
    from dtc_tui import db
    from dtc_tui.commands.common import write_defaults

    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        first, second = directory / "zendesk.csv", directory / "zendesk_changed.csv"
        write_tickets(first, args.tickets, random.Random(7))
        changed_copy(first, second)
        database = directory / "lock.db"
        engine = db.make_engine(f"sqlite:///{database}")
        db.upgrade(engine)
        write_defaults(engine)
        engine.dispose()
        measure(database, first, f"first import {args.tickets:,}")
        measure(database, second, "re-import, 10% changed")
        measure(database, second, "re-import, unchanged")


if __name__ == "__main__":
    main()
