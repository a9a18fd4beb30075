"""Shared fixtures.

Every test that takes ``engine`` runs on SQLite and, when ``DTC_TUI_TEST_POSTGRES_URL`` is
set, on PostgreSQL too (each PostgreSQL test gets a schema of its own, dropped afterwards).
Without the variable the PostgreSQL cases are skipped with that reason.

Config is read from a temporary directory, never the developer's home, and time is a
``FixedClock``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from dtc_tui import db
from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.services.tickets.sla_defaults import ensure_defaults

POSTGRES_ENV = "DTC_TUI_TEST_POSTGRES_URL"
FIXED_NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)  # a Friday, 15:00 in Berlin
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("DTC_TUI_OPERATOR", "tester")
    for name in ("DTC_TUI_DATABASE_URL", "DTC_TUI_CONFIG", "DTC_TUI_DEMO_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(home)


def postgres_base_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def _postgres_schema_url(base: str) -> tuple[str, str]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", schema


def _drop_schema(base: str, schema: str) -> None:
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    base = postgres_base_url()
    if base is None:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    try:
        url, schema = _postgres_schema_url(base)
    except Exception as exc:
        if os.environ.get("DTC_TUI_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"PostgreSQL at {base} is unreachable: {exc}")
    try:
        yield url
    finally:
        _drop_schema(base, schema)


@pytest.fixture
def engine(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A migrated database with the default SLA policies and nothing else (a copy of a template)."""
    eng = _from_template(database_url, "empty", tmp_path_factory)
    yield eng
    eng.dispose()


# Building a database costs: Alembic's migrations take ~0.5 s, the small demo 2-8 s. Each test
# process builds each kind once, as a template, and every test gets a copy: a file copy on SQLite,
# the template schema's rows copied into a schema made from the models on PostgreSQL
# (test_migrations proves the models and the migrations agree; it builds its databases itself).
_TEMPLATES: dict[tuple[str, str], str] = {}


def _build(eng: Engine, kind: str) -> None:
    if kind == "demo":
        from dtc_tui.services import demo

        demo.build(eng, now=FIXED_NOW, seed=7)
    else:
        db.upgrade(eng)
        with db.write_session(eng) as session:
            ensure_defaults(session)


def _from_template(database_url: str, kind: str, factory: pytest.TempPathFactory) -> Engine:
    import shutil

    path = db.sqlite_path(database_url)
    if path is not None:
        key = ("sqlite", kind)
        if key not in _TEMPLATES:
            template = factory.mktemp(f"template-{kind}") / "template.db"
            eng = db.make_engine(f"sqlite:///{template}")
            _build(eng, kind)
            with eng.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            eng.dispose()
            _TEMPLATES[key] = str(template)
        path.unlink(missing_ok=True)
        shutil.copy(_TEMPLATES[key], path)
        return db.make_engine(database_url)
    base = postgres_base_url()
    assert base is not None
    key = ("postgres", kind)
    if key not in _TEMPLATES:
        url, schema = _postgres_schema_url(base)
        eng = db.make_engine(url)
        _build(eng, kind)
        eng.dispose()
        _TEMPLATES[key] = schema
    eng = db.make_engine(database_url)
    _copy_postgres_schema(eng, _TEMPLATES[key])
    return eng


_COPY_SCRIPTS: dict[str, str] = {}


def _copy_postgres_schema(eng: Engine, template: str) -> None:
    """The template schema's tables and rows into the (empty) schema ``eng`` points at.

    One script in one round trip, built once per template: the models' DDL as ``create_all``
    emits it, the rows of the tables that have any, the sequences moved past the copied ids,
    then the indexes (faster after the rows). The copy commits asynchronously (a test database
    needs no fsync) and, for a superuser, skips the foreign-key triggers (the rows come from a
    consistent database). This took 3-5 s a test as ~200 statements; now ~1.5-2 s under load.
    """
    if template not in _COPY_SCRIPTS:
        _COPY_SCRIPTS[template] = _copy_script(eng, template)
    with eng.begin() as conn:
        conn.exec_driver_sql(_COPY_SCRIPTS[template])


