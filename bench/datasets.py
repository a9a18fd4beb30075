"""The bench's databases: 1k, 10k, 100k and 1M tickets, built from the demo generator.

    .venv/bin/python bench/datasets.py [--dir bench/results/data] [--rebuild] [NAME ...]

| name | tickets (10% open) | SKUs | ad stats | how |
|---|---|---|---|---|
| 1k   | 1,000     | 1,000  | 1 year  | the demo generator, as ``dtc-tui demo --tickets 1000``, with 1k SKUs |
| 10k  | 10,000    | 1,000  | 1 year  | the same with 10,000 tickets |
| 100k | 100,000   | 10,000 | 2 years | exactly ``dtc-tui demo --scale large`` |
| 1M   | 1,000,000 | 10,000 | 2 years | the 100k file copied, then its tickets copied nine times in SQL |

The demo's Python generator writes about 2,500 tickets a second (every ticket's SLA clocks are
computed), so 1M through it would take minutes. The 1M set instead copies the 100k set's tickets,
messages, events and breaches with id offsets (``INSERT ... SELECT``), with the ticket indexes
dropped during the copy and rebuilt after it (rebuilding is several times faster than updating
eight indexes row by row). Copies keep their times, so the 1M queue has 100,000 open tickets whose
SLA states look like the 100k set's, ten times over.

Data is relative to the time it was built, as ``dtc-tui demo`` writes it. Built files are kept in
``--dir`` with a small JSON note; a file older than ``MAX_AGE_HOURS`` (the open tickets' SLA clocks
run on: after a day every one of them is breached), from another spec or from an older schema is
rebuilt.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "bench" / "results" / "data"
MAX_AGE_HOURS = 6.0
SPEC_VERSION = 2  # bump when the way a dataset is built changes


@dataclass(frozen=True)
class Dataset:
    name: str
    tickets: int
    skus: int
    ad_days: int
    campaigns: int = 50

    @property
    def label(self) -> str:
        years = self.ad_days // 365
        return f"{self.tickets:,} tickets, {self.skus:,} SKUs, {years} year{'s' if years > 1 else ''} of ads"


DATASETS = {
    "1k": Dataset("1k", 1_000, 1_000, 365),
    "10k": Dataset("10k", 10_000, 1_000, 365),
    "100k": Dataset("100k", 100_000, 10_000, 730),
    "1M": Dataset("1M", 1_000_000, 10_000, 730),
}
COPY_BASE = "100k"  # the 1M set is this one's tickets times ten


def path_of(name: str, directory: Path = DEFAULT_DIR) -> Path:
    return directory / f"bench-{name}.db"


def ensure(
    name: str, directory: Path = DEFAULT_DIR, *, rebuild: bool = False, log: callable = print
) -> tuple[Path, float]:  # type: ignore[valid-type]
    """The dataset's file, built now unless a fresh one exists; returns (path, seconds spent building)."""
    spec = DATASETS[name]
    path = path_of(name, directory)
    if not rebuild and _fresh(path, spec):
        return path, 0.0
    directory.mkdir(parents=True, exist_ok=True)
    _remove(path)
    started = time.perf_counter()
    if spec.tickets > DATASETS[COPY_BASE].tickets:
        base, _ = ensure(COPY_BASE, directory, rebuild=False, log=log)
        _copy_file(base, path)
        _multiply_tickets(path, DATASETS[COPY_BASE].tickets, spec.tickets // DATASETS[COPY_BASE].tickets)
    else:
        _build_demo(path, spec)
    seconds = time.perf_counter() - started
    _note_path(path).write_text(
        json.dumps(
            {
                "spec": asdict(spec),
                "version": SPEC_VERSION,
                "schema": _schema(),
                "built_at": time.time(),
                "seconds": seconds,
            }
        )
    )
    log(f"built dataset {name} ({spec.label}) in {seconds:.1f} s")
    return path, seconds


def built_at(path: Path) -> datetime:
    note = json.loads(_note_path(path).read_text())
    return datetime.fromtimestamp(note["built_at"], UTC)


def _note_path(path: Path) -> Path:
    return path.with_suffix(".json")


def _fresh(path: Path, spec: Dataset) -> bool:
    note_path = _note_path(path)
    if not path.exists() or not note_path.exists():
        return False
    note = json.loads(note_path.read_text())
    age_hours = (time.time() - note["built_at"]) / 3600
    return (
        note["spec"] == asdict(spec)
        and note["version"] == SPEC_VERSION
        and note.get("schema") == _schema()
        and age_hours < MAX_AGE_HOURS
    )


def _schema() -> str | None:
    """The migrations' head: a file built with an older schema is rebuilt, not migrated (with a backup)."""
    from dtc_tui import db

    return db._head_from_files()


def _remove(path: Path) -> None:
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), _note_path(path)):
        candidate.unlink(missing_ok=True)


