"""Tickets: the queue's source, one ticket's detail and clocks, every ticket action, the KPIs."""

from __future__ import annotations

from collections.abc import Iterable

from dtc_tui import db
from dtc_tui.i18n import N_, _
from dtc_tui.models.tickets import PRIORITIES, STATUSES
from dtc_tui.services.tickets import ops
from dtc_tui.services.tickets.detail import SlaClocks, TicketDetail, sla_clocks, ticket_detail, ticket_tags
from dtc_tui.services.tickets.kpis import KpiReport, report, report_window
from dtc_tui.services.tickets.queue import QueueQuery, TicketQueueSource
from dtc_tui.ui.facades.base import Facade

__all__ = ["PRIORITIES", "STATUSES", "TicketsFacade", "priority_label", "status_label"]

# How a status or priority reads on screen (the stored value, the filter and --json keep the English word).
STATUS_LABELS = {
    "new": N_("new"),
    "open": N_("open"),
    "pending": N_("pending"),
    "on_hold": N_("on hold"),
    "solved": N_("solved"),
    "closed": N_("closed"),
}
PRIORITY_LABELS = {"urgent": N_("urgent"), "high": N_("high"), "normal": N_("normal"), "low": N_("low")}


def status_label(status: str) -> str:
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def priority_label(priority: str) -> str:
    return _(PRIORITY_LABELS[priority]) if priority in PRIORITY_LABELS else priority


class TicketsFacade(Facade):
    # --- reads --------------------------------------------------------------------------------

    def operator_id(self) -> int | None:
        """The operator's person id (the "mine" view), None when they are not on the team."""
        with db.read_session(self.engine) as session:
            return ops.find_operator_id(session, self.operator)

    def queue_source(self, query: QueueQuery) -> TicketQueueSource:
        """A windowed source: it opens a short session per page the table asks for."""
        return TicketQueueSource(self.engine, query, drafts_of=self.operator)

    def detail(self, ticket_id: int) -> TicketDetail | None:
        with db.read_session(self.engine) as session:
            return ticket_detail(session, ticket_id, self.now())

    def clocks(self, ticket_id: int) -> SlaClocks:
        now = self.now()
        with db.read_session(self.engine) as session:
            return sla_clocks(session, ticket_id, now)

    def tags(self, ticket_id: int) -> str:
        with db.read_session(self.engine) as session:
            return ticket_tags(session, ticket_id)

    def assignable_people(self) -> list[ops.PersonChoice]:
        with db.read_session(self.engine) as session:
            return ops.assignable_people(session)

    def kpi_report(self, period: str) -> KpiReport:
        """The KPIs of a period in the period language (``7d``: today and the 6 days before it),
        by the same rule as ``sla report --period``."""
        now = self.now()
        start, end = report_window(period, now)
        with db.read_session(self.engine) as session:
            return report(session, start=start, end=end, now=now)

    # --- writes (each raises ops.TicketError, or its StaleEdit, with a one-line message) ------

    def claim(self, ticket_id: int) -> ops.Change:
        return ops.claim(self.engine, ticket_id, self.operator, self.now())

    def assign(self, ticket_id: int, person_id: int | None, expected_version: int | None) -> ops.Change:
        return ops.assign(
            self.engine, ticket_id, person_id, self.operator, self.now(), expected_version=expected_version
        )

    def set_priority(self, ticket_id: int, priority: str, expected_version: int | None) -> ops.Change:
        return ops.set_priority(
            self.engine, ticket_id, priority, self.operator, self.now(), expected_version=expected_version
        )

    def set_status(self, ticket_id: int, status: str, expected_version: int | None) -> ops.Change:
        return ops.set_status(
            self.engine, ticket_id, status, self.operator, self.now(), expected_version=expected_version
        )

    def set_tags(self, ticket_id: int, tags: str, expected_version: int | None) -> ops.Change:
        return ops.set_tags(self.engine, ticket_id, tags, self.operator, self.now(), expected_version=expected_version)

    def set_refund_status(self, ticket_id: int, state: str, expected_version: int | None) -> ops.Change:
        return ops.set_refund_status(
            self.engine, ticket_id, state, self.operator, self.now(), expected_version=expected_version
        )

    def add_reply(self, ticket_id: int, body: str, expected_version: int | None) -> ops.Change:
        return ops.add_reply(self.engine, ticket_id, body, self.operator, self.now(), expected_version=expected_version)

    def add_note(self, ticket_id: int, body: str) -> ops.Change:
        return ops.add_note(self.engine, ticket_id, body, self.operator, self.now())

    def escalate(self, ticket_id: int, expected_version: int | None, *, default_owner: str) -> ops.Change:
        return ops.escalate(
            self.engine,
            ticket_id,
            self.operator,
            self.now(),
            expected_version=expected_version,
            default_owner=default_owner,
        )

    def bulk(
        self,
        ticket_ids: Iterable[int],
        *,
        assignee_id: int | None = None,
        assign_to_nobody: bool = False,
        status: str | None = None,
        priority: str | None = None,
    ) -> ops.BulkResult:
        """All marked tickets in one transaction: all change or none do."""
        return ops.bulk(
            self.engine,
            ticket_ids,
            operator=self.operator,
            now=self.now(),
            assignee_id=assignee_id,
            assign_to_nobody=assign_to_nobody,
            status=status,
            priority=priority,
        )

    def auto_assign(self, ticket_ids: Iterable[int]) -> ops.BulkResult:
        return ops.auto_assign(self.engine, ticket_ids, operator=self.operator, now=self.now())

    def undo(self, change: ops.Change | ops.BulkChange) -> list[ops.Change]:
        return ops.undo(self.engine, change, self.operator, self.now())