def _copy_script(eng: Engine, template: str) -> str:
    from sqlalchemy import create_mock_engine

    from dtc_tui.models import metadata

    ddl: list[str] = []
    mock = create_mock_engine(eng.url, lambda sql, *_args, **_kw: ddl.append(str(sql.compile(dialect=mock.dialect))))
    metadata.create_all(mock, checkfirst=False)
    tables = [sql for sql in ddl if not sql.lstrip().startswith(("CREATE INDEX", "CREATE UNIQUE INDEX"))]
    indexes = [sql for sql in ddl if sql not in tables]
    with eng.connect() as conn:
        superuser = conn.exec_driver_sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").scalar()
        from dtc_tui.models import ticket_search

        trgm = ticket_search.ensure_trgm(conn)  # the queue's trigram indexes (not on the models)
        conn.commit()
        filled = {
            table.name
            for table in metadata.sorted_tables
            if conn.exec_driver_sql(f'SELECT EXISTS (SELECT 1 FROM "{template}"."{table.name}")').scalar()
        }
    script = ["SET LOCAL synchronous_commit = off"]
    if superuser:
        script.append("SET LOCAL session_replication_role = replica")
    script += [sql.strip() for sql in tables]
    script.append(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
    )
    script.append(f'INSERT INTO alembic_version SELECT version_num FROM "{template}".alembic_version')
    for table in metadata.sorted_tables:
        if table.name not in filled:
            continue  # an empty table's sequence is where a fresh one starts
        columns = ", ".join(f'"{column.name}"' for column in table.columns)
        script.append(f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} FROM "{template}"."{table.name}"')
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto" and column.type.python_type is int):
                script.append(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{column.name}'), "
                    f'COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 0) + 1, false) '
                    f"WHERE pg_get_serial_sequence('\"{table.name}\"', '{column.name}') IS NOT NULL"
                )
    script += [sql.strip() for sql in indexes]
    # The roll-up triggers after the rows (create_all on the mock engine leaves them out), and the
    # roll-ups recomputed from the copied rows (whatever the replication role did to triggers).
    from dtc_tui.models import rollups

    script += rollups.trigger_ddl("postgresql") + rollups.rebuild_sql("postgresql")
    script += ticket_search.index_ddl() + (ticket_search.pg_trgm_ddl(trgm) if trgm else [])
    return ";\n".join(script)


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_templates() -> Iterator[None]:
    yield
    base = postgres_base_url()
    for (backend, _kind), schema in _TEMPLATES.items():
        if backend == "postgres" and base is not None:
            _drop_schema(base, schema)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(FIXED_NOW)


@pytest.fixture
def now() -> datetime:
    return FIXED_NOW


@pytest.fixture
def demo_engine(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The small demo dataset built at the fixed time (a copy of a template), on each backend."""
    eng = _from_template(database_url, "demo", tmp_path_factory)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_demo_engine(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """SQLite only: a copy of the demo database (fast UI tests)."""
    eng = _from_template(f"sqlite:///{tmp_path / 'demo.db'}", "demo", tmp_path_factory)
    yield eng
    eng.dispose()


@pytest.fixture
def zh_cn() -> Iterator[None]:
    """The app and the services speak Simplified Chinese in this test, English again after it."""
    from dtc_tui import i18n

    with i18n.speaking("zh-CN"):
        yield


@pytest.fixture
def settings() -> Settings:
    return Settings(operator="tester", tick_seconds=3600, sync_seconds=3600)


def make_app(engine: Engine, clock: FixedClock, settings: Settings, **kwargs: object):
    from dtc_tui.ui.app import DtcApp

    kwargs.setdefault("start_area", "tickets")  # most UI tests drive one area; the overview test asks for it
    return DtcApp(engine=engine, settings=settings, clock=clock, database_label="test.db", **kwargs)  # type: ignore[arg-type]


def screen_text(app) -> str:
    """What the terminal shows, as plain text (from Textual's own screenshot export)."""
    import html
    import re

    svg = app.export_screenshot()
    runs = re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)
    return html.unescape("".join(runs)).replace("\xa0", " ")
