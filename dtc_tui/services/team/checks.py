"""Checks on the role matrix: gaps, overload and the cross-department sign-offs of domain.md 5.

Each failed check is a ``Check`` with a plain message and the cell it points at (duty, person)
so the screen can jump there; routing checks also name the ticket category.

Rules chosen where the domain is silent (see docs/team.md):
- Only active people and active duties count; a deactivated person's assignments are ignored.
- An Accountable person with no Responsible beside them does the work themselves ("A/R", usual
  in teams of 1-8): a duty fails "nobody does it" only when no one holds R or A.
- "Backup" means a second person holding R or A, or the backup of a routing rule for the duty.
  C and I are not backups.
- Hats are counted on R and A only: being consulted or informed is not holding a function.
- Sign-off checks look for the template duty codes (delivery_copy, warehouse, site_release,
  refund_status, order_processing, cs_manager, presales, aftersales) and are skipped when those
  duties do not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from dtc_tui.i18n import N_, _
from dtc_tui.services.common import settings as settings_service
from dtc_tui.services.team import matrix as team
from dtc_tui.services.team.hours import WorkHoursError, validate
from dtc_tui.services.team.matrix import DutyInfo, Matrix, PersonInfo, RuleInfo, decide, function_label

# What each check means (shown by `dtc-tui team check --list` and in docs/team.md).
CHECKS: dict[str, str] = {  # in the order the screen lists them: the most urgent first
    "no_accountable": N_("a duty with nobody accountable"),
    "two_accountable": N_("a duty with more than one accountable person"),
    "no_responsible": N_("a duty nobody does: no R, and no A doing it themselves"),
    "escalation_uncovered": N_("an escalation category that reaches nobody on duty now"),
    "unrouted": N_("a ticket category with no routing rule, or a rule naming a missing or inactive duty"),
    "delivery_signoff": N_("delivery-promise copy without the warehouse owner consulted"),
    "release_tester": N_("live-site changes without a tester (C or R besides the accountable)"),
    "refund_sync": N_("refund status without both CS and order processing involved"),
    "cs_merged": N_("the CS manager also holding pre-sales and after-sales (misrouting risk)"),
    "overloaded": N_("a person accountable for more than team.max_accountable duties"),
    "too_many_functions": N_("a person holding R/A in more than team.max_functions functions"),
    "no_backup": N_("a duty held (R/A) by one person only, with no routing backup"),
    "bad_schedule": N_("a person whose working hours, days or time zone cannot be read"),
}

# How loud each check is on the screen: errors break ownership or routing, warnings break a rule of
# domain.md, notices are the single points of failure a small team often accepts for a while.
SEVERITY = {
    code: "error"
    for code in (
        "no_accountable",
        "two_accountable",
        "no_responsible",
        "escalation_uncovered",
        "unrouted",
        "bad_schedule",
    )
}
SEVERITY.update(no_backup="notice")


def severity(code: str) -> str:
    return SEVERITY.get(code, "warning")


DELIVERY_COPY, WAREHOUSE = "delivery_copy", "warehouse"
SITE_RELEASE = "site_release"
REFUND_STATUS, ORDER_PROCESSING, CS_MANAGER = "refund_status", "order_processing", "cs_manager"
PRESALES, AFTERSALES = "presales", "aftersales"
HOLDS = "RA"  # roles that mean "does or owns the work"
SIGNS = "RAC"  # roles that take part before the work ships


@dataclass(frozen=True)
class Check:
    code: str
    message: str
    duty_id: int | None = None
    duty_code: str | None = None
    person_id: int | None = None
    person_handle: str | None = None
    category: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Limits:
    max_accountable: int = 6
    max_functions: int = 3
    escalation_categories: tuple[str, ...] = ("site_incident", "payment")

    @classmethod
    def from_settings(cls, session: Session) -> Limits:
        return cls(
            max_accountable=int(settings_service.get(session, "team.max_accountable")),
            max_functions=int(settings_service.get(session, "team.max_functions")),
            escalation_categories=tuple(settings_service.get(session, "team.escalation_categories")),
        )


def _handles(people: Iterable[PersonInfo]) -> str:
    return ", ".join(p.handle for p in people)


def _check(
    code: str, message: str, duty: DutyInfo | None = None, person: PersonInfo | None = None, category: str | None = None
) -> Check:
    return Check(
        code,
        message,
        duty.id if duty else None,
        duty.code if duty else None,
        person.id if person else None,
        person.handle if person else None,
        category,
    )


def _duty_checks(m: Matrix, duty: DutyInfo, backed_up: set[int]) -> list[Check]:
    found = []
    accountable = m.holders(duty.id, "A")
    doers = m.holders(duty.id, HOLDS)
    if not accountable:
        found.append(
            _check(
                "no_accountable",
                _("{duty}: nobody is accountable").format(duty=duty.name),
                duty,
                doers[0] if doers else None,
            )
        )
    elif len(accountable) > 1:
        found.append(
            _check(
                "two_accountable",
                _("{duty}: {count} people are accountable ({handles}); keep exactly one").format(
                    duty=duty.name, count=len(accountable), handles=_handles(accountable)
                ),
                duty,
                accountable[1],
            )
        )
    if not doers:
        found.append(_check("no_responsible", _("{duty}: nobody does it (no R or A)").format(duty=duty.name), duty))
    elif len(doers) == 1 and duty.id not in backed_up:
        found.append(
            _check(
                "no_backup",
                _("{duty}: only {handle} holds it and there is no backup").format(
                    duty=duty.name, handle=doers[0].handle
                ),
                duty,
                doers[0],
            )
        )
    return found


def _person_checks(m: Matrix, person: PersonInfo, limits: Limits) -> list[Check]:
    found = []
    accountable = [d for d in m.duties if m.role(d.id, person.id) == "A"]
    if len(accountable) > limits.max_accountable:
        found.append(
            _check(
                "overloaded",
                _("{handle} is accountable for {count} duties (limit {limit})").format(
                    handle=person.handle, count=len(accountable), limit=limits.max_accountable
                ),
                accountable[limits.max_accountable],
                person,
            )
        )
    held = [d for d in m.duties if (m.role(d.id, person.id) or "-") in HOLDS]
    functions = list(dict.fromkeys(d.function for d in held))
    if len(functions) > limits.max_functions:
        names = ", ".join(function_label(f).lower() for f in functions)
        first_extra = next(d for d in held if d.function == functions[limits.max_functions])
        found.append(
            _check(
                "too_many_functions",
                _("{handle} holds duties in {count} functions ({names}; limit {limit})").format(
                    handle=person.handle, count=len(functions), names=names, limit=limits.max_functions
                ),
                first_extra,
                person,
            )
        )
    try:
        validate(person.timezone, person.work_hours, person.work_days)
    except WorkHoursError as exc:
        found.append(_check("bad_schedule", f"{person.handle}: {exc}", None, person))
    return found


def _signoff_checks(m: Matrix) -> list[Check]:
    found = []
    copy, warehouse = m.duty_by_code(DELIVERY_COPY), m.duty_by_code(WAREHOUSE)
    if copy is not None and warehouse is not None:
        owners = m.holders(warehouse.id, "A")
        if not owners:
            found.append(
                _check(
                    "delivery_signoff",
                    _("{duty}: the warehouse has no owner to confirm delivery times").format(duty=copy.name),
                    copy,
                )
            )
        for owner in owners:
            if (m.role(copy.id, owner.id) or "-") not in SIGNS:
                found.append(
                    _check(
                        "delivery_signoff",
                        _(
                            "{duty}: warehouse owner {handle} must be consulted (C) before delivery times are promised"
                        ).format(duty=copy.name, handle=owner.handle),
                        copy,
                        owner,
                    )
                )
    release = m.duty_by_code(SITE_RELEASE)
    if release is not None:
        testers = [p for p in m.holders(release.id, "RC") if m.role(release.id, p.id) != "A"]
        if not testers:
            accountable = m.holders(release.id, "A")
            found.append(
                _check(
                    "release_tester",
                    _("{duty}: nobody tests before release; give a tester C or R besides the accountable").format(
                        duty=release.name
                    ),
                    release,
                    accountable[0] if accountable else None,
                )
            )
    refund = m.duty_by_code(REFUND_STATUS)
    if refund is not None:
        for code, side in ((CS_MANAGER, _("customer service")), (ORDER_PROCESSING, _("order processing"))):
            other = m.duty_by_code(code)
            if other is None:
                continue
            owners = m.holders(other.id, "A")
            if not owners:
                found.append(
                    _check(
                        "refund_sync",
                        _("{duty}: {side} has no owner to keep in sync").format(duty=refund.name, side=side),
                        refund,
                    )
                )
            for owner in owners:
                if m.role(refund.id, owner.id) is None:
                    found.append(
                        _check(
                            "refund_sync",
                            _(
                                "{duty}: {side} owner {handle} must be involved (at least I) "
                                "so refunds are not paid twice"
                            ).format(duty=refund.name, side=side, handle=owner.handle),
                            refund,
                            owner,
                        )
                    )
    manager, presales, aftersales = m.duty_by_code(CS_MANAGER), m.duty_by_code(PRESALES), m.duty_by_code(AFTERSALES)
    if manager is not None and presales is not None and aftersales is not None:
        for person in m.holders(manager.id, "A"):
            if (m.role(presales.id, person.id) or "-") in HOLDS and (m.role(aftersales.id, person.id) or "-") in HOLDS:
                found.append(
                    _check(
                        "cs_merged",
                        _(
                            "{handle} manages customer service and also holds pre-sales "
                            "and after-sales: mixed roles misroute up to {share} of tickets"
                        ).format(handle=person.handle, share="41%"),
                        presales,
                        person,
                    )
                )
    return found


def _routing_checks(
    m: Matrix, rules: list[RuleInfo], categories: Iterable[str], limits: Limits, now: datetime
) -> list[Check]:
    found = []
    by_category = {r.category: r for r in rules}
    for category in categories:
        rule = by_category.get(category)
        if rule is None:
            found.append(
                _check(
                    "unrouted",
                    _("{category} tickets have no routing rule").format(category=category),
                    category=category,
                )
            )
            continue
        duty = m.duty(rule.duty_id)
        if duty is None:
            found.append(
                _check(
                    "unrouted",
                    _("{category} tickets go to a missing or inactive duty").format(category=category),
                    category=category,
                )
            )
            continue
        if category not in limits.escalation_categories:
            continue
        backup = m.person(rule.backup_person_id)
        decision = decide(category, True, duty, m.holders(duty.id, "A"), backup, now)
        if decision.via != "none" and not decision.on_duty:
            owner = m.person(decision.person_id)
            backup_words = (
                _("there is no backup")
                if backup is None or backup.id == decision.person_id
                else _("backup {handle} is off duty too").format(handle=backup.handle)
            )
            found.append(
                _check(
                    "escalation_uncovered",
                    _("{category} tickets escalate to {handle}, who is off duty now, and {backup}").format(
                        category=category, handle=decision.person_handle, backup=backup_words
                    ),
                    duty,
                    owner,
                    category,
                )
            )
    return found


def evaluate(
    m: Matrix, rules: list[RuleInfo], limits: Limits, now: datetime, categories: Iterable[str] = ()
) -> list[Check]:
    """Every failed check on a matrix of active people and duties (a pure function)."""
    active_people = {p.id for p in m.people if p.active}
    # A routing backup counts only if active and not the person already holding the duty.
    backed_up = {
        r.duty_id
        for r in rules
        if r.duty_id is not None
        and r.backup_person_id in active_people
        and r.backup_person_id not in {p.id for p in m.holders(r.duty_id, HOLDS)}
    }
    found: list[Check] = []
    for duty in m.duties:
        if duty.active:
            found.extend(_duty_checks(m, duty, backed_up))
    found.extend(_signoff_checks(m))
    for person in m.people:
        if person.active:
            found.extend(_person_checks(m, person, limits))
    found.extend(_routing_checks(m, rules, categories, limits, now))
    order = list(CHECKS)
    return sorted(found, key=lambda c: order.index(c.code))  # stable: grid order within a kind


def run(session: Session, now: datetime) -> list[Check]:
    """The checks on the database as it is, with the limits from settings."""
    return evaluate(
        team.matrix(session), team.rules(session), Limits.from_settings(session), now, team.known_categories(session)
    )
