"""Issue 15: re-imports keep the team's work, for every table kind and the Shopify and ads
importers: a field changes only where the file changed it since the last import (three-way
merge on ``import_baseline``); a conflict keeps the team's value and is listed; each changed
record gets its audit row."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from dtc_tui import db
from dtc_tui.models import AuditLog, Campaign, StockLevel, metadata
from dtc_tui.services.common.exporters import export_table
from dtc_tui.services.importers import EXPORT_ONLY, TABLE_KINDS
from dtc_tui.services.importers.native import NO_MERGE
from dtc_tui.services.importers.pipeline import run_import
from dtc_tui.services.importers.tables import DERIVED, kind_of
from tests.conftest import FIXED_NOW, FIXTURES
from tests.test_import_cut_short import world  # noqa: F401  (the fixture)

KINDS = [k for k, t in TABLE_KINDS.items() if k not in EXPORT_ONLY and t not in NO_MERGE]


def editable(table_name: str) -> list[Any]:
    """Columns the team could edit: not the key, a reference, a unique or derived value or the version."""
    tbl = metadata.tables[table_name]
    unique = {c.name for c in tbl.columns if c.unique}
    for constraint in tbl.constraints:
        if constraint.__class__.__name__ == "UniqueConstraint":
            unique.update(c.name for c in constraint.columns)
    skip = unique | DERIVED.get(table_name, frozenset()) | {"version"}
    columns = [
        c
        for c in tbl.columns
        if not c.primary_key
        and not c.foreign_keys
        and c.name not in skip
        and kind_of(c) in ("int", "float", "str")
        and not c.name.endswith(("_json", "weekly_hours", "value"))  # JSON text: checked on import
    ]
    # numbers first (any value is valid), then short texts
    return sorted(columns, key=lambda c: (kind_of(c) == "str", c.name))


# Text columns whose values are checked on import: three valid values instead of "T", "F", "G".
VALID = {"timezone": ("Asia/Tokyo", "America/New_York", "Europe/Lisbon")}


def other(value: Any, column: Any, step: int) -> Any:
    if kind_of(column) == "str":
        return VALID.get(column.name, ("T", "F", "G"))[step]
    return (value or 0) + step + 1


def run(engine: Engine, kind: str, path: Path):
    return run_import(engine, kind, path, now=FIXED_NOW, actor="tester", display_name=path.name)


def write_csv(path: Path, header: list[str], row: list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, row])


@pytest.mark.parametrize("kind", KINDS)
def test_a_team_edit_survives_a_reimport_and_a_conflict_keeps_it(world: Engine, tmp_path: Path, kind: str) -> None:  # noqa: F811
    engine = world
    table_name = TABLE_KINDS[kind]
    tbl = metadata.tables[table_name]
    buffer = io.StringIO()
    export_table(engine, kind, buffer, fmt="csv", now=FIXED_NOW)
    header, first = list(csv.reader(io.StringIO(buffer.getvalue())))[:2]
    columns = editable(table_name)
    if not columns:
        pytest.skip(f"{table_name} has no column the team edits")
    team_col, file_col = columns[0], (columns[1] if len(columns) > 1 else None)
    pk = [c.name for c in tbl.primary_key.columns]
    path = tmp_path / f"{kind}.csv"
    write_csv(path, header, first)
    assert run(engine, kind, path).errors == []  # the baseline: what this import wrote
    key_values = tuple(first[header.index(n)] for n in pk)
    with db.write_session(engine) as session:
        stored = next(
            row
            for row in session.execute(select(tbl)).mappings()
            if tuple("" if row[n] is None else str(row[n]) for n in pk) == key_values
        )
        where = [tbl.c[n] == stored[n] for n in pk]
        team_value = other(stored[team_col.name], team_col, 0)
        session.execute(update(tbl).where(*where).values({team_col.name: team_value}))  # the team's edit
    again = run(engine, kind, path)  # the same file: nothing it says changed since the last import
    assert again.errors == [] and (again.updated, again.unchanged) == (0, 1), kind
    with db.read_session(engine) as session:
        assert session.execute(select(tbl.c[team_col.name]).where(*where)).scalar() == team_value, kind
    # The file changes both columns: the team's column is a conflict (kept), the other one is taken.
    changed = list(first)
    changed[header.index(team_col.name)] = str(other(stored[team_col.name], team_col, 2))
    if file_col is not None:
        file_value = other(stored[file_col.name], file_col, 1)
        changed[header.index(file_col.name)] = str(file_value)
    write_csv(path, header, changed)
    with db.read_session(engine) as session:
        audited = session.execute(select(AuditLog.id).where(AuditLog.action == "import")).scalars().all()
    third = run(engine, kind, path)
    assert third.errors == [], (kind, third.errors)
    with db.read_session(engine) as session:
        kept = session.execute(select(tbl.c[team_col.name]).where(*where)).scalar()
        taken = session.execute(select(tbl.c[file_col.name]).where(*where)).scalar() if file_col is not None else None
        audits = session.execute(
            select(AuditLog.before, AuditLog.after).where(
                AuditLog.entity == table_name, AuditLog.action == "import", AuditLog.id.not_in(audited)
            )
        ).all()
    assert kept == team_value, kind
    assert any("changed both here and in the file" in w and team_col.name in w for w in third.warnings), kind
    if file_col is None:
        assert third.updated == 0 and audits == [], kind
        return
    assert taken == (pytest.approx(file_value) if kind_of(file_col) != "str" else file_value), kind
    assert len(audits) == 1 and set(json.loads(audits[0][1])) == {file_col.name}, kind


def test_shopify_inventory_reimport_keeps_a_count_the_team_adjusted(engine: Engine, tmp_path: Path) -> None:
    head = "Handle,Title,SKU,Location,On hand (current),Committed (not editable)\n"
    path = tmp_path / "inventory.csv"
    path.write_text(head + "soap,Soap,S-1,Main,80,5\nsoap,Soap,S-2,Main,40,0\n", encoding="utf-8")
    assert run(engine, "shopify-inventory", path).errors == []
    with db.write_session(engine) as session:
        session.execute(update(StockLevel).values(on_hand=75))  # the team counted 75 on both
    again = run(engine, "shopify-inventory", path)
    assert (again.updated, again.unchanged) == (0, 2)
    path.write_text(head + "soap,Soap,S-1,Main,80,7\nsoap,Soap,S-2,Main,30,0\n", encoding="utf-8")
    third = run(engine, "shopify-inventory", path)
    with db.read_session(engine) as session:
        levels = sorted(session.execute(select(StockLevel.on_hand, StockLevel.committed)).all())
        audits = session.execute(select(AuditLog.after).where(AuditLog.entity == "stock_level")).scalars().all()
    assert levels == [(75, 0), (75, 7)]  # S-1: committed taken, count kept; S-2: conflict, the count kept
    assert any(
        "1 fields changed both here and in the file" in w and "on_hand (here 75, file 30)" in w for w in third.warnings
    )
    assert sorted(json.loads(a) for a in audits) == [{"committed": 7}]


def test_meta_reimport_keeps_a_campaign_status_the_team_set(engine: Engine) -> None:
    name = FIXTURES / "meta_ads_daily.csv"
    assert run(engine, "meta-ads", name).errors == []
    with db.write_session(engine) as session:
        session.execute(update(Campaign).values(status="paused_by_team"))
    run(engine, "meta-ads", name)
    with db.read_session(engine) as session:
        assert set(session.execute(select(Campaign.status)).scalars()) == {"paused_by_team"}
