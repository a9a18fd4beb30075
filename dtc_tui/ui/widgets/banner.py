"""A banner across the top of the screen for a state that lasts (the database file went away)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from dtc_tui.i18n import _
from dtc_tui.ui.safe import safe_block


class DatabaseBanner(Static):
    """'Database gone: writes blocked' and why; mounted on every screen shown while it holds."""

    DEFAULT_CSS = """
    DatabaseBanner { dock: top; height: auto; background: $error; color: $text; padding: 0 1; }
    """

    def __init__(self, reason: str) -> None:
        text = Text(_("Database gone: writes blocked.") + " ", style="bold")
        text.append_text(safe_block(reason))
        super().__init__(text, id="db-banner")
        self.reason = reason
