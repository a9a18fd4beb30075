"""Shared field helpers of the table models (the column types are in ``models/types.py``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlmodel import Field, SQLModel

from dtc_tui.models import ticket_search
from dtc_tui.models.types import UTCDateTime

ticket_search.listen(SQLModel.metadata)  # every model module imports this one, before any create_all


class TableModel(SQLModel):
    """The base of every table model. Pydantic builds a model's validator when it is first asked
    to validate, not when the class is made: table models are loaded and written through the ORM,
    which never validates, so a headless command pays for none of the 45 validators (about a
    third of building the model classes, issue 20)."""

    model_config = {**SQLModel.model_config, "defer_build": True}  # SQLModel's own config, plus this


def utc_field(*, index: bool = False, nullable: bool = True, default: Any = None) -> Any:
    return Field(default=default, sa_type=UTCDateTime, index=index, nullable=nullable)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a table model, typed (SQLModel sets ``__table__`` at class creation,
    so type checkers do not see it on the class)."""
    table = vars(model)["__table__"]
    assert isinstance(table, Table)
    return table
