"""The ticket queue: a live, SQL-windowed table with SLA timers, views and a filter."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import ClassVar, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from dtc_tui.i18n import N_, _
from dtc_tui.services.common import localefmt
from dtc_tui.services.common.filters import ParsedFilter
from dtc_tui.services.overview.targets import MoreTarget, QueueTarget, Target, TicketTarget
from dtc_tui.services.tickets import sla
from dtc_tui.services.tickets.queue import (
    QUEUE_FILTER,
    SORTS,
    VIEWS,
    QueueQuery,
    QueueRow,
)
from dtc_tui.ui import states
from dtc_tui.ui.facades.tickets import priority_label, status_label
from dtc_tui.ui.safe import safe
from dtc_tui.ui.screens.base import AreaScreen
from dtc_tui.ui.screens.tickets.actions import TICKET_BINDINGS, TicketActions
from dtc_tui.ui.widgets.window_table import Column, WindowTable

PRIORITY_STYLE = {"urgent": "bold red", "high": "yellow", "normal": "", "low": "dim"}


def sla_cell(row: QueueRow, now: datetime) -> Text:
    """The next SLA clock: ``! -1d3h`` breached, ``~ 2h10m`` at risk, ``4h00m`` running, ``✓`` met."""
    state = sla.display_state(now, row.next_due_at, row.next_risk_at, row.status)
    if state == "paused":
        return Text(_("paused"), style="dim")
    if state == "met":
        return states.mark("met", "", sep="")
    if state == "none":
        return Text("-", style="dim")
    remaining = sla.format_remaining(now, row.next_due_at)
    if state in ("breached", "at_risk"):
        return states.mark(state, remaining)
    return Text(remaining, style=states.style("met"))


DRAFT_MARK = "✎"  # before the id: you have an unsent reply draft on this ticket


def id_cell(row: QueueRow, now: datetime) -> Text:
    text = Text(states.glyph("draft"), style=states.style("draft")) if row.draft else Text()
    text.append(str(row.id))
    return text


QUEUE_COLUMNS = [
    Column("id", "#", 6, id_cell, align="right"),
    Column("sla", N_("SLA"), 9, sla_cell, align="right"),
    Column(
        "priority",
        N_("Prio"),
        6,
        lambda r, n: Text(priority_label(r.priority), style=PRIORITY_STYLE.get(r.priority, "")),
    ),
    Column("channel", N_("Channel"), 9, lambda r, n: Text(r.channel), drop=3),
    Column("language", N_("Lang"), 4, lambda r, n: Text(r.language), drop=4),
    Column("customer", N_("Customer"), 14, lambda r, n: safe(r.customer), flex=1, drop=1),
    Column("subject", N_("Subject"), 20, lambda r, n: safe(r.subject), flex=3),
    Column("category", N_("Category"), 10, lambda r, n: Text(r.category), drop=2),
    Column("assignee", N_("Owner"), 7, lambda r, n: Text(r.assignee or "-", style="" if r.assignee else "dim")),
    Column("status", N_("Status"), 8, lambda r, n: Text(status_label(r.status))),
]


def queue_columns() -> list[Column]:
    """The queue's columns with their titles in the language spoken now."""
    return [replace(column, label=_(column.label)) for column in QUEUE_COLUMNS]


