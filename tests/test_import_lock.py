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
