"""How long an import holds the write lock, and how long another writer waits (issue 16).

    .venv/bin/python bench/import_lock.py [--tickets 50000] [--url postgresql+psycopg://...]

Builds a database with the default policies (SQLite in a temporary directory, or a fresh schema
in the PostgreSQL database ``--url`` names), imports a Zendesk-style file of ``--tickets`` rows
(first import), then re-imports a changed copy (every 10th ticket's status and priority moved,
the rest unchanged). During each import this process writes what every ticket change writes,
the tickets area's change counter, every 20 ms (one write transaction) and records how long
each write took. Prints, per import: the import's wall and CPU time, its longest write
transaction (the lock hold; on SQLite the database's write lock, on PostgreSQL the row locks
of what it writes) in wall and CPU time, and the other writer's longest and median wait.
Targets: hold <= 1 s, wait <= 2 s. On a loaded machine wall times stretch; CPU times do not.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
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


def child_import(url: str, file: str) -> None:
    """One import with every write transaction timed (wall and CPU); prints JSON."""
    from dtc_tui import db
    from dtc_tui.services.importers.pipeline import run_import

    holds: list[tuple[float, float]] = []
    original = db.write_session

    @contextmanager
    def timed(engine):  # type: ignore[no-untyped-def]
        started, cpu = time.perf_counter(), time.process_time()
        with original(engine) as session:
            yield session
        holds.append((time.perf_counter() - started, time.process_time() - cpu))

    db.write_session = timed  # type: ignore[assignment]
    engine = db.make_engine(url)
    started, cpu = time.perf_counter(), time.process_time()
    summary = run_import(engine, "zendesk", Path(file), now=NOW, actor="bench")
    longest = max(holds, default=(0.0, 0.0))
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - started,
                "cpu": time.process_time() - cpu,
                "hold": longest[0],
                "hold_cpu": longest[1],
                "inserted": summary.inserted,
                "updated": summary.updated,
                "unchanged": summary.unchanged,
            }
        )
    )


def measure(url: str, file: Path, label: str) -> dict[str, float]:
    from dtc_tui import db
    from dtc_tui.services.common import audit

    proc = subprocess.Popen([sys.executable, __file__, "--child", url, str(file)], stdout=subprocess.PIPE, text=True)
    db.BUSY_TIMEOUT_MS = 120_000  # the writer waits as long as it takes: the wait is what is measured
    engine = db.make_engine(url)
    waits = []
    while proc.poll() is None:
        started = time.perf_counter()
        with db.write_session(engine) as session:
            audit.bump(session, "tickets")
        waits.append(time.perf_counter() - started)
        time.sleep(0.02)
    engine.dispose()
    out = json.loads(proc.stdout.read().strip().splitlines()[-1])  # type: ignore[union-attr]
    out["wait"], out["wait_median"] = max(waits), statistics.median(waits)
    print(
        f"{label:<24} {out['seconds']:5.1f} s (cpu {out['cpu']:4.1f} s; ins {out['inserted']:,} "
        f"upd {out['updated']:,} same {out['unchanged']:,})  hold {out['hold']:5.2f} s (cpu "
        f"{out['hold_cpu']:4.2f} s)  other writer: max wait {out['wait']:5.2f} s, median "
        f"{out['wait_median'] * 1000:3.0f} ms, {len(waits)} writes",
        flush=True,
    )
    return out


@contextmanager
def database(url: str | None, directory: Path):  # type: ignore[no-untyped-def]
    """A fresh migrated database with the defaults: SQLite in ``directory``, or a new PostgreSQL schema."""
    from sqlalchemy import create_engine, text

    from dtc_tui import db
    from dtc_tui.commands.common import write_defaults

    schema = None
    if url is None:
        target = f"sqlite:///{directory / 'lock.db'}"
    else:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        separator = "&" if "?" in url else "?"
        target = f"{url}{separator}options=-csearch_path%3D{schema}"
    engine = db.make_engine(target)
    db.upgrade(engine)
    write_defaults(engine)
    engine.dispose()
    try:
        yield target
    finally:
        if schema is not None:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--url", help="a PostgreSQL URL (a schema is created and dropped); default SQLite")
    parser.add_argument("--child", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the figures to this file (bench/run.py reads it)")
    args = parser.parse_args()
    if args.child:
        child_import(*args.child)
        return
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        first, second = directory / "zendesk.csv", directory / "zendesk_changed.csv"
        write_tickets(first, args.tickets, random.Random(7))
        changed_copy(first, second)
        with database(args.url, directory) as url:
            print(f"{'PostgreSQL' if args.url else 'SQLite'}, {args.tickets:,} tickets")
            figures = {
                label: measure(url, file, label)
                for label, file in (
                    ("first import", first),
                    ("re-import, 10% changed", second),
                    ("re-import, unchanged", second),
                )
            }
    if args.json:
        args.json.write_text(json.dumps({"tickets": args.tickets, "imports": figures}))


if __name__ == "__main__":
    main()
