"""The board's table lines after its keys (a filter applied with Enter, a mark) at 80 columns,
where names are cut: ``WindowTable._line`` builds a line as one string and its spans, and must
draw exactly what appending cell by cell drew (``cell_by_cell`` below, the widget's former way)."""

from __future__ import annotations

from rich.text import Text
from sqlalchemy import Engine
from textual.widgets import Input

from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.ui.widgets.window_table import WindowTable
from tests.conftest import make_app, screen_text
from tests.test_inventory_ui import board, filter_to, ready, shown


def cell_by_cell(table: WindowTable, cells: list[Text], widths: list[int], prefix: str) -> Text:
    line = Text(prefix, no_wrap=True, end="")
    for pos, (cell, width) in enumerate(zip(cells, widths, strict=False)):
        if pos:
            line.append(" ")
        cell = cell.copy()
        cell.truncate(width, overflow="ellipsis")
        pad = width - cell.cell_len
        if table.columns[table._shown[pos]].align == "right":
            line.append(" " * pad)
            line.append_text(cell)
        else:
            line.append_text(cell)
            line.append(" " * pad)
    return line


async def test_filtered_marked_board_lines_draw_as_cell_by_cell(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="inventory")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await filter_to(pilot, "wh:US-W")
        await pilot.press("space")  # marks the first row, the cursor moves to the second
        table = board(app)
        rows = shown(app)
        assert rows and {row.warehouse for row in rows} == {"US-W"}
        assert not app.screen.query_one("#board-filter", Input).has_class("-visible")
        text = screen_text(app)
        assert "filter: wh:US-W" in text and "● " in text and "1 marked" in table.position_text()
        assert rows[0].code in text

        columns, widths = table._layout(table.size.width)
        lines = []
        for row in rows[: table.page_height]:
            cells = [table.columns[i].render(row, clock.now()) for i in columns]
            prefix = "● " if row.key in table.marked else "  "
            line, former = table._line(cells, widths, prefix), cell_by_cell(table, cells, widths, prefix)
            assert list(line.render(app.console)) == list(former.render(app.console))
            lines.append(line.plain)
        assert lines[0].startswith("● ") and not lines[1].startswith("● ")
        assert any("…" in line for line in lines)  # names cut to 17 cells at 80 columns
        assert {len(line) for line in lines} == {sum(widths) + len(widths) - 1 + 2}
