from __future__ import annotations

from pathlib import Path

import pytest

from dtc_tui.config import ConfigError, load_settings, normalise_db_argument


def test_defaults_name_the_os_user_and_come_from_default(tmp_path: Path) -> None:
    settings = load_settings(cwd=tmp_path, environ={})
    assert settings.operator  # the OS user (or "operator" when there is none)
    assert settings.sources["theme"] == "default"
    assert settings.resolved_database_url().endswith("dtc.db")


def test_file_then_environment_override(tmp_path: Path) -> None:
    (tmp_path / "dtc-tui.toml").write_text('operator = "ana"\ntheme = "ansi-dark"\ntick_seconds = 2\n')
    settings = load_settings(cwd=tmp_path, environ={"DTC_TUI_THEME": "textual-light"})
    assert settings.operator == "ana"
    assert settings.sources["operator"] == str(tmp_path / "dtc-tui.toml")
    assert settings.theme == "textual-light"
    assert settings.sources["theme"] == "env DTC_TUI_THEME"
    assert settings.tick_seconds == 2.0


def test_unknown_key_and_bad_toml_are_clear_errors(tmp_path: Path) -> None:
    (tmp_path / "dtc-tui.toml").write_text("colour = 'red'\n")
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        load_settings(cwd=tmp_path, environ={})
    (tmp_path / "dtc-tui.toml").write_text("operator = \n")
    with pytest.raises(ConfigError, match="dtc-tui.toml"):
        load_settings(cwd=tmp_path, environ={})


def test_bad_number_in_environment(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="tick_seconds"):
        load_settings(cwd=tmp_path, environ={"DTC_TUI_TICK_SECONDS": "fast"})


def test_db_argument_accepts_path_or_url(tmp_path: Path) -> None:
    assert normalise_db_argument("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_db_argument(str(tmp_path / "x.db")) == f"sqlite:///{tmp_path / 'x.db'}"
