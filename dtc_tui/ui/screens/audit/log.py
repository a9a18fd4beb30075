"""The audit log: every change, newest first; ``/`` filters by kind of record or by operator."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from dtc_tui.services.common.audit import AUDIT_FILTER, describe_change
from dtc_tui.services.common.filters import ParsedFilter
from dtc_tui.ui.safe import safe
from dtc_tui.ui.screens.base import AreaScreen
from dtc_tui.ui.widgets.window_table import Column, WindowTable

COLUMNS = [
    Column("at", "When (UTC)", 19, lambda r, n: Text(f"{r.at:%Y-%m-%d %H:%M:%S}")),
    Column("actor", "Who", 10, lambda r, n: safe(r.actor)),
    Column("action", "Action", 10, lambda r, n: Text(r.action)),
    Column("entity", "Record", 16, lambda r, n: safe(f"{r.entity} {r.entity_id}")),
    Column("change", "Before -> after", 20, lambda r, n: safe(describe_change(r)), flex=1),
]


class AuditScreen(AreaScreen):
    AREA = "audit"
    AREA_TITLE = "Audit log"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="audit.filter"),
        Binding("escape", "clear_filter", "Clear", show=False, id="audit.clear"),
    ]
    HELP_EXTRA: ClassVar[list[tuple[str, str]]] = [
        (f"/ {syntax}", meaning) for syntax, meaning in AUDIT_FILTER.help_lines()
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter = ParsedFilter()

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="who:ana  entity:ticket  since:2h  refund", id="audit-filter", classes="filter-input")
        yield WindowTable(COLUMNS, clock=self.dtc.clock, id="audit", empty_text="No changes recorded yet.")
        yield Static(id="audit-status", classes="status-line")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(WindowTable).focus()
        self.reload_data()

    def reload_data(self) -> None:
        table = self.query_one(WindowTable)
        table.set_source(self.dtc.facades.audit.source(self.filter), keep_cursor=True)
        shown = self.filter.describe()
        status = Text(f"{table.row_count:,} changes")
        if shown:
            status.append("  filter: ")
            status.append_text(safe(shown))
        self.query_one("#audit-status", Static).update(status)

    def action_filter(self) -> None:
        box = self.query_one("#audit-filter", Input)
        box.add_class("-visible")
        box.focus()

    def action_clear_filter(self) -> None:
        self.filter = ParsedFilter()
        self.query_one("#audit-filter", Input).remove_class("-visible")
        self.reload_data()
        self.query_one(WindowTable).focus()

    @on(Input.Submitted, "#audit-filter")
    def _submitted(self, event: Input.Submitted) -> None:
        with self.dtc.user_errors(title="Filter"):
            log_filter = AUDIT_FILTER.parse(event.value)
            self.dtc.facades.audit.source(log_filter)  # reads since:; a bad one raises
            self.filter = log_filter
            event.input.remove_class("-visible")
            self.reload_data()
            self.query_one(WindowTable).focus()
