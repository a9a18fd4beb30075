"""Replies: the reply editor's context (the customer's last message, placeholder values), drafts
and macros. Sending goes through ``app.mail.add_reply`` (it knows how the reply is mailed)."""

from __future__ import annotations

from collections.abc import Iterable

from dtc_tui import db
from dtc_tui.services.orders import lookup
from dtc_tui.services.tickets import drafts, macros
from dtc_tui.services.tickets.drafts import ReplyContext
from dtc_tui.services.tickets.macros import MacroView
from dtc_tui.ui.facades.base import Facade

__all__ = ["MacroView", "RepliesFacade", "ReplyContext"]


class RepliesFacade(Facade):
    def context(self, ticket_id: int) -> ReplyContext | None:
        """The ticket as the reply editor shows it, with the linked order's number and tracking link."""
        from dataclasses import replace

        with db.read_session(self.engine) as session:
            found = drafts.reply_context(session, ticket_id, self.operator)
            if found is None:
                return None
            link = lookup.ticket_order(session, ticket_id)
            detail = lookup.order_detail(session, link.order_id) if link is not None else None
        if detail is None:
            return found
        tracking = next((s.tracking_url for s in reversed(detail.shipments) if s.tracking_url), None)
        return replace(found, order_number=detail.summary.name, tracking_url=tracking)

    def save_draft(
        self,
        ticket_id: int,
        body: str,
        *,
        macro_id: int | None = None,
        ticket_version: int | None = None,
        last_event_id: int | None = None,
    ) -> bool:
        return drafts.save_draft(
            self.engine,
            ticket_id,
            self.operator,
            body,
            self.now(),
            macro_id=macro_id,
            ticket_version=ticket_version,
            last_event_id=last_event_id,
        )

    def try_save_draft(
        self,
        ticket_id: int,
        body: str,
        *,
        macro_id: int | None = None,
        ticket_version: int | None = None,
        last_event_id: int | None = None,
    ) -> bool | None:
        """``save_draft`` for the autosave worker: None when the database could not take it now (busy,
        locked, gone): the caller keeps the text and tries again. Other errors are raised."""
        try:
            return self.save_draft(
                ticket_id, body, macro_id=macro_id, ticket_version=ticket_version, last_event_id=last_event_id
            )
        except Exception as exc:
            if db.describe_failure(exc) is None:
                raise
            return None

    def discard_draft(self, ticket_id: int) -> bool:
        return drafts.discard_draft(self.engine, ticket_id, self.operator)

    def draft_ticket_ids(self, ticket_ids: Iterable[int] | None = None) -> set[int]:
        with db.read_session(self.engine) as session:
            return drafts.tickets_with_drafts(session, self.operator, ticket_ids)

    def changes_since(self, ticket_id: int, after_event_id: int | None) -> list[str]:
        with db.read_session(self.engine) as session:
            return drafts.changes_since(session, ticket_id, after_event_id)

    # --- macros -------------------------------------------------------------------------------

    def macros(self) -> list[MacroView]:
        with db.read_session(self.engine) as session:
            return macros.list_macros(session)

    def macro(self, macro_id: int) -> MacroView | None:
        with db.read_session(self.engine) as session:
            return macros.get_macro(session, macro_id)

    def save_macro(self, macro_id: int | None, **fields: str) -> MacroView:
        return macros.save_macro(self.engine, operator=self.operator, now=self.now(), macro_id=macro_id, **fields)

    def delete_macro(self, macro_id: int) -> None:
        macros.delete_macro(self.engine, macro_id, operator=self.operator, now=self.now())
