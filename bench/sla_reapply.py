"""Re-applying the SLA summary of every open ticket after a policy or setting change (issue 17).

    .venv/bin/python bench/sla_reapply.py [--open 100000] [--repeat 3]

Builds a small demo database, copies its open tickets in SQL until ``--open`` tickets are open,
then times ``sla_admin.reapply`` inside one write transaction (what every policy, calendar,
holiday or SLA-setting change runs): once when nothing changes, once after a target change
(every open Standard ticket rewritten), once with Standard on a business-hours calendar, and a
target change on that calendar. Target: <= 2 s at 100k open tickets. Prints wall seconds and CPU
seconds (``time.process_time``: the machine may be shared, wall time then says little).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dtc_tui import db
from dtc_tui.clock import SystemClock


def build(path: Path, open_tickets: int) -> None:
    from dtc_tui.services import demo

    engine = db.make_engine(f"sqlite:///{path}")
    demo.build(engine, now=SystemClock().now(), seed=7, scale="small", tickets=5000)
    engine.dispose()
    con = sqlite3.connect(path)
    columns = [row[1] for row in con.execute("PRAGMA table_info(ticket)") if row[1] != "id"]
    copied = ", ".join("NULL" if c == "external_id" else c for c in columns)
    while (count := con.execute("SELECT COUNT(*) FROM ticket WHERE is_open").fetchone()[0]) < open_tickets:
        con.execute(
            f"INSERT INTO ticket ({', '.join(columns)}) SELECT {copied} FROM ticket WHERE is_open LIMIT ?",
            (open_tickets - count,),
        )
        con.commit()
    con.close()


def timed(engine, change) -> float:  # type: ignore[no-untyped-def]
    from dtc_tui.services.tickets import sla_admin

    now = SystemClock().now()
    with db.write_session(engine) as session:
        if change is not None:
            change(session, now)
        started, cpu = time.perf_counter(), time.process_time()
        sla_admin.reapply(session, now)
        CPU.append(time.process_time() - cpu)
        return time.perf_counter() - started


CPU: list[float] = []  # process time of each run: the machine may be shared


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", type=Path, default=None, help="Keep the database here (built when missing).")
    parser.add_argument("--json", type=Path, help="also write the figures to this file (bench/run.py reads it)")
    args = parser.parse_args()
    figures: dict[str, dict[str, list[float]]] = {}
    from sqlalchemy import update

    from dtc_tui.models import SlaPolicy
    from dtc_tui.services.tickets import sla_admin

    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "sla.db"
        if not path.exists():
            build(path, args.open)
        engine = db.make_engine(f"sqlite:///{path}")
        targets = iter([600, 720] * args.repeat)

        def target_change(session, now) -> None:  # type: ignore[no-untyped-def]
            session.execute(
                update(SlaPolicy).where(SlaPolicy.name == "Standard").values(first_response_minutes=next(targets))
            )

        def business_hours(session, now) -> None:  # type: ignore[no-untyped-def]
            sla_admin.save_calendar(
                session, "Bench", actor="bench", now=now, timezone="Europe/Berlin", weekly_text="mon-fri 09:00-17:00"
            )
            calendar = sla_admin.find_calendar(session, "Bench")
            session.execute(
                update(SlaPolicy)
                .where(SlaPolicy.name == "Standard")
                .values(business_hours=True, calendar_id=calendar.id)  # type: ignore[union-attr]
            )

        cases = [
            ("nothing changed", None),
            ("first-response target changed", target_change),
        ]
        for label, change in cases:
            CPU.clear()
            seconds = [timed(engine, change) for _ in range(args.repeat)]
            figures[label] = {"seconds": seconds, "cpu": list(CPU)}
            print(
                f"{args.open:,} open, {label}: median {statistics.median(seconds):.2f} s wall "
                f"(max {max(seconds):.2f}), {statistics.median(CPU):.2f} s CPU"
            )
        CPU.clear()
        seconds = [timed(engine, business_hours if i == 0 else None) for i in range(args.repeat)]
        print(
            f"{args.open:,} open, Standard on business hours: first {seconds[0]:.2f} s wall ({CPU[0]:.2f} CPU), "
            f"then {seconds[-1]:.2f} s ({CPU[-1]:.2f} CPU)"
        )
        CPU.clear()
        seconds = [timed(engine, target_change) for _ in range(args.repeat)]
        figures["business-hours target changed"] = {"seconds": seconds, "cpu": list(CPU)}
        print(
            f"{args.open:,} open, business-hours first-response target changed: median "
            f"{statistics.median(seconds):.2f} s wall (max {max(seconds):.2f}), {statistics.median(CPU):.2f} s CPU"
        )
        engine.dispose()
    if args.json:
        args.json.write_text(json.dumps({"open": args.open, "cases": figures}))


if __name__ == "__main__":
    main()
