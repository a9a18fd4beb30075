"""What the SLA settings screen reads and changes, each call one transaction (``sla_admin``).

Every change is validated by ``sla_validation`` (``SlaSettingError`` names the field), audited and
re-applied to the open tickets in that same transaction.
"""

from __future__ import annotations

from datetime import date, datetime
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

    def calendar(self, name: str) -> CalendarView | None:
        return next((c for c in self.calendars() if c.name == name), None)

    def save_policy(
        self, name: str, changes: dict[str, Any], *, create: bool = True, position: int | None = None
    ) -> PolicyView:
        """Create or change a policy, and put it at ``position`` (0 = checked first), in one transaction."""
        with db.write_session(self.engine) as session:
            now = self.clock.now()
            saved = sla_admin.save_policy(session, name, changes, actor=self.operator, now=now, create=create)
            if position is not None and position != saved.position:
                moved = sla_admin.move_policy(session, saved.name, position, actor=self.operator, now=now)
                saved = next(p for p in moved if p.id == saved.id)
            return saved

    def set_active(self, name: str, active: bool) -> PolicyView:
        return self.save_policy(name, {"active": active}, create=False)

    def move_policy(self, name: str, position: int) -> list[PolicyView]:
        with db.write_session(self.engine) as session:
            return sla_admin.move_policy(session, name, position, actor=self.operator, now=self.clock.now())

    def save_calendar(
        self, name: str, *, timezone: str | None = None, hours: str | None = None, new_name: str | None = None
    ) -> CalendarView:
        with db.write_session(self.engine) as session:
            return sla_admin.save_calendar(
                session,
                name,
                actor=self.operator,
                now=self.clock.now(),
                timezone=timezone,
                weekly_text=hours,
                new_name=new_name,
            )

    def add_holidays(self, calendar: str, days: list[tuple[date, str]]) -> list[date]:
        with db.write_session(self.engine) as session:
            return sla_admin.add_holidays(session, calendar, days, actor=self.operator, now=self.clock.now())

    def copy_country_holidays(
        self, calendar: str, country: str, year: int, subdivision: str | None = None
    ) -> list[date]:
        """The public holidays of ``country`` in ``year`` (the ``holidays`` package, as the CLI)."""
        days = sla_admin.country_holidays(country, year, subdivision)
        return self.add_holidays(calendar, days)

    def remove_holidays(self, calendar: str, days: list[date]) -> list[date]:
        with db.write_session(self.engine) as session:
            return sla_admin.remove_holidays(session, calendar, days, actor=self.operator, now=self.clock.now())

    def try_policy(self, name: str, start: datetime) -> list[tuple[str, int, datetime]]:
        with db.read_session(self.engine) as session:
            return sla_admin.try_policy(session, name, start)
