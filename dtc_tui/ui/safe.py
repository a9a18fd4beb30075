"""Untrusted text to Rich ``Text``: never parsed as markup, control characters removed."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from dtc_tui.services.common.text import clean_text, one_line


def safe(value: object, style: str | Style = "", limit: int | None = None) -> Text:
    """One line of literal text for a cell or a notification."""
    return Text(one_line(str(value) if value is not None else "", limit), style=style, no_wrap=True)


def safe_block(value: object, style: str = "") -> Text:
    """Multi-line literal text (message bodies)."""
    return Text(clean_text(str(value) if value is not None else ""), style=style)
