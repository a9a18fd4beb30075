"""``fetch_existing``: the stored rows of a batch's keys, read through the key's index.

A row-value IN (``(a, b) IN (VALUES ...)``) made SQLite scan the whole table for every batch, so an
import slowed as its table grew; the lookup now pins key columns with one value in the batch and
reads what stays composite through a VALUES subquery. Same rows as the plain comparison, both backends.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, UniqueConstraint, event, select
from sqlmodel import Session

from dtc_tui import db
from dtc_tui.models.types import UTCDateTime
from dtc_tui.services.importers.upsert import fetch_existing

META = MetaData()
ROWS = Table(
    "lookup_probe",
    META,
    Column("id", Integer, primary_key=True),
    Column("source", String(20)),
    Column("name", String(40)),
    Column("at", UTCDateTime()),
    UniqueConstraint("source", "name", "at"),
)
T0 = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def probe(database_url: str) -> Iterator[Engine]:
    engine = db.make_engine(database_url)
    META.create_all(engine)
    rng = random.Random(14)
    with engine.begin() as conn:
        conn.execute(
            ROWS.insert(),
            [
                {
                    "source": rng.choice(["shopify", "amazon", None]),
                    "name": f"#{n}",
                    "at": None if n % 17 == 0 else T0 + timedelta(hours=n % 5),
                }
                for n in range(600)
            ],
        )
    yield engine
    META.drop_all(engine)


def _plain(session: Session, keys: list[tuple]) -> dict[tuple, int]:
    """What the keys match by plain equality of every column (NULL matching nothing)."""
    found = {}
    for row in session.execute(select(ROWS)).mappings():
        stored = (row["source"], row["name"], row["at"])
        for key in keys:
            if None not in key and tuple(stored[: len(key)]) == key:
                found[key] = row["id"]
    return found


def test_lookup_gives_the_rows_plain_equality_gives(probe: Engine) -> None:
    rng = random.Random(20)
    with Session(probe) as session:
        stored = [tuple(r) for r in session.execute(select(ROWS.c.source, ROWS.c.name, ROWS.c.at))]
        batches = [
            [("shopify", f"#{n}") for n in rng.sample(range(700), 600)],  # one source: pinned, past a chunk
            [(s, n) for s, n, _at in rng.sample(stored, 80)] + [("amazon", "#9999"), (None, "#1")],  # mixed
            [(s, n, at) for s, n, at in rng.sample(stored, 80)],  # three columns, datetimes, NULLs
            [("amazon", f"#{n}", T0 + timedelta(hours=n % 5)) for n in range(40)],  # two pinned
            [(None, "#3")],  # a NULL key column matches nothing
        ]
        for keys in batches:
            key = ("source", "name", "at")[: len(keys[0])]
            got = {k: row["id"] for k, row in fetch_existing(session, ROWS, key, keys).items()}
            assert got == _plain(session, keys), keys[:3]
        assert len(fetch_existing(session, ROWS, ("source", "name"), batches[0])) > 100


def test_sqlite_reads_a_composite_lookup_through_the_index(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'probe.db'}")
    META.create_all(engine)
    seen: list[str] = []
    with Session(engine) as session:
        conn = session.connection()

        def plan(conn, cursor, statement, parameters, context, executemany) -> None:
            if statement.startswith("SELECT") and "lookup_probe" in statement:
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
                seen.extend(str(r[-1]) for r in rows)

        event.listen(conn, "before_cursor_execute", plan)
        fetch_existing(session, ROWS, ("source", "name"), [("shopify", "#1"), ("amazon", "#2")])
        fetch_existing(session, ROWS, ("source", "name"), [("shopify", "#1"), ("shopify", "#2")])
        event.remove(conn, "before_cursor_execute", plan)
    assert seen and not [line for line in seen if line.startswith("SCAN lookup_probe")], seen
    assert any("USING INDEX" in line or "USING COVERING INDEX" in line for line in seen), seen
