"""Writes to the team (audited, stale edits refused) and stage templates (idempotent)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from dtc_tui import db
from dtc_tui.models import Assignment, AuditLog, Duty, Person, RoutingRule
from dtc_tui.services.team import matrix as team
from dtc_tui.services.team import ops as team_ops
from dtc_tui.services.team.ops import DutyForm, PersonForm, StaleEdit, TeamError
from dtc_tui.services.team.templates import duties_for, load_template

NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def audit_rows(engine: Engine, entity: str) -> list[AuditLog]:
    with db.read_session(engine) as session:
        return list(session.exec(select(AuditLog).where(col(AuditLog.entity) == entity).order_by(col(AuditLog.id))))


def seed(engine: Engine) -> tuple[int, int]:
    ana = team_ops.add_person(engine, PersonForm("Ana Weber", "ana", "ana", "Europe/Berlin"), actor="t", now=NOW)
    seo = team_ops.add_duty(engine, DutyForm("seo", "SEO", "marketing"), actor="t", now=NOW)
    return seo.id, ana.id


def test_set_role_saves_audits_and_refuses_a_stale_edit(engine: Engine) -> None:
    duty_id, person_id = seed(engine)
    assert (
        team_ops.set_role(engine, duty_id=duty_id, person_id=person_id, role="R", expected=None, actor="t", now=NOW)
        == "R"
    )
    team_ops.set_role(engine, duty_id=duty_id, person_id=person_id, role="A", expected="R", actor="t", now=NOW)
    with db.read_session(engine) as session:
        assert team.matrix(session).roles == {(duty_id, person_id): "A"}
    # The operator still sees R: someone made it A meanwhile.
    with pytest.raises(StaleEdit, match="changed to A by someone else"):
        team_ops.set_role(engine, duty_id=duty_id, person_id=person_id, role="C", expected="R", actor="t", now=NOW)
    team_ops.set_role(engine, duty_id=duty_id, person_id=person_id, role=None, expected="A", actor="t", now=NOW)
    with db.read_session(engine) as session:
        assert session.exec(select(Assignment)).all() == []
    rows = audit_rows(engine, "assignment")
    assert [(r.entity_id, r.action, json.loads(r.before or "{}"), json.loads(r.after or "{}")) for r in rows] == [
        ("seo/ana", "set", {"role": None}, {"role": "R"}),
        ("seo/ana", "set", {"role": "R"}, {"role": "A"}),
        ("seo/ana", "clear", {"role": "A"}, {"role": None}),
    ]


def test_set_role_refuses_bad_values_and_inactive_people(engine: Engine) -> None:
    duty_id, person_id = seed(engine)
    with pytest.raises(TeamError, match="role must be one of"):
        team_ops.set_role(engine, duty_id=duty_id, person_id=person_id, role="X", expected=None, actor="t", now=NOW)
    team_ops.set_person_active(engine, person_id, False, expected_version=1, actor="t", now=NOW)
    with pytest.raises(TeamError, match="ana is inactive"):
        team_ops.set_role(engine, duty_id=duty_id, person_id=person_id, role="A", expected=None, actor="t", now=NOW)


def test_people_validation_versions_and_deactivation(engine: Engine) -> None:
    _, person_id = seed(engine)
    with pytest.raises(TeamError, match="handle ana is taken"):
        team_ops.add_person(engine, PersonForm("Another Ana", "ana"), actor="t", now=NOW)
    with pytest.raises(TeamError, match="unknown time zone"):
        team_ops.add_person(engine, PersonForm("Ben", "ben", timezone="Mars/Base"), actor="t", now=NOW)
    with pytest.raises(TeamError, match="write it like 09:00-18:00"):
        team_ops.add_person(engine, PersonForm("Ben", "ben", work_hours="nine to five"), actor="t", now=NOW)
    with pytest.raises(TeamError, match="handle"):
        team_ops.add_person(engine, PersonForm("Ben", "Ben Carter"), actor="t", now=NOW)
    edited = team_ops.update_person(
        engine,
        person_id,
        PersonForm("Ana W.", "ana", "ana", "Europe/Berlin", "22:00-06:00", "12345"),
        expected_version=1,
        actor="t",
        now=NOW,
    )
    assert (edited.name, edited.work_hours, edited.version) == ("Ana W.", "22:00-06:00", 2)
    with pytest.raises(StaleEdit, match="changed by someone else"):
        team_ops.update_person(engine, person_id, PersonForm("Ana", "ana"), expected_version=1, actor="t", now=NOW)
    gone = team_ops.set_person_active(engine, person_id, False, expected_version=2, actor="t", now=NOW)
    assert gone.active is False
    with db.read_session(engine) as session:
        assert team.matrix(session).people == []
        assert [p.handle for p in team.matrix(session, include_inactive=True).people] == ["ana"]
    actions = [(r.action, json.loads(r.after or "{}")) for r in audit_rows(engine, "person")]
    assert actions[1] == ("update", {"name": "Ana W.", "work_hours": "22:00-06:00"})
    assert actions[2] == ("deactivate", {"active": False})


def test_duties_validation_positions_and_versions(engine: Engine) -> None:
    first = team_ops.add_duty(engine, DutyForm("seo", "SEO", "marketing"), actor="t", now=NOW)
    second = team_ops.add_duty(engine, DutyForm("paid_ads", "Paid ads", "marketing"), actor="t", now=NOW)
    assert (first.position, second.position) == (0, 1)
    with pytest.raises(TeamError, match="duty code seo is taken"):
        team_ops.add_duty(engine, DutyForm("seo", "SEO again", "marketing"), actor="t", now=NOW)
    with pytest.raises(TeamError, match="function must be one of"):
        team_ops.add_duty(engine, DutyForm("x", "X", "finance"), actor="t", now=NOW)
    moved = team_ops.update_duty(
        engine, first.id, DutyForm("seo", "SEO", "data", "", False), expected_version=1, actor="t", now=NOW
    )
    assert (moved.function, moved.active, moved.version) == ("data", False, 2)
    with pytest.raises(StaleEdit):
        team_ops.update_duty(
            engine, first.id, DutyForm("seo", "SEO", "marketing"), expected_version=1, actor="t", now=NOW
        )


def test_set_rule_compare_and_set(engine: Engine) -> None:
    duty_id, person_id = seed(engine)
    team_ops.set_rule(engine, "presales", duty_id=duty_id, backup_person_id=None, expected=None, actor="t", now=NOW)
    with pytest.raises(StaleEdit):
        team_ops.set_rule(
            engine, "presales", duty_id=duty_id, backup_person_id=person_id, expected=None, actor="t", now=NOW
        )
    team_ops.set_rule(
        engine, "presales", duty_id=duty_id, backup_person_id=person_id, expected=(duty_id, None), actor="t", now=NOW
    )
    with db.read_session(engine) as session:
        [rule] = session.exec(select(RoutingRule)).all()
    assert (rule.category, rule.duty_id, rule.backup_person_id) == ("presales", duty_id, person_id)
    assert json.loads(audit_rows(engine, "routing_rule")[-1].after or "{}") == {"duty": "seo", "backup": "ana"}


def test_template_loads_once_and_never_touches_people_or_assignments(engine: Engine) -> None:
    duty_id, person_id = seed(engine)  # an existing "seo" duty, renamed by the operator
    with db.write_session(engine) as session:
        duty = session.get(Duty, duty_id)
        assert duty is not None
        duty.name = "Search engine optimisation (ours)"
        session.add(duty)
        session.add(Assignment(duty_id=duty_id, person_id=person_id, role="A"))
    with db.write_session(engine) as session:
        first = load_template(session, "growth", actor="t", now=NOW)
    growth_codes = [code for code, *_ in duties_for("growth")]
    assert first.present == ["seo"]
    assert sorted(first.added) == sorted(c for c in growth_codes if c != "seo")
    assert first.rules_added == ["logistics", "returns", "payment", "product", "site_incident", "presales"]
    with db.write_session(engine) as session:
        again = load_template(session, "growth", actor="t", now=NOW)
    assert again.added == [] and again.rules_added == []
    assert sorted(again.present) == sorted(growth_codes)
    with db.write_session(engine) as session:
        mature = load_template(session, "mature", actor="t", now=NOW)
    assert sorted(mature.added) == ["localization", "ltv_cac"]
    with db.read_session(engine) as session:
        assert len(session.exec(select(Duty)).all()) == len(duties_for("mature"))
        assert [p.handle for p in session.exec(select(Person))] == ["ana"]
        assert [(a.duty_id, a.role) for a in session.exec(select(Assignment))] == [(duty_id, "A")]
        kept = session.get(Duty, duty_id)
        assert kept is not None and kept.name == "Search engine optimisation (ours)"
    assert len(audit_rows(engine, "duty")) == 1 + len(duties_for("mature")) - 1


def test_unknown_stage_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown stage"):
        duties_for("enterprise")
