"""Path completion (the import dialog's Tab) and the per-operator UI state file."""

from __future__ import annotations

from pathlib import Path

from dtc_tui.services.common import uistate
from dtc_tui.services.common.pathcomplete import complete


def test_completion_rules(tmp_path: Path) -> None:
    (tmp_path / "exports" / "2026").mkdir(parents=True)
    (tmp_path / "exports" / "a.csv").write_text("")
    (tmp_path / "exports" / "ab.csv").write_text("")
    (tmp_path / "exports" / ".hidden").write_text("")
    assert complete("exp", tmp_path).text == "exports/"
    both = complete("exports/a", tmp_path)
    assert (both.text, both.choices) == ("exports/a", ["a.csv", "ab.csv"])
    assert complete("exports/ab", tmp_path).text == "exports/ab.csv"
    assert complete("exports/2", tmp_path).text == "exports/2026/"
    assert ".hidden" not in complete("exports/", tmp_path).choices
    assert complete("exports/.", tmp_path).text == "exports/.hidden"
    assert complete("nothing/here", tmp_path).text == "nothing/here"  # no such folder: unchanged
    assert complete(f"{tmp_path}/exports/ab", Path("/")).text == f"{tmp_path}/exports/ab.csv"  # absolute


def test_tilde_stays_as_typed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "exports").mkdir()
    assert complete("~/exp", Path("/")).text == "~/exports/"


def test_ui_state_per_operator_and_a_broken_file_is_an_empty_memory(tmp_path: Path) -> None:
    path = tmp_path / "state" / "ui-state.json"
    assert uistate.recall("ana", "x", path=path) is None
    uistate.remember("ana", "x", "/data", path=path)
    uistate.remember("ben", "x", "/other", path=path)
    assert uistate.recall("ana", "x", path=path) == "/data"
    assert uistate.recall("ben", "x", path=path) == "/other"
    assert path.stat().st_mode & 0o077 == 0  # private to the operator, like every file the app writes
    path.write_text("{not json")
    assert uistate.recall("ana", "x", path=path) is None
    uistate.remember("ana", "x", "/again", path=path)  # rewritten whole
    assert uistate.recall("ana", "x", path=path) == "/again"


def test_the_remembered_folder_is_shown_under_home_as_tilde(tmp_path: Path, monkeypatch) -> None:
    from dtc_tui.ui.screens.import_dialog import shown_folder

    monkeypatch.setenv("HOME", str(tmp_path))
    assert shown_folder(tmp_path) == "~/"
    assert shown_folder(tmp_path / ".config" / "x") == "~/.config/x/"
    assert shown_folder(Path("/srv/exports")) == "/srv/exports/"
