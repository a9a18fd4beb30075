"""What the app itself reads and writes on its timers: change counters, breaches, the WAL."""

from __future__ import annotations

from dtc_tui import db
from dtc_tui.ui.facades.base import Facade


class AppFacade(Facade):
    # The services are imported on first call, as the app did before: starting stays cheap.

    def busy_message(self) -> str:
        """Why the database is busy, naming a recorded holder (read without the write lock)."""
        from dtc_tui.services.common.activity import busy_message

        return busy_message(self.engine, self.now())

    def change_counters(self) -> dict[str, int]:
        """One counter per area, bumped by every write (the app reloads a screen when its area's moved)."""
        from dtc_tui.services.common.audit import counters

        with db.read_session(self.engine) as session:
            return counters(session)

    def record_breaches(self) -> int:
        """Record every SLA clock that passed its due time (the app's tick, not only cron): each
        clock of a ticket, not only the earliest, as ``sla check`` does. Each ticket's stored breach
        check (``Ticket.breach_check_at``) spares recomputing those that cannot have a new one yet."""
        from dtc_tui.services.tickets.sla_breaches import record_every_breach

        with db.write_session(self.engine) as session:
            return record_every_breach(session, self.now())

    def checkpoint(self) -> None:
        """Fold the WAL back into the database file (PASSIVE: never waits for other sessions)."""
        from dtc_tui.services.common.maintenance import checkpoint

        checkpoint(self.engine)

    def is_empty(self) -> bool:
        """No business data yet (only defaults): the app suggests an import or the demo."""
        from dtc_tui.services.common import dbinfo

        return dbinfo.is_empty(self.engine)
