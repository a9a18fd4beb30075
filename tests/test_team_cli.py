"""``dtc-tui team ...`` headless: matrix (text, JSON, CSV), check exit status, route, template, set."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine

from dtc_tui import db
from dtc_tui.cli import main_group
from dtc_tui.models import Assignment, Duty, Person, RoutingRule
from dtc_tui.models.tickets import CATEGORIES

AT = "2026-11-20T14:00:00+00:00"  # Friday: Berlin 15:00, Manila 22:00


def run(*args: str) -> object:
    return CliRunner().invoke(main_group, list(args), catch_exceptions=False)


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_matrix_json_and_csv(sqlite_demo_engine: Engine) -> None:
    url = url_of(sqlite_demo_engine)
    data = json.loads(run("--db", url, "team", "matrix", "--json").output)
    assert [p["handle"] for p in data["people"]] == ["ana", "ben", "chen", "dana", "eli", "farah"]
    assert {"duty": "seo", "person": "farah", "role": "R"} in data["cells"]
    assert data["duties"][0]["code"] == "site_build"  # tech first
    rows = list(csv.reader(io.StringIO(run("--db", url, "team", "matrix", "--csv").output)))
    assert rows[0] == ["function", "duty", "name", "ana", "ben", "chen", "dana", "eli", "farah"]
    email = next(r for r in rows if r[1] == "email_crm")
    assert email[3:] == ["", "A", "", "", "", "A"]
    text = run("--db", url, "team", "matrix").output
    assert "Supply chain & warehousing" in text
    assert run("--db", url, "team", "matrix", "--json", "--csv").exit_code != 0


def test_check_fails_on_the_demo_and_passes_on_a_covered_team(sqlite_demo_engine: Engine, tmp_path: Path) -> None:
    result = run("--db", url_of(sqlite_demo_engine), "team", "check", "--at", AT, "--json")
    assert result.exit_code == 1
    codes = {c["code"] for c in json.loads(result.output)["failed"]}
    # Every check of the issue fires on the demo.
    assert codes >= {
        "no_accountable",
        "two_accountable",
        "no_responsible",
        "no_backup",
        "overloaded",
        "too_many_functions",
        "delivery_signoff",
        "release_tester",
        "refund_sync",
        "cs_merged",
        "escalation_uncovered",
    }
    # Two people working around the clock on one duty, every category routed to it with a backup.
    db_url = str(tmp_path / "small.db")
    engine = db.make_engine(f"sqlite:///{db_url}")
    db.upgrade(engine)
    with db.write_session(engine) as session:
        ana = Person(name="Ana", handle="ana", timezone="UTC", work_hours="00:00-24:00", work_days="1234567")
        ben = Person(name="Ben", handle="ben", timezone="UTC", work_hours="00:00-24:00", work_days="1234567")
        duty = Duty(code="everything", name="Everything", function="tech")
        session.add_all([ana, ben, duty])
        session.flush()
        session.add_all(
            [
                Assignment(person_id=ana.id or 0, duty_id=duty.id or 0, role="A"),
                Assignment(person_id=ben.id or 0, duty_id=duty.id or 0, role="R"),
            ]
        )
        for category in CATEGORIES:
            session.add(RoutingRule(category=category, duty_id=duty.id, backup_person_id=ben.id))
    engine.dispose()
    ok = run("--db", db_url, "team", "check", "--at", AT)
    assert ok.exit_code == 0, ok.output
    assert ok.output == "All team checks pass.\n"


def test_route_one_category_and_the_table(sqlite_demo_engine: Engine) -> None:
    url = url_of(sqlite_demo_engine)
    one = json.loads(run("--db", url, "team", "route", "site_incident", "--at", AT, "--json").output)
    assert (one["person_handle"], one["via"], one["on_duty"]) == ("dana", "accountable", False)
    assert "nobody is on duty" in one["reason"]
    berlin_morning = run("--db", url, "team", "route", "payment", "--at", "2026-11-20T09:30+01:00")
    assert "payment -> ana (via accountable)" in berlin_morning.output
    table = run("--db", url, "team", "route", "--at", AT).output
    assert "site_incident  site_build         dana (off)   -            dana (nobody on duty)" in table
    bad = run("--db", url, "team", "route", "payment", "--at", "tomorrow")
    assert bad.exit_code == 2 and "is not a time like" in bad.output


def test_template_and_set(tmp_path: Path) -> None:
    url = str(tmp_path / "t.db")
    assert run("--db", url, "db", "upgrade").exit_code == 0  # only creating commands create the file
    first = run("--db", url, "team", "template", "growth")
    assert first.exit_code == 0 and "19 duties added, 0 already present" in first.output
    assert "0 duties added, 19 already present" in run("--db", url, "team", "template", "growth").output
    missing = run("--db", url, "team", "set", "seo", "ana", "A")
    assert missing.exit_code == 2 and "no active person with handle 'ana'" in missing.output


def test_set_a_cell_then_the_check_clears(sqlite_demo_engine: Engine) -> None:
    url = url_of(sqlite_demo_engine)
    assert run("--db", url, "team", "set", "seo", "ben", "A").output == "seo / ben: A\n"
    failed = json.loads(run("--db", url, "team", "check", "--at", AT, "--json").output)["failed"]
    assert not any(c["code"] == "no_accountable" and c["duty_code"] == "seo" for c in failed)
    assert run("--db", url, "team", "set", "seo", "ben", "-").output == "seo / ben: cleared\n"
    cells = json.loads(run("--db", url, "team", "matrix", "--json").output)["cells"]
    assert not any(c["duty"] == "seo" and c["person"] == "ben" for c in cells)
