"""The overview's stock snapshot (services/inventory/snapshot.py): what ``check`` and the overview
read instead of building the reorder board while nothing it reads has changed.

Each test compares the facts the overview reads (the SKUs to reorder, the health figures, every
SKU's stock state) with the same facts computed from scratch, after writes of each kind."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text

from dtc_tui import db
from dtc_tui.services.common import settings
from dtc_tui.services.inventory import board as inventory_board
from dtc_tui.services.inventory import purchasing, snapshot, stock_state
from dtc_tui.services.overview import summary
from tests.conftest import FIXTURES

Read = tuple[snapshot.StockFacts, dict[int, stock_state.SkuStockState], str]


def read_stock(engine: Engine, now: datetime) -> Read:
    """What the overview reads of the stock, as it reads it (then stored, as the overview does),
    and where it came from: ``BuiltStock`` (a board) or ``KeptStock`` (the snapshot)."""
    with db.read_session(engine) as session, stock_state.one_board(session, now) as shared:
        facts = stock_state.stock_facts(session, now)
        ids = list(session.execute(text("SELECT id FROM sku ORDER BY id")).scalars())
        states = stock_state.sku_stock_states(session, ids, now)
        source = type(shared.stock).__name__
    snapshot.keep(engine, shared.stock, now)
    return facts, states, source


def from_scratch(engine: Engine, now: datetime) -> Read:
    with db.write_connection(engine) as connection:
        snapshot.drop(connection)
    return read_stock(engine, now)


def test_a_second_run_reads_the_snapshot_and_gets_the_same(
    demo_engine: Engine, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = from_scratch(demo_engine, now)
    assert first[2] == "BuiltStock" and first[0].reorder and first[1]

    def no_board(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the board was built although the snapshot is current")

    monkeypatch.setattr(stock_state, "build_board", no_board)
    second = read_stock(demo_engine, now)
    assert second[2] == "KeptStock"
    assert second[:2] == first[:2]
    overview = summary.build(demo_engine, now)  # the whole overview, from the snapshot
    assert [i for i in overview.items if i.kind == "sku_reorder"]


def receive_a_po(engine: Engine, now: datetime) -> None:
    with db.read_session(engine) as session:
        board = inventory_board.build_board(session, now)
    urgent = [r for r in board.rows if r.purchase_qty > 0][:2]
    (number,) = purchasing.draft_from_lines(
        engine, [purchasing.DraftLine(r.sku_id, r.warehouse_id, r.purchase_qty) for r in urgent[:1]], actor="t", now=now
    )
    purchasing.mark_sent(engine, number, expected_version=None, actor="t", now=now)
    purchasing.receive(engine, number, actor="t", now=now)


def longer_lead_time(engine: Engine, now: datetime) -> None:
    with db.read_session(engine) as session:
        board = inventory_board.build_board(session, now)
    row = next(r for r in board.rows if r.plan.state in ("ok", "reorder_soon"))
    stock_state.update_sku_parameters(
        engine, row.sku_id, {"lead_time_days": 90}, expected_version=row.sku_version, actor="t", now=now
    )


def shorter_velocity_window(engine: Engine, now: datetime) -> None:
    with db.write_session(engine) as session:
        settings.put(session, "inventory.velocity_window_days", 7, actor="t", now=now)


def next_day(engine: Engine, now: datetime) -> None:
    """Nothing written: the day itself changes what the board plans."""


CHANGES = {
    "receive a purchase order": (receive_a_po, timedelta(0)),
    "edit a SKU": (longer_lead_time, timedelta(0)),
    "change a setting": (shorter_velocity_window, timedelta(0)),
    "a new day": (next_day, timedelta(days=1)),
}


@pytest.mark.parametrize("change", CHANGES)
def test_every_change_the_board_reads_computes_the_facts_again(demo_engine: Engine, now: datetime, change: str) -> None:
    write, later = CHANGES[change]
    before = from_scratch(demo_engine, now)
    write(demo_engine, now)
    after = read_stock(demo_engine, now + later)
    assert after[2] == "BuiltStock"  # not the snapshot stored before the change
    assert after[:2] != before[:2]  # the change shows
    assert after[:2] == from_scratch(demo_engine, now + later)[:2]
    assert read_stock(demo_engine, now + later)[2] == "KeptStock"  # and is kept for the next run


def test_an_orders_import_computes_the_facts_again(engine: Engine) -> None:
    from dtc_tui.services.importers.pipeline import run_import

    now = datetime.fromisoformat("2025-12-08T12:00:00+00:00")
    from_scratch(engine, now)
    with db.read_session(engine) as session:
        key = snapshot.current_key(session, now.date())
    run_import(engine, "shopify-orders", FIXTURES / "shopify_orders_gbp.csv", now=now, actor="t")
    with db.read_session(engine) as session:
        assert snapshot.current_key(session, now.date()) != key  # new daily sales, the inventory counter
    after = read_stock(engine, now)
    assert after[2] == "BuiltStock"
    assert after[:2] == from_scratch(engine, now)[:2]


def test_a_new_version_of_the_rules_computes_the_facts_again(
    demo_engine: Engine, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_scratch(demo_engine, now)
    monkeypatch.setattr(snapshot, "code_digest", lambda: "another-version")
    assert read_stock(demo_engine, now)[2] == "BuiltStock"
    assert read_stock(demo_engine, now)[2] == "KeptStock"
    # A migration (which may rewrite rows without a counter) as well.
    with db.write_connection(demo_engine) as connection:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision + "-next"})
    try:
        assert read_stock(demo_engine, now)[2] == "BuiltStock"
    finally:
        with db.write_connection(demo_engine) as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def test_without_its_source_files_the_digest_is_the_package_version(monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from dtc_tui import __version__

    def unreadable(self: Path) -> bytes:
        raise FileNotFoundError(self)

    snapshot.code_digest.cache_clear()
    monkeypatch.setattr(Path, "read_bytes", unreadable)
    try:
        assert snapshot.code_digest() == f"v{__version__}"
    finally:
        snapshot.code_digest.cache_clear()


def test_hand_edits_are_picked_up_after_rebuild_rollups(demo_engine: Engine, now: datetime) -> None:
    """A write outside dtc-tui bumps no counter: the snapshot stays until ``db rebuild-rollups``."""
    from dtc_tui.cli import main_group

    before = from_scratch(demo_engine, now)
    with db.write_connection(demo_engine) as connection:
        connection.execute(text("UPDATE stock_level SET on_hand = 0"))
    assert read_stock(demo_engine, now)[:2] == before[:2]  # as documented: kept
    url = demo_engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main_group, ["--db", url, "db", "rebuild-rollups"])
    assert result.exit_code == 0, result.output
    after = read_stock(demo_engine, now)
    assert after[2] == "BuiltStock"
    assert all(state.on_hand == 0 for state in after[1].values())


def test_a_busy_database_skips_the_write_without_waiting(demo_engine: Engine, now: datetime) -> None:
    """Another writer holds the lock the snapshot's write needs (an import, say): SQLite's write
    lock, or on PostgreSQL the snapshot's rows, deleted by a transaction that is still open."""
    engine = demo_engine
    from_scratch(engine, now)
    with db.write_connection(engine) as connection:
        connection.execute(text("UPDATE stock_snapshot SET key = 'stale'"))  # the next run stores again
    if engine.dialect.name == "sqlite":
        path = db.sqlite_path(engine.url.render_as_string(hide_password=False))
        holder: Any = sqlite3.connect(str(path), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    else:
        holder = engine.connect()
        holder.execute(text("DELETE FROM stock_snapshot"))  # row locks until it ends
    try:
        started = time.perf_counter()
        overview = summary.build(engine, now)
        waited = time.perf_counter() - started
    finally:
        holder.rollback() if engine.dialect.name != "sqlite" else holder.execute("ROLLBACK")
        holder.close()
    assert waited < db.BUSY_TIMEOUT_MS / 1000 / 2  # it did not wait for the lock
    assert overview.headlines

    def stored_key() -> str:
        with db.read_connection(engine) as connection:
            return str(connection.execute(text("SELECT key FROM stock_snapshot")).scalar_one())

    assert stored_key() == "stale"  # nothing written while the lock was held
    summary.build(engine, now)  # the lock is free: stored now
    assert stored_key() != "stale"
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:  # the connection's own busy timeout is back
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.BUSY_TIMEOUT_MS
