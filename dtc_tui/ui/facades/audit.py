"""The audit log, as a windowed source the audit screen's table pages through."""

from __future__ import annotations

from dtc_tui.services.common.audit import AuditSource
from dtc_tui.services.common.filters import ParsedFilter
from dtc_tui.ui.facades.base import Facade


class AuditFacade(Facade):
    def source(self, log_filter: ParsedFilter | None = None) -> AuditSource:
        """The source opens a short session per page (the table asks for one page at a time)."""
        return AuditSource(self.engine, log_filter, now=self.now())
