"""Planned imports (issue 16): the write pass under a read snapshot, applied in one short write
transaction; what changed in between is caught and worked out again (SQLite)."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from bench.import_lock import changed_copy
from bench.imports import NOW, write_tickets
from dtc_tui import db
from dtc_tui.models import Ticket
from dtc_tui.services.importers import pipeline
from dtc_tui.services.importers.errors import ImportFailed
from dtc_tui.services.tickets import ops


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    write_tickets(first, 60, random.Random(3))
    changed_copy(first, second)  # every 10th ticket's status and priority moved
    return first, second


def sqlite_engine(engine: Engine) -> Engine:
    if not db.is_sqlite(engine):
        pytest.skip("planned imports are the SQLite path; PostgreSQL writes in one transaction")
    return engine


def test_an_unchanged_re_import_takes_no_write_lock(engine: Engine, files, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = sqlite_engine(engine)
    pipeline.run_import(engine, "zendesk", files[0], now=NOW, actor="t")
    calls = []
    real = db.write_session
    monkeypatch.setattr(db, "write_session", lambda e: calls.append(1) or real(e))
    summary = pipeline.run_import(engine, "zendesk", files[0], now=NOW, actor="t")
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 0, 60)
    assert calls == [1]  # one write transaction, with nothing planned in it
    with db.read_session(engine) as session:
        assert session.execute(select(func.count()).select_from(Ticket)).scalar() == 60


def test_an_edit_between_plan_and_apply_is_worked_out_again(
    engine: Engine, files, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = sqlite_engine(engine)
    pipeline.run_import(engine, "zendesk", files[0], now=NOW, actor="t")
    with db.read_session(engine) as session:
        target = session.execute(select(Ticket).where(Ticket.external_id == "1")).scalars().one()
    plans = []
    real = pipeline._write_pass

    def plan_then_edit(*args, **kwargs):  # type: ignore[no-untyped-def]
        real(*args, **kwargs)
        plans.append(1)
        if len(plans) == 1:  # an operator edits a ticket the import is about to update
            ops.set_tags(engine, target.id, "vip-call", "ana", datetime(2026, 11, 20, 14, 5).astimezone())

    monkeypatch.setattr(pipeline, "_write_pass", plan_then_edit)
    summary = pipeline.run_import(engine, "zendesk", files[1], now=NOW, actor="t")
    assert len(plans) == 2  # the first plan went stale on the version guard and was redone
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 6, 54)
    with db.read_session(engine) as session:
        fresh = session.get(Ticket, target.id)
        assert fresh.version == target.version + 2  # the edit, then the import's update
        assert fresh.status != target.status  # the file's change is applied


def test_a_plan_that_keeps_going_stale_is_refused_with_nothing_written(
    engine: Engine, files, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = sqlite_engine(engine)
    pipeline.run_import(engine, "zendesk", files[0], now=NOW, actor="t")
    with db.read_session(engine) as session:
        before = dict(session.execute(select(Ticket.id, Ticket.version)).all())
        target = min(before)
    real = pipeline._write_pass

    def plan_then_edit(*args, **kwargs):  # type: ignore[no-untyped-def]
        real(*args, **kwargs)
        ops.set_tags(engine, target, f"edit-{random.random()}", "ana", datetime(2026, 11, 20, 14, 5).astimezone())

    monkeypatch.setattr(pipeline, "_write_pass", plan_then_edit)
    with pytest.raises(ImportFailed) as failed:
        pipeline.run_import(engine, "zendesk", files[1], now=NOW, actor="t")
    assert "changed while the import was prepared" in str(failed.value.errors[0])
    with db.read_session(engine) as session:
        after = dict(session.execute(select(Ticket.id, Ticket.version)).all())
    assert {t: v for t, v in after.items() if t != target} == {t: v for t, v in before.items() if t != target}


def test_a_big_first_import_adds_its_rollups_set_based_equal_to_the_rows(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``BulkRollups.MIN_ROWS`` new or changed tickets (or new breaches) the apply drops the
    per-row roll-up trigger inside its transaction and keeps the roll-ups set-based: they equal
    the rows, the triggers are back, and later writes keep them current (both backends:
    PostgreSQL keeps its triggers)."""
    from dtc_tui.models import rollups as model
    from tests.test_rollups import assert_equal, reference, stored

    monkeypatch.setattr(pipeline.BulkRollups, "MIN_ROWS", 100)  # 500 in use; small files here
    dropped: list[list[str]] = []
    real_finish = pipeline.BulkRollups.finish

    def finish(self, connection):  # type: ignore[no-untyped-def]
        dropped.append(list(self.dropped))
        real_finish(self, connection)

    monkeypatch.setattr(pipeline.BulkRollups, "finish", finish)

    import csv

    big, more, most = tmp_path / "big.csv", tmp_path / "more.csv", tmp_path / "most.csv"
    write_tickets(big, 300, random.Random(5))
    changed_copy(big, more)  # 10%: few updates, the per-row trigger's work
    with open(big, encoding="utf-8", newline="") as src, open(most, "w", encoding="utf-8", newline="") as dst:
        rows = list(csv.reader(src))
        status, replies = rows[0].index("Status"), rows[0].index("Replies")
        for row in rows[1:]:  # every ticket changes: solved <-> open, one more reply (roll-up columns)
            row[status] = "Open" if row[status] in ("Solved", "Closed") else "Solved"
            row[replies] = str(int(row[replies] or 0) + 1)
        csv.writer(dst).writerows(rows)
    summary = pipeline.run_import(engine, "zendesk", big, now=NOW, actor="t")
    assert summary.inserted == 300
    if db.is_sqlite(engine):
        assert dropped[-1] == ["trg_ticket_rollup_insert", "trg_breach_rollup_insert"]
    assert_equal(stored(engine), reference(engine))
    with engine.connect() as conn:
        assert model.triggers_present(conn)
    assert pipeline.run_import(engine, "zendesk", more, now=NOW, actor="t").updated < pipeline.BulkRollups.MIN_ROWS
    assert_equal(stored(engine), reference(engine))
    changed = pipeline.run_import(engine, "zendesk", most, now=NOW, actor="t")  # set-based: - before, + after
    assert changed.updated >= pipeline.BulkRollups.MIN_ROWS
    if db.is_sqlite(engine):
        assert "trg_ticket_rollup_update" in dropped[-1]
    assert_equal(stored(engine), reference(engine))
    with engine.connect() as conn:
        assert model.triggers_present(conn)


