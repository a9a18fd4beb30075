from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dtc_tui.cli import main_group


def run(*args: str) -> object:
    return CliRunner().invoke(main_group, list(args), catch_exceptions=False)


@pytest.mark.slow  # builds the whole demo through the CLI
def test_demo_then_db_info_json_counts_rows(database_url: str) -> None:
    result = run("--db", database_url, "demo", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "tickets" in result.output
    info = run("--db", database_url, "db", "info", "--json")
    assert info.exit_code == 0, info.output
    data = json.loads(info.output)
    assert data["up_to_date"] is True
    assert data["row_counts"]["ticket"] == 2700
    assert data["row_counts"]["sku"] == 150
    assert data["row_counts"]["person"] == 6
    assert data["row_counts"]["campaign"] == 15


@pytest.mark.slow  # builds the whole demo through the CLI
def test_demo_refuses_a_database_with_data(database_url: str) -> None:
    assert run("--db", database_url, "demo").exit_code == 0
    again = run("--db", database_url, "demo")
    assert again.exit_code != 0
    assert "already holds data" in again.output


def test_db_upgrade_reports_revision(tmp_path: Path) -> None:
    result = run("--db", str(tmp_path / "u.db"), "db", "upgrade")
    assert result.exit_code == 0
    assert "upgraded empty database ->" in result.output
    assert "already at" in run("--db", str(tmp_path / "u.db"), "db", "upgrade").output


def test_database_from_environment_and_config_show(tmp_path: Path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("DTC_TUI_DATABASE_URL", url)
    result = run("config", "show", "--json")
    data = json.loads(result.output)
    assert data["database_url"] == {"value": url, "source": "env DTC_TUI_DATABASE_URL"}
    assert data["operator"]["value"] == "tester"


def test_unreachable_database_is_one_line_without_traceback() -> None:
    result = CliRunner().invoke(main_group, ["--db", "postgresql+psycopg://nobody@127.0.0.1:1/none", "db", "info"])
    assert result.exit_code == 3  # database unavailable
    assert "cannot open database" in result.output
    assert "Traceback" not in result.output


def test_lazily_loaded_commands_are_named_as_their_modules_name_them() -> None:
    """``dtc_tui.cli.COMMAND_MODULES`` names each command without importing it (issue 20: a
    headless start imports only the command it runs); the name must be the command's own."""
    import importlib

    from dtc_tui.cli import COMMAND_MODULES

    for name, (module, attribute) in COMMAND_MODULES.items():
        assert getattr(importlib.import_module(module), attribute).name == name
    result = CliRunner().invoke(main_group, ["--help"])
    assert result.exit_code == 0
    for name in COMMAND_MODULES:
        assert f"  {name} " in result.output
