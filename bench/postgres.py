"""PostgreSQL figures beside SQLite's: a bench dataset copied into a schema, then ``check`` timed there.

    .venv/bin/python bench/postgres.py DB_FILE BASE_URL SCHEMA

Copies every table of the SQLite dataset ``DB_FILE`` into the (re-created) schema ``SCHEMA`` of
the PostgreSQL database at ``BASE_URL`` (``DTC_TUI_TEST_POSTGRES_URL``): tables made from the
models (with the roll-up triggers), rows copied in id order in chunks, the roll-ups rebuilt,
``alembic_version`` stamped, every table vacuumed and analysed (as autovacuum soon would). Prints
the schema's URL. ``bench/run.py --only postgres`` calls it and times the headless commands
against that URL (the copy costs about a minute per 100k tickets).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CHUNK = 20_000


def schema_url(base: str, schema: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(base)
    return url.set(query={**url.query, "options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


def copy(db_file: Path, base: str, schema: str) -> str:
    from sqlalchemy import create_engine, insert, select, text

    from dtc_tui import db
    from dtc_tui.models import metadata
    from dtc_tui.models.rollups import ROLLUP_TABLES

    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = schema_url(base, schema)
    target = db.make_engine(url)
    source = db.make_engine(f"sqlite:///{db_file}")
    metadata.create_all(target)
    with source.connect() as src, target.begin() as dst:
        db.no_statement_timeout(dst)  # the 1M copy's roll-up rebuild is one long statement
        dst.exec_driver_sql("ALTER TABLE ticket DISABLE TRIGGER USER")  # the roll-ups are rebuilt once below
        dst.exec_driver_sql("ALTER TABLE sla_breach DISABLE TRIGGER USER")
        for table in metadata.sorted_tables:
            if table.name in ROLLUP_TABLES:
                continue
            order = list(table.primary_key.columns)
            result = src.execution_options(stream_results=True).execute(select(table).order_by(*order))
            while rows := result.fetchmany(CHUNK):
                dst.execute(insert(table), [dict(row._mapping) for row in rows])
        dst.exec_driver_sql("ALTER TABLE ticket ENABLE TRIGGER USER")
        dst.exec_driver_sql("ALTER TABLE sla_breach ENABLE TRIGGER USER")
        from dtc_tui.models import rollups

        for statement in rollups.rebuild_sql("postgresql"):
            dst.exec_driver_sql(statement)
        for table in metadata.sorted_tables:
            for column in table.primary_key.columns:
                if column.autoincrement is True or (column.autoincrement == "auto" and column.type.python_type is int):
                    dst.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{column.name}'), "
                        f'COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 0) + 1, false) '
                        f"WHERE pg_get_serial_sequence('\"{table.name}\"', '{column.name}') IS NOT NULL"
                    )
        dst.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        dst.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": db._head_from_files()})
    # What autovacuum does to a live database soon after a bulk load: the visibility map lets the
    # queue's counts read their indexes alone (1M copy: count of the open tickets 46 -> 18 ms).
    # Without it every figure measured right after the copy pays heap reads a real shop does not.
    with target.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in metadata.sorted_tables:
            conn.exec_driver_sql(f'VACUUM (ANALYZE) "{table.name}"')
    source.dispose()
    target.dispose()
    return url


if __name__ == "__main__":
    print(copy(Path(sys.argv[1]), sys.argv[2], sys.argv[3]))
