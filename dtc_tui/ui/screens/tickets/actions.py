"""The ticket actions shared by the queue and the ticket view (same keys, same services).

A screen that mixes this in provides ``target_tickets()`` (ids and the versions it showed)
and ``after_ticket_change()``. Service errors become warnings; a stale edit reloads the screen
so the operator sees the fresh row before trying again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import Binding, BindingType

from dtc_tui.errors import StaleEdit, UserError
from dtc_tui.i18n import N_, _, ngettext
from dtc_tui.services.tickets import ops
from dtc_tui.ui.facades.tickets import PRIORITIES, STATUSES, priority_label, status_label
from dtc_tui.ui.widgets.modals import ChoiceModal, ConfirmLine, TextModal

if TYPE_CHECKING:
    from dtc_tui.ui.app import DtcApp
    from dtc_tui.ui.facades.presence import PresenceVisit
    from dtc_tui.ui.facades.tickets import TicketsFacade

TICKET_BINDINGS: list[BindingType] = [
    Binding("c", "claim", N_("Claim"), id="tickets.claim"),
    Binding("a", "assign", N_("Assign"), id="tickets.assign"),
    Binding("p", "priority", N_("Priority"), id="tickets.priority"),
    Binding("s", "status", N_("Status"), id="tickets.status"),
    Binding("t", "tags", N_("Tags"), show=False, id="tickets.tags"),
    Binding("r", "reply", N_("Reply"), id="tickets.reply"),
    Binding("n", "note", N_("Note"), show=False, id="tickets.note"),
    Binding("e", "escalate", N_("Escalate"), show=False, id="tickets.escalate"),
    Binding("A", "auto_assign", N_("Auto-assign"), show=False, id="tickets.auto_assign"),
    Binding("u", "undo", N_("Undo"), show=False, id="tickets.undo"),
]


class TicketActions:
    BINDINGS: ClassVar[list[BindingType]] = TICKET_BINDINGS
    app: Any  # the DtcApp, provided by Screen (textual's own ``app`` descriptor types it there); ``_dtc`` is typed

    database_failed = False  # the last ``_run`` failed on the database (busy, gone), not on the ticket

    # --- provided by the screen ---------------------------------------------------------------

    def target_tickets(self) -> list[tuple[int, int | None]]:
        """(ticket id, version shown) of the marked tickets, else of the one under the cursor."""
        raise NotImplementedError

    def after_ticket_change(self) -> None:
        raise NotImplementedError

    def clear_ticket_marks(self) -> None:
        """Marks are cleared after a bulk change (the queue overrides this)."""

    def shown_ticket_value(self, field: str) -> str | None:
        """``field`` (status, priority, assignee_id) of the one ticket shown as a picker option id, or None."""
        return None

    # --- plumbing -----------------------------------------------------------------------------

    @property
    def _dtc(self) -> DtcApp:
        return self.app

    def _run(
        self,
        work: Callable[[], ops.Change | ops.BulkResult | None],
        success: str = "",
        *,
        kept: str = "",
        undo_label: str = "",
    ) -> bool:
        self.database_failed = False
        try:
            result = self._dtc.with_retry(work)
        except UserError as exc:  # a stale edit, a refused claim...: a warning with the error's own title
            self._dtc.report_user_error(exc)
            if isinstance(exc, StaleEdit):  # show the fresh row before the operator tries again
                self.after_ticket_change()
            return False
        except Exception as exc:  # busy past the retry, file gone...: a notification, not a crash
            if not self._dtc.database_trouble(exc, kept=kept):
                raise
            self.database_failed = True
            return False
        if isinstance(result, ops.Change):
            if not result.noop:  # nothing written: nothing to undo
                self._dtc.undo_stack.append(result)
            message = result.message or success
        elif isinstance(result, ops.BulkResult):
            step = result.as_undo_step(undo_label or success)
            if step is not None:  # the whole bulk change is one undo step
                self._dtc.undo_stack.append(step)
            unchanged = (
                "; " + _("{count} already had it").format(count=len(result.unchanged)) if result.unchanged else ""
            )
            skipped = "; " + _("skipped {tickets}").format(
                tickets=", ".join(f"#{t} ({why})" for t, why in list(result.skipped.items())[:3])
            )
            skipped = skipped + (" ..." if len(result.skipped) > 3 else "") if result.skipped else ""
            count = len(result.changes)
            tickets = ngettext("{count} ticket", "{count} tickets", count).format(count=count)
            message = _("{done} ({tickets}{unchanged}{skipped}); u undoes it in one step").format(
                done=success, tickets=tickets, unchanged=unchanged, skipped=skipped
            )
            self.clear_ticket_marks()
        else:
            message = success
        if message:
            self._dtc.notify_safe(message)
        self._dtc.mark_seen()
        self.after_ticket_change()
        return True

    def _single(self) -> tuple[int, int | None] | None:
        targets = self.target_tickets()
        if not targets:
            self._dtc.notify(_("No ticket selected."), severity="warning")
            return None
        return targets[0]

    @property
    def _tickets(self) -> TicketsFacade:
        return self._dtc.facades.tickets

    def _current(self, targets: list[tuple[int, int | None]], field: str) -> str | None:
        """The picker opens on the current value of a single ticket (Enter then changes nothing)."""
        return self.shown_ticket_value(field) if len(targets) == 1 else None

    def _unchanged(self, targets: list[tuple[int, int | None]], field: str, value: str, current: str | None) -> bool:
        """Choosing the value a ticket already has writes nothing: no event, no audit row, no undo step."""
        if len(targets) == 1 and value == current:
            self._dtc.notify_safe(
                _("ticket {id} already has that {field}; nothing changed").format(id=targets[0][0], field=_(field))
            )
            return True
        return False

    def _confirm_bulk(self, question: str, then: Callable[[], object]) -> None:
        """One line before a change to several tickets: "set priority low on 20 tickets? y/n"."""

        def answered(yes: bool | None) -> None:
            if yes:
                then()
            else:
                self._dtc.notify_safe(_("nothing changed"))

        self.app.push_screen(ConfirmLine(question), answered)

    # --- actions ------------------------------------------------------------------------------

    def action_claim(self) -> None:
        target = self._single()
        if target:
            self._run(lambda: self._tickets.claim(target[0]))

    def action_assign(self) -> None:
        targets = self.target_tickets()
        if not targets:
            return
        people = self._tickets.assignable_people()
        options = [("-", _("nobody (unassign)"))] + [(str(p.id), f"{p.handle}  {p.name}") for p in people]
        current = self._current(targets, "assignee_id")

        def chosen(value: str | None) -> None:
            if value is None or self._unchanged(targets, N_("assignee"), value, current):
                return
            person_id = None if value == "-" else int(value)
            if len(targets) == 1:
                ticket_id, version = targets[0]
                self._run(lambda: self._tickets.assign(ticket_id, person_id, version))
            else:
                who = dict(options).get(value, value).split()[0]
                self._confirm_bulk(
                    _("assign {count} tickets to {who}?").format(count=len(targets), who=who),
                    lambda: self._run(
                        lambda: self._tickets.bulk(
                            [t for t, _t in targets], assignee_id=person_id, assign_to_nobody=person_id is None
                        ),
                        _("assigned to {who}").format(who=who),
                    ),
                )

        self.app.push_screen(
            ChoiceModal(_("Assign {what} to").format(what=self._label(targets)), options, current), chosen
        )

    def action_priority(self) -> None:
        targets = self.target_tickets()
        if not targets:
            return
        current = self._current(targets, "priority")

        def chosen(value: str | None) -> None:
            if value is None or self._unchanged(targets, N_("priority"), value, current):
                return
            label = priority_label(value)
            done = _("priority {value}").format(value=label)
            if len(targets) == 1:
                ticket_id, version = targets[0]
                self._run(lambda: self._tickets.set_priority(ticket_id, value, version), done)
            else:
                self._confirm_bulk(
                    _("set priority {value} on {count} tickets?").format(value=label, count=len(targets)),
                    lambda: self._run(lambda: self._tickets.bulk([t for t, _t in targets], priority=value), done),
                )

        options = [(p, priority_label(p)) for p in reversed(PRIORITIES)]
        title = _("Priority of {what}").format(what=self._label(targets))
        self.app.push_screen(ChoiceModal(title, options, current), chosen)

    def action_status(self) -> None:
        targets = self.target_tickets()
        if not targets:
            return
        labels = {status: status_label(status) for status in STATUSES}
        labels["pending"] = _("pending (waiting on customer: pauses resolution)")
        labels["on_hold"] = _("on hold (pauses resolution)")
        current = self._current(targets, "status")

        def chosen(value: str | None) -> None:
            if value is None or self._unchanged(targets, N_("status"), value, current):
                return
            label = status_label(value)
            done = _("status {value}").format(value=label)
            if len(targets) == 1:
                ticket_id, version = targets[0]
                self._run(lambda: self._tickets.set_status(ticket_id, value, version), done)
            else:
                self._confirm_bulk(
                    _("set status {value} on {count} tickets?").format(value=label, count=len(targets)),
                    lambda: self._run(lambda: self._tickets.bulk([t for t, _t in targets], status=value), done),
                )

        self.app.push_screen(
            ChoiceModal(
                _("Status of {what}").format(what=self._label(targets)), [(s, labels[s]) for s in STATUSES], current
            ),
            chosen,
        )

    def action_refund(self) -> None:
        """The ticket's refund state (none, pending, promised, synced): closes the refund signals."""
        target = self._single()
        if not target:
            return
        ticket_id, version = target
        shown = self.shown_ticket_value("refund_status")
        current = "none" if shown in (None, "-") else shown

        def chosen(value: str | None) -> None:
            if value is None or self._unchanged([target], N_("refund state"), value, current):
                return
            self._run(lambda: self._tickets.set_refund_status(ticket_id, value, version))

        options = [(state, _(meaning)) for state, meaning in ops.REFUND_STATES.items()]
        title = _("Refund state of ticket {id}").format(id=ticket_id)
        self.app.push_screen(ChoiceModal(title, options, current), chosen)

    def action_tags(self) -> None:
        target = self._single()
        if not target:
            return
        ticket_id, version = target
        current = self.current_tags(ticket_id)

        def entered(value: str | None) -> None:
            if value is not None:
                self._run(lambda: self._tickets.set_tags(ticket_id, value, version), _("tags saved"))

        self.app.push_screen(
            TextModal(_("Tags of ticket {id} (space separated)").format(id=ticket_id), current, append=True), entered
        )

    def current_tags(self, ticket_id: int) -> str:
        return self._tickets.tags(ticket_id)

    def action_reply(self) -> None:
        """The reply editor (ui/screens/tickets/reply.py): the draft saves itself, Esc keeps it."""
        from dtc_tui.ui.screens.tickets.reply import ReplyScreen

        target = self._single()
        if not target:
            return
        ticket_id, version = target
        self.set_presence(ticket_id, "replying")

        def closed(sent: bool | None) -> None:
            self.set_presence(ticket_id, "viewing")
            self.after_ticket_change()  # the fresh row, and its draft mark

        self.app.push_screen(ReplyScreen(ticket_id, version), closed)

    def action_note(self) -> None:
        target = self._single()
        if not target:
            return
        ticket_id, _version = target

        def entered(value: str | None) -> None:
            if value is not None:
                self._run(lambda: self._tickets.add_note(ticket_id, value), _("note added"))

        self.app.push_screen(TextModal(_("Internal note on ticket {id}").format(id=ticket_id), multiline=True), entered)

    def action_escalate(self) -> None:
        target = self._single()
        if target:
            ticket_id, version = target
            self._run(
                lambda: self._tickets.escalate(
                    ticket_id, version, default_owner=self._dtc.settings.default_escalation_owner
                )
            )

    def action_auto_assign(self) -> None:
        """Route the marked (or current) unassigned tickets to their category owners."""
        targets = self.target_tickets()
        if not targets:
            return

        def run() -> None:
            self._run(lambda: self._tickets.auto_assign([t for t, _t in targets]), _("auto-assigned by routing"))

        if len(targets) > 1:
            self._confirm_bulk(_("auto-assign {count} tickets by routing?").format(count=len(targets)), run)
        else:
            run()

    def action_undo(self) -> None:
        """Undo this operator's last change: one ticket's, or a whole bulk change as one step."""
        if not self._dtc.undo_stack:
            self._dtc.notify(_("Nothing to undo."), severity="warning")
            return
        change = self._dtc.undo_stack.pop()
        try:
            self._dtc.with_retry(lambda: self._tickets.undo(change))
        except UserError as exc:  # changed since, or nothing undo restores: the reason, and the step is gone
            self._dtc.notify_safe(str(exc), title=_("Cannot undo"), severity="warning")
            self.after_ticket_change()
            return
        except Exception as exc:
            if not self._dtc.database_trouble(exc):
                raise
            self._dtc.undo_stack.append(change)  # the database failed, not the undo: try again later
            return
        if isinstance(change, ops.BulkChange):
            self._dtc.notify_safe(
                _("undid {what} on {count} tickets").format(
                    what=change.description or change.action, count=len(change.changes)
                )
            )
        else:
            self._dtc.notify_safe(_("undid {what} on ticket {id}").format(what=change.action, id=change.ticket_id))
        self._dtc.mark_seen()
        self.after_ticket_change()

    def set_presence(self, ticket_id: int, state: str) -> None:
        """Tell other operators we are replying (from the queue; the ticket view also says "viewing")."""
        visits: dict[int, PresenceVisit] = getattr(self, "_reply_visits", None) or {}
        self._reply_visits = visits
        if state == "replying":
            visits.setdefault(ticket_id, self._dtc.presence.visit("ticket", ticket_id)).beat(state)
        elif ticket_id in visits:
            visits.pop(ticket_id).leave()

    @staticmethod
    def _label(targets: list[tuple[int, int | None]]) -> str:
        if len(targets) == 1:
            return _("ticket {id}").format(id=targets[0][0])
        return _("{count} tickets").format(count=len(targets))
