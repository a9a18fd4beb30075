"""``?``: the keys that work on the current screen, from its live bindings."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import Static

from dtc_tui.i18n import N_, _
from dtc_tui.ui.widgets.vim import VimScroll


def format_key(key: str) -> str:
    names = {
        "question_mark": "?",
        "slash": "/",
        "space": "space",
        "enter": "Enter",
        "escape": "Esc",
        "backspace": "Backspace",
        "pagedown": "PgDn",
        "pageup": "PgUp",
    }
    return ", ".join(names.get(part, part) for part in key.split(","))


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 72; max-width: 95%; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", N_("Close"), id="help.close"),
    ]

    def __init__(self, title: str, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.rows = rows

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, expand=True, padding=(0, 1))
        table.add_column("Key", style="bold", no_wrap=True, width=16)
        table.add_column("Action")
        for key, description in self.rows:
            table.add_row(Text(key), Text(description))
        with VimScroll():
            yield Static(Text(_("Keys: {screen}   (Esc closes)").format(screen=self.title_text), style="bold"))
            yield Static(table)

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
