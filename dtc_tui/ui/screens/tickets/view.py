"""One ticket: its fields, every SLA clock, the conversation, the events, order and SKU."""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from dtc_tui.i18n import N_, _, ngettext
from dtc_tui.services.common import localefmt, presence
from dtc_tui.services.mail.outbox import OutboxView
from dtc_tui.services.mail.parse import QUOTE_MARKER
from dtc_tui.services.tickets import sla
from dtc_tui.services.tickets.detail import TicketDetail
from dtc_tui.ui import states
from dtc_tui.ui.facades.tickets import priority_label, status_label
from dtc_tui.ui.safe import safe, safe_block
from dtc_tui.ui.screens.base import TitleBar
from dtc_tui.ui.screens.tickets.actions import TICKET_BINDINGS, TicketActions
from dtc_tui.ui.widgets.footer import KeysFooter
from dtc_tui.ui.widgets.vim import VimScroll

PRESENCE_SECONDS = 5.0
CLOCK_STYLE = {"ok": "green", "paused": "dim"}  # breached / at risk / met: the shared glyphs (ui/states.py)
METRIC_LABEL = {
    "first_response": N_("First response"),
    "next_response": N_("Next response"),
    "resolution": N_("Resolution"),
}
CLOCK_WORDS = {
    "breached": N_("breached"),
    "at_risk": N_("at risk"),
    "met": N_("met"),
    "ok": N_("ok"),
    "running": N_("running"),
    "paused": N_("paused"),
}
KIND_LABEL = {"customer": N_("customer"), "reply": N_("reply"), "note": N_("note")}
# The events table's "What": the stored event kind, in words of the language spoken (English: the kind itself).
EVENT_KIND_LABEL = {
    "created": N_("created"),
    "claim": N_("claim"),
    "assign": N_("assign"),
    "auto_assign": N_("auto_assign"),
    "status": N_("status"),
    "priority": N_("priority"),
    "tags": N_("tags"),
    "reply": N_("reply"),
    "note": N_("note"),
    "escalate": N_("escalate"),
    "customer_message": N_("customer_message"),
    "refund_status": N_("refund_status"),
    "bulk": N_("bulk"),
    "undo": N_("undo"),
}
MAIL_STYLE = {"sent": "green", "failed": "bold red", "retrying": "yellow", "queued": "dim", "sending": "dim"}
KIND_STYLE = {"customer": "bold cyan", "reply": "bold green", "note": "bold yellow"}


