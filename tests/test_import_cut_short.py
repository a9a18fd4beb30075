"""Issue 15: a row with missing trailing cells is a row error for every import kind, never read
as empty cells (a cut-off row set stock 80 -> 0, a price to 0.0, a time zone to ""), and an
empty file says "empty file" naming the file, with or without a kind.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from dtc_tui.models import metadata
from dtc_tui.services.common.exporters import export_table
from dtc_tui.services.importers import EXPORT_ONLY, FORMAT_KINDS, TABLE_KINDS
from dtc_tui.services.importers.detect import detect_kind
from dtc_tui.services.importers.errors import ImportFailed
from dtc_tui.services.importers.pipeline import run_import
from tests.conftest import FIXED_NOW, FIXTURES

CUT = "the row is cut short (missing cells are not read as empty)"
IMPORT_TABLE_KINDS = [kind for kind in TABLE_KINDS if kind not in EXPORT_ONLY]
# One real-shaped file per third-party kind (the sales report has no fixture: written below).
FORMAT_FILES = {
    "shopify-products": "shopify_products_current.csv",
    "shopify-inventory": "shopify_inventory_export.csv",
    "shopify-orders": "shopify_orders_gbp.csv",
    "shopify-sales": None,
    "zendesk": "zendesk_tickets.csv",
    "freshdesk": "freshdesk_tickets.csv",
    "meta-ads": "meta_ads_daily.csv",
    "google-ads": "google_ads_campaign_report.csv",
    "tiktok-ads": "tiktok_ads_export.csv",
}
SALES_REPORT = "Day,Orders,Gross sales,Discounts,Returns,Net sales,Shipping charges,Taxes,Total sales\n"


def test_every_kind_is_covered() -> None:
    assert set(FORMAT_FILES) == set(FORMAT_KINDS)


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {
            name: [tuple(r) for r in conn.execute(select(tbl).order_by(*tbl.primary_key.columns))]
            for name, tbl in metadata.tables.items()
            if name not in ("change_counter", "presence")
        }


@pytest.fixture
def world(sqlite_demo_engine: Engine) -> Engine:
    """The demo database plus a row in the tables the demo leaves empty (orders and their lines,
    fulfilments and refunds, a holiday, a setting, an import baseline, an fx rate, an overview
    acknowledgement)."""
    from datetime import date

    from dtc_tui import db
    from dtc_tui.models import BusinessCalendar, FxRate, Holiday, OverviewAck
    from dtc_tui.services.common import settings

    for kind, name in (("shopify-orders", "shopify_orders_gbp.csv"), ("zendesk", "zendesk_tickets.csv")):
        summary = run_import(sqlite_demo_engine, kind, FIXTURES / name, now=FIXED_NOW, actor="tester")
        assert summary.written, summary.errors[:3]
    with db.write_session(sqlite_demo_engine) as session:
        calendar = session.exec(select(BusinessCalendar)).first()  # type: ignore[call-overload]
        session.add(Holiday(calendar_id=calendar[0].id, day=date(2026, 12, 25), name="Christmas"))
        settings.put(session, "ads.pause_days", 4, actor="tester", now=FIXED_NOW)
        session.add(FxRate(on=date(2026, 11, 1), base="USD", quote="INR", rate=83.2))
        session.add(
            OverviewAck(
                item_key="stock_reorder:1",
                operator="ana",
                kind="ack",
                note="PO on its way",
                fingerprint="f" * 16,
                title="SKU-1 reorder now",
                created_by="ana",
                created_at=FIXED_NOW,
            )
        )
    return sqlite_demo_engine


def cut_last_cell(rows: list[list[str]], header_at: int) -> list[list[str]]:
    """The header and its first data row, with that row's last cell cut off."""
    header, first = rows[header_at], rows[header_at + 1]
    assert len(first) == len(header) > 1
    return [*rows[:header_at], header, first[:-1]]


def write_rows(path: Path, rows: list[list[str]], delimiter: str = ",") -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)


