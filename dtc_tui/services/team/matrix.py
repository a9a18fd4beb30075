"""The team: people, duties, the RACI matrix and ticket routing.

Routing (used by the ticket queue's escalate and auto-assign):
ticket category -> ``RoutingRule`` -> duty -> the duty's Accountable person. When that person is
off duty (outside their working hours in their own time zone) or inactive, the rule's backup
gets the ticket if the backup is on duty; otherwise the accountable person still gets it, with
``on_duty=False`` and a reason saying nobody is on duty. No rule, no duty or nobody accountable
-> ``via="none"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from dtc_tui.i18n import N_, _
from dtc_tui.models import Assignment, Duty, Person, RoutingRule
from dtc_tui.models.team import FUNCTIONS
from dtc_tui.services.team import hours as team_hours
from dtc_tui.services.team.hours import describe, is_on_duty, local_moment

__all__ = [
    "DutyInfo",
    "Matrix",
    "PersonInfo",
    "Route",
    "RouteRow",
    "RuleInfo",
    "function_label",
    "is_on_duty",
    "matrix",
    "route",
    "route_all",
    "routing_table",
    "rules",
]

FUNCTION_LABELS = {
    "tech": N_("Tech"),
    "marketing": N_("Marketing"),
    "customer_service": N_("Customer service"),
    "supply_chain": N_("Supply chain & warehousing"),
    "data": N_("Data analysis"),
}
# How a route reaches its person (``Route.via``), as the team screen says it.
VIA_WORDS = {"accountable": N_("accountable"), "backup": N_("backup"), "none": N_("none")}


def function_label(function: str) -> str:
    """The function's name in the active language (for people; JSON carries the code)."""
    return _(FUNCTION_LABELS[function]) if function in FUNCTION_LABELS else function.replace("_", " ").capitalize()


def function_order(function: str) -> int:
    return FUNCTIONS.index(function) if function in FUNCTIONS else len(FUNCTIONS)


# --- plain views of the tables ----------------------------------------------------------------


@dataclass(frozen=True)
class PersonInfo:
    id: int
    name: str
    handle: str
    os_user: str | None
    timezone: str
    work_hours: str
    work_days: str
    active: bool
    version: int

    @classmethod
    def of(cls, row: Person) -> PersonInfo:
        return cls(
            row.id or 0,
            row.name,
            row.handle,
            row.os_user,
            row.timezone,
            row.work_hours,
            row.work_days,
            bool(row.active),
            row.version,
        )


@dataclass(frozen=True)
class DutyInfo:
    id: int
    code: str
    name: str
    function: str
    description: str
    active: bool
    position: int
    version: int

    @classmethod
    def of(cls, row: Duty) -> DutyInfo:
        return cls(
            row.id or 0,
            row.code,
            row.name,
            row.function,
            row.description or "",
            bool(row.active),
            row.position,
            row.version,
        )


@dataclass
class Matrix:
    """Duties (ordered by function, then position) x people, with the RACI value of each cell."""

    people: list[PersonInfo]
    duties: list[DutyInfo]
    roles: dict[tuple[int, int], str] = field(default_factory=dict)  # (duty id, person id) -> R/A/C/I

    def role(self, duty_id: int, person_id: int) -> str | None:
        return self.roles.get((duty_id, person_id))

    def person(self, person_id: int | None) -> PersonInfo | None:
        return next((p for p in self.people if p.id == person_id), None)

    def duty(self, duty_id: int | None) -> DutyInfo | None:
        return next((d for d in self.duties if d.id == duty_id), None)

    def duty_by_code(self, code: str) -> DutyInfo | None:
        return next((d for d in self.duties if d.code == code), None)

    def holders(self, duty_id: int, roles: str = "RACI") -> list[PersonInfo]:
        """Active people holding one of ``roles`` on a duty, in column order."""
        return [p for p in self.people if p.active and self.roles.get((duty_id, p.id), "-") in roles]


def _duty_sort_key(duty: DutyInfo) -> tuple[int, str, int, int]:
    return (function_order(duty.function), duty.function, duty.position, duty.id)


