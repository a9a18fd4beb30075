"""Babel extraction for the entry point (``locale/babel.cfg``; docs/language.md).

Its own module because it imports the whole command tree (``dtc_tui.cli``): nothing in the app
imports it, so the layers stay as the import contracts say.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dtc_tui.i18n import command_messages


def extract_cli(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Iterator[tuple[Any, ...]]:
    """A Babel extraction method for ``dtc_tui/cli.py`` (see ``locale/babel.cfg``): its ``_()``
    calls as usual, plus the help texts of every registered command (docstrings included)."""
    from babel.messages.extract import extract_python

    yield from extract_python(fileobj, keywords, comment_tags, options)
    from dtc_tui.cli import main_group  # the registered tree, docstrings included

    for message in command_messages(main_group):
        yield (0, None, message, ["click command help"])