class TicketScreen(TicketActions, Screen[None]):
    AREA = "tickets"
    AREA_TITLE = N_("Ticket")
    DEFAULT_CSS = """
    TicketScreen #ticket-body { padding: 0 1; }
    TicketScreen .section { margin-top: 1; }
    TicketScreen #presence { height: auto; color: $warning; padding: 0 1; }
    TicketScreen #ticket-draft { height: auto; padding: 0 1; display: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        *TICKET_BINDINGS,
        Binding("R", "retry_mail", N_("Retry mail"), show=False, id="ticket.retry_mail"),
        Binding("f", "toggle_quotes", N_("Quoted mail"), show=False, id="ticket.toggle_quotes"),
        Binding("escape,backspace", "back", N_("Back"), id="ticket.back"),
        Binding("O", "open_order", N_("Order"), show=False, id="ticket.order"),
        Binding("dollar_sign", "refund", N_("Refund state"), show=False, id="ticket.refund"),
        Binding("H", "history", N_("History"), show=False, id="ticket.history"),
        Binding("j,down", "scroll_down", N_("Down"), show=False, id="ticket.down"),
        Binding("k,up", "scroll_up", N_("Up"), show=False, id="ticket.up"),
    ]

    def __init__(self, ticket_id: int) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.detail: TicketDetail | None = None
        self.order_name: str | None = None  # the linked order, opened with O
        self.mail_states: dict[int, OutboxView] = {}
        self.show_quoted = False

    @property
    def dtc(self):
        return self.app

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title-bar")
        yield Static(id="presence")
        yield Static(id="ticket-draft")
        with VimScroll(id="ticket-body"):  # j/k (the screen's), g/G
            yield Static(id="ticket-head")
            yield Static(id="ticket-order", classes="section")
            yield Static(id="ticket-clocks", classes="section")
            yield Static(id="ticket-thread", classes="section")
            yield Static(id="ticket-events", classes="section")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.reload_data()
        self.query_one("#ticket-body").focus()
        self.presence_state = "viewing"
        self.visit = self.app.presence.visit("ticket", self.ticket_id)
        self.beat()
        self.set_interval(PRESENCE_SECONDS, self.beat, name="presence")

    def on_unmount(self) -> None:
        self.visit.leave()  # final: a heartbeat still queued behind a busy database writes nothing

    def beat(self) -> None:
        """Heartbeat our presence and show who else has this ticket open."""
        # In a worker: a busy database skips this beat instead of freezing (or crashing) the screen.
        self.visit.beat(self.presence_state)
        self.show_others()

    def show_others(self) -> None:
        viewers = self.app.facades.presence.others("ticket", self.ticket_id)
        text = safe(_("Also here: {who}").format(who=presence.describe(viewers))) if viewers else Text("")
        self.query_one("#presence", Static).update(text)

    def set_presence(self, ticket_id: int, state: str) -> None:
        self.presence_state = state
        if self.is_mounted:
            self.beat()

    def on_tick(self) -> None:
        self.render_clocks()

    def reload_data(self) -> None:
        self.detail = self.app.facades.tickets.detail(self.ticket_id)
        self.mail_states = self.app.mail.reply_states(self.ticket_id)
        title = Text(_("Ticket {id}").format(id=self.ticket_id), style="bold")
        title.append(f"   {self.app.operator}@{self.app.database_label}", style="dim")
        self.query_one(TitleBar).update(title)
        if self.detail is None:
            self.query_one("#ticket-head", Static).update(
                Text(_("Ticket {id} no longer exists.").format(id=self.ticket_id))
            )
            return
        self.render_head()
        self.render_draft()
        self.render_order()
        self.render_clocks()
        self.render_thread()

    def render_draft(self) -> None:
        """Say so when the operator has an unsent reply draft here (r continues it)."""
        from dtc_tui.ui.screens.tickets.reply import pending_draft_ids

        has = self.ticket_id in pending_draft_ids(self.app) or bool(
            self.app.facades.replies.draft_ticket_ids([self.ticket_id])
        )
        widget = self.query_one("#ticket-draft", Static)
        widget.display = has
        if has:
            widget.update(Text(_("✎ You have an unsent reply draft on this ticket: r continues it."), style="bold"))

    def draft_saved(self, ticket_id: int, outcome: str) -> None:
        """The draft saver stored (or deleted) a draft: show the mark as it is now."""
        if ticket_id == self.ticket_id and self.detail is not None:
            self.render_draft()

    def render_order(self) -> None:
        """The order the ticket is about (hidden when none is found)."""
        from dtc_tui.ui.screens.tickets.order_panel import order_panel

        panel = self.app.facades.orders.ticket_order(self.ticket_id)
        widget = self.query_one("#ticket-order", Static)
        widget.display = panel is not None
        self.order_name = panel.detail.summary.name if panel is not None else None
        if panel is not None:
            widget.update(order_panel(panel))

    def action_open_order(self) -> None:
        if self.order_name is None:
            self.notify(_("No order found for this ticket."), severity="warning")
            return
        from dtc_tui.ui.screens.orders.search import OrdersScreen

        self.app.push_screen(OrdersScreen(self.order_name))

    def render_head(self) -> None:
        d = self.detail
        assert d is not None
        # The subject gets the whole width and wraps (a long one is read in full, never cut at 80 columns).
        subject = safe(d.subject, style="bold")
        subject.no_wrap = False
        subject.overflow = "fold"
        labels = [_(label) for label in ("Subject", "Customer", "Channel", "Owner", "Order", "Tags", "SLA policy")]
        label_width = max(cell_len(label) for label in labels)  # both grids' labels line up
        top = Table.grid(padding=(0, 2))
        top.add_column(style="dim", no_wrap=True, width=label_width)
        top.add_column(ratio=1)
        top.add_row(_("Subject"), subject)
        head = Table.grid(padding=(0, 2))
        head.add_column(style="dim", no_wrap=True, width=label_width)
        head.add_column()
        head.add_column(style="dim", no_wrap=True)
        head.add_column()
        head.add_row(
            _("Customer"),
            safe(f"{d.customer} <{d.customer_email}> ({d.customer_tier})"),
            _("Status"),
            Text(status_label(d.status)),
        )
        head.add_row(
            _("Channel"), Text(f"{d.channel} / {d.language_label}"), _("Priority"), Text(priority_label(d.priority))
        )
        head.add_row(_("Owner"), Text(d.assignee or "-"), _("Category"), Text(d.category))
        order = d.order_ref or "-"
        if d.logistics_status:
            order += "  " + _("logistics: {status}").format(status=d.logistics_status)
        if d.refund_status:
            order += "  " + _("refund: {status}").format(status=d.refund_status)
        sku = (
            _("{code} {name} (on hand {count})").format(
                code=d.sku_code, name=d.sku_name, count=localefmt.number(d.sku_on_hand)
            )
            if d.sku_code
            else "-"
        )
        head.add_row(_("Order"), safe(order), _("Escalated to"), Text(d.escalated_to or "-"))
        head.add_row(_("Tags"), safe(d.tags or "-"), _("SKU"), safe(sku))
        head.add_row(_("SLA policy"), safe(d.policy or _("none")), "", "")
        self.query_one("#ticket-head", Static).update(Group(top, head))

    def render_clocks(self) -> None:
        if self.detail is None:
            return
        current = self.app.facades.tickets.clocks(self.ticket_id)
        now, clocks = current.now, current.clocks
        table = Table(
            title=Text(_("SLA clocks"), style="bold"), title_justify="left", expand=False, box=None, padding=(0, 2)
        )
        for column in (_("Metric"), _("Target"), _("Due"), _("Left"), _("State")):
            table.add_column(column, no_wrap=True)
        for clock in clocks:
            left = sla.format_remaining(now, clock.due_at) if clock.due_at and not clock.stopped_at else "-"
            due = localefmt.brief_day_time(clock.due_at, weekday=True) + " UTC" if clock.due_at else _("paused")
            table.add_row(
                _(METRIC_LABEL[clock.metric]) if clock.metric in METRIC_LABEL else clock.metric,
                _minutes(clock.target_minutes),
                due,
                left,
                _clock_state(clock.state),
            )
        if not clocks:
            table.add_row(_("no SLA policy applies"), "", "", "", "")
        self.query_one("#ticket-clocks", Static).update(table)

    def render_thread(self) -> None:
        d = self.detail
        assert d is not None
        parts: list[Text] = [Text(_("Conversation"), style="bold")]
        for message in d.messages:
            header = Text(localefmt.brief_day_time(message.created_at) + " ", style="dim")
            kind = _(KIND_LABEL[message.kind]) if message.kind in KIND_LABEL else message.kind
            header.append(kind, style=KIND_STYLE.get(message.kind, ""))
            header.append(" ")
            header.append_text(safe(message.author))
            body, _marker, quoted = message.body.partition(QUOTE_MARKER)
            parts += [header, safe_block(body)]
            if quoted and self.show_quoted:
                parts.append(safe_block(quoted, style="dim"))
            elif quoted:
                folded = len(quoted.splitlines())
                parts.append(
                    Text(
                        ngettext(
                            "({count} quoted line folded: f shows it)",
                            "({count} quoted lines folded: f shows them)",
                            folded,
                        ).format(count=folded),
                        style="dim",
                    )
                )
            state = self.mail_states.get(message.id)
            if state is not None:
                parts.append(
                    safe_block(
                        _("mail: {state}").format(state=state.describe()), style=MAIL_STYLE.get(state.status, "dim")
                    )
                )
            parts.append(Text(""))
        self.query_one("#ticket-thread", Static).update(Group(*parts))
        events = Table(title=Text(_("Events"), style="bold"), title_justify="left", box=None, padding=(0, 2))
        for column in (_("When"), _("Who"), _("What"), _("Details")):
            events.add_column(column)
        for event in d.events[-30:]:
            details = ", ".join(f"{k}={v}" for k, v in event.data.items())
            kind = _(EVENT_KIND_LABEL[event.kind]) if event.kind in EVENT_KIND_LABEL else event.kind
            events.add_row(localefmt.brief_day_time(event.at), safe(event.actor), kind, safe(details, limit=80))
        self.query_one("#ticket-events", Static).update(events)

    # --- TicketActions hooks ------------------------------------------------------------------

    def target_tickets(self) -> list[tuple[int, int | None]]:
        if self.detail is None:
            return []
        return [(self.ticket_id, self.detail.version)]

    def after_ticket_change(self) -> None:
        self.reload_data()

    def action_retry_mail(self) -> None:
        """Queue the ticket's failed mail replies again (the sender picks them up at once)."""
        count = self.app.mail.retry(self.ticket_id)
        if not count:
            self.app.notify(_("No failed mail on this ticket."), severity="warning")
            return
        self.app.notify(
            ngettext("{count} reply queued again", "{count} replies queued again", count).format(count=count)
        )
        self.app.mark_seen()
        self.app.send_mail()
        self.reload_data()

    def action_toggle_quotes(self) -> None:
        self.show_quoted = not self.show_quoted
        if self.detail is not None:
            self.render_thread()

    def shown_ticket_value(self, field: str) -> str | None:
        if self.detail is None:
            return None
        value = getattr(self.detail, field)
        return "-" if value is None else str(value)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_history(self) -> None:
        """The audit log filtered on this record (Esc comes back here)."""
        from dtc_tui.ui.screens.audit.log import open_history

        open_history(self.app, "ticket", self.ticket_id)

    def action_scroll_down(self) -> None:
        self.query_one("#ticket-body", VerticalScroll).scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one("#ticket-body", VerticalScroll).scroll_up()


def _minutes(value: int) -> str:
    hours, minutes = divmod(value, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


def _clock_state(state: str) -> Text:
    """``! breached``, ``~ at risk``, ``✓ met``; running and paused clocks as words."""
    word = _(CLOCK_WORDS[state]) if state in CLOCK_WORDS else state.replace("_", " ")
    if state in ("breached", "at_risk", "met"):
        return states.mark(state, word)
    return Text(word, style=CLOCK_STYLE.get(state, ""))
