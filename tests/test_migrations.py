from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from dtc_tui import db
from dtc_tui.models import metadata, ticket_search


def test_fresh_database_upgrades_to_head(database_url: str) -> None:
    engine = db.make_engine(database_url)
    result = db.upgrade(engine)
    assert result.before is None
    assert result.after == db.head_revision()
    assert db.current_revision(engine) == db.head_revision()
    # A second upgrade is a no-op.
    assert db.upgrade(engine).before == db.head_revision()


# SQLite cannot reflect the customers' lower(email) index; alembic says so before include_object
# leaves it out of the comparison.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_models_and_migrations_agree(database_url: str) -> None:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    with engine.connect() as conn:
        # The full-text tables and trigram indexes are SQL, not models (models/ticket_search.py).
        opts = {
            "compare_type": True,
            "include_name": ticket_search.include_name,
            "include_object": ticket_search.include_object,
        }
        context = MigrationContext.configure(conn, opts=opts)
        diff = compare_metadata(context, metadata)
    assert diff == [], f"models differ from migrations; add a migration: {diff}"


def test_database_newer_than_code_is_refused(database_url: str) -> None:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_from_the_future'"))
    with pytest.raises(db.DatabaseError, match="newer than this dtc-tui"):
        db.upgrade(engine)


def test_sqlite_pragmas_are_set(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.BUSY_TIMEOUT_MS
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA trusted_schema").scalar() == 0


def test_backup_is_a_consistent_copy(tmp_path: Path) -> None:
    from dtc_tui.services.tickets.sla_defaults import ensure_defaults

    engine = db.make_engine(f"sqlite:///{tmp_path / 'live.db'}")
    db.upgrade(engine)
    with db.write_session(engine) as session:
        ensure_defaults(session)
    copy = db.backup_sqlite(engine, tmp_path / "copy.db")
    other = db.make_engine(f"sqlite:///{copy}")
    with other.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert conn.exec_driver_sql("SELECT count(*) FROM sla_policy").scalar() == 5
    assert db.current_revision(other) == db.head_revision()
    with pytest.raises(db.DatabaseError, match="already exists"):
        db.backup_sqlite(engine, copy)


def test_unwritable_database_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()
    path.chmod(0o444)
    import os

    if os.geteuid() == 0:
        pytest.skip("root can write a read-only file; the check cannot fail here")
    with pytest.raises(db.DatabaseError, match=str(path)):
        db.make_engine(f"sqlite:///{path}")


def test_every_model_is_named_in_the_lazy_models_package() -> None:
    """``dtc_tui.models`` imports an area module on first use (issue 20): every class it exports is
    listed in ``_MODULE_OF`` under its own module, and ``metadata`` holds every table."""
    from sqlmodel import SQLModel

    import dtc_tui.models as models

    everything = models.load_all()
    classes = {
        mapper.class_.__name__: mapper.class_.__module__.rsplit(".", 1)[1]
        for mapper in SQLModel._sa_registry.mappers  # type: ignore[attr-defined]
        if mapper.class_.__module__.startswith("dtc_tui.models.")
    }
    assert {name: classes.get(name) for name in models._MODULE_OF} == models._MODULE_OF
    assert set(models.__all__) == set(models._MODULE_OF) | {"metadata", "load_all"}
    assert {t for t in everything.tables} >= {"ticket", "sku", "campaign", "fx_rate", "ticket_day", "outbox"}
    assert models.Ticket.__module__ == "dtc_tui.models.tickets"
