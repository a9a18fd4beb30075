"""Several operators on one database: stress, crash, sync, presence, permissions, backup."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from dtc_tui import clock as clock_module
from dtc_tui import db
from dtc_tui.cli import main_group
from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.models import AuditLog, Ticket, TicketMessage
from dtc_tui.services.common import maintenance, presence
from dtc_tui.services.tickets import ops
from tests.conftest import make_app, screen_text

ROOT = Path(__file__).resolve().parent.parent


def spawn(command: str, payload: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.stress_worker", command, json.dumps(payload)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def open_ticket_ids(engine: Engine, limit: int, unassigned: bool = False) -> list[int]:
    with db.read_session(engine) as session:
        stmt = select(Ticket.id).where(Ticket.is_open).order_by(Ticket.id)
        if unassigned:
            stmt = stmt.where(Ticket.assignee_id.is_(None))
        return list(session.execute(stmt.limit(limit)).scalars())


@pytest.mark.slow
def test_stress_many_processes_no_errors_no_lost_updates(demo_engine: Engine, database_url: str) -> None:
    hot = open_ticket_ids(demo_engine, 5)  # few rows: maximal contention
    claimable = [t for t in open_ticket_ids(demo_engine, 40, unassigned=True) if t not in hot][:30]
    with db.read_session(demo_engine) as session:
        versions_before = {t: session.get(Ticket, t).version for t in hot}
    workers = [
        spawn("stress", {"url": database_url, "worker": w, "seconds": 4.0, "ticket_ids": hot, "claim_ids": claimable})
        for w in range(4)
    ]
    results = []
    for proc in workers:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    errors = [e for r in results for e in r["errors"]]
    assert errors == [], errors[:5]
    notes = sum(r["notes"] for r in results)
    claimed = [c for r in results for c in r["claimed"]]
    print(
        f"\nstress: {notes} notes, {sum(r['claims_won'] for r in results)} claims won, "
        f"{sum(r['claims_lost'] for r in results)} lost, {sum(r['reads'] for r in results)} reads, 0 errors"
    )
    assert notes > 20
    # No lost update: every acknowledged note is stored and bumped its ticket's version exactly once.
    with db.read_session(demo_engine) as session:
        stored = session.execute(
            select(func.count()).select_from(TicketMessage).where(TicketMessage.author.like("worker%"))
        ).scalar()
        bumped = sum(session.get(Ticket, t).version - versions_before[t] for t in hot)
    assert stored == notes
    assert bumped == notes
    # Compare-and-set: no ticket was won twice.
    assert len(claimed) == len(set(claimed))


IMPORT_ROWS = 50_000


@pytest.mark.slow
def test_stress_four_writers_during_a_50k_row_import(demo_engine: Engine, database_url: str, tmp_path: Path) -> None:
    """4 writer processes (notes, claims, queue reads) while another process re-imports a 50k-row
    Zendesk file with 10% of the rows changed: no writer error, no lost update, the import whole."""
    import random

    from bench.import_lock import changed_copy
    from bench.imports import NOW, write_tickets
    from dtc_tui.services.importers.pipeline import run_import

    first, second = tmp_path / "zendesk.csv", tmp_path / "zendesk_changed.csv"
    write_tickets(first, IMPORT_ROWS, random.Random(11))
    changed_copy(first, second)
    run_import(demo_engine, "zendesk", first, now=NOW, actor="ana")  # the first import, before the writers
    hot = open_ticket_ids(demo_engine, 5)
    claimable = [t for t in open_ticket_ids(demo_engine, 40, unassigned=True) if t not in hot][:30]
    with db.read_session(demo_engine) as session:
        versions_before = {t: session.get(Ticket, t).version for t in hot}
    stop = tmp_path / "import-done"
    payload = {
        "url": database_url,
        "seconds": 600.0,
        "ticket_ids": hot,
        "claim_ids": claimable,
        "stop_file": str(stop),
        "retry_busy": True,  # one retry past the busy timeout, as the app does: the operator sees no error
    }
    workers = [spawn("stress", {**payload, "worker": w}) for w in range(4)]
    importer = spawn("import", {"url": database_url, "kind": "zendesk", "path": str(second), "actor": "ana"})
    out, err = importer.communicate(timeout=900)
    stop.touch()
    assert importer.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    results = []
    for proc in workers:
        w_out, w_err = proc.communicate(timeout=120)
        assert proc.returncode == 0, w_err
        results.append(json.loads(w_out.strip().splitlines()[-1]))
    errors = [e for r in results for e in r["errors"]]
    notes = sum(r["notes"] for r in results)
    retried = sum(r["retried"] for r in results)
    print(f"\nimport {summary}; writers: {notes} notes, {retried} retried, {len(errors)} errors")
    assert errors == [], errors[:5]
    assert (summary["inserted"], summary["updated"]) == (0, IMPORT_ROWS // 10)
    assert notes >= 4
    with db.read_session(demo_engine) as session:
        stored = session.execute(
            select(func.count()).select_from(TicketMessage).where(TicketMessage.author.like("worker%"))
        ).scalar()
        bumped = sum(session.get(Ticket, t).version - versions_before[t] for t in hot)
        imported = session.execute(select(func.count()).select_from(Ticket).where(Ticket.source == "zendesk")).scalar()
    assert stored == notes and bumped == notes  # no lost update
    assert imported == IMPORT_ROWS
    claimed = [c for r in results for c in r["claimed"]]
    assert len(claimed) == len(set(claimed))


def _statuses(engine: Engine, ids: list[int]) -> dict[int, str]:
    with db.read_session(engine) as session:
        return dict(session.execute(select(Ticket.id, Ticket.status).where(Ticket.id.in_(ids))).all())


def _crash_bulk(database_url: str, engine: Engine, wait_for: str) -> tuple[dict[int, str], dict[int, str]]:
    """Run a 60-ticket bulk change in a child process and SIGKILL it at ``wait_for``."""
    ids = [t for t, status in _statuses(engine, open_ticket_ids(engine, 200)).items() if status != "on_hold"][:60]
    before = _statuses(engine, ids)
    proc = spawn(
        "slow_bulk",
        {"url": database_url, "ticket_ids": ids, "pause_after": 30 if wait_for == "IN-TRANSACTION" else 10**6},
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == wait_for:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    engine.dispose()
    return before, _statuses(engine, ids)


@pytest.mark.slow
def test_sigkill_mid_bulk_change_leaves_nothing_half_done(demo_engine: Engine, database_url: str) -> None:
    before, after = _crash_bulk(database_url, demo_engine, "IN-TRANSACTION")
    assert after == before  # killed after 30 of 60 rows were written, before the commit: wholly absent
    assert maintenance.check(demo_engine).ok
    # The database still takes writes (no stale lock left behind).
    ops.set_tags(demo_engine, next(iter(before)), "after-crash", "ana", datetime(2026, 11, 20, 15, 0).astimezone())


@pytest.mark.slow
def test_sigkill_after_commit_keeps_the_whole_change(demo_engine: Engine, database_url: str) -> None:
    _before, after = _crash_bulk(database_url, demo_engine, "COMMITTED")
    assert set(after.values()) == {"on_hold"}
    assert maintenance.check(demo_engine).ok


async def test_another_operators_claim_shows_without_restart(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#queue")
        unassigned = next(r for r in table.source.fetch(0, 50) if r.assignee_id is None)
        ops.claim(sqlite_demo_engine, unassigned.id, "zoe", clock.now())  # another operator's process
        app.check_for_changes()  # what the 1-second sync timer runs
        await pilot.pause()
        row = next(r for r in table.source.fetch(0, 50) if r.id == unassigned.id)
        assert row.assignee == "zoe"
        assert "zoe" in screen_text(app)


async def test_ticket_view_shows_who_else_is_there(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        first = app.screen.query_one("#queue").cursor_row
        presence.beat(
            sqlite_demo_engine, operator="ana", entity="ticket", entity_id=first.id, state="replying", now=clock.now()
        )
        await pilot.press("enter")
        await pilot.pause()
        assert "ana is replying" in screen_text(app)
    # Leaving the view removes our own presence row.
    assert (
        presence.others(sqlite_demo_engine, operator="ana", entity="ticket", entity_id=first.id, now=clock.now()) == []
    )


async def test_leaving_the_ticket_view_is_final(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A heartbeat queued behind a busy database used to land after the leave and leave a stale
    "tester is viewing" row (the flaky test above). Here the beats are held back and run last."""
    app = make_app(sqlite_demo_engine, clock, settings)
    held: list = []
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        first = app.screen.query_one("#queue").cursor_row
        real = app.background_write

        def hold_beats(name, work):  # type: ignore[no-untyped-def]
            if name.startswith("presence-ticket"):
                held.append(work)  # the worker is still waiting for the database...
            else:
                real(name, work)

        monkeypatch.setattr(app, "background_write", hold_beats)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert held
        for work in held:  # ...and writes only now, after the leave
            work()
        assert (
            presence.others(sqlite_demo_engine, operator="ana", entity="ticket", entity_id=first.id, now=clock.now())
            == []
        )