def test_a_failure_mid_apply_leaves_nothing_written(
    engine: Engine, files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All or nothing: the database refuses a statement half-way through the apply (SQLite) or the
    write pass (PostgreSQL): no ticket, baseline, audit row or roll-up of the import stays, and
    the roll-up trigger dropped for a big apply is back."""
    from sqlalchemy.exc import OperationalError

    from dtc_tui.models import AuditLog
    from dtc_tui.models import rollups as model
    from dtc_tui.models.system import ImportBaseline
    from tests.test_rollups import stored

    big = tmp_path / "big.csv"
    write_tickets(big, pipeline.BulkRollups.MIN_ROWS + 50, random.Random(6))
    pipeline.run_import(engine, "zendesk", files[0], now=NOW, actor="t")

    def counts() -> tuple[int, ...]:
        with db.read_session(engine) as session:
            return tuple(
                session.execute(select(func.count()).select_from(table)).scalar() or 0
                for table in (Ticket, ImportBaseline, AuditLog)
            )

    before, rollups_before = counts(), stored(engine)
    real_after = pipeline.BulkRollups.after
    calls = []

    def failing_after(self, connection, sql, params):  # type: ignore[no-untyped-def]
        real_after(self, connection, sql, params)
        calls.append(sql)
        if sql.startswith("INSERT INTO sla_breach"):  # tickets and their roll-ups are in by now
            raise OperationalError(sql, params, Exception("disk I/O error"))

    monkeypatch.setattr(pipeline.BulkRollups, "after", failing_after)
    if not db.is_sqlite(engine):  # one write transaction: fail in the middle of the write pass
        from dtc_tui.services.importers import ticket_writer

        real = ticket_writer.TicketWriter._record_breaches
        batches = []

        def failing_breaches(self, session, outcome, ids):  # type: ignore[no-untyped-def]
            real(self, session, outcome, ids)
            batches.append(1)
            if len(batches) == 1:  # tickets, customers, breaches of the batch written
                raise OperationalError("INSERT", {}, Exception("disk I/O error"))

        monkeypatch.setattr(ticket_writer.TicketWriter, "_record_breaches", failing_breaches)
    with pytest.raises(OperationalError):
        pipeline.run_import(engine, "zendesk", big, now=NOW, actor="t")
    assert counts() == before
    assert stored(engine) == rollups_before
    with engine.connect() as conn:
        assert model.triggers_present(conn)
    if db.is_sqlite(engine):
        assert any(sql.startswith("INSERT INTO ticket ") for sql in calls)  # it failed after writing tickets


def test_ticket_baselines_are_compact_and_older_ones_still_merge(engine: Engine, files) -> None:
    """A ticket's baseline keeps per field only what the three-way merge compares (short values,
    times as epoch seconds, long texts as a checksum): a few hundred bytes. A baseline written
    before (a JSON object of the values) still decides the merge, and is rewritten only when its
    ticket changes."""
    import json

    from dtc_tui.models.system import ImportBaseline
    from dtc_tui.services.importers import ticket_writer as tw

    def baseline(key: str) -> str:
        with db.read_session(engine) as session:
            return session.execute(
                select(ImportBaseline.values).where(ImportBaseline.kind == "zendesk", ImportBaseline.record_key == key)
            ).scalar_one()

    pipeline.run_import(engine, "zendesk", files[0], now=NOW, actor="t")
    with db.read_session(engine) as session:
        texts = list(session.execute(select(ImportBaseline.values).where(ImportBaseline.kind == "zendesk")).scalars())
        row = session.execute(select(tw.TICKET).where(tw.TICKET.c.external_id == "1")).mappings().one()
    assert len(texts) == 60 and max(len(t) for t in texts) < 260
    compact = tw.decode_baseline(baseline("1"))
    assert compact["subject"].startswith("#") and isinstance(compact["created_at"], int)
    assert {n: tw.form(row[n]) for n in compact} == compact  # nobody worked on it yet: stored == file
    older = json.dumps({n: tw.plain(row[n]) for n in compact}, sort_keys=True)  # as written before
    with db.write_session(engine) as session:
        session.execute(
            ImportBaseline.__table__.update()  # type: ignore[attr-defined]
            .where(ImportBaseline.kind == "zendesk", ImportBaseline.record_key == "1")
            .values(values=older)
        )
    assert tw.decode_baseline(older) == compact
    ops.set_priority(engine, row["id"], "urgent", "ana", NOW)  # the team's work

    same = pipeline.run_import(engine, "zendesk", files[0], now=NOW, actor="t")
    assert (same.updated, same.unchanged) == (0, 60)
    assert baseline("1") == older  # equal in content: not rewritten
    later = pipeline.run_import(engine, "zendesk", files[1], now=NOW, actor="t")  # ticket 1: status and priority
    with db.read_session(engine) as session:
        ticket = session.get(Ticket, row["id"])
    assert ticket.priority == "urgent"  # changed here and in the file: the team's value stays
    assert ticket.status != row["status"]  # the file's change the team did not touch is applied
    assert any("ticket 1 priority (here 'urgent'" in w for w in later.warnings)
    assert baseline("1").startswith("[")  # rewritten, compact
    again = pipeline.run_import(engine, "zendesk", files[1], now=NOW, actor="t")
    assert (again.updated, again.unchanged) == (0, 60)  # the compact baseline holds: nothing undone


def test_the_apply_commits_without_waiting_for_the_disk_and_fsyncs_before_it_reports(
    engine: Engine, files, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The apply's commit runs with synchronous NORMAL (no fsync inside the write lock); the WAL
    is fsynced right after, before ``run_import`` returns; every later transaction is FULL again."""
    import os

    engine = sqlite_engine(engine)
    levels: list[int] = []
    synced: list[str] = []
    real_apply, real_fsync = pipeline.apply_ops, os.fsync

    def apply_seeing_level(connection, ops, rollups=None):  # type: ignore[no-untyped-def]
        levels.append(connection.exec_driver_sql("PRAGMA synchronous").scalar())
        return real_apply(connection, ops, rollups)

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(pipeline, "apply_ops", apply_seeing_level)
    monkeypatch.setattr(os, "fsync", fsync)
    pipeline.run_import(engine, "zendesk", files[0], now=NOW, actor="t")
    assert levels and set(levels) == {1}  # NORMAL while applying
    assert any(path.endswith(".db-wal") for path in synced)
    for _ in range(3):  # whichever pooled connection a later write gets
        with db.write_session(engine) as session:
            assert session.connection().exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
