"""The reply editor: the customer's last message above, a draft that saves itself, macros, and
"send", "send and set pending", "send and set solved" keys.

The draft is saved while the operator types (0.6 s after the last key, in a worker: a busy
database skips that save and tries again later, typing never waits), so Esc, a restart or a
crash keeps it; reopening the reply restores it. Sending deletes it in the reply's own
transaction, ``ctrl+l`` discards it (after asking). A send refused because a colleague changed
the ticket keeps the editor open with the text, and lists what changed.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Label, Static, TextArea

from dtc_tui.errors import StaleEdit, UserError
from dtc_tui.i18n import N_, _
from dtc_tui.services.common import localefmt
from dtc_tui.services.tickets import macros as macro_rules
from dtc_tui.services.tickets.ops import Change
from dtc_tui.ui.facades.tickets import priority_label, status_label
from dtc_tui.ui.safe import safe, safe_block
from dtc_tui.ui.widgets.modals import ChoiceModal

if TYPE_CHECKING:
    from dtc_tui.ui.app import DtcApp
    from dtc_tui.ui.facades.replies import MacroView, ReplyContext

AUTOSAVE_SECONDS = 0.6  # after the last key press
RETRY_SECONDS = 2.0  # after a save the database refused (busy)

REPLY_KEYS = N_(
    "ctrl+s send · ctrl+t send, set pending · ctrl+r send, set solved · ctrl+o macro · "
    "Tab scrolls the customer's message · Esc closes (draft kept) · ctrl+l discards"
)


@dataclass(frozen=True)
class DraftState:
    """What a draft save writes: the text, the macro whose changes apply on send, what was seen."""

    text: str
    macro_id: int | None
    ticket_version: int | None
    last_event_id: int | None


class DraftSaver:
    """Saves drafts off the UI thread, one worker per ticket at a time; the newest text wins.

    A save the database refuses (busy past its timeout) is kept and tried again after
    ``RETRY_SECONDS``; ``pending`` holds what is not stored yet, so reopening the reply shows it
    even then. Sending and discarding take ``lock`` and drop the pending save first, so a save that
    was in flight can never bring back a draft of a reply that has just been sent.
    """

    def __init__(self, app: DtcApp) -> None:
        self.app = app
        self.pending: dict[int, DraftState] = {}
        self.failed: set[int] = set()
        self.lock = threading.Lock()
        self._running: set[int] = set()

    def save(self, ticket_id: int, state: DraftState) -> None:
        self.pending[ticket_id] = state
        self._start(ticket_id)

    def forget(self, ticket_id: int) -> None:
        """Call with ``lock`` held: the pending save is dropped (the reply is sent or discarded)."""
        self.pending.pop(ticket_id, None)
        self.failed.discard(ticket_id)

    def _start(self, ticket_id: int) -> None:
        if ticket_id in self._running or ticket_id not in self.pending:
            return
        self._running.add(ticket_id)
        self.app.run_worker(
            lambda: self._run(ticket_id), thread=True, exit_on_error=False, group="reply-drafts", name="draft-save"
        )

    def _run(self, ticket_id: int) -> None:
        replies = self.app.facades.replies
        outcome = "saved"
        try:
            while True:
                with self.lock:
                    state = self.pending.get(ticket_id)
                    if state is None:
                        break
                    stored = replies.try_save_draft(
                        ticket_id,
                        state.text,
                        macro_id=state.macro_id,
                        ticket_version=state.ticket_version,
                        last_event_id=state.last_event_id,
                    )
                    if stored is None:  # busy: keep it pending, try again later
                        self.failed.add(ticket_id)
                        outcome = "busy"
                        break
                    self.failed.discard(ticket_id)
                    if self.pending.get(ticket_id) is state:
                        del self.pending[ticket_id]
        finally:
            self._running.discard(ticket_id)
        # Outside the lock: the UI thread may be waiting for it (a send).
        # (When the app is closing, call_from_thread raises: the draft is stored, or pending with nothing to do.)
        with contextlib.suppress(RuntimeError):
            self.app.call_from_thread(self._done, ticket_id, outcome)

    def _done(self, ticket_id: int, outcome: str) -> None:
        if outcome == "busy":
            self.app.set_timer(RETRY_SECONDS, lambda: self._start(ticket_id))
        elif ticket_id in self.pending:
            self._start(ticket_id)  # typed more while the last save ran
        hook = getattr(self.app.screen, "draft_saved", None)  # the editor, or the view it was closed to
        if hook is not None:
            hook(ticket_id, outcome)


_SAVERS: weakref.WeakKeyDictionary[DtcApp, DraftSaver] = weakref.WeakKeyDictionary()


def draft_saver(app: DtcApp) -> DraftSaver:
    saver = _SAVERS.get(app)
    if saver is None:
        saver = _SAVERS[app] = DraftSaver(app)
    return saver


def pending_draft_ids(app: DtcApp) -> set[int]:
    """Tickets whose draft is typed but not stored yet (shown as drafts all the same)."""
    saver = _SAVERS.get(app)
    return {t for t, s in saver.pending.items() if s.text.strip() or s.macro_id} if saver else set()


class ReplyScreen(ModalScreen[bool]):
    """Dismissed with True once the reply is recorded (and queued to the customer when mail is on)."""

    DEFAULT_CSS = """
    ReplyScreen { align: center middle; }
    ReplyScreen > Vertical { width: 100; max-width: 100%; height: 100%; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1; }
    ReplyScreen #reply-customer { height: auto; max-height: 8; border-left: thick $secondary;
        padding: 0 1; margin-bottom: 1; }
    ReplyScreen #reply-customer:focus { border-left: thick $accent; }
    ReplyScreen #reply-customer-head { color: $text-muted; }
    ReplyScreen #reply-changes { height: auto; max-height: 8; color: $warning; display: none; }
    ReplyScreen #reply-macro { height: auto; color: $text-muted; display: none; }
    ReplyScreen TextArea { height: 1fr; min-height: 4; }
    ReplyScreen .hint { color: $text-muted; height: auto; width: 1fr; }
    ReplyScreen #reply-draft-state { color: $text-muted; height: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", N_("Send"), id="reply.send"),
        Binding("ctrl+t", "send('pending')", N_("Send, set pending"), id="reply.send_pending"),
        Binding("ctrl+r", "send('solved')", N_("Send, set solved"), id="reply.send_solved"),
        Binding("ctrl+o", "macro", N_("Macro"), id="reply.macro"),
        Binding("ctrl+l", "discard", N_("Discard draft"), id="reply.discard"),
        Binding("escape", "close", N_("Close (keep draft)"), id="reply.close"),
    ]

    def __init__(self, ticket_id: int, version: int | None = None) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.shown_version = version
        self.context: ReplyContext | None = None
        self.version: int | None = version
        self.last_event_id: int | None = None
        self.macro: MacroView | None = None
        self.saved_state: DraftState | None = None
        self.finished = False
        self._autosave_timer: Timer | None = None

    @property
    def dtc(self) -> DtcApp:
        return self.app  # type: ignore[return-value]

    @property
    def saver(self) -> DraftSaver:
        return draft_saver(self.dtc)

    def compose(self) -> ComposeResult:
        mailed = self.dtc.mail.sending_enabled
        with Vertical():
            yield Label(id="reply-title")
            yield Label(id="reply-customer-head")
            with VerticalScroll(id="reply-customer"):
                yield Static(id="reply-customer-body")
            yield Static(id="reply-changes")
            yield Static(id="reply-macro")
            yield TextArea("", id="reply-text", soft_wrap=True, show_line_numbers=False)
            hint = _(REPLY_KEYS) + ("" if mailed else " · " + _("replies are recorded, not mailed"))
            yield Label(Text(hint), classes="hint")
            yield Label(id="reply-draft-state")

    def on_mount(self) -> None:
        self.context = self.dtc.facades.replies.context(self.ticket_id)
        if self.context is None:
            self.query_one("#reply-title", Label).update(
                Text(_("Ticket {id} no longer exists.").format(id=self.ticket_id))
            )
            return
        ctx = self.context
        text, state = "", _("new reply")
        pending = self.saver.pending.get(self.ticket_id)
        if pending is not None:  # typed, not stored yet (the database was busy): newer than the stored draft
            text, self.version, self.last_event_id = pending.text, pending.ticket_version, pending.last_event_id
            self._restore_macro(pending.macro_id)
            state = _("draft restored (not saved yet: the database was busy)")
        elif ctx.draft is not None:
            draft = ctx.draft
            text, self.version, self.last_event_id = draft.body, draft.ticket_version, draft.last_event_id
            self._restore_macro(draft.macro_id)
            self.saved_state = DraftState(draft.body, draft.macro_id, draft.ticket_version, draft.last_event_id)
            state = _("draft restored (saved {when})").format(when=localefmt.brief_day_time(draft.updated_at))
        else:
            self.version = self.shown_version if self.shown_version is not None else ctx.version
            self.last_event_id = ctx.last_event_id
        self.render_context()
        area = self.query_one("#reply-text", TextArea)
        area.load_text(text)
        area.move_cursor(area.document.end)
        area.focus()
        self.set_draft_state(state)
        if self.version is not None and self.version != ctx.version:
            # Shown before a key is pressed: the changes are seen, so the next send goes to this version.
            self.show_changes(_("The ticket changed since you started this draft:"))
            self.version, self.last_event_id = ctx.version, ctx.last_event_id
            self.autosave_now()

    def _restore_macro(self, macro_id: int | None) -> None:
        self.macro = self.dtc.facades.replies.macro(macro_id) if macro_id is not None else None

    # --- what is shown ------------------------------------------------------------------------

    def render_context(self) -> None:
        ctx = self.context
        assert ctx is not None
        mailed = self.dtc.mail.sending_enabled
        title = Text(_("Reply to ticket {id}").format(id=ctx.ticket_id) + " ", style="bold")
        who = ctx.customer_name or _("unknown customer")
        title.append_text(safe(f"· {who} · {status_label(ctx.status)}/{priority_label(ctx.priority)}"))
        title.append(" · " + (_("mailed to the customer") if mailed else _("recorded, not sent")))
        self.query_one("#reply-title", Label).update(title)
        head = self.query_one("#reply-customer-head", Label)
        body = self.query_one("#reply-customer-body", Static)
        if ctx.last_customer_body:
            when = localefmt.brief_day_time(ctx.last_customer_at) if ctx.last_customer_at else ""
            head.update(
                safe(
                    _("Customer's last message · {author} · {when}").format(author=ctx.last_customer_author, when=when)
                )
            )
            body.update(safe_block(ctx.last_customer_body))
        else:
            head.update(Text(_("The customer has not written (no customer message on this ticket).")))
            body.update(Text(""))
        self.render_macro()

    def render_macro(self) -> None:
        line = self.query_one("#reply-macro", Static)
        line.display = self.macro is not None
        if self.macro is not None:
            actions = self.macro.actions() or _("no other changes")
            line.update(
                safe(
                    _("Macro {name} ({language}); on send: {actions}").format(
                        name=self.macro.name, language=self.macro.language, actions=actions
                    )
                )
            )

    def show_changes(self, heading: str) -> None:
        changes = self.dtc.facades.replies.changes_since(self.ticket_id, self.last_event_id)
        lines = [heading, *[f"  {line}" for line in changes or [_("(no event recorded)")]]]
        lines.append(_("Your text is kept. Check the ticket above, then send again (ctrl+s) or close with Esc."))
        widget = self.query_one("#reply-changes", Static)
        widget.update(safe_block("\n".join(lines)))
        widget.display = True

    def set_draft_state(self, message: str) -> None:
        self.query_one("#reply-draft-state", Label).update(Text(message))

    # --- the draft ----------------------------------------------------------------------------

    def current_state(self) -> DraftState:
        text = self.query_one("#reply-text", TextArea).text
        return DraftState(text, self.macro.id if self.macro else None, self.version, self.last_event_id)

    @on(TextArea.Changed, "#reply-text")
    def _typed(self) -> None:
        if self.finished:
            return
        if self._autosave_timer is not None:
            self._autosave_timer.stop()
        self._autosave_timer = self.set_timer(AUTOSAVE_SECONDS, self.autosave)

    def autosave(self) -> None:
        """Hand the text to the saver (a worker) unless it is what is stored already."""
        self._autosave_timer = None
        if self.finished or self.context is None:
            return
        state = self.current_state()
        if state == self.saved_state and self.ticket_id not in self.saver.pending:
            return
        self.saved_state = state
        self.set_draft_state(_("saving draft…"))
        self.saver.save(self.ticket_id, state)

    def draft_saved(self, ticket_id: int, outcome: str) -> None:
        """The saver's report (on the UI thread)."""
        if ticket_id != self.ticket_id or self.finished or not self.is_mounted:
            return
        if outcome == "busy":
            self.set_draft_state(_("draft not saved yet: the database is busy; trying again"))
        elif self.ticket_id not in self.saver.pending:
            self.set_draft_state(_("draft saved {time}").format(time=f"{self.dtc.clock.now():%H:%M:%S}"))

    def action_close(self) -> None:
        """Esc: the draft is kept (saved now if the last keys were not yet), never thrown away."""
        if self._autosave_timer is not None:
            self._autosave_timer.stop()
        if self.context is None:
            self.dismiss(False)
            return
        state = self.current_state()
        if state.text.strip() or state.macro_id is not None:
            self.saver.save(self.ticket_id, state)
            self.dtc.notify(
                _("Ticket {id}: draft kept; r continues it.").format(id=self.ticket_id), title=_("Draft kept")
            )
        elif self.saved_state is not None:
            self.saver.save(self.ticket_id, state)  # emptied by hand: nothing to keep, the old draft goes
        self.finished = True
        self.dismiss(False)

    def action_discard(self) -> None:
        def chosen(value: str | None) -> None:
            if value != "discard":
                return
            self.finished = True
            if self._autosave_timer is not None:
                self._autosave_timer.stop()
            with self.saver.lock:
                self.saver.forget(self.ticket_id)
                try:
                    self.dtc.with_retry(lambda: self.dtc.facades.replies.discard_draft(self.ticket_id))
                except Exception as exc:
                    self.finished = False
                    if not self.dtc.database_trouble(exc, kept=_("The draft is still there.")):
                        raise
                    return
            self.dtc.notify(_("Ticket {id}: draft discarded.").format(id=self.ticket_id))
            self.dismiss(False)

        self.app.push_screen(
            ChoiceModal(
                _("Discard this draft?"),
                [("keep", _("No, keep writing")), ("discard", _("Yes, discard the draft"))],
                "keep",
            ),
            chosen,
        )

    # --- macros -------------------------------------------------------------------------------

    def action_macro(self) -> None:
        from dtc_tui.ui.screens.tickets.macros import MacroPicker

        if self.context is None:
            return
        found = self.dtc.facades.replies.macros()
        if not found:
            self.dtc.notify(
                _("No macros yet: add them with 'Macros...' in the command palette (ctrl+p)."), severity="warning"
            )
            return
        picker = MacroPicker(found, self.context.language, self.context.placeholder_values())
        self.app.push_screen(picker, self.apply_macro)

    def apply_macro(self, macro: MacroView | None) -> None:
        if macro is None or self.context is None:
            return
        filled = macro_rules.fill(macro.body, self.context.placeholder_values())
        area = self.query_one("#reply-text", TextArea)
        if area.text.strip():
            area.insert(filled.text)
        else:
            area.load_text(filled.text)
            area.move_cursor(area.document.end)
        self.macro = macro
        self.render_macro()
        area.focus()
        self._typed()  # load_text posts no Changed: save the macro's text and its pending changes
        if filled.missing:
            names = ", ".join(f"{{{name}}}" for name in filled.missing)
            self.dtc.notify_safe(
                _(
                    "No value for {names} on this ticket: left as [[missing: ...]]; type the value or delete it "
                    "before sending."
                ).format(names=names),
                title=_("Macro has gaps"),
                severity="warning",
            )

    # --- sending ------------------------------------------------------------------------------

    def action_send(self, status: str | None = None) -> None:
        if self.context is None or self.finished:
            return
        text = self.query_one("#reply-text", TextArea).text
        gaps = macro_rules.gaps_in(text)
        if gaps:
            names = ", ".join(f"[[missing: {name}]]" for name in gaps)
            self.dtc.notify_safe(
                _("Not sent: the reply still has {names}; type the value or delete it.").format(names=names),
                title=_("Gap in the reply"),
                severity="warning",
            )
            return
        macro = self.macro
        status_after = status or (macro.set_status if macro and macro.set_status else None)
        version = self.version
        replies = self.dtc.mail

        def work() -> Change:
            return replies.add_reply(
                self.ticket_id,
                text,
                version,
                status_after=status_after,
                priority_after=(macro.set_priority or None) if macro else None,
                add_tags=macro.add_tags if macro else "",
                remove_tags=macro.remove_tags if macro else "",
            )

        if self._autosave_timer is not None:
            self._autosave_timer.stop()
            self._autosave_timer = None
        with self.saver.lock:
            self.saver.forget(self.ticket_id)
            try:
                change = self.dtc.with_retry(work)
            except StaleEdit as exc:
                self.refused_as_stale(str(exc))
                return
            except UserError as exc:
                self.dtc.report_user_error(exc)
                self.autosave_now()
                return
            except Exception as exc:
                if not self.dtc.database_trouble(exc, kept=_("Your reply is kept: ctrl+s to try again.")):
                    raise
                self.autosave_now()
                return
        self.finished = True
        self.dtc.undo_stack.append(change)
        done = change.message or _("reply recorded")
        if status_after:
            done += "; " + _("status {value}").format(value=status_label(status_after))
        self.dtc.notify_safe(done)
        self.dtc.mark_seen()
        self.dtc.send_mail()  # in a worker: the key press never waits for the server
        self.dismiss(True)

    def autosave_now(self) -> None:
        """After a failed send: the text goes back into the draft (the send had dropped it)."""
        self.saved_state = None
        self.autosave()

    def refused_as_stale(self, reason: str) -> None:
        """A colleague changed the ticket: show what changed, take the fresh version, keep the text."""
        self.dtc.notify_safe(
            _("Not sent: {reason}. Your text is kept.").format(reason=reason),
            title=_("Ticket changed"),
            severity="warning",
        )
        self.show_changes(_("Not sent: the ticket changed since you started:"))
        fresh = self.dtc.facades.replies.context(self.ticket_id)
        if fresh is not None:
            self.context = fresh
            self.version = fresh.version
            self.last_event_id = fresh.last_event_id
            self.render_context()
        self.autosave_now()
        self.query_one("#reply-text", TextArea).focus()
