"""The overview: what needs attention in every area, less what this operator acknowledged or snoozed."""

from __future__ import annotations

from datetime import datetime

from dtc_tui.services.overview import acks
from dtc_tui.services.overview.summary import Item, Overview, build
from dtc_tui.ui.facades.base import Facade


class OverviewFacade(Facade):
    def build(self) -> Overview:
        now = self.now()
        return acks.apply(self.engine, build(self.engine, now), operator=self.operator, now=now)

    def acknowledge(self, item: Item, note: str) -> str:
        """Hide the item until its numbers change; returns who for ("you" or "the team")."""
        return acks.acknowledge(self.engine, item, operator=self.operator, now=self.now(), note=note)

    def snooze(self, item: Item, until: str, note: str = "") -> datetime:
        return acks.snooze(self.engine, item, operator=self.operator, now=self.now(), until=until, note=note)

    def restore(self, item: Item) -> None:
        acks.restore(self.engine, item, operator=self.operator, now=self.now())