def _build_demo(path: Path, spec: Dataset) -> None:
    """What ``dtc-tui demo`` does, at this spec's size (``demo.build`` only knows its two scales)."""
    import random

    from dtc_tui import db
    from dtc_tui.clock import SystemClock
    from dtc_tui.services import demo
    from dtc_tui.services.demo import ads, inventory, team
    from dtc_tui.services.demo import tickets as ticket_demo
    from dtc_tui.services.tickets.sla_defaults import ensure_defaults

    engine = db.make_engine(f"sqlite:///{path}")
    now = SystemClock().now()
    large = demo.SIZES["large"]
    if (spec.tickets, spec.skus, spec.ad_days, spec.campaigns) == (
        large.tickets_open + large.tickets_closed,
        large.skus,
        large.ad_days,
        large.campaigns,
    ):
        demo.build(engine, now=now, scale="large")  # the documented command, unchanged
    else:
        small = demo.SIZES["small"]
        n_open = max(spec.tickets // 10, 1)
        size = demo.DemoSize(
            tickets_open=n_open,
            tickets_closed=spec.tickets - n_open,
            customers=max(spec.tickets // 5, small.customers),
            skus=spec.skus,
            sales_days=small.sales_days,
            campaigns=spec.campaigns,
            ad_days=spec.ad_days,
        )
        db.ensure_current(engine)
        rng = random.Random(7)
        with db.write_session(engine) as session:
            ensure_defaults(session)
            people = team.build(session, rng)
            skus = inventory.build(session, rng, now, size)
            ads.build(session, rng, now, size, skus)
        ticket_demo.build(engine, rng, now, size, people, skus)
    engine.dispose()


def _copy_file(source: Path, destination: Path) -> None:
    """A consistent copy (the source is closed: no WAL left behind after dispose)."""
    con = sqlite3.connect(source)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    shutil.copyfile(source, destination)


TICKET_CHILDREN = ("ticket_message", "ticket_event", "sla_breach")


def _multiply_tickets(path: Path, base: int, factor: int) -> None:
    """Add ``factor - 1`` copies of tickets 1..base (and their children) with ids shifted by base."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=DELETE")  # one big transaction; no WAL to grow to gigabytes
    con.execute("PRAGMA synchronous=OFF")  # a bench file: rebuilt if the machine fails mid-way
    con.execute("PRAGMA cache_size=-200000")
    con.execute("BEGIN")
    indexes = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('ticket', 'ticket_message', 'ticket_event')"
    ).fetchall()
    for name, _sql in indexes:
        con.execute(f'DROP INDEX "{name}"')
    from dtc_tui.models import rollups, ticket_search

    for statement in rollups.drop_trigger_ddl("sqlite"):  # the roll-ups are rebuilt once after the copy
        con.execute(statement)
    for name in ticket_search.SQLITE_TRIGGERS:  # so is the queue's full-text index
        con.execute(f"DROP TRIGGER {name}")
    con.execute("CREATE TEMP TABLE copy_no(k INTEGER PRIMARY KEY)")
    con.executemany("INSERT INTO copy_no VALUES (?)", [(k,) for k in range(1, factor)])
    columns = _columns(con, "ticket")
    chosen = ", ".join(f"t.id + k.k * {base}" if c == "id" else f"t.{c}" for c in columns)
    con.execute(
        f"INSERT INTO ticket ({', '.join(columns)}) SELECT {chosen} FROM copy_no k, ticket t "
        f"WHERE t.id <= {base} ORDER BY k.k, t.id"
    )
    for table in TICKET_CHILDREN:
        columns = [c for c in _columns(con, table) if c != "id"]
        chosen = ", ".join(f"t.ticket_id + k.k * {base}" if c == "ticket_id" else f"t.{c}" for c in columns)
        con.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {chosen} FROM copy_no k, {table} t "
            f"WHERE t.ticket_id <= {base} ORDER BY k.k, t.id"
        )
    for _name, sql in indexes:
        con.execute(sql)
    for statement in rollups.trigger_ddl("sqlite") + rollups.rebuild_sql("sqlite"):
        con.execute(statement)
    for statement in ticket_search.sqlite_trigger_ddl() + ticket_search.sqlite_rebuild_sql():
        con.execute(statement)
    con.execute("COMMIT")  # no ANALYZE: the app never runs it, so neither does its demo data
    con.execute("PRAGMA journal_mode=WAL")  # as the app leaves its files
    con.close()


def _columns(con: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in con.execute(f"PRAGMA table_info({table})")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of {', '.join(DATASETS)} (default: all)")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--rebuild", action="store_true", help="build even if a fresh file exists")
    args = parser.parse_args()
    unknown = [name for name in args.names if name not in DATASETS]
    if unknown:
        parser.error(f"unknown dataset {', '.join(unknown)}; choose from {', '.join(DATASETS)}")
    for name in args.names or list(DATASETS):
        path, seconds = ensure(name, args.dir, rebuild=args.rebuild)
        print(f"{name:>5}: {path} ({path.stat().st_size / 1e6:,.0f} MB){'' if seconds else ' (kept)'}")


if __name__ == "__main__":
    main()