@pytest.mark.parametrize("kind", IMPORT_TABLE_KINDS)
def test_a_table_row_cut_short_is_an_error_and_writes_nothing(world: Engine, tmp_path: Path, kind: str) -> None:
    sqlite_demo_engine = world
    buffer = io.StringIO()
    export_table(sqlite_demo_engine, kind, buffer, fmt="csv", now=FIXED_NOW)
    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert len(rows) >= 2, kind
    path = tmp_path / f"{kind}.csv"
    write_rows(path, cut_last_cell(rows, 0))
    before = snapshot(sqlite_demo_engine)
    summary = run_import(sqlite_demo_engine, kind, path, now=FIXED_NOW, actor="tester", display_name="cut.csv")
    assert [str(e) for e in summary.errors] == [
        f"cut.csv:2: row: {len(rows[0]) - 1} cells where the header has {len(rows[0])}: {CUT}"
    ], kind
    assert not summary.written
    assert snapshot(sqlite_demo_engine) == before


@pytest.mark.parametrize("kind", IMPORT_TABLE_KINDS)
def test_a_json_record_without_its_last_member_leaves_that_column_alone(
    world: Engine, tmp_path: Path, kind: str
) -> None:
    """JSON has optional members: a missing one is "not given", never empty (or an error when required)."""
    sqlite_demo_engine = world
    buffer = io.StringIO()
    export_table(sqlite_demo_engine, kind, buffer, fmt="json", now=FIXED_NOW)
    document = json.loads(buffer.getvalue())
    assert document["rows"], kind
    whole = tmp_path / f"{kind}-whole.json"
    whole.write_text(buffer.getvalue(), encoding="utf-8")
    run_import(sqlite_demo_engine, kind, whole, now=FIXED_NOW, actor="tester")  # text cleaned once
    first = document["rows"][0]
    last = list(first)[-1]
    del first[last]
    document["rows"] = [first]
    path = tmp_path / f"{kind}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    before = snapshot(sqlite_demo_engine)
    summary = run_import(sqlite_demo_engine, kind, path, now=FIXED_NOW, actor="tester")
    if summary.errors:
        assert all("missing; a value is required" in str(e) for e in summary.errors), summary.errors
    else:
        assert (summary.inserted, summary.updated, summary.unchanged) == (0, 0, 1), kind
    assert snapshot(sqlite_demo_engine) == before


@pytest.mark.parametrize("kind", list(FORMAT_FILES))
def test_a_third_party_row_cut_short_is_an_error_and_writes_nothing(engine: Engine, tmp_path: Path, kind: str) -> None:
    name = FORMAT_FILES[kind]
    if name is None:
        text = SALES_REPORT + "2026-11-17,12,900,-50,-20,830,40,60,930\n"
    else:
        raw = (FIXTURES / name).read_bytes()
        text = raw.decode("utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header_at = max(range(min(len(rows), 10)), key=lambda i: len(rows[i]))  # the widest of the first lines
    path = tmp_path / "cut.csv"
    write_rows(path, cut_last_cell(rows, header_at))
    before = snapshot(engine)
    summary = run_import(engine, kind, path, now=FIXED_NOW, actor="tester", display_name="cut.csv")
    width = len(rows[header_at])
    assert [str(e) for e in summary.errors] == [
        f"cut.csv:{header_at + 2}: row: {width - 1} cells where the header has {width}: {CUT}"
    ], kind
    assert snapshot(engine) == before


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n\r\n  \n"])
def test_an_empty_file_says_empty_file_with_or_without_a_kind(engine: Engine, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFailed) as detected:
        detect_kind(path, "orders.csv")
    assert str(detected.value) == "orders.csv:1: file: empty file (no header and no rows)"
    for kind in ("shopify-orders", "skus", "meta-ads"):
        with pytest.raises(ImportFailed) as named:
            run_import(engine, kind, path, now=FIXED_NOW, actor="tester", display_name="orders.csv")
        assert str(named.value) == "orders.csv:1: file: empty file (no header and no rows)"


def test_an_empty_json_file_says_empty_file(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "tickets.json"
    path.write_text("   \n", encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        run_import(engine, "zendesk", path, now=FIXED_NOW, actor="tester", display_name="tickets.json")
    assert "tickets.json:1: file: empty file (no header and no rows)" in str(caught.value)
