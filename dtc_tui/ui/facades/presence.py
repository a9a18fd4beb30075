"""Who else has a record open (heartbeats in the presence table)."""

from __future__ import annotations

import threading
from collections.abc import Callable

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


class PresenceVisit:
    """One open record (a ticket view, a reply being written): beats until it is left, then never again.

    Beats and leaves run off the UI thread; the app's keeper serialises them under one lock, and
    a beat that runs after its visit was left (queued behind a busy database) writes nothing, so
    a leave is final: no heartbeat lands after it.
    """

    def __init__(self, keeper: PresenceKeeper, entity: str, entity_id: str | int) -> None:
        self.keeper, self.entity, self.entity_id = keeper, entity, entity_id
        self.left = False
        self.done = False  # our row is deleted (or was never written)

    def beat(self, state: str) -> None:
        def work() -> None:
            with self.keeper.lock:
                if not self.left:
                    self.keeper.facade().beat(self.entity, self.entity_id, state)

        if not self.left:
            self.keeper.run(f"presence-{self.entity}-{self.entity_id}", work)

    def leave(self) -> None:
        if self.left:
            return
        self.left = True  # before any work is queued: a later beat sees it under the lock

        def work() -> None:
            self.keeper.finish(self)

        self.keeper.run(f"presence-leave-{self.entity}-{self.entity_id}-{id(self)}", work)  # never skipped


class PresenceKeeper:
    """The app's presence rows: visits, the lock that orders their writes, the final clean-up at exit."""

    def __init__(self, facade: Callable[[], PresenceFacade], run: Callable[[str, Callable[[], None]], None]) -> None:
        self.facade = facade
        self._run = run
        self.lock = threading.Lock()
        self.visits: list[PresenceVisit] = []

    def visit(self, entity: str, entity_id: str | int) -> PresenceVisit:
        self.visits = [v for v in self.visits if not v.done]
        visit = PresenceVisit(self, entity, entity_id)
        self.visits.append(visit)
        return visit

    def run(self, name: str, work: Callable[[], None]) -> None:
        """``work`` in a background worker (the app's ``background_write``: skipped while the previous
        one of the same name still waits for a busy database)."""
        self._run(name, work)

    def finish(self, visit: PresenceVisit) -> None:
        with self.lock:
            if not visit.done:
                self.facade().leave(visit.entity, visit.entity_id)
                visit.done = True

    def close(self, wait: float = 2.0) -> None:
        """At exit: every visit is left and its row deleted before the app is gone (at most ``wait``
        seconds on a busy database; a row left behind fades out after ``FRESH_SECONDS``)."""
        pending = [v for v in self.visits if not v.done]
        if not pending:
            return
        for visit in pending:
            visit.left = True

        def work() -> None:
            for visit in pending:
                try:
                    self.finish(visit)
                except Exception:  # busy or gone: the row fades out
                    return

        thread = threading.Thread(target=work, name="presence-close", daemon=True)
        thread.start()
        thread.join(wait)