def matrix(session: Session, *, include_inactive: bool = False) -> Matrix:
    """The matrix; inactive people and duties only when asked (their assignments are kept)."""
    people_query = select(Person).order_by(col(Person.id))
    duty_query = select(Duty)
    if not include_inactive:
        people_query = people_query.where(col(Person.active))
        duty_query = duty_query.where(col(Duty.active))
    people = [PersonInfo.of(p) for p in session.exec(people_query)]
    duties = sorted((DutyInfo.of(d) for d in session.exec(duty_query)), key=_duty_sort_key)
    shown_people = {p.id for p in people}
    shown_duties = {d.id for d in duties}
    roles = {
        (a.duty_id, a.person_id): a.role
        for a in session.exec(select(Assignment))
        if a.person_id in shown_people and a.duty_id in shown_duties
    }
    return Matrix(people, duties, roles)


@dataclass(frozen=True)
class RuleInfo:
    id: int
    category: str
    duty_id: int | None
    backup_person_id: int | None


def rules(session: Session) -> list[RuleInfo]:
    return [
        RuleInfo(r.id or 0, r.category, r.duty_id, r.backup_person_id)
        for r in session.exec(select(RoutingRule).order_by(col(RoutingRule.category)))
    ]


# --- routing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    category: str
    duty_code: str | None
    person_id: int | None
    person_handle: str | None
    via: str  # "accountable" | "backup" | "none"
    reason: str  # plain words, e.g. "ana is accountable for wismo and on duty (09:00-18:00 Europe/Berlin)"
    on_duty: bool


@dataclass(frozen=True)
class RouteRow:
    """One line of the routing table: the rule as configured, and where a ticket goes at ``at``."""

    category: str
    has_rule: bool
    duty_id: int | None
    duty_code: str | None
    duty_name: str | None
    owner_id: int | None
    owner_handle: str | None
    owner_on_duty: bool
    backup_id: int | None
    backup_handle: str | None
    backup_on_duty: bool
    route: Route


def _pick_accountable(accountables: list[PersonInfo], at: datetime) -> PersonInfo | None:
    """Several accountable people (a failed check) still route somewhere: on duty first, then active."""
    if not accountables:
        return None
    return sorted(accountables, key=lambda p: (not is_on_duty(p, at), not p.active, p.id))[0]


def _off_duty_words(person: PersonInfo, at: datetime) -> str:
    if not person.active:
        return _("inactive")
    return _("off duty ({hours}, {time} there)").format(hours=describe(person), time=local_moment(person, at))


def decide(
    category: str,
    rule_exists: bool,
    duty: DutyInfo | None,
    accountables: list[PersonInfo],
    backup: PersonInfo | None,
    at: datetime,
) -> Route:
    """The routing decision on loaded rows (shared by ``route`` and ``route_all``)."""
    if not rule_exists:
        return Route(
            category,
            None,
            None,
            None,
            "none",
            _("no routing rule for category {category!r}").format(category=category),
            False,
        )
    if duty is None:
        return Route(
            category,
            None,
            None,
            None,
            "none",
            _("the rule for {category!r} names no duty").format(category=category),
            False,
        )
    if not duty.active:
        return Route(
            category, duty.code, None, None, "none", _("duty {code} is inactive").format(code=duty.code), False
        )
    owner = _pick_accountable(accountables, at)
    if owner is None:
        return Route(
            category, duty.code, None, None, "none", _("nobody is accountable for {code}").format(code=duty.code), False
        )
    shared = " " + _("(one of {count} accountable)").format(count=len(accountables)) if len(accountables) > 1 else ""
    if is_on_duty(owner, at):
        return Route(
            category,
            duty.code,
            owner.id,
            owner.handle,
            "accountable",
            _("{handle} is accountable for {code}{shared} and on duty ({hours})").format(
                handle=owner.handle, code=duty.code, shared=shared, hours=describe(owner)
            ),
            True,
        )
    head = _("{handle} is accountable for {code}{shared} but {off_duty}").format(
        handle=owner.handle, code=duty.code, shared=shared, off_duty=_off_duty_words(owner, at)
    )
    if backup is not None and backup.id != owner.id and is_on_duty(backup, at):
        return Route(
            category,
            duty.code,
            backup.id,
            backup.handle,
            "backup",
            _("{head}; backup {handle} is on duty ({hours})").format(
                head=head, handle=backup.handle, hours=describe(backup)
            ),
            True,
        )
    if backup is None or backup.id == owner.id:
        tail = _("no backup is set: nobody is on duty")
    else:
        tail = _("backup {handle} is {off_duty} too: nobody is on duty").format(
            handle=backup.handle, off_duty=_off_duty_words(backup, at)
        )
    return Route(category, duty.code, owner.id, owner.handle, "accountable", f"{head}; {tail}", False)