class TicketsScreen(TicketActions, AreaScreen):
    AREA = "tickets"
    AREA_TITLE = N_("Tickets")
    DEFAULT_CSS = """
    TicketsScreen #queue-status { height: 1; padding: 0 1; background: $panel; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        *TICKET_BINDINGS,
        Binding("slash", "filter", N_("Filter"), id="tickets.filter"),
        Binding("K", "kpis", N_("KPIs"), show=False, id="tickets.kpis"),
        Binding("O", "orders", N_("Orders"), show=False, id="tickets.orders"),
        Binding("S", "sla_settings", N_("SLA settings"), show=False, id="tickets.sla_settings"),  # palette, help
        Binding("v", "next_view", N_("View"), id="tickets.view"),
        Binding("o", "next_sort", N_("Sort"), show=False, id="tickets.sort"),
        Binding("escape", "clear_filter", N_("Clear"), show=False, id="tickets.clear"),
    ]

    @property
    def HELP_EXTRA(self) -> list[tuple[str, str]]:
        """The extra rows of the help screen (?), in the language spoken now."""
        return [
            ("j/k, g/G, PgUp/PgDn", _("Move in the queue")),
            ("Enter", _("Open the ticket")),
            (
                _("{mark} before the id").format(mark=DRAFT_MARK),
                _("You have an unsent reply draft there (r continues it)"),
            ),
            ("space / V", _("Mark a ticket / the page; then a, p or s change all marked")),
            *[(f"/ {syntax}", _(meaning)) for syntax, meaning in QUEUE_FILTER.help_lines()],
        ]

    def __init__(self) -> None:
        super().__init__()
        self.view = "all_open"
        self.sort = "due"
        self.filter = ParsedFilter()
        self._me: int | None = None
        self.showing = ""  # what a jump from the overview shows ("showing: breached tickets"), until changed

    def compose_body(self) -> ComposeResult:
        yield Input(
            placeholder=_("filter: channel:whatsapp lang:de prio:high  or text"),
            id="queue-filter",
            classes="filter-input",
        )
        yield WindowTable(
            queue_columns(), clock=self.dtc.clock, id="queue", empty_text=_("No tickets in this view."), markable=True
        )
        yield Static(id="queue-status")

    def on_mount(self) -> None:
        super().on_mount()
        self.table.focus()
        self.reload_data()

    @property
    def table(self) -> WindowTable:
        return self.query_one("#queue", WindowTable)

    def build_query(self) -> QueueQuery:
        now = self.dtc.clock.now()
        local_midnight = now.astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
        if self._me is None:
            self._me = self.dtc.facades.tickets.operator_id()
        return QueueQuery(
            view=self.view, filter=self.filter, sort=self.sort, me=self._me, now=now, today_start=local_midnight
        )

    def show_query(self) -> None:
        """A new view, sort or filter from its top: the first page drawn at once, the count (a
        count over every matching ticket: ~20-35 ms at 100k open) taken in a thread meanwhile."""
        self.table.set_source(self.dtc.facades.tickets.queue_source(self.build_query()), count_later=True)
        self.update_status()

    def reload_data(self) -> None:
        self.table.set_source(self.dtc.facades.tickets.queue_source(self.build_query()), keep_cursor=True)
        self.update_status()

    def update_status(self) -> None:
        text = Text()
        if self.showing:
            text.append(f"{self.showing}  ", style="bold")
        text.append(f" {_(VIEWS[self.view])} ", style="reverse")
        text.append("  " + _("sort: {sort}").format(sort=_(SORTS[self.sort])) + "  ")
        if not self.filter.empty:
            text.append(_("filter: "))
            text.append_text(safe(self.filter.describe()))
            text.append("  ")
        text.append(self.table.position_text(), style="dim")
        # One line high, the screen's width (CSS): a new text never changes the layout, so no relayout.
        self.query_one("#queue-status", Static).update(text, layout=False)

    def on_tick(self) -> None:
        self.table.refresh()

    @on(WindowTable.CursorMoved)
    @on(WindowTable.MarksChanged)
    def _cursor_moved(self) -> None:
        self.update_status()

    @on(WindowTable.RowSelected)
    def _open_ticket(self, event: WindowTable.RowSelected) -> None:
        from dtc_tui.ui.screens.tickets.view import TicketScreen

        self.app.push_screen(TicketScreen(event.row.id))

    # --- TicketActions hooks --------------------------------------------------------------------

    def target_tickets(self) -> list[tuple[int, int | None]]:
        table = self.table
        if table.marked:
            return [
                (int(key), None) for key in sorted(cast("set[int]", table.marked))
            ]  # the queue's keys are ticket ids
        row = table.cursor_row
        return [(row.id, row.version)] if row is not None else []

    def after_ticket_change(self) -> None:
        self._me = None
        self.table.reload()
        self.update_status()

    def draft_saved(self, ticket_id: int, outcome: str) -> None:
        """The draft saver stored (or deleted) a draft: redraw the rows' draft marks."""
        if self.is_mounted:
            self.table.reload()

    def clear_ticket_marks(self) -> None:
        self.table.clear_marks()

    def shown_ticket_value(self, field: str) -> str | None:
        row = self.table.cursor_row
        return _as_choice(getattr(row, field)) if row is not None and not self.table.marked else None

    def show_target(self, target: Target) -> None:
        """Open what the overview points at: a ticket, a filtered queue or a view."""
        if isinstance(target, TicketTarget):
            from dtc_tui.ui.screens.tickets.view import TicketScreen

            self.app.push_screen(TicketScreen(target.ticket_id))
        elif isinstance(target, QueueTarget):
            # A jump shows exactly what the overview counted: the old view, sort and filter are reset.
            self._show_jump(
                "all_open",
                QUEUE_FILTER.parse(target.filter),
                _("tickets matching {filter}").format(filter=target.filter),
            )
        elif isinstance(target, MoreTarget) and target.more in ("ticket_breached", "ticket_at_risk"):
            breached = target.more == "ticket_breached"
            self._show_jump(
                "breached" if breached else "at_risk",
                ParsedFilter(),
                _("breached tickets") if breached else _("tickets at risk"),
            )

    def _show_jump(self, view: str, parsed: ParsedFilter, what: str) -> None:
        self.view, self.sort, self.filter = view, "due", parsed
        box = self.query_one("#queue-filter", Input)
        box.value = ""
        box.remove_class("-visible")
        self.table.clear_marks()
        self.table.set_source(self.dtc.facades.tickets.queue_source(self.build_query()))
        self.showing = _("showing: {what} ({count})").format(what=what, count=localefmt.number(self.table.row_count))
        self.update_status()
        self.table.focus()
        self.dtc.notify_safe(self.showing)

    def action_kpis(self) -> None:
        from dtc_tui.ui.screens.tickets.kpis import KpiScreen

        self.app.push_screen(KpiScreen())

    def action_orders(self) -> None:
        from dtc_tui.ui.screens.orders.search import OrdersScreen

        self.app.push_screen(OrdersScreen())

    def action_sla_settings(self) -> None:
        from dtc_tui.ui.screens.tickets.sla_settings import SlaSettingsScreen

        self.app.push_screen(SlaSettingsScreen())

    def action_next_view(self) -> None:
        self.showing = ""
        views = list(VIEWS)
        self.view = views[(views.index(self.view) + 1) % len(views)]
        self.show_query()

    def action_next_sort(self) -> None:
        self.showing = ""
        sorts = list(SORTS)
        self.sort = sorts[(sorts.index(self.sort) + 1) % len(sorts)]
        self.show_query()

    def action_filter(self) -> None:
        box = self.query_one("#queue-filter", Input)
        box.add_class("-visible")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#queue-filter", Input)
        box.value = ""
        box.remove_class("-visible")
        if not self.filter.empty:
            self.filter = ParsedFilter()
            self.showing = ""
            # The row under the cursor stays under it; the count of every open ticket comes from a
            # thread when that row is on the first page (PostgreSQL at 1M: ~15 ms off the key).
            source = self.dtc.facades.tickets.queue_source(self.build_query())
            self.table.set_source(source, keep_cursor=True, count_later=True)
            self.update_status()
        self.table.focus()

    @on(Input.Submitted, "#queue-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        with self.dtc.user_errors(title=_("Filter")):
            self.filter = QUEUE_FILTER.parse(event.value)
            self.showing = ""
            event.input.remove_class("-visible")
            self.show_query()
            self.table.focus()


def _as_choice(value: object) -> str:
    """A row's value as the pickers' option id (an unassigned ticket is "-")."""
    return "-" if value is None else str(value)
