"""The audit log: every change, newest first; ``/`` filters (who: entity: id: action: since: and free
text); Enter opens one change in full. Opened from a record's view (``H``: "history of this record")
it starts filtered on that record, and Esc goes back to the record."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Static

from dtc_tui.i18n import N_, _, ngettext
from dtc_tui.services.common import localefmt
from dtc_tui.services.common.audit import AUDIT_FILTER, EntryDetail, describe_change
from dtc_tui.services.common.filters import ParsedFilter
from dtc_tui.ui.safe import safe
from dtc_tui.ui.screens.base import AreaScreen, TitleBar
from dtc_tui.ui.widgets.footer import KeysFooter
from dtc_tui.ui.widgets.window_table import Column, WindowTable

COLUMNS = [
    Column("at", N_("When (UTC)"), 19, lambda r, n: Text(f"{r.at:%Y-%m-%d %H:%M:%S}")),
    Column("actor", N_("Who"), 10, lambda r, n: safe(r.actor)),
    Column("action", N_("Action"), 10, lambda r, n: Text(r.action)),
    Column("entity", N_("Record"), 16, lambda r, n: safe(f"{r.entity} {r.entity_id}")),
    Column("change", N_("Before -> after"), 20, lambda r, n: safe(describe_change(r)), flex=1),
]


class AuditScreen(AreaScreen):
    AREA = "audit"
    AREA_TITLE = N_("Audit log")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", N_("Filter"), id="audit.filter"),
        Binding("escape", "clear_filter", N_("Clear"), show=False, id="audit.clear"),
    ]
    HELP_EXTRA: ClassVar[list[tuple[str, str]]] = [
        ("j/k, g/G, PgUp/PgDn", N_("Move")),
        ("Enter", N_("The change in full: every field before and after, names for ids")),
    ]

    @property
    def help_extra(self) -> list[tuple[str, str]]:
        """The filter's lines too, written when the help opens (in the language spoken then)."""
        return [*self.HELP_EXTRA, *[(f"/ {syntax}", meaning) for syntax, meaning in AUDIT_FILTER.help_lines()]]

    def __init__(self, history: tuple[str, str] | None = None) -> None:
        """``history`` = (entity, id): the history of one record, opened from its view."""
        super().__init__()
        self.history = history
        self.filter = (
            AUDIT_FILTER.parse(f'entity:{history[0]} id:"{history[1]}"') if history is not None else ParsedFilter()
        )
        self._history_filter = self.filter

    def compose_body(self) -> ComposeResult:
        yield Input(
            placeholder=_("who:ana  entity:ticket  since:2h  refund"), id="audit-filter", classes="filter-input"
        )
        yield WindowTable(COLUMNS, clock=self.dtc.clock, id="audit", empty_text=N_("No changes recorded yet."))
        yield Static(id="audit-status", classes="status-line")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(WindowTable).focus()
        self.reload_data()

    def reload_data(self) -> None:
        table = self.query_one(WindowTable)
        table.set_source(self.dtc.facades.audit.source(self.filter), keep_cursor=True)
        shown = self.filter.describe()
        status = Text()
        if self.history is not None and self.filter == self._history_filter:
            status.append(
                _("history of {entity} {id}").format(entity=self.history[0], id=self.history[1]) + "  ", style="bold"
            )
        status.append(
            ngettext("{count} change", "{count} changes", table.row_count).format(
                count=localefmt.number(table.row_count)
            )
        )
        if shown:
            status.append("  " + _("filter:") + " ")
            status.append_text(safe(shown))
        self.query_one("#audit-status", Static).update(status)

    def action_filter(self) -> None:
        box = self.query_one("#audit-filter", Input)
        box.add_class("-visible")
        box.focus()

    def action_clear_filter(self) -> None:
        if self.history is not None and not self.query_one("#audit-filter", Input).has_class("-visible"):
            self.app.pop_screen()  # Esc in a record's history goes back to the record
            return
        self.filter = ParsedFilter()
        self.query_one("#audit-filter", Input).remove_class("-visible")
        self.reload_data()
        self.query_one(WindowTable).focus()

    @on(Input.Submitted, "#audit-filter")
    def _submitted(self, event: Input.Submitted) -> None:
        with self.dtc.user_errors(title=_("Filter")):
            log_filter = AUDIT_FILTER.parse(event.value)
            self.dtc.facades.audit.source(log_filter)  # reads since:; a bad one raises
            self.filter = log_filter
            event.input.remove_class("-visible")
            self.reload_data()
            self.query_one(WindowTable).focus()

    @on(WindowTable.RowSelected)
    def _open(self, event: WindowTable.RowSelected) -> None:
        detail = self.dtc.facades.audit.detail(event.row.id)
        if detail is None:
            self.dtc.notify(_("This change is no longer in the log."), severity="warning")
            return
        self.app.push_screen(AuditDetailScreen(detail))


class AuditDetailScreen(Screen[None]):
    """One change in full: when, who, what, and every field before and after (no cutting)."""

    AREA = "audit"
    AREA_TITLE = N_("Change")
    DEFAULT_CSS = """
    AuditDetailScreen #audit-detail-body { padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "back", N_("Back"), id="audit_detail.back"),
        Binding("j,down", "scroll('down')", N_("Down"), show=False, id="audit_detail.down"),
        Binding("k,up", "scroll('up')", N_("Up"), show=False, id="audit_detail.up"),
        Binding("g,home", "scroll('home')", N_("Top"), show=False, id="audit_detail.top"),
        Binding("G,end", "scroll('end')", N_("Bottom"), show=False, id="audit_detail.bottom"),
    ]

    def __init__(self, detail: EntryDetail) -> None:
        super().__init__()
        self.detail = detail

    def compose(self) -> ComposeResult:
        e = self.detail.entry
        title = Text(_("Change #{id}").format(id=e.id) + "  ", style="bold")
        title.append_text(safe(f"{e.entity} {e.entity_id} · {e.action} · {e.actor} · {e.at:%Y-%m-%d %H:%M:%S} UTC"))
        yield TitleBar(title)
        with VerticalScroll(id="audit-detail-body"):
            yield Static(self._table(), id="audit-detail")
        yield KeysFooter()

    def _table(self) -> Table | Text:
        changes = self.detail.changes
        if not changes:
            return Text(_("No fields recorded for this change."), style="dim")
        table = Table(expand=True, show_edge=False, pad_edge=False)
        table.add_column(_("Field"), no_wrap=True, style="bold")
        table.add_column(_("Before"), overflow="fold", ratio=1)
        table.add_column(_("After"), overflow="fold", ratio=1)
        derived_started = False
        for change in changes:
            if change.derived and not derived_started:
                derived_started = True
                table.add_section()
                table.add_row(Text(_("recomputed by the change:"), style="dim italic"), "", "")
            table.add_row(safe(change.field), safe(change.before), safe(change.after))
        return table

    def action_scroll(self, where: str) -> None:
        body = self.query_one("#audit-detail-body", VerticalScroll)
        {"down": body.scroll_down, "up": body.scroll_up, "home": body.scroll_home, "end": body.scroll_end}[where]()

    def action_back(self) -> None:
        self.app.pop_screen()


def open_history(app: object, entity: str, entity_id: object) -> None:
    """ "History of this record": the audit log filtered on one record, pushed over its view (Esc: back)."""
    app.push_screen(AuditScreen(history=(entity, str(entity_id))))  # type: ignore[attr-defined]
