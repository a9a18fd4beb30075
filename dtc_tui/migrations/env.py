"""Alembic environment: runs inside the caller's transaction.

``dtc_tui.db.upgrade`` opens one transaction and passes its connection here, so on SQLite
(whose DDL is transactional once pysqlite's implicit commits are off) and on PostgreSQL a
failed migration leaves the schema as it was. On PostgreSQL an advisory lock keeps two
instances from migrating at once.
"""

from alembic import context
from sqlalchemy import create_engine

from dtc_tui.models import load_all, ticket_search

config = context.config
target_metadata = load_all()  # every table registered (the models package loads its modules on first use)
MIGRATION_LOCK_KEY = 0x5D7C7017


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transactional_ddl=True,
        compare_type=True,
        include_name=ticket_search.include_name,
        include_object=ticket_search.include_object,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
        context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _configure(conn)
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
