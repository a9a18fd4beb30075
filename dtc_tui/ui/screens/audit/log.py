"""The audit log: every change, newest first; ``/`` filters by kind of record or by operator."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from dtc_tui.services.common.audit import describe_change
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
    HELP_EXTRA: ClassVar[list[tuple[str, str]]] = [("/ then entity:ticket or who:ana", "Filter the log")]

    def __init__(self) -> None:
        super().__init__()
        self.entity: str | None = None
        self.actor: str | None = None

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="entity:ticket  who:ana", id="audit-filter", classes="filter-input")
        yield WindowTable(COLUMNS, clock=self.dtc.clock, id="audit", empty_text="No changes recorded yet.")
        yield Static(id="audit-status", classes="status-line")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(WindowTable).focus()
        self.reload_data()

    def reload_data(self) -> None:
        table = self.query_one(WindowTable)
        table.set_source(self.dtc.facades.audit.source(entity=self.entity, actor=self.actor), keep_cursor=True)
        shown = " ".join(
            part
            for part in (f"entity:{self.entity}" if self.entity else "", f"who:{self.actor}" if self.actor else "")
            if part
        )
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
        self.entity = self.actor = None
        self.query_one("#audit-filter", Input).remove_class("-visible")
        self.reload_data()
        self.query_one(WindowTable).focus()

    @on(Input.Submitted, "#audit-filter")
    def _submitted(self, event: Input.Submitted) -> None:
        self.entity = self.actor = None
        for part in event.value.split():
            name, _, value = part.partition(":")
            if name in ("entity", "record") and value:
                self.entity = value
            elif name in ("who", "actor") and value:
                self.actor = value
        event.input.remove_class("-visible")
        self.reload_data()
        self.query_one(WindowTable).focus()
