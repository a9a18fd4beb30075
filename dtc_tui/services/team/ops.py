"""Every change to the team: RACI cells, people, duties and routing rules.

Each change runs in one write transaction (BEGIN IMMEDIATE on SQLite, row locks on PostgreSQL),
is refused when the row changed since the operator saw it (people and duties by ``version``;
cells and routing rules by the value the operator saw), and is recorded in the audit log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from dtc_tui import db, errors
from dtc_tui.errors import UserError
from dtc_tui.models import Assignment, Duty, Person, RoutingRule
from dtc_tui.models.team import FUNCTIONS, RACI_VALUES
from dtc_tui.services.common import audit
from dtc_tui.services.common.text import one_line
from dtc_tui.services.team.hours import WorkHoursError, validate
from dtc_tui.services.team.matrix import DutyInfo, PersonInfo

HANDLE_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,49}$")
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_]{0,59}$")
CATEGORY_RE = re.compile(r"^[a-z0-9][a-z0-9_]{0,39}$")


class TeamError(UserError):
    """A change that cannot be made; the message says why in plain words."""


class StaleEdit(TeamError, errors.StaleEdit):
    """Someone else changed the row since the operator loaded it."""


@dataclass(frozen=True)
class PersonForm:
    name: str
    handle: str
    os_user: str | None = None
    timezone: str = "UTC"
    work_hours: str = "09:00-18:00"
    work_days: str = "12345"
    active: bool = True

    def cleaned(self) -> PersonForm:
        name = one_line(self.name, 120)
        handle = self.handle.strip().lower()
        os_user = one_line(self.os_user or "") or None
        if not name:
            raise TeamError("a person needs a name")
        if not HANDLE_RE.match(handle):
            raise TeamError(f"handle {one_line(self.handle)!r} must be 1-50 lower-case letters, digits, . _ or -")
        if os_user is not None and len(os_user) > 50:
            raise TeamError("the OS user name is longer than 50 characters")
        timezone, hours, days = self.timezone.strip(), self.work_hours.replace(" ", ""), self.work_days.strip()
        try:
            validate(timezone, hours, days)
        except WorkHoursError as exc:
            raise TeamError(str(exc)) from exc
        return PersonForm(name, handle, os_user, timezone, hours, days, self.active)


@dataclass(frozen=True)
class DutyForm:
    code: str
    name: str
    function: str
    description: str = ""
    active: bool = True

    def cleaned(self) -> DutyForm:
        code = self.code.strip().lower()
        name = one_line(self.name, 120)
        if not CODE_RE.match(code):
            raise TeamError(f"code {one_line(self.code)!r} must be 1-60 lower-case letters, digits or _")
        if not name:
            raise TeamError("a duty needs a name")
        if self.function not in FUNCTIONS:
            raise TeamError(f"function must be one of {', '.join(FUNCTIONS)}")
        return DutyForm(code, name, self.function, one_line(self.description, 500), self.active)


def _locked(session: Session, model: Any, *where: Any) -> Any:
    stmt = select(model).where(*where)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise TeamError(f"person {person_id} does not exist")
    return person


def _duty(session: Session, duty_id: int) -> Duty:
    duty = session.get(Duty, duty_id)
    if duty is None:
        raise TeamError(f"duty {duty_id} does not exist")
    return duty


# --- RACI cells -----------------------------------------------------------------------------------


def set_role(
    engine: Engine, *, duty_id: int, person_id: int, role: str | None, expected: str | None, actor: str, now: datetime
) -> str | None:
    """Set (R/A/C/I) or clear (None) one cell; ``expected`` is the value the operator saw.

    Returns the role now in the cell. Refuses a stale edit: the cell no longer holds ``expected``.
    """
    if role is not None and role not in RACI_VALUES:
        raise TeamError(f"role must be one of {', '.join(RACI_VALUES)} (or empty)")
    with db.write_session(engine) as session:
        duty, person = _duty(session, duty_id), _person(session, person_id)
        row = _locked(session, Assignment, col(Assignment.duty_id) == duty_id, col(Assignment.person_id) == person_id)
        current = row.role if row is not None else None
        if current != expected:
            raise StaleEdit(
                f"{duty.code} for {person.handle} was changed to {current or 'nothing'} by someone "
                "else meanwhile; the grid shows it now"
            )
        if role == current:
            return current
        if role is not None and (not person.active or not duty.active):
            raise TeamError(f"{person.handle if not person.active else duty.code} is inactive; reactivate it first")
        if role is None:
            session.delete(row)
        elif row is None:
            session.add(Assignment(duty_id=duty_id, person_id=person_id, role=role))
        else:
            row.role = role
            session.add(row)
        try:
            session.flush()
        except IntegrityError as exc:  # another operator inserted the same cell first
            raise StaleEdit(f"{duty.code} for {person.handle} was just set by someone else; try again") from exc
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="assignment",
            entity_id=f"{duty.code}/{person.handle}",
            action="clear" if role is None else "set",
            before={"role": current},
            after={"role": role},
        )
        return role


# --- people ---------------------------------------------------------------------------------------


def _person_values(form: PersonForm) -> dict[str, Any]:
    return {
        "name": form.name,
        "handle": form.handle,
        "os_user": form.os_user,
        "timezone": form.timezone,
        "work_hours": form.work_hours,
        "work_days": form.work_days,
        "active": form.active,
    }


def _handle_taken(session: Session, handle: str, other_than: int | None = None) -> bool:
    query = select(Person.id).where(col(Person.handle) == handle)
    if other_than is not None:
        query = query.where(col(Person.id) != other_than)
    return session.exec(query).first() is not None


def add_person(engine: Engine, form: PersonForm, *, actor: str, now: datetime) -> PersonInfo:
    form = form.cleaned()
    with db.write_session(engine) as session:
        if _handle_taken(session, form.handle):
            raise TeamError(f"handle {form.handle} is taken")
        person = Person(**_person_values(form))
        session.add(person)
        try:
            session.flush()
        except IntegrityError as exc:
            raise TeamError(f"handle {form.handle} is taken") from exc
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="person",
            entity_id=person.id,
            action="create",
            after=_person_values(form),
        )
        return PersonInfo.of(person)


def update_person(
    engine: Engine, person_id: int, form: PersonForm, *, expected_version: int, actor: str, now: datetime
) -> PersonInfo:
    """Edit (or deactivate: ``active=False``) a person; refused when their version moved on."""
    form = form.cleaned()
    with db.write_session(engine) as session:
        person = _person(session, person_id)
        before = _person_values(
            PersonForm(
                person.name,
                person.handle,
                person.os_user,
                person.timezone,
                person.work_hours,
                person.work_days,
                bool(person.active),
            )
        )
        if _handle_taken(session, form.handle, other_than=person_id):
            raise TeamError(f"handle {form.handle} is taken")
        result = session.exec(
            update(Person)
            .where(col(Person.id) == person_id, col(Person.version) == expected_version)
            .values(**_person_values(form), version=Person.version + 1)
        )
        if result.rowcount == 0:
            raise StaleEdit(f"{person.handle} was changed by someone else meanwhile; reload and edit again")
        after = _person_values(form)
        changed = {k: v for k, v in after.items() if before[k] != v}
        action = "deactivate" if changed.keys() == {"active"} and not form.active else "update"
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="person",
            entity_id=person_id,
            action=action,
            before={k: before[k] for k in changed},
            after=changed,
        )
        session.expire_all()
        return PersonInfo.of(_person(session, person_id))


def set_person_active(
    engine: Engine, person_id: int, active: bool, *, expected_version: int, actor: str, now: datetime
) -> PersonInfo:
    with db.read_session(engine) as session:
        p = _person(session, person_id)
        form = PersonForm(p.name, p.handle, p.os_user, p.timezone, p.work_hours, p.work_days, active)
    return update_person(engine, person_id, form, expected_version=expected_version, actor=actor, now=now)


# --- duties ---------------------------------------------------------------------------------------


def _duty_values(form: DutyForm) -> dict[str, Any]:
    return {
        "code": form.code,
        "name": form.name,
        "function": form.function,
        "description": form.description,
        "active": form.active,
    }


def _code_taken(session: Session, code: str, other_than: int | None = None) -> bool:
    query = select(Duty.id).where(col(Duty.code) == code)
    if other_than is not None:
        query = query.where(col(Duty.id) != other_than)
    return session.exec(query).first() is not None


def next_position(session: Session, function: str) -> int:
    top = session.exec(select(func.max(Duty.position)).where(col(Duty.function) == function)).one()
    return (top if top is not None else -1) + 1


def add_duty(engine: Engine, form: DutyForm, *, actor: str, now: datetime) -> DutyInfo:
    form = form.cleaned()
    with db.write_session(engine) as session:
        if _code_taken(session, form.code):
            raise TeamError(f"duty code {form.code} is taken")
        duty = Duty(**_duty_values(form), position=next_position(session, form.function))
        session.add(duty)
        try:
            session.flush()
        except IntegrityError as exc:
            raise TeamError(f"duty code {form.code} is taken") from exc
        audit.record(
            session, actor=actor, now=now, entity="duty", entity_id=duty.id, action="create", after=_duty_values(form)
        )
        return DutyInfo.of(duty)


def update_duty(
    engine: Engine, duty_id: int, form: DutyForm, *, expected_version: int, actor: str, now: datetime
) -> DutyInfo:
    """Edit (or deactivate) a duty; refused when its version moved on."""
    form = form.cleaned()
    with db.write_session(engine) as session:
        duty = _duty(session, duty_id)
        before = _duty_values(DutyForm(duty.code, duty.name, duty.function, duty.description, bool(duty.active)))
        if _code_taken(session, form.code, other_than=duty_id):
            raise TeamError(f"duty code {form.code} is taken")
        values = _duty_values(form)
        if form.function != duty.function:  # moving to another function: go last there
            values["position"] = next_position(session, form.function)
        result = session.exec(
            update(Duty)
            .where(col(Duty.id) == duty_id, col(Duty.version) == expected_version)
            .values(**values, version=Duty.version + 1)
        )
        if result.rowcount == 0:
            raise StaleEdit(f"duty {duty.code} was changed by someone else meanwhile; reload and edit again")
        after = _duty_values(form)
        changed = {k: v for k, v in after.items() if before[k] != v}
        action = "deactivate" if changed.keys() == {"active"} and not form.active else "update"
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="duty",
            entity_id=duty_id,
            action=action,
            before={k: before[k] for k in changed},
            after=changed,
        )
        session.expire_all()
        return DutyInfo.of(_duty(session, duty_id))


# --- routing rules --------------------------------------------------------------------------------


def set_rule(
    engine: Engine,
    category: str,
    *,
    duty_id: int | None,
    backup_person_id: int | None,
    expected: tuple[int | None, int | None] | None,
    actor: str,
    now: datetime,
) -> None:
    """Route ``category`` to a duty with an optional backup.

    ``expected`` is the (duty id, backup id) the operator saw, or None when they saw no rule.
    """
    category = category.strip().lower()
    if not CATEGORY_RE.match(category):
        raise TeamError(f"category {one_line(category)!r} must be 1-40 lower-case letters, digits or _")
    with db.write_session(engine) as session:
        if duty_id is not None:
            _duty(session, duty_id)
        if backup_person_id is not None:
            _person(session, backup_person_id)
        rule = _locked(session, RoutingRule, col(RoutingRule.category) == category)
        seen = (rule.duty_id, rule.backup_person_id) if rule is not None else None
        if seen != expected:
            raise StaleEdit(
                f"the routing rule for {category} was changed by someone else meanwhile; the table shows it now"
            )
        before = {"duty": _code(session, seen[0]), "backup": _handle(session, seen[1])} if seen else None
        if rule is None:
            rule = RoutingRule(category=category)
        rule.duty_id, rule.backup_person_id = duty_id, backup_person_id
        session.add(rule)
        try:
            session.flush()
        except IntegrityError as exc:
            raise StaleEdit(f"the routing rule for {category} was just created by someone else; try again") from exc
        audit.record(
            session,
            actor=actor,
            now=now,
            entity="routing_rule",
            entity_id=category,
            action="create" if seen is None else "update",
            before=before,
            after={"duty": _code(session, duty_id), "backup": _handle(session, backup_person_id)},
        )


def _code(session: Session, duty_id: int | None) -> str | None:
    duty = session.get(Duty, duty_id) if duty_id is not None else None
    return duty.code if duty else None


def _handle(session: Session, person_id: int | None) -> str | None:
    person = session.get(Person, person_id) if person_id is not None else None
    return person.handle if person else None
