"""Every check on small hand-made matrices: it fires on the gap, points at the right cell, and
stays quiet once the gap is fixed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from dtc_tui import db
from dtc_tui.services.common import settings as settings_service
from dtc_tui.services.team import checks as team_checks
from dtc_tui.services.team.checks import Check, Limits, evaluate
from dtc_tui.services.team.matrix import DutyInfo, Matrix, PersonInfo, RuleInfo

NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)  # Friday: Berlin 15:00, Shanghai 22:00

FUNCTION_OF = {
    "site_build": "tech",
    "site_release": "tech",
    "payments": "tech",
    "seo": "marketing",
    "delivery_copy": "marketing",
    "paid_ads": "marketing",
    "cs_manager": "customer_service",
    "presales": "customer_service",
    "aftersales": "customer_service",
    "refund_status": "customer_service",
    "order_processing": "supply_chain",
    "warehouse": "supply_chain",
    "purchasing": "supply_chain",
    "analytics": "data",
    "ltv_cac": "data",
}
ZONES = {"ana": "Europe/Berlin", "ben": "America/New_York", "chen": "Asia/Shanghai", "dana": "Europe/Lisbon"}


def make(
    roles: dict[str, dict[str, str]],
    *,
    people: tuple[str, ...] = ("ana", "ben", "chen", "dana"),
    hours: dict[str, str] | None = None,
) -> Matrix:
    persons = [
        PersonInfo(i + 1, h.title(), h, h, ZONES.get(h, "UTC"), (hours or {}).get(h, "09:00-18:00"), "12345", True, 1)
        for i, h in enumerate(people)
    ]
    pid = {p.handle: p.id for p in persons}
    duties = [
        DutyInfo(i + 1, code, code.replace("_", " ").capitalize(), FUNCTION_OF[code], "", True, i, 1)
        for i, code in enumerate(roles)
    ]
    did = {d.code: d.id for d in duties}
    cells = {(did[code], pid[h]): role for code, row in roles.items() for h, role in row.items()}
    return Matrix(persons, duties, cells)


def ids(m: Matrix) -> tuple[dict[str, int], dict[str, int]]:
    return {d.code: d.id for d in m.duties}, {p.handle: p.id for p in m.people}


def failed(
    m: Matrix,
    code: str,
    rules: list[RuleInfo] | None = None,
    limits: Limits | None = None,
    categories: tuple[str, ...] = (),
) -> list[Check]:
    return [c for c in evaluate(m, rules or [], limits or Limits(), NOW, categories) if c.code == code]


def cell(check: Check) -> tuple[str | None, str | None]:
    return check.duty_code, check.person_handle


def test_no_accountable_points_at_the_duty_and_its_responsible() -> None:
    m = make({"seo": {"ben": "R"}, "paid_ads": {"ben": "A"}})
    [check] = failed(m, "no_accountable")
    assert cell(check) == ("seo", "ben")
    assert check.message == "Seo: nobody is accountable"
    assert failed(make({"seo": {"ben": "R", "ana": "A"}}), "no_accountable") == []


def test_two_accountable_points_at_the_second_one() -> None:
    [check] = failed(make({"seo": {"ana": "A", "ben": "A"}}), "two_accountable")
    assert cell(check) == ("seo", "ben")
    assert "2 people are accountable (ana, ben)" in check.message
    assert failed(make({"seo": {"ana": "A", "ben": "R"}}), "two_accountable") == []


def test_accountable_alone_counts_as_doing_the_work() -> None:
    # A without R: the A does it (no "nobody does it"), only C/I: nobody does it.
    assert failed(make({"seo": {"ana": "A"}}), "no_responsible") == []
    [check] = failed(make({"seo": {"ana": "C", "ben": "I"}}), "no_responsible")
    assert cell(check) == ("seo", None)
    assert check.message == "Seo: nobody does it (no R or A)"


def test_no_backup_when_one_person_holds_the_duty() -> None:
    m = make({"purchasing": {"chen": "A", "ana": "C", "ben": "I"}})
    [check] = failed(m, "no_backup")
    assert cell(check) == ("purchasing", "chen")
    # A second R is a backup ...
    assert failed(make({"purchasing": {"chen": "A", "ana": "R"}}), "no_backup") == []
    # ... and so is an active routing backup who is someone else.
    duty, person = ids(m)
    rule = RuleInfo(1, "logistics", duty["purchasing"], person["ben"])
    assert failed(m, "no_backup", [rule]) == []
    assert len(failed(m, "no_backup", [RuleInfo(1, "logistics", duty["purchasing"], person["chen"])])) == 1


def test_overloaded_person_above_the_setting_limit() -> None:
    roles = {code: {"ana": "A"} for code in ("site_build", "payments", "seo", "paid_ads")}
    assert failed(make(roles), "overloaded", limits=Limits(max_accountable=4)) == []
    [check] = failed(make(roles), "overloaded", limits=Limits(max_accountable=3))
    assert check.message == "ana is accountable for 4 duties (limit 3)"
    assert cell(check) == ("paid_ads", "ana")  # the first duty past the limit


def test_too_many_functions_counts_r_and_a_only() -> None:
    roles = {
        "site_build": {"ana": "A"},
        "seo": {"ana": "R"},
        "presales": {"ana": "A"},
        "warehouse": {"ana": "C"},
        "analytics": {"ana": "I"},
    }
    assert failed(make(roles), "too_many_functions") == []  # C and I are not hats
    roles["warehouse"] = {"ana": "R"}
    [check] = failed(make(roles), "too_many_functions")
    assert check.message == (
        "ana holds duties in 4 functions (tech, marketing, customer service, supply chain & warehousing; limit 3)"
    )
    assert cell(check) == ("warehouse", "ana")


@pytest.mark.parametrize(("role", "fires"), [(None, True), ("I", True), ("C", False), ("R", False)])
def test_delivery_copy_needs_the_warehouse_owner_consulted(role: str | None, fires: bool) -> None:
    copy_roles = {"ben": "A"} | ({"chen": role} if role else {})
    m = make({"delivery_copy": copy_roles, "warehouse": {"chen": "A"}})
    found = failed(m, "delivery_signoff")
    assert [cell(c) for c in found] == ([("delivery_copy", "chen")] if fires else [])


def test_delivery_copy_with_no_warehouse_owner() -> None:
    [check] = failed(make({"delivery_copy": {"ben": "A"}, "warehouse": {"chen": "R"}}), "delivery_signoff")
    assert "the warehouse has no owner" in check.message


@pytest.mark.parametrize(
    ("roles", "fires"),
    [
        ({"dana": "A"}, True),
        ({"dana": "A", "ana": "I"}, True),
        ({"dana": "A", "ana": "C"}, False),
        ({"dana": "A", "ana": "R"}, False),
    ],
)
def test_live_site_changes_need_a_tester(roles: dict[str, str], fires: bool) -> None:
    found = failed(make({"site_release": roles}), "release_tester")
    assert [cell(c) for c in found] == ([("site_release", "dana")] if fires else [])


def test_refund_status_needs_cs_and_order_processing_involved() -> None:
    base = {"cs_manager": {"ana": "A"}, "order_processing": {"chen": "A"}}
    found = failed(make({"refund_status": {"ben": "A"}, **base}), "refund_sync")
    assert sorted(cell(c) for c in found) == [("refund_status", "ana"), ("refund_status", "chen")]
    found = failed(make({"refund_status": {"ana": "A", "chen": "I"}, **base}), "refund_sync")
    assert found == []


def test_cs_manager_holding_presales_and_aftersales() -> None:
    merged = {"cs_manager": {"ana": "A"}, "presales": {"ana": "A"}, "aftersales": {"ana": "R", "ben": "A"}}
    [check] = failed(make(merged), "cs_merged")
    assert cell(check) == ("presales", "ana")
    assert "41%" in check.message
    split = {"cs_manager": {"ana": "A"}, "presales": {"ben": "A"}, "aftersales": {"ana": "R"}}
    assert failed(make(split), "cs_merged") == []


def test_unrouted_categories_and_uncovered_escalations() -> None:
    m = make({"site_build": {"chen": "A"}, "payments": {"ana": "A"}})
    duty, person = ids(m)
    rules = [
        RuleInfo(1, "site_incident", duty["site_build"], None),
        RuleInfo(2, "payment", duty["payments"], None),
        RuleInfo(3, "returns", 99, None),
    ]
    categories = ("site_incident", "payment", "returns", "logistics")
    unrouted = failed(m, "unrouted", rules, categories=categories)
    assert [c.category for c in unrouted] == ["returns", "logistics"]
    assert unrouted[1].message == "logistics tickets have no routing rule"
    # chen (Shanghai, 22:00) is off duty and site_incident has no backup; ana is on duty for payment.
    [check] = failed(m, "escalation_uncovered", rules, categories=categories)
    assert (check.category, *cell(check)) == ("site_incident", "site_build", "chen")
    rules[0] = RuleInfo(1, "site_incident", duty["site_build"], person["ana"])
    assert failed(m, "escalation_uncovered", rules, categories=categories) == []


def test_unreadable_schedule() -> None:
    m = make({"seo": {"ana": "A", "ben": "R"}}, hours={"ben": "9 to 5"})
    [check] = failed(m, "bad_schedule")
    assert check.person_handle == "ben" and "write it like 09:00-18:00" in check.message


def test_inactive_people_do_not_count() -> None:
    m = make({"seo": {"ana": "A", "ben": "R"}})
    gone = PersonInfo(m.people[0].id, "Ana", "ana", "ana", "Europe/Berlin", "09:00-18:00", "12345", False, 2)
    m.people[0] = gone
    assert [c.code for c in evaluate(m, [], Limits(), NOW)] == ["no_accountable", "no_backup"]


def test_run_reads_limits_from_settings(engine: Engine) -> None:
    from dtc_tui.models import Assignment, Duty, Person

    with db.write_session(engine) as session:
        person = Person(name="Ana", handle="ana", timezone="Europe/Berlin")
        session.add(person)
        session.flush()
        for i, code in enumerate(("site_build", "payments", "seo")):
            duty = Duty(code=code, name=code, function=FUNCTION_OF[code], position=i)
            session.add(duty)
            session.flush()
            session.add(Assignment(person_id=person.id or 0, duty_id=duty.id or 0, role="A"))
    with db.read_session(engine) as session:
        assert [c for c in team_checks.run(session, NOW) if c.code == "overloaded"] == []
    with db.write_session(engine) as session:
        settings_service.put(session, "team.max_accountable", 2, actor="t", now=NOW)
    with db.read_session(engine) as session:
        [check] = [c for c in team_checks.run(session, NOW) if c.code == "overloaded"]
    assert check.message == "ana is accountable for 3 duties (limit 2)"
