"""The Team screen driven with Pilot: edit cells, jump from checks, edit routes, people and duties;
every test asserts the screen and the database."""

from __future__ import annotations

import json

from sqlalchemy import Engine
from sqlmodel import col, select

from dtc_tui import db
from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.models import Assignment, AuditLog, Duty, Person, RoutingRule
from dtc_tui.ui.screens.team.grid import TeamGrid
from tests.conftest import make_app


def role_in_db(engine: Engine, duty_code: str, handle: str) -> str | None:
    with db.read_session(engine) as session:
        row = session.exec(
            select(Assignment.role)
            .join(Duty, col(Duty.id) == col(Assignment.duty_id))
            .join(Person, col(Person.id) == col(Assignment.person_id))
            .where(col(Duty.code) == duty_code, col(Person.handle) == handle)
        ).first()
    return row


def check_messages(app) -> list[str]:
    return [c.message for c in app.screen.view.checks]


async def test_set_and_clear_a_cell(sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="team")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        grid = app.screen.query_one(TeamGrid)
        assert (grid.cursor_duty.code, grid.cursor_person.handle) == ("site_build", "ana")
        await pilot.press("down", "down", "down", "down", "right")  # site_release, payments, content, seo; ben
        assert (grid.cursor_duty.code, grid.cursor_person.handle) == ("seo", "ben")
        assert "SEO: nobody is accountable" in check_messages(app)
        await pilot.press("a")
        await pilot.pause()
        assert role_in_db(sqlite_demo_engine, "seo", "ben") == "A"
        assert "SEO: nobody is accountable" not in check_messages(app)
        assert grid.cursor_role() == "A"
        await pilot.press("r")
        await pilot.pause()
        assert role_in_db(sqlite_demo_engine, "seo", "ben") == "R"
        await pilot.press("backspace")
        await pilot.pause()
        assert role_in_db(sqlite_demo_engine, "seo", "ben") is None
        assert grid.cursor_role() is None
        assert "SEO: nobody is accountable" in check_messages(app)
    with db.read_session(sqlite_demo_engine) as session:
        audits = session.exec(select(AuditLog).where(col(AuditLog.entity) == "assignment")).all()
    assert [(a.entity_id, a.action, a.actor) for a in audits] == [
        ("seo/ben", "set", "tester"),
        ("seo/ben", "set", "tester"),
        ("seo/ben", "clear", "tester"),
    ]


async def test_a_stale_cell_is_refused_and_the_grid_shows_the_new_value(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="team")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        grid = app.screen.query_one(TeamGrid)
        assert grid.cursor_role() is None or grid.cursor_person.handle == "ana"
        # Someone else makes ana Responsible for site_build (the grid still shows I).
        with db.write_session(sqlite_demo_engine) as session:
            duty = session.exec(select(Duty).where(col(Duty.code) == "site_build")).one()
            ana = session.exec(select(Person).where(col(Person.handle) == "ana")).one()
            cell = session.exec(
                select(Assignment).where(col(Assignment.duty_id) == duty.id, col(Assignment.person_id) == ana.id)
            ).one()
            cell.role = "R"
            session.add(cell)
        assert grid.cursor_role() == "I"
        await pilot.press("c")
        await pilot.pause()
        assert role_in_db(sqlite_demo_engine, "site_build", "ana") == "R"  # not overwritten
        assert grid.cursor_role() == "R"  # reloaded
        assert any("changed to R by someone else" in n.message for n in app._notifications)


async def test_enter_on_a_check_jumps_to_its_cell(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="team")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        grid = screen.query_one(TeamGrid)
        checks = screen.view.checks
        target = next(i for i, c in enumerate(checks) if c.code == "delivery_signoff")
        await pilot.press("tab")
        assert app.focused.id == "team-checks"
        await pilot.press(*["down"] * target, "enter")
        await pilot.pause()
        assert app.focused is grid
        assert (grid.cursor_duty.code, grid.cursor_person.handle) == ("delivery_copy", "chen")
        await pilot.press("c")  # fix it where we landed
        await pilot.pause()
        assert role_in_db(sqlite_demo_engine, "delivery_copy", "chen") == "C"
        assert not any(c.code == "delivery_signoff" for c in screen.view.checks)


async def test_routing_panel_edits_a_rule(sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="team")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        site = next(r for r in screen.view.routes if r.category == "site_incident")
        assert (site.owner_handle, site.route.on_duty, site.backup_handle) == ("dana", False, None)
        await pilot.press("v", "tab")
        assert app.focused.id == "team-routes"
        index = [r.category for r in screen.view.routes].index("site_incident")
        await pilot.press(*["down"] * index, "enter")
        await pilot.pause()
        form = app.screen
        assert type(form).__name__ == "TeamForm"
        with db.read_session(sqlite_demo_engine) as session:
            ana_id = session.exec(select(Person.id).where(col(Person.handle) == "ana")).one()
        form.query_one("#field-backup").value = str(ana_id)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert type(app.screen).__name__ == "TeamScreen"
        site = next(r for r in screen.view.routes if r.category == "site_incident")
        assert (site.backup_handle, site.route.via, site.route.person_handle) == ("ana", "backup", "ana")
        assert not any(c.code == "escalation_uncovered" and c.category == "site_incident" for c in screen.view.checks)
    with db.read_session(sqlite_demo_engine) as session:
        rule = session.exec(select(RoutingRule).where(col(RoutingRule.category) == "site_incident")).one()
        assert rule.backup_person_id == ana_id


async def test_add_a_person_and_deactivate_a_duty(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="team")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("N")
        await pilot.pause()
        await pilot.press(*"Gus Tan")
        await pilot.press("tab", *"gus", "tab", "tab", "ctrl+a", *"Nowhere/City")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "unknown time zone" in str(app.screen.query_one("#form-error").render())  # the form stays open
        app.screen.query_one("#field-timezone").value = "Asia/Singapore"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert [p.handle for p in screen.view.matrix.people][-1] == "gus"
        # Deactivate the first duty through its edit form.
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#field-active").value = False
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "site_build" not in [d.code for d in screen.view.matrix.duties]
        assert screen.query_one(TeamGrid).cursor_duty.code == "site_release"
    with db.read_session(sqlite_demo_engine) as session:
        gus = session.exec(select(Person).where(col(Person.handle) == "gus")).one()
        assert (gus.name, gus.timezone, gus.work_hours) == ("Gus Tan", "Asia/Singapore", "09:00-18:00")
        duty = session.exec(select(Duty).where(col(Duty.code) == "site_build")).one()
        assert (duty.active, duty.version) == (False, 2)
        audit = session.exec(select(AuditLog).where(col(AuditLog.entity) == "duty")).one()
        assert (audit.action, json.loads(audit.after or "{}")) == ("deactivate", {"active": False})


async def test_empty_team_says_how_to_start_and_keys_do_nothing(
    engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(engine, clock, settings, start_area="team")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        grid = app.screen.query_one(TeamGrid)
        assert grid.cursor_duty is None and grid.cursor_person is None
        assert "No duties" in str(app.screen.query_one("#team-status").render())
        await pilot.press("a", "space", "down", "right", "e", "E")
        await pilot.pause()
        assert type(app.screen).__name__ == "TeamScreen"
        # With no rules at all every ticket category is unrouted.
        assert {c.code for c in app.screen.view.checks} == {"unrouted"}
    with db.read_session(engine) as session:
        assert session.exec(select(Assignment)).all() == []