def route(session: Session, category: str, at: datetime) -> Route:
    """Who gets a ticket of ``category`` at ``at`` (naive datetimes are UTC)."""
    rule = session.exec(select(RoutingRule).where(col(RoutingRule.category) == category)).first()
    if rule is None:
        return decide(category, False, None, [], None, at)
    duty_row = session.get(Duty, rule.duty_id) if rule.duty_id is not None else None
    duty = DutyInfo.of(duty_row) if duty_row is not None else None
    accountables: list[PersonInfo] = []
    if duty is not None:
        query = (
            select(Person)
            .join(Assignment, col(Assignment.person_id) == col(Person.id))
            .where(col(Assignment.duty_id) == duty.id, col(Assignment.role) == "A")
            .order_by(col(Person.id))
        )
        accountables = [PersonInfo.of(p) for p in session.exec(query)]
    backup_row = session.get(Person, rule.backup_person_id) if rule.backup_person_id is not None else None
    backup = PersonInfo.of(backup_row) if backup_row is not None else None
    return decide(category, True, duty, accountables, backup, at)


def known_categories(session: Session) -> list[str]:
    """Ticket categories of the model, then any category a rule names that the model does not."""
    from dtc_tui.models.tickets import CATEGORIES

    extra = sorted(set(session.exec(select(RoutingRule.category))) - set(CATEGORIES))
    return [*CATEGORIES, *extra]


def routing_table(session: Session, at: datetime, categories: Iterable[str] | None = None) -> list[RouteRow]:
    """Every category with its rule, owner, backup, who is on duty at ``at`` and where a ticket goes."""
    rules = {r.category: r for r in session.exec(select(RoutingRule))}
    duties = {d.id: DutyInfo.of(d) for d in session.exec(select(Duty))}
    people = {p.id: PersonInfo.of(p) for p in session.exec(select(Person))}
    accountable: dict[int, list[PersonInfo]] = {}
    for a in session.exec(select(Assignment).where(col(Assignment.role) == "A").order_by(col(Assignment.person_id))):
        if a.person_id in people:
            accountable.setdefault(a.duty_id, []).append(people[a.person_id])
    rows = []
    for category in list(categories) if categories is not None else known_categories(session):
        rule = rules.get(category)
        duty = duties.get(rule.duty_id) if rule is not None and rule.duty_id is not None else None
        owners = accountable.get(duty.id, []) if duty is not None else []
        backup = people.get(rule.backup_person_id) if rule is not None and rule.backup_person_id else None
        decision = decide(category, rule is not None, duty, owners, backup, at)
        owner = _pick_accountable(owners, at)
        rows.append(
            RouteRow(
                category=category,
                has_rule=rule is not None,
                duty_id=duty.id if duty else None,
                duty_code=duty.code if duty else None,
                duty_name=duty.name if duty else None,
                owner_id=owner.id if owner else None,
                owner_handle=owner.handle if owner else None,
                owner_on_duty=bool(owner and is_on_duty(owner, at)),
                backup_id=backup.id if backup else None,
                backup_handle=backup.handle if backup else None,
                backup_on_duty=bool(backup and is_on_duty(backup, at)),
                route=decision,
            )
        )
    return rows


def route_all(session: Session, at: datetime) -> dict[str, Route]:
    """``route`` for every known category in three queries (for bulk auto-assign)."""
    return {row.category: row.route for row in routing_table(session, at)}


# Re-exported for callers that only import ``team``.
WorkHoursError = team_hours.WorkHoursError
