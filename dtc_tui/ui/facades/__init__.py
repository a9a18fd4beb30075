"""The UI's only door to the database: one thin facade per area (see ``base.Facade``).

Each facade is built on first use, so starting the app imports only the areas it shows (the
screens' modules are imported the same lazy way, see ``DtcApp.MODES``).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from dtc_tui.clock import Clock
from dtc_tui.ui.facades.app import AppFacade

if TYPE_CHECKING:
    from dtc_tui.ui.facades.ads import AdsFacade
    from dtc_tui.ui.facades.audit import AuditFacade
    from dtc_tui.ui.facades.imports import ImportFacade
    from dtc_tui.ui.facades.inventory import InventoryFacade
    from dtc_tui.ui.facades.orders import OrdersFacade
    from dtc_tui.ui.facades.overview import OverviewFacade
    from dtc_tui.ui.facades.presence import PresenceFacade
    from dtc_tui.ui.facades.replies import RepliesFacade
    from dtc_tui.ui.facades.sla import SlaFacade
    from dtc_tui.ui.facades.team import TeamFacade
    from dtc_tui.ui.facades.tickets import TicketsFacade


class Facades:
    """Every area's facade, built with the same engine, operator and clock (``app.facades.tickets``)."""

    def __init__(self, engine: Engine, operator: str, clock: Clock) -> None:
        self._args = (engine, operator, clock)
        self.app = AppFacade(*self._args)

    @cached_property
    def overview(self) -> OverviewFacade:
        from dtc_tui.ui.facades.overview import OverviewFacade

        return OverviewFacade(*self._args)

    @cached_property
    def tickets(self) -> TicketsFacade:
        from dtc_tui.ui.facades.tickets import TicketsFacade

        return TicketsFacade(*self._args)

    @cached_property
    def sla(self) -> SlaFacade:
        from dtc_tui.ui.facades.sla import SlaFacade

        return SlaFacade(*self._args)

    @cached_property
    def inventory(self) -> InventoryFacade:
        from dtc_tui.ui.facades.inventory import InventoryFacade

        return InventoryFacade(*self._args)

    @cached_property
    def orders(self) -> OrdersFacade:
        from dtc_tui.ui.facades.orders import OrdersFacade

        return OrdersFacade(*self._args)

    @cached_property
    def ads(self) -> AdsFacade:
        from dtc_tui.ui.facades.ads import AdsFacade

        return AdsFacade(*self._args)

    @cached_property
    def team(self) -> TeamFacade:
        from dtc_tui.ui.facades.team import TeamFacade

        return TeamFacade(*self._args)

    @cached_property
    def audit(self) -> AuditFacade:
        from dtc_tui.ui.facades.audit import AuditFacade

        return AuditFacade(*self._args)

    @cached_property
    def imports(self) -> ImportFacade:
        from dtc_tui.ui.facades.imports import ImportFacade

        return ImportFacade(*self._args)

    @cached_property
    def replies(self) -> RepliesFacade:
        from dtc_tui.ui.facades.replies import RepliesFacade

        return RepliesFacade(*self._args)

    @cached_property
    def presence(self) -> PresenceFacade:
        from dtc_tui.ui.facades.presence import PresenceFacade

        return PresenceFacade(*self._args)


__all__ = ["Facades"]