def test_presence_fades_out(engine: Engine, now: datetime) -> None:
    presence.beat(engine, operator="ana", entity="ticket", entity_id=7, state="viewing", now=now)
    presence.beat(engine, operator="ben", entity="ticket", entity_id=7, state="replying", now=now)
    viewers = presence.others(engine, operator="ben", entity="ticket", entity_id=7, now=now + timedelta(seconds=5))
    assert presence.describe(viewers) == "ana is viewing"
    later = now + timedelta(seconds=presence.FRESH_SECONDS + 1)
    assert presence.others(engine, operator="ben", entity="ticket", entity_id=7, now=later) == []
    with pytest.raises(ValueError):
        presence.beat(engine, operator="ana", entity="ticket", entity_id=7, state="dancing", now=now)


def test_new_database_file_is_not_world_readable(tmp_path: Path) -> None:
    old = os.umask(0o002)  # even with a permissive umask
    try:
        engine = db.make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        db.upgrade(engine)
    finally:
        os.umask(old)
    assert not maintenance.world_readable(tmp_path / "fresh.db")


def test_db_init_group_sets_up_a_shared_directory(tmp_path: Path) -> None:
    import grp

    group = grp.getgrgid(os.getgid()).gr_name
    path = tmp_path / "team" / "dtc.db"
    result = CliRunner().invoke(main_group, ["--db", str(path), "db", "init", "--group", group])
    assert result.exit_code == 0, result.output
    directory_mode = stat.S_IMODE(path.parent.stat().st_mode)
    assert directory_mode == 0o2770
    assert stat.S_IMODE(path.stat().st_mode) == 0o660
    assert db.current_revision(db.make_engine(f"sqlite:///{path}")) == db.head_revision()
    bad = CliRunner().invoke(main_group, ["--db", str(path), "db", "init", "--group", "no-such-group-xyz"])
    assert bad.exit_code != 0
    assert "no group named 'no-such-group-xyz'" in bad.output


