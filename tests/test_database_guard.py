"""The shared box, second round: read-only commands take no write lock, ``--db`` is checked,
exit codes are the documented ones, backups and data files are safe (issue 16)."""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from dtc_tui import db
from dtc_tui.cli import main_group


def run(*args: str):
    return CliRunner().invoke(main_group, list(args), catch_exceptions=False)


def path_of(engine: Engine) -> str:
    return str(engine.url.database)


def test_read_only_commands_run_while_another_process_holds_the_write_lock(
    sqlite_demo_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = path_of(sqlite_demo_engine)
    assert run("--db", path, "sla", "check").exit_code in (0, 1)  # records what is due now
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 300)  # a writer would give up within 0.3 s
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE ticket SET tags = tags WHERE id = 1")
    try:
        for command in (
            ["tickets", "list"],
            ["check", "--quiet"],
            ["overview", "--json"],
            ["sla", "report"],
            ["settings", "list"],
            ["db", "info"],
            ["team", "matrix", "--json"],
            ["inventory", "health"],
        ):
            result = run("--db", path, *command)
            assert result.exit_code in (0, 1), (command, result.output)
        writer = run("--db", path, "settings", "set", "ads.target_roas", "3")
        assert writer.exit_code == 3
        assert writer.output.strip().splitlines() == [
            "Error: the database is busy: another process held its write lock for more than 0.3 s; try again"
        ]
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_file_that_is_not_sqlite_is_one_line_and_exit_3(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list\n" * 100)
    result = run("--db", str(notes), "tickets", "list")
    assert result.exit_code == 3
    assert result.output.strip() == f"Error: {notes} is not a SQLite database"
    assert notes.read_text() == "shopping list\n" * 100


def test_another_applications_database_is_refused_never_migrated(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO recipes (name) VALUES ('soup')")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    for command in (["tickets", "list"], ["db", "upgrade"], ["demo"], ["import", "zendesk", str(other)]):
        result = run("--db", str(other), *command)
        assert result.exit_code == 3, (command, result.output)
        assert "not a dtc-tui database; use db init on a new path" in result.output
        assert "Traceback" not in result.output
    assert other.read_bytes() == before
    assert not list(tmp_path.glob("other.db.before-*"))  # no migration, so no migration backup


def test_an_empty_schema_version_table_is_refused(tmp_path: Path) -> None:
    odd = tmp_path / "odd.db"
    conn = sqlite3.connect(odd)
    conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    conn.commit()
    conn.close()
    result = run("--db", str(odd), "db", "upgrade")
    assert result.exit_code == 3
    assert "empty schema version table" in result.output


def test_a_missing_path_is_created_only_by_commands_that_create(tmp_path: Path) -> None:
    missing = tmp_path / "new" / "dtc.db"
    for command in (["tickets", "list"], ["check"], ["settings", "set", "ads.target_roas", "3"], ["db", "info"]):
        result = run("--db", str(missing), *command)
        assert result.exit_code == 3, (command, result.output)
        assert (
            result.output.strip()
            == f"Error: no database at {missing}; create one with 'dtc-tui --db {missing} db upgrade'"
        )
        assert not missing.exists()
    created = run("--db", str(missing), "db", "upgrade")
    assert created.exit_code == 0 and "upgraded empty database" in created.output
    listed = run("--db", str(missing), "settings", "list", "sla.")
    assert listed.exit_code == 0
    with sqlite3.connect(missing) as conn:  # the defaults came with the upgrade, not with a read
        assert conn.execute("SELECT count(*) FROM sla_policy").fetchone()[0] == 5


def test_restore_validates_the_file_before_replacing_anything(sqlite_demo_engine: Engine, tmp_path: Path) -> None:
    path = path_of(sqlite_demo_engine)
    before = run("--db", path, "db", "info", "--json").output
    empty_version = tmp_path / "empty-version.db"
    conn = sqlite3.connect(empty_version)
    conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    conn.execute("CREATE TABLE ticket (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    text = tmp_path / "text.db"
    text.write_text("not a database")
    for bad, message in ((empty_version, "has no schema version"), (text, "is not a SQLite database")):
        result = run("--db", path, "db", "restore", str(bad), "--yes")
        assert result.exit_code == 2, result.output
        assert len(result.output.strip().splitlines()) == 1 and message in result.output
    assert run("--db", path, "db", "info", "--json").output == before
    assert not list(Path(path).parent.glob("*.before-restore-*"))


def test_backup_is_renamed_into_place_and_private(sqlite_demo_engine: Engine, tmp_path: Path) -> None:
    target = tmp_path / "backups" / "b.db"
    result = run("--db", path_of(sqlite_demo_engine), "db", "backup", str(target))
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["b.db"]  # no temporary file left
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT count(*) FROM ticket").fetchone()[0] == 2700
    again = run("--db", path_of(sqlite_demo_engine), "db", "backup", str(target))
    assert again.exit_code == 2 and "already exists" in again.output


def test_export_and_rejects_files_are_private(sqlite_demo_engine: Engine, tmp_path: Path) -> None:
    out = tmp_path / "tickets.csv"
    assert run("--db", path_of(sqlite_demo_engine), "export", "tickets", "-o", str(out)).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    from tests.conftest import FIXTURES

    rejects = tmp_path / "rejects.csv"
    run(
        "--db",
        str(tmp_path / "r.db"),
        "import",
        "zendesk",
        str(FIXTURES / "edge" / "zendesk_bad_date.csv"),
        "--skip-invalid",
        str(rejects),
    )
    assert rejects.exists() and stat.S_IMODE(rejects.stat().st_mode) == 0o600


def test_a_clean_exit_leaves_the_database_file_complete(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "x.db"
    env = {**os.environ, "DTC_TUI_OPERATOR": "tester"}
    for args in (["db", "upgrade"], ["demo", "--tickets", "200"]):
        done = subprocess.run([sys.executable, "-m", "dtc_tui", "--db", str(path), *args], env=env, capture_output=True)
        assert done.returncode == 0, done.stderr
    wal = path.with_name("x.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    alone = tmp_path / "copy.db"
    alone.write_bytes(path.read_bytes())  # the obvious backup: copy the file, without its WAL
    with sqlite3.connect(alone) as conn:
        assert conn.execute("SELECT count(*) FROM ticket").fetchone()[0] == 200
    time.sleep(0)


def test_bidi_controls_and_zero_width_characters_never_reach_the_screen() -> None:
    from dtc_tui.services.common.text import neutralise_formula, one_line
    from dtc_tui.ui.safe import safe

    hostile = "Refund \u202eenilno\u202c for order\u200b #1\u2066x\u2069\ufeff"
    assert one_line(hostile) == "Refund enilno for order #1x"
    assert safe(hostile).plain == "Refund enilno for order #1x"
    assert not any(
        ch in safe(hostile, limit=9).plain for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    )
    assert one_line("familie \U0001f468\u200d\U0001f469\u200d\U0001f467 می\u200cخواهم") == (
        "familie \U0001f468\u200d\U0001f469\u200d\U0001f467 می\u200cخواهم"  # ZWJ / ZWNJ carry meaning: kept
    )
    for formula in ("\uff1dSUM(A1)", "\uff0b1", "\uff0d1", "\uff20cmd", "=1", "+1", "-1", "@x"):
        assert neutralise_formula(formula) == "'" + formula
