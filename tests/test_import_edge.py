"""Hand-made edge cases; all-or-nothing; rejects; dry run; idempotent re-import; audit."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import select as orm_select

from dtc_tui import db
from dtc_tui.models import AuditLog, Customer, Sku, Ticket, metadata
from dtc_tui.services.importers.base import ImportSummary
from dtc_tui.services.importers.errors import ImportFailed
from dtc_tui.services.importers.pipeline import run_import
from tests.conftest import FIXED_NOW, FIXTURES

ALL_SAMPLES = [
    ("shopify-products", "shopify_product_template.csv"),
    ("shopify-products", "shopify_products_current.csv"),
    ("shopify-inventory", "shopify_inventory_export.csv"),
    ("google-ads", "google_ads_campaign_report.csv"),
    ("google-ads", "edge/google_ads_daily_utf16.csv"),
    ("meta-ads", "meta_ads_daily.csv"),
    ("meta-ads", "meta_ads_period.csv"),
    ("tiktok-ads", "tiktok_ads_export.csv"),
    ("zendesk", "zendesk_tickets.csv"),
    ("zendesk", "zendesk_tickets.json"),
    ("freshdesk", "freshdesk_tickets.csv"),
    ("zendesk", "edge/zendesk_bom_semicolon.csv"),
    ("zendesk", "edge/zendesk_markup.csv"),
]


def run(engine: Engine, kind: str, name: str | Path, **options: object) -> ImportSummary:
    path = name if isinstance(name, Path) else FIXTURES / name
    return run_import(engine, kind, path, now=FIXED_NOW, actor="tester", **options)  # type: ignore[arg-type]


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every business table's rows (the counters and presence are bookkeeping)."""
    with engine.connect() as conn:
        return {
            name: sorted(map(tuple, conn.execute(select(tbl)).all()), key=repr)
            for name, tbl in metadata.tables.items()
            if name not in ("change_counter", "presence")
        }


def ticket_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Ticket.__table__)).scalar_one()  # type: ignore[attr-defined]


@pytest.mark.parametrize(("kind", "name"), ALL_SAMPLES, ids=[name for _k, name in ALL_SAMPLES])
def test_importing_the_same_file_twice_changes_nothing(engine: Engine, kind: str, name: str) -> None:
    first = run(engine, kind, name)
    assert first.inserted > 0 and first.written
    before = snapshot(engine)
    second = run(engine, kind, name)
    assert (second.inserted, second.updated, second.rejected) == (0, 0, 0)
    assert second.unchanged == first.inserted
    assert second.created == {}
    assert snapshot(engine) == before  # not even an audit entry: nothing changed


def test_one_audit_entry_per_import_run(engine: Engine) -> None:
    run(engine, "zendesk", "zendesk_tickets.csv")
    with db.read_session(engine) as session:
        entries = session.exec(orm_select(AuditLog)).all()
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.entity, entry.entity_id, entry.action, entry.actor) == (
        "import",
        "zendesk:zendesk_tickets.csv",
        "import",
        "tester",
    )
    assert '"inserted": 8' in (entry.after or "") and '"customer": 8' in (entry.after or "")


def test_all_or_nothing_a_failing_last_row_writes_nothing(engine: Engine) -> None:
    summary = run(engine, "zendesk", "edge/zendesk_last_row_bad.csv")
    assert summary.failed and not summary.written
    assert [str(e) for e in summary.errors] == [
        f"{FIXTURES / 'edge/zendesk_last_row_bad.csv'}:7: Created at: 'yesterday-ish' is not a date and time"
    ]
    assert (summary.rows, summary.rejected) == (6, 1)
    assert ticket_count(engine) == 0


def test_every_problem_is_listed_not_only_the_first(engine: Engine) -> None:
    summary = run(engine, "zendesk", "edge/zendesk_bad_date.csv", display_name="bad.csv")
    assert [str(e) for e in summary.errors] == [
        "bad.csv:3: Created at: '2026-31-11 10:00' is not a date and time",
        "bad.csv:4: Priority: unknown priority 'asap' (expected low, normal, high, urgent)",
    ]
    # A custom status is not refused: the nearest standard one, with a warning.
    assert summary.warnings == [
        "status 'waiting' is not a standard status: imported as pending "
        '(choose with --map status:"waiting"=STATUS) (line 4)'
    ]
    assert ticket_count(engine) == 0


