"""Screens and widgets hold no sessions: they reach the database only through ``dtc_tui.ui.facades``.

Read from the source with ``ast`` (nothing is imported), so a new screen is covered the day it
is added. Forbidden in ``ui/screens`` and ``ui/widgets``: importing SQLAlchemy, SQLModel,
``dtc_tui.db`` or ``dtc_tui.models`` (also under ``TYPE_CHECKING``: type hints name the services'
dataclasses, never a model), opening a session or connection, or touching an engine.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

UI = Path(__file__).resolve().parent.parent / "dtc_tui" / "ui"
CHECKED = ("screens", "widgets")
FORBIDDEN_MODULES = ("sqlalchemy", "sqlmodel", "dtc_tui.db", "dtc_tui.models")
FORBIDDEN_CALLS = ("connect", "read_session", "write_session")


def _matches(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def violations_in(source: str, where: str = "<source>") -> list[str]:
    tree = ast.parse(source)
    found: list[str] = []

    def imported(module: str, line: int) -> None:
        # Under TYPE_CHECKING too: a screen is typed with the services' dataclasses, never a model.
        if _matches(module, FORBIDDEN_MODULES):
            found.append(f"{where}:{line}: imports {module}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                imported(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] if _matches(node.module, FORBIDDEN_MODULES) else []
            names = names or [f"{node.module}.{alias.name}" for alias in node.names]  # from dtc_tui import db
            for name in names:
                imported(name, node.lineno)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in FORBIDDEN_CALLS:
                found.append(f"{where}:{node.lineno}: calls {name}()")
        elif isinstance(node, ast.Attribute) and node.attr == "engine":
            found.append(f"{where}:{node.lineno}: uses an engine (call a facade instead)")
    return found


def ui_violations(ui: Path = UI) -> list[str]:
    found: list[str] = []
    for part in CHECKED:
        for path in sorted((ui / part).rglob("*.py")):
            found += violations_in(path.read_text(encoding="utf-8"), str(path.relative_to(ui.parent.parent)))
    return found


def test_screens_and_widgets_reach_the_database_only_through_facades() -> None:
    assert list((UI / "screens").rglob("*.py")), "no screens found: the check would pass vacuously"
    found = ui_violations()
    assert found == [], "screens/widgets must call dtc_tui.ui.facades:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("from dtc_tui import db\n", "imports dtc_tui.db"),
        ("import sqlalchemy as sa\n", "imports sqlalchemy"),
        ("from sqlmodel import Session\n", "imports sqlmodel"),
        ("from dtc_tui.models.tickets import STATUSES\n", "imports dtc_tui.models"),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from dtc_tui.models import Ticket\n", "models"),
        ("def f(app):\n    with read_session(app.x) as s:\n        pass\n", "calls read_session()"),
        ("def f(db, e):\n    db.write_session(e)\n", "calls write_session()"),
        ("def f(e):\n    e.connect()\n", "calls connect()"),
        ("def f(self):\n    return ops.claim(self.dtc.engine, 1)\n", "uses an engine"),
    ],
)
def test_the_check_catches_each_forbidden_use(source: str, what: str) -> None:
    found = violations_in(source)
    assert len(found) == 1 and what in found[0], found


def test_type_only_imports_of_dataclasses_are_allowed() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from dtc_tui.services.tickets.detail import TicketDetail\n"
        "    from dtc_tui.ui.app import DtcApp\n"
        "from dtc_tui.services.tickets import ops\n"
    )
    assert violations_in(source) == []
