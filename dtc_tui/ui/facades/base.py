"""The base of every facade: the engine, the operator and the clock, given once by the app.

Screens never open a session: they call a facade method with ids and values, and get the
services' dataclasses (or plain values) back. A facade method opens its own session, passes
``now`` from the clock and the operator as the actor, and returns; no ORM object leaves it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from dtc_tui.clock import Clock


class Facade:
    """What every area's facade holds; subclasses add one thin method per thing a screen needs."""

    def __init__(self, engine: Engine, operator: str, clock: Clock) -> None:
        self.engine = engine
        self.operator = operator
        self.clock = clock

    def now(self) -> datetime:
        return self.clock.now()
