"""``dtc-tui import`` and ``dtc-tui export`` from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from dtc_tui.cli import main_group
from tests.conftest import FIXTURES


def run(*args: str) -> Result:
    return CliRunner().invoke(main_group, list(args), catch_exceptions=False)


def test_import_prints_a_summary_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    first = run("--db", db, "import", "google-ads", str(FIXTURES / "google_ads_campaign_report.csv"))
    assert first.exit_code == 0, first.output
    assert "  ad stat days: 48 inserted, 0 updated, 0 unchanged; rows rejected: 0, ignored: 4" in first.stdout
    assert "  created: 1 channel, 2 campaigns" in first.stdout
    second = run("--db", db, "import", "google-ads", str(FIXTURES / "google_ads_campaign_report.csv"), "--json")
    data = json.loads(second.stdout)
    assert (data["inserted"], data["updated"], data["unchanged"], data["written"]) == (0, 0, 48, True)


def test_validation_errors_go_to_stderr_and_nothing_is_written(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    file = FIXTURES / "edge" / "zendesk_bad_date.csv"
    result = run("--db", db, "import", "zendesk", str(file))
    assert result.exit_code == 2  # input error
    assert result.stderr.splitlines()[:2] == [
        f"{file}:3: Created at: '2026-31-11 10:00' is not a date and time",
        f"{file}:4: Priority: unknown priority 'asap' (expected low, normal, high, urgent)",
    ]
    assert result.stderr.splitlines()[-1] == (
        "Error: 2 problems in 2 of 3 rows; nothing was written (fix the file, or use --skip-invalid "
        "REJECTS.csv to import the good rows)"
    )
    info = json.loads(run("--db", db, "db", "info", "--json").stdout)
    assert info["row_counts"]["ticket"] == 0


def test_skip_invalid_and_dry_run(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    file = str(FIXTURES / "edge" / "zendesk_bad_date.csv")
    rejects = tmp_path / "rejects.csv"
    dry = run("--db", db, "import", "zendesk", file, "--skip-invalid", str(rejects), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "  dry run: nothing was written" in dry.stdout
    assert rejects.read_text(encoding="utf-8").count("\n") == 3  # header + 2 rejected rows
    assert json.loads(run("--db", db, "db", "info", "--json").stdout)["row_counts"]["ticket"] == 0
    real = run("--db", db, "import", "zendesk", file, "--skip-invalid", str(rejects))
    assert "  rejected rows written to" in real.stdout
    assert json.loads(run("--db", db, "db", "info", "--json").stdout)["row_counts"]["ticket"] == 1


def test_unreadable_files_fail_in_one_line(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    missing = run("--db", db, "import", "zendesk", str(tmp_path / "nope.csv"))
    assert (missing.exit_code, missing.stderr.strip()) == (2, f"Error: {tmp_path / 'nope.csv'}: no such file")
    empty = run("--db", db, "import", "zendesk", str(FIXTURES / "edge" / "empty.csv"))
    assert empty.exit_code == 2
    assert "empty.csv:1: file: empty file (no header and no rows)" in empty.stderr
    assert "Traceback" not in empty.output
    zone = run("--db", db, "import", "zendesk", str(FIXTURES / "zendesk_tickets.csv"), "--tz", "Mars/Base")
    assert zone.exit_code == 2 and "unknown time zone 'Mars/Base'" in zone.stderr
    kind = run("--db", db, "import", "salesforce", str(FIXTURES / "zendesk_tickets.csv"))
    assert kind.exit_code == 2 and "'salesforce' is not one of" in kind.stderr


def test_export_to_a_file_and_to_stdout(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    run("--db", db, "import", "tiktok-ads", str(FIXTURES / "tiktok_ads_export.csv"))
    out = tmp_path / "stats.json"
    result = run("--db", db, "export", "ad-stats", "-o", str(out))
    assert result.exit_code == 0 and f"exported 6 ad_stat_daily rows to {out} (json)" in result.stderr
    assert len(json.loads(out.read_text(encoding="utf-8"))["rows"]) == 6
    assert not list(tmp_path.glob(".*.part"))
    csv_out = run("--db", db, "export", "campaigns")
    lines = csv_out.stdout.splitlines()
    assert lines[0].startswith("id,channel_id,external_id,name,status,currency")
    assert len(lines) == 3
    back = tmp_path / "campaigns.csv"
    back.write_text(csv_out.stdout, encoding="utf-8")
    again = run("--db", db, "import", "campaigns", str(back), "--json")
    assert json.loads(again.stdout)["unchanged"] == 2


def test_import_help_lists_every_kind() -> None:
    result = run("import", "--help")
    for kind in (
        "shopify-products",
        "shopify-inventory",
        "zendesk",
        "freshdesk",
        "meta-ads",
        "google-ads",
        "tiktok-ads",
        "tickets",
        "ad-stats",
    ):
        assert kind in result.stdout


def test_a_quick_import_loads_neither_textual_nor_rich(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from dtc_tui.cli import main_group\n"
        f"try:\n    main_group(['--db', {str(tmp_path / 'h.db')!r}, 'import', 'tiktok-ads', "
        f"{str(FIXTURES / 'tiktok_ads_export.csv')!r}])\n"
        "except SystemExit as exc:\n    assert exc.code in (0, None), exc.code\n"
        "print('LOADED:' + ','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "LOADED:\n" in out.stdout or out.stdout.rstrip().endswith("LOADED:")


def test_a_rejects_file_in_a_missing_directory_is_refused_up_front(tmp_path: Path) -> None:
    result = run(
        "--db",
        str(tmp_path / "c.db"),
        "import",
        "zendesk",
        str(FIXTURES / "zendesk_tickets.csv"),
        "--skip-invalid",
        str(tmp_path / "no" / "such" / "rejects.csv"),
    )
    assert result.exit_code == 2
    assert "no such directory" in result.stderr and "Traceback" not in result.output


def test_kind_is_detected_from_the_header_and_errors_are_grouped(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    detected = run("--db", db, "import", str(FIXTURES / "meta_ads_daily.csv"), "--dry-run")
    assert detected.exit_code == 0, detected.stderr
    assert "as meta-ads: detected from the header" in detected.stderr
    assert "would be inserted" in detected.stdout
    bad = tmp_path / "bad.csv"
    rows = "".join(f"{n},Cy,cy@example.com,Subject,,open,asap,Mail,2026-11-20 10:00:00,,\n" for n in range(100, 120))
    head = (FIXTURES / "edge" / "zendesk_bad_date.csv").read_text(encoding="utf-8").splitlines()[0]
    bad.write_text(head + "\n" + rows, encoding="utf-8")
    result = run("--db", db, "import", "zendesk", str(bad), "--tz", "UTC")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"{bad}: Priority: unknown priority 'asap' (expected low, normal, high, urgent) "
        "(20 rows: lines 2, 3, 4, 5, 6 and 15 more)"
    )


def test_date_order_and_map_options(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    refused = run("--db", db, "import", "zendesk", str(FIXTURES / "zendesk_ambiguous_dates.csv"))
    assert refused.exit_code == 2 and "--date-order dmy (day first)" in refused.stderr
    mapped = run(
        "--db",
        db,
        "import",
        "zendesk",
        str(FIXTURES / "zendesk_via_group_custom.csv"),
        "--map",
        'status:"Waiting on Acme Logistics"=on_hold',
        "--tz",
        "UTC",
    )
    assert mapped.exit_code == 0, mapped.stderr
    assert "not a standard status" not in mapped.stdout
    ordered = run("--db", db, "import", "zendesk", str(FIXTURES / "zendesk_ambiguous_dates.csv"), "--date-order", "dmy")
    assert ordered.exit_code == 0, ordered.stderr
    assert "read as UTC: re-run with --tz" in ordered.stdout
