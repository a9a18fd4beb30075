"""``dtc-tui export`` -> ``dtc-tui import`` for every table, and the formula-injection guard."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from dtc_tui import db
from dtc_tui.models import Sku, StockLevel, Warehouse, metadata
from dtc_tui.models.rollups import ROLLUP_TABLES
from dtc_tui.services.common.exporters import export_table, guard_cell
from dtc_tui.services.common.text import clean_text
from dtc_tui.services.importers import EXPORT_ONLY, TABLE_KINDS
from dtc_tui.services.importers.pipeline import run_import
from dtc_tui.services.importers.tables import kind_of
from tests.conftest import FIXED_NOW

KIND_OF_TABLE = {tbl: kind for kind, tbl in TABLE_KINDS.items()}
# The daily roll-ups are derived from the tickets (triggers; ``db rebuild-rollups``): not exported.
BOOKKEEPING = {
    "change_counter",
    "presence",
    "db_activity",
    "audit_log",
    "outbox",
    "mail_inbound",
    "mail_cursor",
    "reply_draft",
    *ROLLUP_TABLES,
    "stock_snapshot",
    "stock_snapshot_sku",
}


def test_every_table_has_an_export_kind() -> None:
    # Not team data but machine state: sync counters, heartbeats, running imports, the mail
    # worker's queue and mailbox positions (a backup carries them; re-importing them elsewhere
    # would resend mail), each operator's unsent reply drafts (private typing, like presence;
    # macros are team data), the derived roll-ups and the overview's stock snapshot (a cache).
    machine_state = {
        "change_counter",
        "presence",
        "db_activity",
        "outbox",
        "mail_inbound",
        "mail_cursor",
        "reply_draft",
        *ROLLUP_TABLES,
        "stock_snapshot",
        "stock_snapshot_sku",
    }
    assert set(KIND_OF_TABLE) == set(metadata.tables) - machine_state


def table_rows(engine: Engine, name: str) -> list[tuple]:
    tbl = metadata.tables[name]
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(select(tbl).order_by(*tbl.primary_key.columns))]


def cleaned(name: str, rows: list[tuple]) -> list[tuple]:
    """What an import keeps of a row: text without control characters."""
    kinds = [kind_of(col) for col in metadata.tables[name].columns]
    return [
        tuple(clean_text(v) if k == "str" and v is not None else v for k, v in zip(kinds, row, strict=True))
        for row in rows
    ]


def export(engine: Engine, kind: str, fmt: str, path: Path) -> int:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        return export_table(engine, kind, handle, fmt=fmt, now=FIXED_NOW).rows


@pytest.mark.slow  # every table of the demo out and back in: 3-7 s of CPU each
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_round_trip_of_every_table_into_an_empty_database(
    sqlite_demo_engine: Engine, engine: Engine, tmp_path: Path, fmt: str
) -> None:
    for tbl in metadata.sorted_tables:  # parents before children
        if tbl.name in BOOKKEEPING:
            continue
        kind = KIND_OF_TABLE[tbl.name]
        path = tmp_path / f"{kind}.{fmt}"
        exported = export(sqlite_demo_engine, kind, fmt, path)
        summary = run_import(engine, kind, path, now=FIXED_NOW, actor="tester")
        assert summary.errors == [], (kind, summary.errors[:3])
        assert summary.inserted + summary.updated + summary.unchanged == exported, kind
        source = cleaned(tbl.name, table_rows(sqlite_demo_engine, tbl.name))
        target = table_rows(engine, tbl.name)
        if tbl.name == "import_baseline":  # each import above kept its own baselines (kind = the table kind)
            target = [row for row in target if row[1] not in TABLE_KINDS]
        if tbl.name == "ticket":
            # The breach check is derived like the SLA summary, but not to the same value: an import
            # stores the first due time (safe whatever breaches the file set brings), the demo the exact one.
            check, due = (list(tbl.columns.keys()).index(name) for name in ("breach_check_at", "next_due_at"))
            assert all(row[check] == row[due] for row in target)
            source, target = ([row[:check] + row[check + 1 :] for row in rows] for rows in (source, target))
        assert target == source, kind
    assert len(table_rows(engine, "ticket")) > 1000  # the demo set, not an empty comparison


@pytest.mark.slow  # every table of the demo out and back in
def test_reimporting_an_export_into_its_own_database_changes_nothing(
    sqlite_demo_engine: Engine, tmp_path: Path
) -> None:
    for kind, tbl in TABLE_KINDS.items():
        if kind in EXPORT_ONLY:
            continue
        path = tmp_path / f"{kind}.csv"
        exported = export(sqlite_demo_engine, kind, "csv", path)
        # The demo's booby-trapped customer name and ticket subject lose their control characters once.
        stored = table_rows(sqlite_demo_engine, tbl)
        dirty = sum(1 for a, b in zip(stored, cleaned(tbl, stored), strict=True) if a != b)
        first = run_import(sqlite_demo_engine, kind, path, now=FIXED_NOW, actor="tester")
        assert (first.inserted, first.rejected, first.updated) == (0, 0, dirty), kind
        second = run_import(sqlite_demo_engine, kind, path, now=FIXED_NOW, actor="tester")
        assert (second.inserted, second.updated, second.unchanged) == (0, 0, exported), kind


def _seed_formula_rows(engine: Engine) -> None:
    with db.write_session(engine) as session:
        warehouse = Warehouse(code="+W1", name="@home")
        sku = Sku(code="-12", name='=HYPERLINK("http://evil.example","click")', variant="'quoted", price=9.5)
        session.add_all([warehouse, sku])
        session.flush()
        session.add(StockLevel(sku_id=sku.id or 0, warehouse_id=warehouse.id or 0, on_hand=-5, committed=0))


def test_text_cells_are_guarded_and_negative_numbers_stay_numbers(engine: Engine) -> None:
    _seed_formula_rows(engine)
    out = io.StringIO()
    export_table(engine, "skus", out, fmt="csv", now=FIXED_NOW)
    row = next(r for r in csv.DictReader(io.StringIO(out.getvalue())) if r["code"].endswith("-12"))
    assert (row["code"], row["name"], row["variant"], row["price"]) == (
        "'-12",
        '\'=HYPERLINK("http://evil.example","click")',
        "''quoted",
        "9.5",
    )
    out = io.StringIO()
    export_table(engine, "stock", out, fmt="csv", now=FIXED_NOW)
    stock = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert (stock["on_hand"], stock["committed"]) == ("-5", "0")  # numbers: never prefixed
    out = io.StringIO()
    export_table(engine, "warehouses", out, fmt="csv", now=FIXED_NOW)
    assert next(csv.DictReader(io.StringIO(out.getvalue())))["code"] == "'+W1"


def test_guarded_cells_come_back_exactly(engine: Engine, tmp_path: Path) -> None:
    _seed_formula_rows(engine)
    for kind in ("warehouses", "skus", "stock"):
        path = tmp_path / f"{kind}.csv"
        export(engine, kind, "csv", path)
        summary = run_import(engine, kind, path, now=FIXED_NOW, actor="tester")
        assert (summary.updated, summary.unchanged) == (0, 1), kind
    with db.read_session(engine) as session:
        sku = session.get(Sku, 1)
    assert sku is not None and (sku.code, sku.variant) == ("-12", "'quoted")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+49 30 1234", "'+49 30 1234"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("'", "''"),
        ("plain", "plain"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_guard_cell(value: str, expected: str) -> None:
    assert guard_cell(value) == expected


def test_json_export_keeps_types_and_names_its_table(engine: Engine) -> None:
    _seed_formula_rows(engine)
    out = io.StringIO()
    result = export_table(engine, "stock", out, fmt="json", now=FIXED_NOW)
    data = json.loads(out.getvalue())
    assert (result.rows, data["table"], data["format"]) == (1, "stock_level", "dtc-tui")
    assert data["rows"][0]["on_hand"] == -5 and data["rows"][0]["last_received_at"] is None


def test_a_json_export_of_another_table_is_refused(engine: Engine, tmp_path: Path) -> None:
    from dtc_tui.services.importers.errors import ImportFailed

    path = tmp_path / "campaigns.json"
    export(engine, "campaigns", "json", path)
    with pytest.raises(ImportFailed, match="holds the 'campaign' table, not 'sku'"):
        run_import(engine, "skus", path, now=FIXED_NOW, actor="tester")


def test_references_and_unique_values_are_checked_before_writing(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "campaigns.csv"
    path.write_text("id,channel_id,name\n7,99,Orphan\n")
    summary = run_import(engine, "campaigns", path, now=FIXED_NOW, actor="tester", display_name="c.csv")
    assert [str(e) for e in summary.errors] == ["c.csv:2: channel_id: no ad_channel with id 99"]
    path = tmp_path / "skus.csv"
    with db.write_session(engine) as session:
        session.add(Sku(id=5, code="TAKEN", name="Taken"))
    path.write_text("id,code,name\n6,TAKEN,Another\n")
    summary = run_import(engine, "skus", path, now=FIXED_NOW, actor="tester", display_name="s.csv")
    assert [str(e) for e in summary.errors] == ["s.csv:2: code: 'TAKEN' already belongs to sku 5"]
