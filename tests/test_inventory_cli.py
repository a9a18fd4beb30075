"""``dtc-tui inventory ...`` and ``dtc-tui po ...`` on the demo database, at the fixed time."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from dtc_tui import clock as clock_module
from dtc_tui.cli import main_group
from dtc_tui.commands.inventory import REORDER_FIELDS
from dtc_tui.services.inventory.board import forget_sales_history
from tests.conftest import FIXED_NOW


@pytest.fixture
def demo_url(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(clock_module, "utcnow", lambda: FIXED_NOW)  # the CLI's SystemClock reads this
    forget_sales_history()
    result = CliRunner().invoke(main_group, ["--db", database_url, "demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return database_url


def run(url: str, *args: str):
    return CliRunner().invoke(main_group, ["--db", url, *args], catch_exceptions=False)


def test_reorder_json_csv_and_warehouse_filter(demo_url: str) -> None:
    result = run(demo_url, "inventory", "reorder", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["as_of"] == "2026-11-20"
    rows = data["rows"]
    assert rows and all(
        r["state"] in ("out", "reorder_now", "reorder_soon") or r["suggested_purchase"] or r["transfer_in"]
        for r in rows
    )
    hero = {r["warehouse"]: r for r in rows if r["sku"] == "DEMO-HERO-1"}
    assert set(hero) == {"US-W", "US-E", "DE"}
    assert hero["US-E"]["action"] == "expedite PO-1001" and hero["US-E"]["inbound"] > 0

    # the deprecated key keeps its old value (the reorder point) for one release; the buffer is apart
    assert all(r["safety_stock"] == r["reorder_point"] and 0 <= r["buffer_stock"] <= r["reorder_point"] for r in rows)
    assert any(r["buffer_stock"] < r["reorder_point"] for r in rows)

    east = json.loads(run(demo_url, "inventory", "reorder", "--warehouse", "us-e", "--json").output)["rows"]
    assert east and {r["warehouse"] for r in east} == {"US-E"}
    filtered = json.loads(run(demo_url, "inventory", "reorder", "--filter", "wh:us-e", "--json").output)["rows"]
    assert filtered == east

    table = run(demo_url, "inventory", "reorder", "--csv")
    parsed = list(csv.DictReader(io.StringIO(table.output)))
    assert list(parsed[0]) == REORDER_FIELDS
    assert len(parsed) == len(rows)

    text = run(demo_url, "inventory", "reorder")
    assert "DEMO-HERO-1" in text.output and f"{len(rows)} rows as of 2026-11-20" in text.output

    unknown = run(demo_url, "inventory", "reorder", "--warehouse", "MARS")
    assert unknown.exit_code == 2 and "unknown warehouse 'MARS'" in unknown.output
    assert "Traceback" not in unknown.output


def test_health_json(demo_url: str) -> None:
    result = run(demo_url, "inventory", "health", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [k["key"] for k in data["kpis"]] == ["aged_share", "turnover", "core_stockout_rate", "slow_share"]
    assert data["skus"] == 150
    assert sum(data["states"].values()) == 450


def test_po_list_and_receive(demo_url: str) -> None:
    listed = json.loads(run(demo_url, "po", "list", "--json").output)
    by_number = {p["number"]: p for p in listed}
    assert by_number["PO-1002"]["late_days"] == 3 and by_number["PO-1002"]["status"] == "sent"
    assert by_number["PO-1005"]["status"] == "received"
    assert by_number["PO-1001"]["units_ordered"] > 100

    before = json.loads(run(demo_url, "inventory", "state", "DEMO-HERO-1", "--json").output)
    part = run(demo_url, "po", "receive", "PO-1001", "--line", "DEMO-HERO-1=100")
    assert part.exit_code == 0, part.output
    assert "received 100 x DEMO-HERO-1" in part.output and "PO-1001 is now partial" in part.output
    after = json.loads(run(demo_url, "inventory", "state", "DEMO-HERO-1", "--json").output)
    assert after["on_hand"] == before["on_hand"] + 100
    assert after["inbound"] == before["inbound"] - 100

    rest = json.loads(run(demo_url, "po", "receive", "PO-1001", "--json").output)
    assert rest["status"] == "received"
    assert rest["received"] == {"DEMO-HERO-1": by_number["PO-1001"]["units_ordered"] - 100}

    again = run(demo_url, "po", "receive", "PO-1001")
    assert again.exit_code == 2 and "only sent POs can be received" in again.output
    bad = run(demo_url, "po", "receive", "PO-1002", "--line", "nonsense")
    assert bad.exit_code == 2 and "SKU=QTY" in bad.output
