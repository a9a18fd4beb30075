"""The role matrix (checks and routing come in the team issue)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from dtc_tui.models import Assignment, Duty, Person


@dataclass
class Matrix:
    people: list[Person]
    duties: list[Duty]
    roles: dict[tuple[int, int], str] = field(default_factory=dict)  # (duty id, person id) -> R/A/C/I


def matrix(session: Session) -> Matrix:
    people = list(session.exec(select(Person).where(col(Person.active)).order_by(Person.id)))
    duties = list(session.exec(select(Duty).where(col(Duty.active)).order_by(Duty.function, Duty.position)))
    roles = {(a.duty_id, a.person_id): a.role for a in session.exec(select(Assignment))}
    return Matrix(people, duties, roles)
