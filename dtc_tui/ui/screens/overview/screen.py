"""The overview (key 0, the first screen): what needs the operator now across all areas, most
urgent first, the cross-area signals among them, and each area's headline numbers."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from dtc_tui.services.overview.summary import Item, Overview, describe_kind
from dtc_tui.ui.safe import safe
from dtc_tui.ui.screens.base import AreaScreen
from dtc_tui.ui.widgets.window_table import Column, ListSource, WindowTable

AREA_LABEL = {"tickets": "Tickets", "inventory": "Stock", "ads": "Ads", "team": "Team"}
AREA_STYLE = {"tickets": "cyan", "inventory": "green", "ads": "magenta", "team": "yellow"}


def _what(item: Item, now: object) -> Text:
    text = Text()
    if item.kind.startswith("signal_"):
        text.append("◆ ", style="bold red")
    text.append_text(safe(item.title))
    return text


COLUMNS = [
    Column("area", "Area", 7, lambda i, n: Text(AREA_LABEL.get(i.area, i.area), style=AREA_STYLE.get(i.area, ""))),
    Column("what", "Needs attention now (◆ cross-area signal)", 30, _what, flex=3),
    Column("kind", "Kind", 22, lambda i, n: Text(describe_kind(i.kind), style="dim"), flex=1, drop=1),
]


class OverviewScreen(AreaScreen):
    AREA = "overview"
    AREA_TITLE = "Overview"
    RELOAD_ON_FIRST_SHOW = False  # on_mount starts the worker; the start-up resumes would start two more
    DEFAULT_CSS = """
    OverviewScreen #overview-items { height: 1fr; }
    OverviewScreen #overview-detail { height: 3; padding: 0 1; background: $boost; }
    OverviewScreen #overview-headlines { height: auto; max-height: 35%; padding: 0 1; overflow-y: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh", id="overview.refresh"),
        Binding("h", "toggle_headlines", "Numbers", id="overview.headlines"),
    ]
    HELP_EXTRA: ClassVar[list[tuple[str, str]]] = [
        ("j/k, Enter", "Move; open the item on its own screen"),
        ("◆", "A cross-area signal: something between two departments"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.overview: Overview | None = None

    def compose_body(self) -> ComposeResult:
        yield WindowTable(COLUMNS, clock=self.dtc.clock, id="overview-items", empty_text="Loading...")
        yield Static(id="overview-detail")
        yield Static(id="overview-headlines")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(WindowTable).focus()
        self.reload_data()

    def on_resize(self) -> None:
        self.show_headlines()

    def reload_data(self) -> None:
        self.compute()

    @work(thread=True, exclusive=True, exit_on_error=False, group="overview")
    def compute(self) -> None:
        overview = self.dtc.facades.overview.build()
        self.app.call_from_thread(self.show, overview)

    def show(self, overview: Overview) -> None:
        self.overview = overview
        table = self.query_one(WindowTable)
        table.empty_text = "Nothing needs attention. All areas are within their targets."
        table.set_source(ListSource(overview.items, key=lambda i: (i.kind, i.title)), keep_cursor=True)
        signals = sum(1 for i in overview.items if i.kind.startswith("signal_"))
        self.set_title_text(f"{len(overview.items)} items · {signals} ◆")
        self.show_detail()
        self.show_headlines()

    def show_detail(self) -> None:
        item = self.query_one(WindowTable).cursor_row
        text = safe(item.detail, limit=400) if item else Text("")
        text.no_wrap = False
        self.query_one("#overview-detail", Static).update(text)

    def show_headlines(self) -> None:
        if self.overview is None:
            return
        # Label coloured by area, value red/green against its target; the target itself only
        # where there is room (the colour already says whether it is met).
        width = self.size.width
        columns = 3 if width >= 150 else 2
        with_target = width >= 100
        table = Table.grid(padding=(0, 1), expand=True)
        for _ in range(columns):
            table.add_column(ratio=3, no_wrap=True, overflow="ellipsis")
            table.add_column(justify="right", no_wrap=True)
            if with_target:
                table.add_column(style="dim", no_wrap=True)
        cells: list[list[Text]] = []
        for h in self.overview.headlines:
            style = "" if h.ok is None else ("green" if h.ok else "bold red")
            cell = [Text(h.label, style=AREA_STYLE.get(h.area, "")), Text(h.value, style=style)]
            cells.append(cell + [Text(h.target)] if with_target else cell)
        while len(cells) % columns:
            cells.append([Text("")] * (3 if with_target else 2))
        for start in range(0, len(cells), columns):
            table.add_row(*[part for cell in cells[start : start + columns] for part in cell])
        self.query_one("#overview-headlines", Static).update(table)

    @on(WindowTable.CursorMoved)
    def _moved(self) -> None:
        self.show_detail()

    @on(WindowTable.RowSelected)
    def _open(self, event: WindowTable.RowSelected) -> None:
        item: Item = event.row
        self.dtc.open_target(item.area, item.target)

    def action_refresh(self) -> None:
        self.reload_data()

    def action_toggle_headlines(self) -> None:
        panel = self.query_one("#overview-headlines")
        panel.display = not panel.display
