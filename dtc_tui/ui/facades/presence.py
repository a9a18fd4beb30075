"""Who else has a record open (heartbeats in the presence table)."""

from __future__ import annotations

from dtc_tui.services.common import presence
from dtc_tui.services.common.presence import Viewer
from dtc_tui.ui.facades.base import Facade


class PresenceFacade(Facade):
    def beat(self, entity: str, entity_id: str | int, state: str) -> None:
        presence.beat(
            self.engine, operator=self.operator, entity=entity, entity_id=entity_id, state=state, now=self.now()
        )

    def leave(self, entity: str, entity_id: str | int) -> None:
        presence.leave(self.engine, operator=self.operator, entity=entity, entity_id=entity_id)

    def others(self, entity: str, entity_id: str | int) -> list[Viewer]:
        return presence.others(self.engine, operator=self.operator, entity=entity, entity_id=entity_id, now=self.now())
