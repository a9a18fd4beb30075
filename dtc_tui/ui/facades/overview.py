"""The overview: what needs attention in every area."""

from __future__ import annotations

from dtc_tui.services.overview.summary import Overview, build
from dtc_tui.ui.facades.base import Facade


class OverviewFacade(Facade):
    def build(self) -> Overview:
        return build(self.engine, self.now())
