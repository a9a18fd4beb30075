"""A table that fetches only the visible window from a data source and draws only the lines
on screen (Textual's line API), so it costs the same at 1k and 1M rows.

- The data source does the sorting, filtering and paging (in SQL); the widget keeps a small
  cache of rows around the visible window and asks for more when the cursor leaves it.
- Cells are rendered from the row at draw time with the current time, so a live timer
  column needs only ``refresh()`` once a second: nothing is rebuilt, only visible lines redraw.
- Row text is untrusted: a column's ``render`` returns ``rich.text.Text`` built with
  ``dtc_tui.ui.safe.safe``, never a markup string.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol, Self, cast

from rich.segment import Segment
from rich.style import Style
from rich.text import Span, Text
from textual import on
from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from dtc_tui.clock import Clock, SystemClock
from dtc_tui.i18n import N_, NC_, _
from dtc_tui.services.common import localefmt


class WindowSource(Protocol):
    """What the table needs from a query: a row count, a window of rows, a stable row key."""

    def count(self) -> int: ...

    def fetch(self, offset: int, limit: int) -> Sequence[Any]: ...

    def key_of(self, row: Any) -> Hashable: ...


class CountLaterSource(WindowSource, Protocol):
    """A source whose first rows can be read before its count, with the count taken in a thread.

    ``fetch`` from the top must work before ``count`` was called; ``count_in_thread`` counts
    without touching the source's state (it runs outside the UI thread, in its own session) and
    ``counted`` hands the number to the source on the UI thread."""

    def count_in_thread(self) -> int: ...

    def counted(self, total: int) -> None: ...


class ListSource:
    """A source over an in-memory list (small tables: POs, people, campaigns)."""

    def __init__(self, rows: Sequence[Any], key: Callable[[Any], Hashable] = id) -> None:
        self.rows = list(rows)
        self._key = key

    def count(self) -> int:
        return len(self.rows)

    def fetch(self, offset: int, limit: int) -> Sequence[Any]:
        return self.rows[offset : offset + limit]

    def key_of(self, row: Any) -> Hashable:
        return self._key(row)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int
    render: Callable[[Any, datetime], Text]
    flex: int = 0  # columns with flex share the spare width
    align: str = "left"  # left | right
    drop: int = 0  # when the table is too narrow, columns with the highest drop go first (0: never)


class _Counted(Message, bubble=False):
    """A source's count, from the table's count thread to the table itself."""

    def __init__(self, source: CountLaterSource, total: int) -> None:
        super().__init__()
        self.source = source
        self.total = total


class WindowTable(Widget, can_focus=True):
    DEFAULT_CSS = """
    WindowTable { height: 1fr; }
    WindowTable > .window-table--header { text-style: bold; background: $panel; }
    WindowTable > .window-table--cursor {
        background: $dtc-cursor-blurred-background; color: $dtc-cursor-blurred-foreground;
    }
    WindowTable:focus > .window-table--cursor {
        background: $dtc-cursor-background; color: $dtc-cursor-foreground; text-style: bold;
    }
    WindowTable > .window-table--marked { background: $secondary 35%; }
    WindowTable > .window-table--empty { color: $text-muted; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "window-table--header",
        "window-table--cursor",
        "window-table--marked",
        "window-table--empty",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", N_("Down"), show=False, id="table.down"),
        Binding("k,up", "cursor_up", N_("Up"), show=False, id="table.up"),
        Binding("g,home", "cursor_first", NC_("move the cursor", "First"), show=False, id="table.first"),
        Binding("G,end", "cursor_last", N_("Last"), show=False, id="table.last"),
        Binding("pagedown,ctrl+f", "page_down", N_("Page down"), show=False, id="table.page_down"),
        Binding("pageup,ctrl+b", "page_up", N_("Page up"), show=False, id="table.page_up"),
        Binding("space", "toggle_mark", N_("Mark"), show=False, id="table.mark"),
        Binding("V", "mark_all_visible", N_("Mark page"), show=False, id="table.mark_page"),
        Binding("enter", "select", N_("Open"), show=False, id="table.select"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)
    # ``set_source(count_later=True)`` counts in a thread once this table has shown a source of this
    # many rows (below it a count costs little, and tests see their counts in the same frame).
    COUNT_LATER_FROM: ClassVar[int] = 10_000

    class CursorMoved(Message):
        def __init__(self, table: WindowTable, row: Any | None, index: int) -> None:
            super().__init__()
            self.table = table
            self.row = row
            self.index = index

    class RowSelected(Message):
        def __init__(self, table: WindowTable, row: Any) -> None:
            super().__init__()
            self.table = table
            self.row = row

    class MarksChanged(Message):
        def __init__(self, table: WindowTable, keys: frozenset[Hashable]) -> None:
            super().__init__()
            self.table = table
            self.keys = keys

    def __init__(
        self,
        columns: Sequence[Column],
        source: WindowSource | None = None,
        *,
        clock: Clock | None = None,
        empty_text: str = N_("Nothing here."),
        row_style: Callable[[Any, datetime], str] | None = None,
        markable: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns = list(columns)
        self.source: WindowSource | None = source
        self.clock = clock or SystemClock()
        self.empty_text = empty_text
        self.row_style = row_style
        self.markable = markable  # space / V mark rows only where something acts on marks
        self.top = 0
        self._drawn_top = -1  # the top row of the lines drawn last (render_line notes it)
        self.marked: set[Hashable] = set()
        self._count: int | None = None
        self._count_pending = False  # _count is the rows read so far; the real count comes from a thread
        self._largest_count = 0  # the most rows a source of this table had: counts come later past COUNT_LATER_FROM
        self._cache_start = 0
        self._cache: list[Any] = []
        self._widths: list[int] = []
        self._shown: list[int] = []
        self._width_for = -1
        self.fetches = 0  # for benchmarks and tests: how often the source was queried
        self._base: Style | None = None  # ``rich_style`` until the next repaint or style change

    # --- data ---------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        """The number of rows (counted now if the count is still coming from its thread)."""
        if self._count_pending and self.source is not None:
            self._count_pending = False
            self._set_count(self.source.count())
        return self._rows_known

    @property
    def _rows_known(self) -> int:
        """The rows drawing and moving the cursor can rely on: the count, or while it is being
        taken in a thread, the rows read from the top (a page and one more row)."""
        if self._count is None:
            self._set_count(self.source.count() if self.source is not None else 0)
        return self._count or 0

    def _set_count(self, count: int) -> None:
        self._count = count
        self._largest_count = max(self._largest_count, count)

    @property
    def counting(self) -> bool:
        """Whether the row count is still being taken (``position_text`` shows ``…`` for it)."""
        return self._count_pending

    @property
    def page_height(self) -> int:
        return max(self.size.height - 1, 1)

    def set_source(self, source: WindowSource, *, keep_cursor: bool = False, count_later: bool = False) -> None:
        """Show ``source``. With ``count_later`` (a ``CountLaterSource``), the first rows are read
        and drawn at once and the count (which can cost more than the page: a count over every
        matching row) is taken in a thread; the status shows it when it arrives."""
        key = self.cursor_key if keep_cursor else None
        self.source = source
        self._invalidate()
        if count_later and self._largest_count >= self.COUNT_LATER_FROM:
            rows = self._read_first_page(source)
            # A kept cursor row among the first page's (a filter cleared at the top of the list):
            # the count can still come later. Further down, its place needs the count: at once.
            found = (
                None
                if key is None
                else next((i for i, row in enumerate(rows[: self.page_height]) if source.key_of(row) == key), None)
            )
            if key is None or found is not None:
                self._count_rest_later(cast("CountLaterSource", source), rows)
                self.top, self.cursor = 0, found or 0
                self.refresh()
                return
            self._count = None  # the rows read stay cached; the count is taken where first needed
        if key is None:
            self.top = 0
            self.cursor = 0
        else:
            self._restore_cursor(key)
        self.refresh()

    def set_columns(self, columns: Sequence[Column]) -> None:
        """Swap the columns (e.g. fewer on a narrow terminal); rows, cursor and marks stay."""
        self.columns = list(columns)
        self._width_for = -1
        self.refresh()

    def reload(self) -> None:
        """Re-read count and rows (after a change), keeping the cursor on the same row if it exists."""
        key = self.cursor_key
        self._invalidate()
        if key is not None:
            self._restore_cursor(key)
        self.cursor = min(self.cursor, max(self.row_count - 1, 0))
        self.refresh()

    def _restore_cursor(self, key: Hashable) -> None:
        # The row usually stays near where it was: look in the window around the old cursor.
        around = max(self.cursor - self.page_height, 0)
        rows = self._rows(around, self.page_height * 3)
        for offset, row in enumerate(rows):
            if self.source is not None and self.source.key_of(row) == key:
                self.cursor = around + offset
                return

    def _invalidate(self) -> None:
        self._count = None
        self._count_pending = False
        self._cache = []
        self._cache_start = 0

    def _read_first_page(self, source: WindowSource) -> list[Any]:
        """The first page and a row more (is there more?), read before any count and cached."""
        rows = list(source.fetch(0, self.page_height + 1))
        self._cache, self._cache_start = rows, 0
        self.fetches += 1
        return rows

    def _count_rest_later(self, source: CountLaterSource, rows: list[Any]) -> None:
        """With the first page read: when there is more, count in a thread. A row past those read
        needs the count: it is then taken at once (``row_count``)."""
        self._count = len(rows)
        if len(rows) <= self.page_height:  # that is all of them
            source.counted(len(rows))
            return
        self._count_pending = True

        def count() -> None:
            try:
                total = source.count_in_thread()
            except Exception:  # busy, gone...: left pending; the first exact need counts on the UI thread
                return
            # post_message is thread-safe and drops the message once the table is closing; on an
            # app that has exited meanwhile its loop is gone (RuntimeError). call_from_thread
            # left a never-awaited coroutine (and a warning) behind in that case.
            with contextlib.suppress(RuntimeError):
                self.post_message(_Counted(source, total))

        threading.Thread(target=count, name="window-table-count", daemon=True).start()

    @on(_Counted)
    def _count_arrived(self, message: _Counted) -> None:
        self._counted(message.source, message.total)

    def _counted(self, source: CountLaterSource, total: int) -> None:
        if self.source is not source or not self._count_pending:
            return  # another source since, or counted on the UI thread meanwhile
        self._count_pending = False
        self._set_count(total)
        source.counted(total)
        # The rows on screen are the same (a page and a row were read): only the status shows the count.
        self.post_message(self.CursorMoved(self, self.cursor_row, self.cursor))

    def _rows(self, start: int, length: int) -> list[Any]:
        """Rows [start, start+length), fetched with a margin when the cache does not hold them."""
        if self.source is None or length <= 0:
            return []
        end = min(start + length, self._rows_known)
        cache_end = self._cache_start + len(self._cache)
        if not (self._cache_start <= start and end <= cache_end) or not self._cache:
            margin = self.page_height
            fetch_start = max(start - margin, 0)
            self._cache = list(self.source.fetch(fetch_start, (end - fetch_start) + margin * 2))
            self._cache_start = fetch_start
            self.fetches += 1
        return self._cache[start - self._cache_start : end - self._cache_start]

    def row_at(self, index: int) -> Any | None:
        rows = self._rows(index, 1)
        return rows[0] if rows else None

    @property
    def cursor_row(self) -> Any | None:
        if self._rows_known == 0:
            return None
        return self.row_at(self.cursor)

    @property
    def cursor_key(self) -> Hashable | None:
        row = self.cursor_row
        return self.source.key_of(row) if row is not None and self.source is not None else None

    def marked_or_cursor_keys(self) -> list[Hashable]:
        if self.marked:
            return list(self.marked)
        key = self.cursor_key
        return [key] if key is not None else []

    def clear_marks(self) -> None:
        self.marked.clear()
        self.post_message(self.MarksChanged(self, frozenset()))
        self.refresh()

    # --- cursor -------------------------------------------------------------------------------

    def validate_cursor(self, value: int) -> int:
        known = self._rows_known
        if self._count_pending and value >= known:  # past the rows read while the count is on its way
            known = self.row_count
        return max(0, min(value, max(known - 1, 0)))

    def watch_cursor(self, old: int, new: int) -> None:
        if new < self.top:
            self.top = new
        elif new >= self.top + self.page_height:
            self.top = new - self.page_height + 1
        self.post_message(self.CursorMoved(self, self.cursor_row, new))
        if self.top == self._drawn_top and self._width_for == self.size.width:
            # The same rows on screen: only the line the cursor left and the one it is on change
            # (a mark toggled on the line it left included), not the whole table (~40 lines).
            self.refresh_lines(old, new)
        else:
            self.refresh()

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Self:
        if repaint:  # when Textual drops its cached component styles (the cursor's, the header's)
            self._base = None
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def notify_style_update(self) -> None:
        self._base = None
        super().notify_style_update()

    @property
    def _base_style(self) -> Style:
        """The table's own style (background, colour) under every line. ``rich_style`` walks every
        ancestor's styles: per line it was a fifth of a redraw (the SLA tick redraws 37 lines)."""
        if self._base is None:
            self._base = self.rich_style
        return self._base

    def refresh_lines(self, *indexes: int) -> None:
        """Redraw the lines of these rows (those on screen), not the whole table."""
        width = self.size.width
        for index in dict.fromkeys(indexes):
            y = index - self.top + 1
            if 1 <= y <= self.page_height:
                self.refresh(Region(0, y, width, 1))

    def on_resize(self) -> None:
        self._width_for = -1
        if self.cursor >= self.top + self.page_height:
            self.top = max(self.cursor - self.page_height + 1, 0)

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_cursor_first(self) -> None:
        self.cursor = 0

    def action_cursor_last(self) -> None:
        self.cursor = self.row_count - 1

    def action_page_down(self) -> None:
        self.top = min(self.top + self.page_height, max(self.row_count - self.page_height, 0))
        self.cursor += self.page_height

    def action_page_up(self) -> None:
        self.top = max(self.top - self.page_height, 0)
        self.cursor -= self.page_height

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The mark keys exist only on tables whose screen acts on marked rows (the queue, the board):
        elsewhere space and V do nothing, are not listed in the help, and reach the screen."""
        if action in ("toggle_mark", "mark_all_visible"):
            return self.markable
        return True

    def action_toggle_mark(self) -> None:
        key = self.cursor_key
        if key is None:
            return
        self.marked.symmetric_difference_update({key})
        self.post_message(self.MarksChanged(self, frozenset(self.marked)))
        self.cursor += 1

    def action_mark_all_visible(self) -> None:
        if self.source is None:
            return
        for row in self._rows(self.top, self.page_height):
            self.marked.add(self.source.key_of(row))
        self.post_message(self.MarksChanged(self, frozenset(self.marked)))
        self.refresh()

    def action_select(self) -> None:
        row = self.cursor_row
        if row is not None:
            self.post_message(self.RowSelected(self, row))

    # --- drawing ------------------------------------------------------------------------------

    def _layout(self, width: int) -> tuple[list[int], list[int]]:
        """Indexes of the columns that fit and their widths.

        Columns marked ``drop`` are left out, highest first, until the rest fit; then flexible
        columns share the spare width, or shrink to 6 cells each when it is still too narrow.
        """
        if self._width_for == width:
            return self._shown, self._widths
        shown = list(range(len(self.columns)))

        def needed(indexes: list[int]) -> int:
            return 2 + sum(self.columns[i].width for i in indexes) + max(len(indexes) - 1, 0)

        droppable = sorted((i for i in shown if self.columns[i].drop), key=lambda i: -self.columns[i].drop)
        for index in droppable:
            if needed(shown) <= width:
                break
            shown.remove(index)
        widths = [self.columns[i].width for i in shown]
        spare = width - needed(shown)
        flex_total = sum(self.columns[i].flex for i in shown)
        if spare > 0 and flex_total:
            for pos, i in enumerate(shown):
                widths[pos] += spare * self.columns[i].flex // flex_total
        elif spare < 0:
            for pos, i in enumerate(shown):
                if spare >= 0:
                    break
                if self.columns[i].flex:
                    give = min(widths[pos] - 6, -spare)
                    widths[pos] -= give
                    spare += give
        self._shown, self._widths, self._width_for = shown, widths, width
        return shown, widths

    def _column_widths(self, width: int) -> list[int]:
        return self._layout(width)[1]

    def _line(self, cells: list[Text], widths: list[int], prefix: str) -> Text:
        """One line of the given (shown) columns' cells, each cut or padded to its width.

        Built as one string and its spans, as ``Text.append_text`` would lay them out: a line has
        ~15 cells and a screen ~37 lines, and appending cell by cell (with a copy of each to cut
        it) was a third of a full redraw (a new filter, sort or page)."""
        parts = [prefix]
        spans: list[Span] = []
        offset = len(prefix)
        for pos, (cell, width) in enumerate(zip(cells, widths, strict=False)):
            if pos:
                parts.append(" ")
                offset += 1
            length = cell.cell_len
            if length > width:  # cut a copy: a column may hand out a cell it keeps
                cell = cell.copy()
                cell.truncate(width, overflow="ellipsis")
                length = cell.cell_len
            pad = " " * (width - length)
            right = self.columns[self._shown[pos]].align == "right"
            if right:
                parts.append(pad)
                offset += len(pad)
            plain = cell.plain
            if cell.style:
                spans.append(Span(offset, offset + len(plain), cell.style))
            spans.extend(Span(offset + start, offset + end, style) for start, end, style in cell.spans)
            parts.append(plain)
            offset += len(plain)
            if not right:
                parts.append(pad)
                offset += len(pad)
        # The cells' text has no control codes (Rich strips them from every Text), so the
        # constructor's stripping leaves the offsets as they are.
        return Text("".join(parts), no_wrap=True, end="", spans=spans)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        self._drawn_top = self.top
        shown, widths = self._layout(width)
        console = self.app.console
        if y == 0:
            header = self._line([Text(_(self.columns[i].label)) for i in shown], widths, "  ")  # N_ where declared
            style = self.get_component_rich_style("window-table--header")
            strip = Strip(list(header.render(console)), header.cell_len).adjust_cell_length(width, style)
            return strip.apply_style(style)
        index = self.top + y - 1
        if self._rows_known == 0:
            if y == 1:
                style = self.get_component_rich_style("window-table--empty")
                text = Text("  " + _(self.empty_text))
                return Strip(list(text.render(console))).adjust_cell_length(width).apply_style(style)
            return Strip.blank(width, self._base_style)
        if index >= self._rows_known:
            return Strip.blank(width, self._base_style)
        row = self.row_at(index)
        if row is None:
            return Strip.blank(width, self._base_style)
        now = self.clock.now()
        key = self.source.key_of(row) if self.source is not None else None
        marked = key in self.marked
        cells = [self.columns[i].render(row, now) for i in shown]
        text = self._line(cells, widths, "● " if marked else "  ")
        if self.row_style is not None:
            extra = self.row_style(row, now)
            if extra:
                text.stylize(extra)
        segments = list(text.render(console))
        base = self._base_style
        strip = Strip(segments).adjust_cell_length(width, base)
        if index == self.cursor:
            # The cursor's colours replace the cells' (a red "! -1d3h" stays "!" on the cursor bar),
            # so its contrast is the one measured per theme (ui/cursor_colours.py).
            cursor = self.get_component_rich_style("window-table--cursor")
            over = cursor + Style(reverse=False)  # a NO_COLOR "breached" cell is reverse video elsewhere
            strip = Strip(Segment.apply_style(segments, post_style=over)).adjust_cell_length(width, cursor)
        elif marked:
            strip = strip.apply_style(self.get_component_rich_style("window-table--marked"))
        else:
            strip = strip.apply_style(base)
        return strip

    def position_text(self) -> str:
        total = self._rows_known
        if total == 0:
            return _("0 rows")
        marked = "  " + _("{count} marked").format(count=len(self.marked)) if self.marked else ""
        shown = "…" if self._count_pending else localefmt.number(total)  # the count is on its way
        return f"{localefmt.number(self.cursor + 1)}/{shown}{marked}"


def style_text(value: str, style: str | Style = "") -> Text:
    return Text(value, style=style, no_wrap=True)


__all__ = ["Column", "ListSource", "WindowSource", "WindowTable", "Segment", "style_text"]
