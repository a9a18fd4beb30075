"""The overview (key 0, the first screen): what needs the operator now across all areas, most
urgent first, the cross-area signals among them, and each area's headline numbers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from dtc_tui.i18n import N_, _, ngettext
from dtc_tui.services.common import localefmt
from dtc_tui.services.overview.summary import Item, Overview, describe_kind
from dtc_tui.ui import states
from dtc_tui.ui.safe import safe
from dtc_tui.ui.screens.base import AreaScreen
from dtc_tui.ui.widgets.detail import DetailPanel
from dtc_tui.ui.widgets.modals import TextModal
from dtc_tui.ui.widgets.window_table import Column, ListSource, WindowTable

AREA_LABEL = {"tickets": N_("Tickets"), "inventory": N_("Stock"), "ads": N_("Ads"), "team": N_("Team")}
AREA_STYLE = {"tickets": "cyan", "inventory": "green", "ads": "magenta", "team": "yellow"}


def _what(item: Item, now: object) -> Text:
    text = Text()
    if item.kind.startswith("signal_"):
        text.append(states.glyph("signal") + " ", style=states.style("signal"))
    text.append_text(safe(item.shown_title()))
    return text


COLUMNS = [
    Column(
        "area", N_("Area"), 7, lambda i, n: Text(_(AREA_LABEL.get(i.area, i.area)), style=AREA_STYLE.get(i.area, ""))
    ),
    Column("what", N_("Needs attention now"), 30, _what, flex=3),  # + the signal glyph, in compose_body
    Column("kind", N_("Kind"), 22, lambda i, n: Text(describe_kind(i.kind), style="dim"), flex=1, drop=1),
]


class OverviewScreen(AreaScreen):
    AREA = "overview"
    AREA_TITLE = N_("Overview")
    RELOAD_ON_FIRST_SHOW = False  # on_mount starts the worker; the start-up resumes would start two more
    DEFAULT_CSS = """
    OverviewScreen #overview-items { height: 1fr; }
    OverviewScreen #overview-detail { background: $boost; }
    OverviewScreen #overview-headlines { height: auto; max-height: 35%; padding: 0 1; overflow-y: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", N_("Refresh"), id="overview.refresh"),
        Binding("h", "toggle_headlines", N_("Numbers"), id="overview.headlines"),
        Binding("a", "acknowledge", N_("Acknowledge"), id="overview.acknowledge"),
        Binding("z", "snooze", N_("Snooze"), id="overview.snooze"),
        Binding("H", "toggle_hidden", N_("Acknowledged"), show=False, id="overview.hidden"),
    ]
    HELP_EXTRA: ClassVar[list[tuple[str, str]]] = [
        ("j/k, g/G, Enter", N_("Move; open the item on its own screen")),
        (
            "a / z",
            N_(
                "Acknowledge with a note / snooze until a time (2h, 1d, 2026-11-21T09:00): hidden until then "
                "or until the item's numbers change (setting overview.ack_scope: operator or team)"
            ),
        ),
        (N_("H, then a"), N_("List the acknowledged and snoozed items; a shows the one under the cursor again")),
    ]

    @property
    def help_extra(self) -> list[tuple[str, str]]:
        """The rows whose glyphs follow the glyphs setting, read when the help opens."""
        return [
            *self.HELP_EXTRA,
            (states.glyph("signal"), _("A cross-area signal: something between two departments")),
            (states.legend(), _("Next to a number: against its target")),
        ]

    def __init__(self) -> None:
        super().__init__()
        self.overview: Overview | None = None
        self.showing_hidden = False
        self._hidden_items: dict[tuple[str, str], Item] = {}  # shown row -> the item as built

    def compose_body(self) -> ComposeResult:
        what = _("Needs attention now ({glyph} cross-area signal)").format(glyph=states.glyph("signal"))
        columns = [replace(c, label=what) if c.key == "what" else c for c in COLUMNS]
        yield WindowTable(columns, clock=self.dtc.clock, id="overview-items", empty_text=_("Loading..."))
        yield DetailPanel(max_lines=6, hint=_("Enter opens it"), id="overview-detail")
        yield Static(id="overview-headlines")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(WindowTable).focus()
        self.reload_data()

    def on_resize(self) -> None:
        self.show_headlines()

    def reload_data(self) -> None:
        self.compute()

    @work(exclusive=True, exit_on_error=False, group="overview")
    async def compute(self) -> None:
        overview = await self.dtc.read_in_background(self.dtc.facades.overview.build, "overview")
        if overview is not None:
            self.show(overview)

    def show(self, overview: Overview) -> None:
        self.overview = overview
        table = self.query_one(WindowTable)
        hidden = overview.hidden
        if self.showing_hidden:
            rows = []
            self._hidden_items = {}
            for h in hidden:
                until = localefmt.moment(h.until) + " UTC" if h.until else ""
                who = _("{who} for the team").format(who=h.by) if h.team else h.by
                if h.kind == "ack":
                    label = _("acknowledged by {who}").format(who=who)
                elif until:
                    label = _("snoozed by {who} until {until}").format(who=who, until=until)
                else:
                    label = _("snoozed by {who}").format(who=who)
                note = _("note: {note}").format(note=h.note) + " · " if h.note else ""
                row = replace(
                    h.item,
                    title=f"[{label}] {h.item.title}",
                    detail=note + h.item.shown_detail(),
                    title_msg=("[{label}] {title}", (("label", label), ("title", h.item.shown_title()))),
                    detail_msg=None,
                )
                self._hidden_items[(row.kind, row.title)] = h.item
                rows.append(row)
            table.empty_text = _("Nothing acknowledged or snoozed. H goes back to the list.")
        else:
            rows = overview.items
            table.empty_text = _("Nothing needs attention. All areas are within their targets.")
        table.set_source(ListSource(rows, key=lambda i: (i.kind, i.title)), keep_cursor=True)
        signals = sum(1 for i in overview.items if i.kind.startswith("signal_"))
        title = ngettext("{count} item", "{count} items", len(overview.items)).format(
            count=localefmt.number(len(overview.items))
        )
        title += f" · {signals} {states.glyph('signal')}"
        if hidden:
            title += " · " + _("{count} acknowledged (H)").format(count=len(hidden))
        if self.showing_hidden:
            title = _("acknowledged and snoozed: {count} (H: back, a: show again)").format(count=len(hidden))
        self.set_title_text(title)
        self.show_detail()
        self.show_headlines()

    def show_detail(self) -> None:
        item = self.query_one(WindowTable).cursor_row
        text = safe(item.shown_detail(), limit=400) if item else Text("")
        text.no_wrap = False
        self.query_one("#overview-detail", DetailPanel).update(text)

    def show_headlines(self) -> None:
        if self.overview is None:
            return
        # Label coloured by area, value red/green against its target; the target itself only
        # where there is room (the colour already says whether it is met).
        width = self.size.width
        columns = 3 if width >= 150 else 2
        with_target = width >= 100
        table = Table.grid(padding=(0, 1), expand=True)
        for _column in range(columns):
            table.add_column(ratio=3, no_wrap=True, overflow="ellipsis")
            table.add_column(justify="right", no_wrap=True)
            if with_target:
                table.add_column(style="dim", no_wrap=True)
        cells: list[list[Text]] = []
        for h in self.overview.headlines:
            cell = [Text(_(h.label), style=AREA_STYLE.get(h.area, "")), states.verdict(h.ok, h.value)]
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

    def _cursor_item(self) -> Item | None:
        item: Item | None = self.query_one(WindowTable).cursor_row
        if item is None:
            self.dtc.notify(_("No item selected."), severity="warning")
        return item

    def action_acknowledge(self) -> None:
        item = self._cursor_item()
        if item is None:
            return
        if self.showing_hidden:  # in the acknowledged list, a shows the item again
            original = self._hidden_items.get((item.kind, item.title), item)
            self._write(
                lambda: self.dtc.facades.overview.restore(original),
                _("shown again: {title}").format(title=original.shown_title()),
            )
            return

        def entered(note: str | None) -> None:
            if note is not None:
                self._write(
                    lambda: self.dtc.facades.overview.acknowledge(item, note),
                    lambda who: (
                        _("acknowledged for the team until its numbers change: {title}")
                        if who == "the team"
                        else _("acknowledged for you until its numbers change: {title}")
                    ).format(title=item.shown_title()),
                )

        self.app.push_screen(
            TextModal(
                _("Acknowledge: {title}").format(title=item.shown_title()),
                hint=_("a note (optional); Enter saves, Esc cancels"),
                append=True,
            ),
            entered,
        )

    def action_snooze(self) -> None:
        item = self._cursor_item()
        if item is None or self.showing_hidden:
            return

        def entered(text: str | None) -> None:
            if text is None:
                return
            until, _space, note = text.strip().partition(" ")
            self._write(
                lambda: self.dtc.facades.overview.snooze(item, until, note),
                lambda end: _("snoozed until {until} UTC (or until its numbers change): {title}").format(
                    until=localefmt.moment(end), title=item.shown_title()
                ),
            )

        self.app.push_screen(
            TextModal(
                _("Snooze: {title}").format(title=item.shown_title()),
                "",
                hint=_("until when, then a note: 2h | 1d | 2026-11-21T09:00  waiting for the supplier"),
                append=True,
            ),
            entered,
        )

    def _write(self, work: Callable[[], Any], message: str | Callable[[Any], str]) -> None:
        with self.dtc.user_errors(title=_("Overview")):
            result = self.dtc.with_retry(work)
            self.dtc.notify_safe(message(result) if callable(message) else message)
            self.dtc.mark_seen()
            self.reload_data()

    def action_toggle_hidden(self) -> None:
        self.showing_hidden = not self.showing_hidden
        if self.overview is not None:
            self.show(self.overview)

    def action_toggle_headlines(self) -> None:
        panel = self.query_one("#overview-headlines")
        panel.display = not panel.display
