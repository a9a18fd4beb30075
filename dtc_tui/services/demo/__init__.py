"""Deterministic demo data relative to ``now`` (``dtc-tui demo``).

Each area has its own module; ``build`` runs them in dependency order. The same seed and the
same ``now`` give the same database. ``scale="large"`` is for benchmarks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from dtc_tui import db
from dtc_tui.errors import UserError
from dtc_tui.services.tickets.sla_defaults import ensure_defaults

SCALES = ("small", "large")


@dataclass
class DemoSize:
    tickets_open: int
    tickets_closed: int
    customers: int
    skus: int
    sales_days: int
    campaigns: int
    ad_days: int


SIZES = {
    "small": DemoSize(
        tickets_open=300, tickets_closed=2400, customers=400, skus=150, sales_days=180, campaigns=15, ad_days=90
    ),
    "large": DemoSize(
        tickets_open=10_000,
        tickets_closed=90_000,
        customers=20_000,
        skus=10_000,
        sales_days=90,
        campaigns=50,
        ad_days=730,
    ),
}


class DemoError(UserError):
    """The demo data cannot be written (the database is not empty...)."""


def build(
    engine: Engine, *, now: datetime, seed: int = 7, scale: str = "small", tickets: int | None = None
) -> dict[str, int]:
    """Fill an empty database with demo data; refuses a database that already has data."""
    from dtc_tui.services.common import dbinfo
    from dtc_tui.services.demo import ads, inventory, team
    from dtc_tui.services.demo import tickets as ticket_demo

    if scale not in SIZES:
        raise DemoError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    size = SIZES[scale]
    if tickets is not None:
        size = DemoSize(
            **{
                **size.__dict__,
                "tickets_open": max(tickets // 10, 1),
                "tickets_closed": tickets - max(tickets // 10, 1),
            }
        )
    db.ensure_current(engine)
    if not dbinfo.is_empty(engine):
        raise DemoError("the database already holds data; demo data goes only into an empty database")
    rng = random.Random(seed)
    with db.write_session(engine) as session:
        ensure_defaults(session)
        people = team.build(session, rng)
        skus = inventory.build(session, rng, now, size)
        ads.build(session, rng, now, size, skus)
    ticket_demo.build(engine, rng, now, size, people, skus)
    return dbinfo.info(engine).row_counts
