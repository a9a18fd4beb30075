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
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database with the default SLA policies and nothing else."""
    eng = db.make_engine(database_url)
    db.upgrade(eng)
    with db.write_session(eng) as session:
        ensure_defaults(session)
    yield eng
    eng.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(FIXED_NOW)


@pytest.fixture
def now() -> datetime:
    return FIXED_NOW


@pytest.fixture
def demo_engine(engine: Engine) -> Engine:
    """The small demo dataset built at the fixed time."""
    from dtc_tui.services import demo

    demo.build(engine, now=FIXED_NOW, seed=7)
    return engine


_DEMO_TEMPLATE: dict[str, Path] = {}


@pytest.fixture
def sqlite_demo_engine(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """SQLite only: a copy of a demo database built once per test session (fast UI tests)."""
    import shutil

    from dtc_tui.services import demo

    if "path" not in _DEMO_TEMPLATE:
        template = tmp_path_factory.mktemp("demo-template") / "demo.db"
        eng = db.make_engine(f"sqlite:///{template}")
        demo.build(eng, now=FIXED_NOW, seed=7)
        with eng.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        eng.dispose()
        _DEMO_TEMPLATE["path"] = template
    target = tmp_path / "demo.db"
    shutil.copy(_DEMO_TEMPLATE["path"], target)
    eng = db.make_engine(f"sqlite:///{target}")
    yield eng
    eng.dispose()


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