def test_backup_restore_and_check_from_the_cli(tmp_path: Path, now: datetime) -> None:
    live = tmp_path / "live.db"
    runner = CliRunner()
    assert runner.invoke(main_group, ["--db", str(live), "demo"]).exit_code == 0
    backup = tmp_path / "copy.db"
    result = runner.invoke(main_group, ["--db", str(live), "db", "backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert not maintenance.world_readable(backup)
    engine = db.make_engine(f"sqlite:///{live}")
    first = open_ticket_ids(engine, 1)[0]
    ops.set_tags(engine, first, "after-backup", "ana", now)
    engine.dispose()
    cancelled = runner.invoke(main_group, ["--db", str(live), "db", "restore", str(backup)], input="n\n")
    assert cancelled.exit_code != 0 and "nothing changed" in cancelled.output
    restored = runner.invoke(main_group, ["--db", str(live), "db", "restore", str(backup), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "safety copy" in restored.output
    engine = db.make_engine(f"sqlite:///{live}")
    with db.read_session(engine) as session:
        assert session.get(Ticket, first).tags == ""  # the change after the backup is gone
    check = runner.invoke(main_group, ["--db", str(live), "db", "check"])
    assert check.exit_code == 0 and "ok" in check.output
    missing = runner.invoke(main_group, ["--db", str(live), "db", "restore", str(tmp_path / "nope.db"), "--yes"])
    assert missing.exit_code != 0 and "does not exist" in missing.output


def test_audit_command_lists_changes_with_before_and_after(database_url: str, now: datetime) -> None:
    runner = CliRunner()
    assert runner.invoke(main_group, ["--db", database_url, "demo"]).exit_code == 0
    engine = db.make_engine(database_url)
    ticket_id = open_ticket_ids(engine, 1)[0]
    ops.set_priority(engine, ticket_id, "urgent", "ana", clock_module.utcnow())  # the same wall clock the command reads
    result = runner.invoke(main_group, ["--db", database_url, "audit", "--since", "1h", "--json"])
    assert result.exit_code == 0, result.output
    entries = json.loads(result.output)
    assert entries[0]["actor"] == "ana"
    assert entries[0]["after"]["priority"] == "urgent"
    assert entries[0]["entity_id"] == str(ticket_id)
    with db.read_session(engine) as session:
        assert session.execute(select(func.count()).select_from(AuditLog)).scalar() >= 1
    bad = runner.invoke(main_group, ["--db", database_url, "audit", "--since", "yesterday-ish"])
    assert bad.exit_code != 0


async def test_audit_view_shows_the_change_just_made(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(140, 30)) as pilot:
        await pilot.pause()
        ticket_id = app.screen.query_one("#queue").cursor_row.id
        await pilot.press("p", "home", "enter")  # priority: urgent (the picker opens on the current one)
        await pilot.pause()
        await pilot.press("5")
        await pilot.pause()
        assert type(app.screen).__name__ == "AuditScreen"
        first = app.screen.query_one("#audit").cursor_row
        assert (first.actor, first.action, first.entity_id) == ("tester", "priority", str(ticket_id))
        assert "-> 'urgent'" in screen_text(app)


def _race(payloads: list[dict]) -> list[dict]:
    workers = [spawn("race", payload) for payload in payloads]
    results = []
    for proc in workers:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


@pytest.mark.slow
def test_claim_against_auto_assign_never_loses_a_claim(demo_engine: Engine, database_url: str) -> None:
    from dtc_tui.models import Person
    from dtc_tui.services.team import matrix as team

    now = datetime(2026, 11, 20, 14, 0).astimezone()
    with db.read_session(demo_engine) as session:
        routes = team.route_all(session, now)
        routed = {category for category, route in routes.items() if route.person_id is not None}
        rows = session.execute(
            select(Ticket.id, Ticket.category).where(Ticket.is_open, Ticket.assignee_id.is_(None)).order_by(Ticket.id)
        ).all()
    ids = [ticket_id for ticket_id, category in rows if category in routed][:40]
    assert len(ids) >= 10
    claims, auto = _race(
        [
            {"url": database_url, "role": "claim", "operator": "ana", "ticket_ids": ids},
            {"url": database_url, "role": "auto", "operator": "ben", "ticket_ids": ids},
        ]
    )
    assert claims["errors"] == [] and auto["errors"] == []
    assert set(claims["won"]).isdisjoint(auto["won"])  # nobody was told "yours" about the same ticket
    with db.read_session(demo_engine) as session:
        ana = session.execute(select(Person.id).where(Person.handle == "ana")).scalar_one()
        final = dict(session.execute(select(Ticket.id, Ticket.assignee_id).where(Ticket.id.in_(ids))).all())
    assert all(final[t] == ana for t in claims["won"])  # every claim told "now yours" is still ana's
    assert all(final[t] is not None for t in ids)


@pytest.mark.slow
def test_claim_against_bulk_change_loses_neither(demo_engine: Engine, database_url: str) -> None:
    """Two processes: ana claims each ticket, ben bulk-changes each ticket and its neighbour to pending.
    Both are serialised on the ticket row (BEGIN IMMEDIATE on SQLite, FOR UPDATE on PostgreSQL):
    every claim told "now yours" stays ana's, every bulk change reported is there, and each ticket's
    version moved exactly once per change (a lost update would leave it short)."""
    from collections import Counter

    from dtc_tui.models import Person

    ids = open_ticket_ids(demo_engine, 40, unassigned=True)
    with db.read_session(demo_engine) as session:
        before = dict(session.execute(select(Ticket.id, Ticket.version).where(Ticket.id.in_(ids))).all())
    claims, bulk = _race(
        [
            {"url": database_url, "role": "claim", "operator": "ana", "ticket_ids": ids},
            {"url": database_url, "role": "bulk", "operator": "ben", "ticket_ids": ids},
        ]
    )
    assert claims["errors"] == [] and bulk["errors"] == []
    assert claims["won"] == ids  # nothing else assigns: every claim wins
    changes = Counter(bulk["won"])
    with db.read_session(demo_engine) as session:
        ana = session.execute(select(Person.id).where(Person.handle == "ana")).scalar_one()
        final = {
            row.id: row
            for row in session.execute(
                select(Ticket.id, Ticket.assignee_id, Ticket.status, Ticket.version).where(Ticket.id.in_(ids))
            ).all()
        }
    assert all(final[t].assignee_id == ana for t in ids)
    assert all(final[t].status == "pending" for t in changes if t in final)
    assert {t: final[t].version - before[t] for t in ids} == {t: 1 + changes[t] for t in ids}


@pytest.mark.slow
def test_the_same_new_operator_from_four_processes_gets_clean_answers(demo_engine: Engine, database_url: str) -> None:
    from dtc_tui.models import Person

    ids = open_ticket_ids(demo_engine, 80, unassigned=True)
    results = _race(
        [{"url": database_url, "role": "claim", "operator": "newbie", "ticket_ids": ids[w::4]} for w in range(4)]
    )
    assert [r["errors"] for r in results] == [[], [], [], []]
    assert sum(len(r["won"]) for r in results) == len(ids)
    with db.read_session(demo_engine) as session:
        people = session.execute(select(Person.id).where(Person.handle == "newbie")).scalars().all()
    assert len(people) == 1
