"""The audit log, as a windowed source the audit screen's table pages through."""

from __future__ import annotations

from dtc_tui import db
from dtc_tui.services.common.audit import AuditSource, EntryDetail, entry_detail
from dtc_tui.services.common.filters import ParsedFilter
from dtc_tui.ui.facades.base import Facade


class AuditFacade(Facade):
    def source(self, log_filter: ParsedFilter | None = None) -> AuditSource:
        """The source opens a short session per page (the table asks for one page at a time)."""
        return AuditSource(self.engine, log_filter, now=self.now())

    def detail(self, entry_id: int) -> EntryDetail | None:
        """One row in full, with names for ids (the audit screen's Enter)."""
        with db.read_session(self.engine) as session:
            return entry_detail(session, entry_id)
