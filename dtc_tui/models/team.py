"""People, duties, RACI assignments and ticket routing."""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from dtc_tui.models.base import TableModel
from dtc_tui.models.enums import RaciRole, values

FUNCTIONS = ("tech", "marketing", "customer_service", "supply_chain", "data")
RACI_VALUES = values(RaciRole)


class Person(TableModel, table=True):
    __tablename__ = "person"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    handle: str = Field(max_length=50, unique=True)
    os_user: str | None = Field(default=None, max_length=50, index=True)
    timezone: str = Field(default="UTC", max_length=64)
    # Working hours in the person's own time zone: "09:00-18:00"; days as ISO weekday digits.
    work_hours: str = Field(default="09:00-18:00", max_length=40)
    work_days: str = Field(default="12345", max_length=7)
    active: bool = True
    version: int = 1


class Duty(TableModel, table=True):
    __tablename__ = "duty"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=60, unique=True)
    name: str = Field(max_length=120)
    function: str = Field(max_length=30, index=True)
    description: str = ""
    active: bool = True
    position: int = 0
    version: int = 1


class Assignment(TableModel, table=True):
    """One RACI value for one person on one duty."""

    __tablename__ = "assignment"
    __table_args__ = (UniqueConstraint("person_id", "duty_id", name="uq_assignment_person_duty"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    duty_id: int = Field(foreign_key="duty.id", index=True)
    role: str = Field(max_length=1)


class RoutingRule(TableModel, table=True):
    """Ticket category -> duty; the duty's accountable person (or backup) gets the ticket."""

    __tablename__ = "routing_rule"
    id: int | None = Field(default=None, primary_key=True)
    category: str = Field(max_length=40, unique=True)
    duty_id: int | None = Field(default=None, foreign_key="duty.id")
    backup_person_id: int | None = Field(default=None, foreign_key="person.id")
