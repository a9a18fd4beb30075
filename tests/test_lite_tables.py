"""The core-only tables of ``models/lite_tables.py`` say what the models say: every column they
name exists on the model's table with the same kind of value, and the cron paths that use them
import neither SQLModel nor pydantic nor the ORM."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dtc_tui import models
from dtc_tui.models import lite_tables
from dtc_tui.models.types import UTCDateTime


@pytest.mark.parametrize("lite", lite_tables.ALL, ids=lambda t: t.name)
def test_every_column_matches_the_model(lite) -> None:
    model_table = models.metadata.tables[lite.name]
    for col in lite.columns:
        assert col.name in model_table.c, f"{lite.name}.{col.name} is not a column of the model"
        model_type = model_table.c[col.name].type
        # The kind of value (String for SQLModel's AutoString, DateTime for UTCDateTime, ...).
        assert col.type._type_affinity is model_type._type_affinity, f"{lite.name}.{col.name}"
        assert isinstance(col.type, UTCDateTime) == isinstance(model_type, UTCDateTime), f"{lite.name}.{col.name}"


def test_a_lite_column_that_is_not_on_the_model_is_caught() -> None:
    from sqlalchemy import Integer, column, table

    wrong = table("ticket", column("no_such_column", Integer))
    with pytest.raises(AssertionError, match="not a column"):
        test_every_column_matches_the_model(wrong)


HEAVY = ("sqlmodel", "pydantic", "sqlalchemy.orm", "textual", "rich")


@pytest.mark.parametrize(
    "module",
    [
        "dtc_tui.models.lite_tables",
        "dtc_tui.services.tickets.sla_breaches",
        "dtc_tui.services.tickets.queue",
        "dtc_tui.services.inventory.board",
    ],
)
def test_cron_paths_import_nothing_heavy(module: str) -> None:
    code = f"import sys, {module}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "", f"{module} loads {loaded}"


# The whole command, as cron or a script runs it: what it loaded once it has printed the report.
REPORT_THEN_LIST = """
import sys
from dtc_tui.cli import main_group
try:
    main_group(["--db", sys.argv[1], "inventory", "reorder", "--json", "--all"], standalone_mode=False)
finally:
    print("HEAVY:" + ",".join(m for m in {heavy!r} if m in sys.modules))
"""


def test_the_reorder_report_loads_no_orm(sqlite_demo_engine) -> None:
    url = sqlite_demo_engine.url.render_as_string(hide_password=False)
    sqlite_demo_engine.dispose()
    code = REPORT_THEN_LIST.format(heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True, check=True)
    report, _, loaded = done.stdout.rpartition("HEAVY:")
    assert '"sku": "SKU-' in report  # the report was written, with the demo's rows
    assert loaded.strip() == ""


def test_table_models_build_their_validator_only_when_asked() -> None:
    """The ORM never validates: a command that only reads and writes rows builds no validator
    (``TableModel``'s ``defer_build``); one that validates still gets the model's own checks."""
    code = (
        "from dtc_tui.models import Ticket, Sku\n"
        "print(Ticket.__pydantic_complete__, Sku.__pydantic_complete__)\n"
        "Ticket(subject='x', channel='email')\n"
        "print(Ticket.__pydantic_complete__)\n"
        "import pydantic\n"
        "try:\n"
        "    Ticket.model_validate({'subject': 'y'})\n"
        "except pydantic.ValidationError:\n"
        "    print('refused')\n"
        "print(Ticket.__pydantic_complete__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False", "False", "refused", "True"]
