"""What the SLA settings screen reads and changes, each call one transaction (``sla_admin``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dtc_tui import db
from dtc_tui.services.tickets import sla_admin
from dtc_tui.services.tickets.sla_admin import CalendarView, PolicyView
from dtc_tui.ui.facades.base import Facade


class SlaFacade(Facade):
    def policies(self) -> list[PolicyView]:
        with db.read_session(self.engine) as session:
            return sla_admin.list_policies(session)

    def calendars(self) -> list[CalendarView]:
        with db.read_session(self.engine) as session:
            return sla_admin.list_calendars(session)

    def save_policy(self, name: str, changes: dict[str, Any]) -> PolicyView:
        """Validated (``SlaSettingError`` names the field), audited, re-applied to open tickets."""
        with db.write_session(self.engine) as session:
            return sla_admin.save_policy(session, name, changes, actor=self.operator, now=self.clock.now())

    def set_active(self, name: str, active: bool) -> PolicyView:
        return self.save_policy(name, {"active": active})

    def move_policy(self, name: str, position: int) -> list[PolicyView]:
        with db.write_session(self.engine) as session:
            return sla_admin.move_policy(session, name, position, actor=self.operator, now=self.clock.now())

    def save_calendar(self, name: str, *, timezone: str | None = None, hours: str | None = None) -> CalendarView:
        with db.write_session(self.engine) as session:
            return sla_admin.save_calendar(
                session, name, actor=self.operator, now=self.clock.now(), timezone=timezone, weekly_text=hours
            )

    def try_policy(self, name: str, start: datetime) -> list[tuple[str, int, datetime]]:
        with db.read_session(self.engine) as session:
            return sla_admin.try_policy(session, name, start)
