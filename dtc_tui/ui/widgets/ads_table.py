"""The shared windowed table, able to swap its columns (the ads screen shows different columns
per level and per width)."""

from __future__ import annotations

from collections.abc import Sequence

from dtc_tui.ui.widgets.window_table import Column, WindowTable


class AdsTable(WindowTable):
    def set_columns(self, columns: Sequence[Column]) -> None:
        """Replace the columns; the column widths are recomputed on the next draw."""
        self.columns = list(columns)
        self._width_for = -1  # the width cache belongs to the old columns
        self.refresh()