def test_skip_invalid_writes_good_rows_and_rejects_the_rest(engine: Engine, tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.csv"
    summary = run(engine, "zendesk", "edge/zendesk_bad_date.csv", rejects=rejects)
    assert summary.written and not summary.failed
    assert (summary.inserted, summary.rejected) == (1, 2)
    assert ticket_count(engine) == 1
    with open(rejects, encoding="utf-8", newline="") as handle:
        rejected = list(csv.reader(handle))
    assert rejected[0][-2:] == ["error", "source line"]
    assert rejected[0][:3] == ["Id", "Requester", "Requester email"]
    assert [row[0] for row in rejected[1:]] == ["7002", "7003"]  # the original cells come back unchanged
    assert rejected[2][-2:] == ["Priority: unknown priority 'asap' (expected low, normal, high, urgent)", "4"]


def test_rejects_can_be_fixed_and_imported_again(engine: Engine, tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.csv"
    run(engine, "zendesk", "edge/zendesk_last_row_bad.csv", rejects=rejects)
    fixed = rejects.read_text(encoding="utf-8").replace("yesterday-ish", "2026-11-20 07:00:00")
    rejects.write_text(fixed, encoding="utf-8")
    summary = run(engine, "zendesk", rejects)  # the extra error / source line columns are ignored
    assert (summary.inserted, summary.rejected) == (1, 0)
    assert ticket_count(engine) == 6


def test_dry_run_counts_exactly_and_writes_nothing(engine: Engine) -> None:
    before = snapshot(engine)
    summary = run(engine, "shopify-inventory", "shopify_inventory_export.csv", dry_run=True)
    assert (summary.inserted, summary.created, summary.written) == (48, {"sku": 48, "warehouse": 1}, False)
    assert "  dry run: nothing was written" in summary.lines()
    assert summary.lines()[1].startswith("  stock records: 48 would be inserted, 0 would be updated")
    assert snapshot(engine) == before


def test_duplicates_in_one_file(engine: Engine) -> None:
    summary = run(engine, "zendesk", "edge/zendesk_duplicates.csv", display_name="dup.csv")
    assert [str(e) for e in summary.errors] == [
        "dup.csv:5: row: duplicate of line 3 (ticket 8002) with different values"
    ]
    assert summary.ignored_reasons == {"repeated rows (identical to an earlier row)": 1}
    assert ticket_count(engine) == 0


def test_bom_semicolons_and_decimal_commas(engine: Engine) -> None:
    summary = run(engine, "zendesk", "edge/zendesk_bom_semicolon.csv")
    assert (summary.inserted, summary.rejected) == (2, 0)
    with db.read_session(engine) as session:
        ticket = session.exec(orm_select(Ticket).where(Ticket.external_id == "5001")).one()
        customer = session.get(Customer, ticket.customer_id)
    assert ticket.subject == "Rücksendung; bitte Etikett"  # a quoted delimiter stays in the cell
    assert customer is not None and customer.name == "Jürgen Groß"
    assert (ticket.first_response_at - ticket.created_at).total_seconds() == 90.5 * 60  # "90,5" minutes


@pytest.mark.parametrize(
    ("kind", "name", "message"),
    [
        ("zendesk", "edge/empty.csv", "x.csv:1: file: empty file (no header and no rows)"),
        (
            "zendesk",
            "edge/zendesk_missing_status.csv",
            "x.csv:1: header: missing column 'Status' (accepted names, any case: 'status')",
        ),
        ("zendesk", "edge/zendesk_latin1.csv", "x.csv:2: file: not UTF-8 text (byte 0xe9); save it as UTF-8 CSV"),
        (
            "meta-ads",
            "edge/meta_ads_no_dates.csv",
            "x.csv:1: header: no Day column and no reporting period: cannot tell which days these figures cover "
            "(export with a daily breakdown)",
        ),
        ("zendesk", "edge/not_json.json", "x.csv:3: file: broken JSON: Expecting value"),
        (
            "zendesk",
            "tiktok_ads_export.csv",
            "x.csv:1: header: no header row found in the first 10 lines; "
            "expected columns such as Id, Status, Created at",
        ),
    ],
)
def test_files_that_cannot_be_imported(engine: Engine, kind: str, name: str, message: str) -> None:
    with pytest.raises(ImportFailed) as failed:
        run(engine, kind, name, display_name="x.csv")
    assert [str(e) for e in failed.value.errors][0] == message
    assert ticket_count(engine) == 0


def test_missing_columns_are_all_listed(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("Id,Subject\n1,Hello\n")
    with pytest.raises(ImportFailed) as failed:
        run(engine, "zendesk", path, display_name="t.csv")
    assert [e.column for e in failed.value.errors] == ["header", "header"]
    assert "'Status'" in str(failed.value.errors[0]) and "'Created at'" in str(failed.value.errors[1])


def test_header_only_file_imports_nothing(engine: Engine) -> None:
    summary = run(engine, "zendesk", "edge/zendesk_header_only.csv")
    assert (summary.rows, summary.inserted, summary.errors) == (0, 0, [])
    assert "  the file holds no data rows" in summary.lines()


def test_markup_and_escape_sequences_are_stored_as_plain_text(engine: Engine) -> None:
    run(engine, "zendesk", "edge/zendesk_markup.csv")
    with db.read_session(engine) as session:
        tickets = {t.external_id: t for t in session.exec(orm_select(Ticket)).all()}
        names = {c.email: c.name for c in session.exec(orm_select(Customer)).all()}
    # Control characters (ESC, BEL, NUL, DEL, C1 CSI) are gone; the markup is kept as literal text.
    assert tickets["9001"].subject == "Refund [@click=app.quit]now[/] [2J]8;;http://evil.examplelink"
    assert names["mallory@example.com"] == "[bold red]Mallory[/] ]52;c;ZXZpbA=="
    assert tickets["9002"].subject == "@SUM(1+1) and a tabnuldelcsi"
    for text in [*names.values(), *(t.subject for t in tickets.values())]:
        assert not any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in text), text


def test_a_product_row_without_its_product_is_an_error(engine: Engine) -> None:
    summary = run(engine, "shopify-products", "edge/shopify_orphan_continuation.csv", display_name="p.csv")
    assert [str(e) for e in summary.errors] == ["p.csv:2: Title: empty on the first row of product 'mug'"]


def test_changed_rows_are_updated_and_version_bumped(engine: Engine, tmp_path: Path) -> None:
    run(engine, "zendesk", "zendesk_tickets.csv")
    source = (FIXTURES / "zendesk_tickets.csv").read_text(encoding="utf-8")
    changed = tmp_path / "z.csv"
    changed.write_text(
        source.replace("Where is my order #20877?,wismo,Open,Normal", "Where is my order #20877?,wismo,Solved,Normal"),
        encoding="utf-8",
    )
    summary = run(engine, "zendesk", changed)
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 1, 7)
    with db.read_session(engine) as session:
        ticket = session.exec(orm_select(Ticket).where(Ticket.external_id == "1002")).one()
    assert (ticket.status, ticket.is_open, ticket.version, ticket.next_due_at) == ("solved", False, 2, None)


def test_an_unknown_time_zone_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        run(engine, "zendesk", "zendesk_tickets.csv", tz="Mars/Olympus")


def test_sku_codes_longer_than_the_column_are_refused(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(f"Handle,Title,Variant SKU\nx,X,{'A' * 65}\n")
    summary = run(engine, "shopify-products", path, display_name="p.csv")
    assert [str(e) for e in summary.errors] == ["p.csv:2: Variant SKU: longer than 64 characters"]
    with db.read_session(engine) as session:
        assert session.exec(orm_select(Sku)).all() == []


def test_json_rows_go_to_the_rejects_file_as_json(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(
        '[{"id": 1, "status": "open", "created_at": "2026-11-20T10:00:00Z"},\n'
        ' {"id": 2, "status": "open", "created_at": "soon"},\n 7]',
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"
    summary = run(engine, "zendesk", path, rejects=rejects, display_name="t.json")
    assert [str(e) for e in summary.errors] == [
        "t.json:2: created_at: 'soon' is not a date and time",
        "t.json:3: record: not a JSON object",
    ]
    assert (summary.inserted, summary.rejected) == (1, 2)
    with open(rejects, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["record", "error", "source line"]
    assert rows[1] == [
        '{"id": 2, "status": "open", "created_at": "soon"}',
        "created_at: 'soon' is not a date and time",
        "2",
    ]
    assert rows[2] == ["7", "record: not a JSON object", "3"]


def test_progress_is_reported_up_to_the_end(engine: Engine) -> None:
    seen: list[tuple[float, str]] = []
    run(engine, "shopify-inventory", "shopify_inventory_export.csv", progress=lambda f, p: seen.append((f, p)))
    assert seen[-1] == (1.0, "writing")
    assert [f for f, _p in seen] == sorted(f for f, _p in seen)
